//! Identity OS: a self-hosted server for stateful personality models of AI agents.
//!
//! `engine` is the pure identity engine (no async, no I/O, no clock).

pub mod engine;
