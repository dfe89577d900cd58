//! Identity OS: a self-hosted server for stateful personality models of AI agents.
//!
//! `engine` is the pure identity engine (no async, no I/O, no clock); `store` keeps
//! instances in PostgreSQL or SQLite.

pub mod api_key;
pub mod cli;
pub mod config;
pub mod engine;
pub mod hex;
pub mod http;
pub mod ids;
pub mod instance;
pub mod server;
pub mod store;
pub mod timestamp;
