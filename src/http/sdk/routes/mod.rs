//! The `/sdk/v1` handlers: each parses the SDK's request, calls the operation `/v1`
//! uses, and answers in the SDK's shape.

pub mod catalog;
pub mod engine;
pub mod instances;
