//! Request and response bodies of `/v1`, exactly as API.md spells them.
//!
//! Requests are decoded into these types (unknown fields refused) and then turned into
//! domain values by `into_*` methods that check every limit and name the field at
//! fault; responses are built from domain records.

pub mod audit;
pub mod context;
pub mod cycle;
pub mod instance;
pub mod observation;
pub mod storable;
pub mod test_submission;
pub mod unique_keys;
