//! Installing the process's tracing subscriber: a text or JSON formatter on
//! stderr, the same records in a daily-rotated file when asked, and the
//! OpenTelemetry layer when an OTLP endpoint is configured.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::traces::{self, TracesOptions};

/// How log records are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per record.
    #[default]
    Text,
    /// One JSON object per line, event fields at the top level.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "pretty" | "plain" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format `{other}` (expected `text` or `json`)"
            )),
        }
    }
}

/// What the binary asks of the log setup. Everything is read from flags and
/// the environment by the caller, once, at start-up.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub format: LogFormat,
    /// Also write every record here, rotated daily (`logs/app.log` becomes
    /// `logs/app.YYYY-MM-DD.log`).
    pub file: Option<PathBuf>,
    /// `RUST_LOG`-style directives; `info` when absent or invalid.
    pub filter: Option<String>,
    /// Log request and response bodies at debug (redacted); see [`crate::bodies`].
    pub bodies: bool,
    /// Colour codes on stderr.
    pub ansi: bool,
    /// Export spans over OTLP when set.
    pub traces: Option<TracesOptions>,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("--log-file {path}: {source}")]
    LogFile {
        path: String,
        source: tracing_appender::rolling::InitError,
    },
    #[error("cannot start the OTLP trace exporter: {0}")]
    Traces(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("a global tracing subscriber is already installed: {0}")]
    AlreadyInstalled(#[from] tracing_subscriber::util::TryInitError),
}

/// Keeps the background log writer and the span exporter alive; dropping it
/// flushes both, so hold it until the process ends.
pub struct Telemetry {
    _file: Option<WorkerGuard>,
    tracer: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports every finished span now (tests and shutdown).
    pub fn flush_traces(&self) {
        if let Some(tracer) = &self.tracer {
            let _ = tracer.force_flush();
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.shutdown();
        }
    }
}

/// The filter for `directives`, with body logging switched on at debug when
/// asked for (otherwise an `info` filter would hide it).
pub fn filter(directives: Option<&str>, bodies: bool) -> EnvFilter {
    let base = directives
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    if bodies {
        match crate::bodies::TARGET_DIRECTIVE.parse() {
            Ok(directive) => base.add_directive(directive),
            Err(_) => base,
        }
    } else {
        base
    }
}

/// The formatting layer for `format` writing to `writer`. Public so tests
/// can capture exactly what the binary would print.
pub fn fmt_layer<S, W>(format: LogFormat, writer: W, ansi: bool) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text if ansi => tracing_subscriber::fmt::layer()
            .fmt_fields(plain_fields())
            .with_writer(writer)
            .with_ansi(true)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .fmt_fields(plain_fields())
            .with_writer(writer)
            .with_ansi(false)
            .boxed(),
        // Every enclosing span is listed so each line carries the request id
        // of the HTTP or RPC span it happened in.
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .with_writer(writer)
            .boxed(),
    }
}

/// `name=value` fields, escaped so that nothing a client sends (a model name, an error
/// message echoing one) can end the line or forge a field: see [`crate::log_fields`].
/// Without the default formatter's styling machinery, which cost half of each request
/// line's formatting even with colour off (see bench/README.md).
fn plain_fields() -> crate::log_fields::EscapedFields {
    crate::log_fields::EscapedFields
}

/// Installs the global subscriber described by `options`.
pub fn init(options: LogOptions) -> Result<Telemetry, TelemetryError> {
    init_with_writer(options, std::io::stderr)
}

/// [`init`] with the console output going to `writer` instead of stderr.
pub fn init_with_writer<W>(options: LogOptions, writer: W) -> Result<Telemetry, TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    crate::bodies::set_enabled(options.bodies);
    let mut layers: Vec<Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>> = Vec::new();
    layers.push(fmt_layer(options.format, writer, options.ansi));
    let mut file_guard = None;
    if let Some(path) = &options.file {
        let (file_writer, guard) = tracing_appender::non_blocking(rolling_file(path)?);
        file_guard = Some(guard);
        layers.push(fmt_layer(options.format, file_writer, false));
    }
    let tracer = match &options.traces {
        Some(traces_options) => {
            let provider = traces::provider(traces_options)?;
            layers.push(traces::layer(&provider));
            Some(provider)
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(layers)
        .with(filter(options.filter.as_deref(), options.bodies))
        .try_init()?;
    Ok(Telemetry {
        _file: file_guard,
        tracer,
    })
}

/// `logs/app.log` rotates daily as `logs/app.YYYY-MM-DD.log`.
fn rolling_file(path: &Path) -> Result<RollingFileAppender, TelemetryError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "modelgate".into());
    let mut builder = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(stem);
    if let Some(ext) = path.extension() {
        builder = builder.filename_suffix(ext.to_string_lossy().into_owned());
    }
    builder
        .build(&dir)
        .map_err(|source| TelemetryError::LogFile {
            path: path.display().to_string(),
            source,
        })
}
