//! Route handlers, one file per group of endpoints.

pub mod calls;
pub mod engine_ops;
pub mod instances;
pub mod lifecycle;
pub mod ops;
pub mod personas;
pub mod questionnaire;
