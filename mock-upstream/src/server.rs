//! The HTTP server: routes, request recording, and the `MockUpstream` handle.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::body::respond;
use crate::fixtures::Fixtures;
use crate::native;
use crate::record::{RecordedRequest, Recorder};
use crate::scenarios::{self, Action, Plan};
use crate::stats::{Stats, StatsHub};

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) fixtures: Arc<Fixtures>,
    /// Where the fixture files are, for the native provider routes.
    #[allow(dead_code)] // read by the native provider routes as they land
    pub(crate) fixtures_dir: Arc<PathBuf>,
    pub(crate) recorder: Recorder,
    pub(crate) stats: StatsHub,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Requests per model, for the `fail-N-…` scenarios.
    pub(crate) counters: crate::flaky::Counters,
}

impl AppState {
    /// Records the request and returns its body parsed as JSON (`None` if it is not JSON).
    pub(crate) fn record(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Value> {
        self.recorder
            .push(RecordedRequest::new(method, uri, headers, body));
        serde_json::from_slice(body).ok()
    }

    pub(crate) fn reply(&self, plan: Plan) -> Response {
        respond(plan, self.stats.open())
    }
}

/// A running mock upstream; it serves until dropped (or `shutdown`).
pub struct MockUpstream {
    addr: SocketAddr,
    recorder: Recorder,
    stats: StatsHub,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl MockUpstream {
    /// Binds 127.0.0.1:0 and serves until dropped (or `shutdown`).
    pub async fn start(fixtures_dir: impl Into<PathBuf>) -> io::Result<MockUpstream> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        MockUpstream::start_on(listener, fixtures_dir).await
    }

    /// Serves on an already bound listener (the binary's `--listen`).
    pub async fn start_on(
        listener: TcpListener,
        fixtures_dir: impl Into<PathBuf>,
    ) -> io::Result<MockUpstream> {
        let fixtures_dir: PathBuf = fixtures_dir.into();
        let fixtures = Fixtures::load(&fixtures_dir)?;
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = AppState {
            fixtures: Arc::new(fixtures),
            fixtures_dir: Arc::new(fixtures_dir),
            recorder: Recorder::default(),
            stats: StatsHub::new(),
            shutdown: shutdown_rx.clone(),
            counters: Default::default(),
        };
        let recorder = state.recorder.clone();
        let stats = state.stats.clone();
        let mut signal = shutdown_rx;
        let serve = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
            // Ends on `true` or when the sender is dropped.
            let _ = signal.wait_for(|stop| *stop).await;
        });
        let task = tokio::spawn(async move { serve.await });
        Ok(MockUpstream {
            addr,
            recorder,
            stats,
            shutdown,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT/{prefix}`: the base URL of a native provider's
    /// routes (`anthropic`, `gemini`, `ollama`, `azure`).
    pub fn native_url(&self, prefix: &str) -> String {
        format!("http://{}/{prefix}", self.addr)
    }

    /// Every request received so far (the `/__mock/` routes excepted).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.all()
    }

    pub fn clear(&self) {
        self.recorder.clear();
    }

    pub fn stats(&self) -> Stats {
        self.stats.get()
    }

    /// Resolves when `stats()` satisfies `pred` (checked on every change), or errs with the
    /// current stats after `timeout`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Stats) -> bool,
        timeout: Duration,
    ) -> Result<Stats, Stats> {
        self.stats.wait_for(pred, timeout).await
    }

    /// Stops accepting connections, ends the requests that would hang forever, and waits for
    /// the responses in flight to finish.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.shutdown.send_replace(true);
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .route("/v1/responses", post(crate::responses::openai))
        .route("/responses", post(crate::responses::openai))
        .route("/v1/embeddings", post(embeddings))
        .route("/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .route(
            "/__mock/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__mock/stats", get(stats))
        .route("/assets/pixel.png", get(pixel))
        .nest("/anthropic", native::anthropic::routes())
        .nest("/gemini", native::gemini::routes())
        .nest("/ollama", native::ollama::routes())
        .nest("/azure", native::azure::routes())
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

fn model_of(json: &Value) -> &str {
    json.get("model").and_then(Value::as_str).unwrap_or("text")
}

async fn chat(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(json) = st.record(&method, &uri, &headers, &body) else {
        return st.reply(scenarios::invalid_json());
    };
    let stream = json.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if stream && model_of(&json) == "endless" {
        return crate::endless::respond(st.stats.open());
    }
    if let Some(response) = crate::flaky::respond(&st, model_of(&json), stream).await {
        return response;
    }
    if let Some(response) = crate::throttle::respond(&st, model_of(&json), stream) {
        return response;
    }
    match scenarios::chat(model_of(&json), stream, &st.fixtures) {
        Action::Reply(plan) => st.reply(plan),
        Action::Hang => hang(st).await,
    }
}

/// Never answers; the guard lives in this future, so the request counts as open until the
/// client goes away (hyper drops the future) or the mock shuts down.
pub(crate) async fn hang(st: AppState) -> Response {
    let _guard = st.stats.open();
    let mut shutdown = st.shutdown.clone();
    let _ = shutdown.wait_for(|stop| *stop).await;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "mock-upstream shutting down",
    )
        .into_response()
}

async fn embeddings(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match st.record(&method, &uri, &headers, &body) {
        Some(json) => st.reply(scenarios::embeddings(model_of(&json), &st.fixtures)),
        None => st.reply(scenarios::invalid_json()),
    }
}

async fn models(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    st.reply(scenarios::models(&st.fixtures))
}

async fn unknown_route(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.record(&method, &uri, &headers, &body);
    st.reply(scenarios::unknown_route())
}

async fn list_requests(State(st): State<AppState>) -> Json<Vec<RecordedRequest>> {
    Json(st.recorder.all())
}

async fn clear_requests(State(st): State<AppState>) -> StatusCode {
    st.recorder.clear();
    StatusCode::NO_CONTENT
}

async fn stats(State(st): State<AppState>) -> Json<Stats> {
    Json(st.stats.get())
}

/// A 1×1 PNG, for adapters that must fetch http image URLs and inline them.
async fn pixel() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "image/png")],
        Bytes::from_static(crate::canned::PIXEL_PNG),
    )
        .into_response()
}
