//! The observability flags every subcommand takes (before or after its
//! name), and turning them plus the standard variables into the telemetry
//! setup. The environment is read here, once, at start-up.

use std::path::PathBuf;

use clap::Args;
use modelgate_telemetry::traces::TracesOptions;
use modelgate_telemetry::{LogFormat, LogOptions, Telemetry};

use crate::cli::{Cli, Command};

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log format: `text` (human-readable) or `json` (one object per line).
    #[arg(long, global = true, env = "MODELGATE_LOG_FORMAT", default_value = "text",
          value_parser = parse_format)]
    pub log_format: LogFormat,
    /// Also write logs to this file, rotated daily (`logs/app.log` →
    /// `logs/app.YYYY-MM-DD.log`).
    #[arg(long, global = true, env = "MODELGATE_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Log request and response bodies at debug, keys redacted and images
    /// replaced by a placeholder (for debugging only).
    #[arg(long, global = true, env = "MODELGATE_LOG_BODIES", value_parser = clap::builder::BoolishValueParser::new())]
    pub log_bodies: bool,
}

/// Installs logging, tracing and the Prometheus recorder for this process.
pub fn init(cli: &Cli) -> Result<Telemetry, Box<dyn std::error::Error + Send + Sync>> {
    let service = match cli.command {
        Command::Core { .. } => "modelgate-core",
        Command::Facade { .. } => "modelgate-facade",
        _ => "modelgate",
    };
    let telemetry = modelgate_telemetry::init(cli.log.options(service))?;
    modelgate_telemetry::prometheus::install()?;
    Ok(telemetry)
}

fn parse_format(text: &str) -> Result<LogFormat, String> {
    text.parse()
}

impl LogArgs {
    /// The telemetry setup for a process running as `service` (the default
    /// `service.name` of its spans).
    pub fn options(&self, service: &str) -> LogOptions {
        let env = |name: &str| std::env::var(name).ok();
        LogOptions {
            format: self.log_format,
            file: self.log_file.clone(),
            filter: env("RUST_LOG"),
            bodies: self.log_bodies,
            // Colour codes only for a terminal, never into files, pipes or CI logs.
            ansi: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            traces: TracesOptions::from_env(env, service),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).expect("arguments parse")
    }

    #[test]
    fn log_flags_are_global() {
        let before = parse(&["modelgate", "--log-format", "json", "serve"]);
        assert_eq!(before.log.log_format, LogFormat::Json);
        let after = parse(&[
            "modelgate",
            "core",
            "--log-format=json",
            "--log-file",
            "logs/app.log",
            "--log-bodies",
        ]);
        assert_eq!(after.log.log_format, LogFormat::Json);
        assert_eq!(after.log.log_file, Some(PathBuf::from("logs/app.log")));
        assert!(after.log.log_bodies);
        let default = parse(&["modelgate", "serve"]);
        assert_eq!(default.log.log_format, LogFormat::Text);
        assert!(!default.log.log_bodies);
        assert!(Cli::try_parse_from(["modelgate", "serve", "--log-format", "xml"]).is_err());
    }
}
