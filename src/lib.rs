//! Identity OS: a self-hosted server for stateful personality models of AI agents.
//!
//! `engine` is the pure identity engine (no async, no I/O, no clock); `store` keeps
//! instances in PostgreSQL or SQLite.

pub mod admin;
pub mod api_key;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod hex;
pub mod http;
pub mod ids;
pub mod instance;
pub mod reload;
pub mod retention;
pub mod server;
pub mod store;
pub mod timestamp;

/// With the `mimalloc` feature: glibc's allocator spent ≈ 25 % of the server's CPU under
/// load (arena locks between worker threads, `malloc_consolidate`), mimalloc ≈ 20 % less
/// per request, at ≈ 0.9 KiB more per resident instance; see BENCHMARKS.md. Declared
/// here, not in the binary, so that benchmarks and measurement programs measure what the
/// server runs.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
