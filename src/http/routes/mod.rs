//! Route handlers, one file per group of endpoints.

pub mod ops;
pub mod personas;
pub mod questionnaire;
