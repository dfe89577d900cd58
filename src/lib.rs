//! Identity OS: a self-hosted server for stateful personality models of AI agents.
//!
//! `engine` is the pure identity engine (no async, no I/O, no clock); `store` keeps
//! instances in PostgreSQL or SQLite.

pub mod api_key;
pub mod config;
pub mod engine;
pub mod ids;
pub mod instance;
pub mod store;
pub mod timestamp;
