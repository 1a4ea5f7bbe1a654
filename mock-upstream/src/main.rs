//! `mock-upstream [--fixtures DIR] [--listen ADDR]`: serves the mock until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mock_upstream::{MockUpstream, default_fixtures_dir};

/// OpenAI-compatible mock upstream replaying recorded provider wire data.
#[derive(Parser)]
#[command(name = "mock-upstream")]
struct Args {
    /// Provider fixtures folder [default: $MODELGATE_FIXTURES, else ../shared/fixtures/providers]
    #[arg(long, value_name = "DIR")]
    fixtures: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-upstream: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<()> {
    let fixtures = args.fixtures.unwrap_or_else(default_fixtures_dir);
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let mock = MockUpstream::start_on(listener, fixtures).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "mock-upstream listening on {}", mock.addr())?;
    stdout.flush()?;
    drop(stdout);
    std::future::pending::<()>().await;
    Ok(())
}
