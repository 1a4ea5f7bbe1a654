//! One structured log line per request, written when the request ends —
//! however it ends, including a client that went away mid-stream.

use std::time::{Duration, Instant};

use modelgate::error::GatewayError;
use modelgate::v1::Usage;

/// Collects a request's facts; logs them once on drop.
pub struct RequestLog {
    pub request_id: String,
    pub key_name: String,
    pub model: String,
    pub provider: String,
    pub upstream_model: String,
    pub stream: bool,
    started: Instant,
    first_token: Option<Duration>,
    usage: Option<Usage>,
    error: Option<GatewayError>,
    finished: bool,
    detached: bool,
}

impl RequestLog {
    /// Starts timing a request.
    pub fn start(request_id: String, key_name: String, model: String, stream: bool) -> Self {
        Self {
            request_id,
            key_name,
            model,
            provider: String::new(),
            upstream_model: String::new(),
            stream,
            started: Instant::now(),
            first_token: None,
            usage: None,
            error: None,
            finished: false,
            detached: false,
        }
    }

    /// A placeholder that logs nothing, left behind when a request's log
    /// moves into its response stream.
    pub fn detached() -> Self {
        let mut log = Self::start(String::new(), String::new(), String::new(), false);
        log.detached = true;
        log
    }

    /// Marks the first chunk's arrival (only the first call counts).
    pub fn first_chunk(&mut self) {
        self.first_token
            .get_or_insert_with(|| self.started.elapsed());
    }

    /// Records usage when the provider reports it.
    pub fn usage(&mut self, usage: Usage) {
        self.usage = Some(usage);
    }

    /// Records the failure that ended the request.
    pub fn fail(&mut self, error: &GatewayError) {
        self.error = Some(error.clone());
        self.finished = true;
    }

    /// Records a complete answer.
    pub fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        let status = match (&self.error, self.finished) {
            (Some(e), _) => e.http_status(),
            (None, true) => 200,
            // Dropped before the end: the client went away.
            (None, false) => 499,
        };
        let usage = self.usage.unwrap_or_default();
        tracing::info!(
            target: "modelgate::request",
            request_id = %self.request_id,
            key = %self.key_name,
            model = %self.model,
            provider = %self.provider,
            upstream_model = %self.upstream_model,
            stream = self.stream,
            status,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            ttft_ms = self.first_token.map(|d| d.as_millis() as u64),
            duration_ms = self.started.elapsed().as_millis() as u64,
            error = self.error.as_ref().map(|e| e.message.as_str()),
            "request"
        );
    }
}
