//! OTLP span export (HTTP/protobuf, batched) and the tracing layer that turns
//! tracing spans into OpenTelemetry spans.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{Layer, Registry};

/// Where spans go and under which service name.
#[derive(Debug, Clone)]
pub struct TracesOptions {
    /// The collector's base URL, as in `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (`http://collector:4318`); spans are posted to `{endpoint}/v1/traces`.
    pub endpoint: String,
    /// `service.name` of every span (`OTEL_SERVICE_NAME`, else per subcommand).
    pub service_name: String,
}

impl TracesOptions {
    /// Options from the standard variables, or `None` when no endpoint is set.
    /// `get` reads one variable (the process environment in the binary).
    pub fn from_env(get: impl Fn(&str) -> Option<String>, default_service: &str) -> Option<Self> {
        let endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT").filter(|e| !e.trim().is_empty())?;
        let service_name = get("OTEL_SERVICE_NAME")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default_service.to_owned());
        Some(Self {
            endpoint,
            service_name,
        })
    }

    /// The URL spans are posted to.
    pub fn traces_url(&self) -> String {
        format!("{}/v1/traces", self.endpoint.trim_end_matches('/'))
    }
}

/// A batching tracer provider exporting to `options.endpoint`. Also installs
/// the W3C trace-context propagator used by [`crate::propagation`].
pub fn provider(
    options: &TracesOptions,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(options.traces_url())
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(options.service_name.clone())
                .build(),
        )
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(provider)
}

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans leave the process. Without an exporter only the log lines
/// read spans, and they need nothing but the request id: formatting the
/// OpenTelemetry attributes of three spans per request cost more CPU than
/// the rest of the request's logging (see bench/README.md).
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The layer exporting tracing spans through `provider`.
pub fn layer(provider: &SdkTracerProvider) -> Box<dyn Layer<Registry> + Send + Sync> {
    EXPORTING.store(true, Ordering::Relaxed);
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("modelgate"))
        .with_threads(false)
        .boxed()
}
