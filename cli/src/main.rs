//! The `modelgate` binary: `serve` (core and facade in one process),
//! `core`, `facade` and `check-config`. Kept thin: it parses flags, loads
//! the config, binds sockets and hands them to the library crates.

mod check_config;
mod cli;
mod healthcheck;
mod lifecycle;
mod listen;
mod log_args;
mod open_access;
mod run;

use std::process::ExitCode;

use clap::Parser;

// A request allocates a few hundred small objects; mimalloc serves them with about a
// third of glibc malloc's instructions (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // Held to the end: it flushes the log file and the span exporter on drop.
    let _telemetry = match log_args::init(&args) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("modelgate: {err}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("modelgate: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("modelgate: {err}");
            ExitCode::FAILURE
        }
    }
}
