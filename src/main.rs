//! `identity-os`: the server binary.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use identity_os::cli::{Cli, Command};
use identity_os::config::{Config, Sources};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&Sources::from_process()) {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    // PostgreSQL notices ("relation … already exists, skipping") are not news.
    let directives = if config.server.log.contains("sqlx") {
        config.server.log.clone()
    } else {
        format!("{},sqlx::postgres::notice=warn", config.server.log)
    };
    let filter = EnvFilter::try_new(directives);
    let Ok(filter) = filter else {
        return fail(&format!(
            "server.log = {:?}: not a log filter",
            config.server.log
        ));
    };
    // Logs go to stderr: stdout carries only what commands print (keys).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => identity_os::server::serve(config)
                .await
                .map(|()| String::new()),
            Command::Openapi => identity_os::cli::openapi(&config),
            admin => identity_os::cli::run_admin(admin, config).await,
        }
    });
    match result {
        Ok(out) => {
            // Not `println!`: it panics when the reader has gone (`… | head`).
            if !out.is_empty() {
                use std::io::Write;
                let _ = writeln!(std::io::stdout(), "{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// One clear line, no backtrace.
fn fail(message: &str) -> ExitCode {
    eprintln!("identity-os: {message}");
    ExitCode::FAILURE
}
