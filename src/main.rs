//! `identity-os`: the server binary.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use identity_os::cli::{Cli, Command, ConfigCommand};
use identity_os::config::{Config, Sources};
use identity_os::reload::SwapLogFilter;
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut sources = Sources::from_process();
    if let Some(Command::Config(ConfigCommand::Check { file: Some(file) })) = &cli.command {
        sources.file = Some(file.clone());
    }
    let loaded = match Config::load_traced(&sources) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(Command::Config(command)) = &cli.command {
        return print(&identity_os::cli::config(command, &sources, &loaded));
    }
    // Logs go to stderr: stdout carries only what commands print (keys). The filter sits
    // behind a reload handle, so that a configuration reload can change it.
    let filter = match loaded.config.log_filter() {
        Ok(filter) => filter,
        Err(e) => return fail(&e.to_string()),
    };
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .init();
    let swap_filter: SwapLogFilter = Box::new(move |f| handle.reload(f).map_err(|e| e.to_string()));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => identity_os::server::serve(loaded, Some(swap_filter))
                .await
                .map(|()| String::new()),
            Command::Openapi => identity_os::cli::openapi(&loaded.config),
            admin => identity_os::cli::run_admin(admin, loaded.config).await,
        }
    });
    match result {
        Ok(out) => print(&out),
        Err(e) => fail(&e.to_string()),
    }
}

/// Prints `out` (if any) on stdout.
fn print(out: &str) -> ExitCode {
    // Not `println!`: it panics when the reader has gone (`… | head`).
    if !out.is_empty() {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{out}");
    }
    ExitCode::SUCCESS
}

/// One clear line, no backtrace.
fn fail(message: &str) -> ExitCode {
    eprintln!("identity-os: {message}");
    ExitCode::FAILURE
}
