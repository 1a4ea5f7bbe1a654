//! The process's Prometheus recorder: everything recorded through the
//! `metrics` macros (core and facade) rendered as Prometheus text for
//! `GET /metrics`, on the facade's port or on a small listener of its own
//! (`modelgate core --metrics ADDR`).

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Request durations run from milliseconds (errors) to minutes (long answers).
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
const TTFT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets. Until then each
/// sample is kept (8 bytes plus its block's share), so this bounds the memory
/// they take whether or not anything scrapes `/metrics`.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Why the recorder could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Build(#[from] metrics_exporter_prometheus::BuildError),
    /// Without upkeep, histogram samples would pile up until a scrape.
    #[error("cannot start the metrics upkeep thread: {0}")]
    Upkeep(#[from] std::io::Error),
}

/// Installs the global recorder once, with a thread that runs its upkeep
/// every [`UPKEEP_INTERVAL`]; later calls return the same handle.
pub fn install() -> Result<&'static PrometheusHandle, InstallError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), DURATION_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Suffix("time_to_first_token_seconds".into()),
            TTFT_BUCKETS,
        )?
        .install_recorder()?;
    let handle = HANDLE.get_or_init(|| handle);
    // A thread rather than a task: the recorder is installed before the
    // runtime starts, and upkeep must go on in every process that records
    // (serve, core, facade), scraped or not.
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        })?;
    Ok(handle)
}

/// The current metrics as Prometheus text, or `None` when no recorder is
/// installed in this process.
pub fn render() -> Option<String> {
    let handle = HANDLE.get()?;
    // Histograms are drained into their buckets on upkeep.
    handle.run_upkeep();
    Some(handle.render())
}

/// `GET /metrics`.
pub async fn metrics_handler() -> Response {
    match render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are not enabled in this process\n",
        )
            .into_response(),
    }
}

/// A router serving only `GET /metrics`.
pub fn router() -> Router {
    Router::new().route("/metrics", get(metrics_handler))
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown)
        .await
}
