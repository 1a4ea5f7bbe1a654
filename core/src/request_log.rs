//! One structured log line per request, written when the request ends —
//! however it ends, including a client that went away mid-stream. The same
//! moment records the request's metrics and closes its upstream span.

use std::sync::Arc;
use std::time::{Duration, Instant};

use modelgate::error::GatewayError;
use modelgate::v1::Usage;

use crate::metrics::{Metrics, Outcome, Surface};
use crate::providers::Operation;
use crate::secrets::Secrets;

/// Collects a request's facts; logs them once on drop.
pub struct RequestLog {
    pub request_id: String,
    pub key_name: String,
    pub model: String,
    pub provider: String,
    pub upstream_model: String,
    pub stream: bool,
    /// Upstream calls made for this request (the resilience work retries).
    pub attempts: u32,
    /// The model the upstream says answered.
    pub response_model: String,
    started: Instant,
    first_token: Option<Duration>,
    usage: Option<Usage>,
    error: Option<GatewayError>,
    finished: bool,
    detached: bool,
    metrics: Option<(Arc<Metrics>, Surface)>,
    /// `chat`, `embeddings` or `responses`, once observed.
    endpoint: &'static str,
    upstream_span: Option<tracing::Span>,
    /// Scrubbed from every text field before the line, the span and the metrics see it.
    secrets: Secrets,
}

impl RequestLog {
    /// Starts timing a request; `secrets` never reach the line.
    pub fn start(
        request_id: String,
        key_name: String,
        model: String,
        stream: bool,
        secrets: Secrets,
    ) -> Self {
        Self {
            request_id,
            key_name,
            model,
            provider: String::new(),
            upstream_model: String::new(),
            stream,
            attempts: 1,
            response_model: String::new(),
            started: Instant::now(),
            first_token: None,
            usage: None,
            error: None,
            finished: false,
            detached: false,
            metrics: None,
            endpoint: "",
            upstream_span: None,
            secrets,
        }
    }

    /// Counts this request in `metrics` as a `operation` request coming from `surface`; a
    /// stream counts as in flight from here until the log is dropped.
    pub fn observe(&mut self, metrics: Arc<Metrics>, surface: Surface, operation: Operation) {
        if self.metrics.is_none() && self.stream {
            crate::metrics::stream_in_flight(1.0);
        }
        self.endpoint = operation.as_str();
        self.metrics = Some((metrics, surface));
    }

    /// The span of the provider call (`operation`: `chat` or `embeddings`),
    /// open until the request ends. Call after `provider` and
    /// `upstream_model` are set.
    pub fn upstream_span(&mut self, operation: &'static str) -> tracing::Span {
        // Only an exporter reads it: log lines already sit in the RPC's span.
        // (Still stored: it marks the provider call as started.)
        if !modelgate_telemetry::traces::exporting() {
            self.upstream_span = Some(tracing::Span::none());
            return tracing::Span::none();
        }
        let system = self
            .metrics
            .as_ref()
            .map_or("_OTHER", |(m, _)| m.system(&self.provider));
        let span = tracing::info_span!(
            "upstream",
            otel.name = %format!("{operation} {}", self.upstream_model),
            otel.kind = "client",
            gen_ai.operation.name = operation,
            gen_ai.system = system,
            gen_ai.provider.name = system,
            gen_ai.request.model = %self.upstream_model,
            gen_ai.response.model = tracing::field::Empty,
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            modelgate.provider = %self.provider,
            error.type = tracing::field::Empty,
        );
        self.upstream_span = Some(span.clone());
        span
    }

    /// Records the model the upstream reports having used.
    pub fn response_model(&mut self, model: &str) {
        if self.response_model.is_empty() {
            model.clone_into(&mut self.response_model);
        }
    }

    /// A placeholder that logs nothing, left behind when a request's log
    /// moves into its response stream.
    pub fn detached() -> Self {
        let mut log = Self::start(
            String::new(),
            String::new(),
            String::new(),
            false,
            Secrets::default(),
        );
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
        self.error = Some(self.secrets.scrub(error.clone()));
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
        // What a caller or an upstream chose (the model names) may hold anything.
        for text in [
            &mut self.model,
            &mut self.upstream_model,
            &mut self.response_model,
        ] {
            self.secrets.redact_in_place(text);
        }
        let usage = self.usage.unwrap_or_default();
        let duration = self.started.elapsed();
        // Never the prompt, the completion or a key: names and numbers only.
        tracing::info!(
            target: "modelgate::request",
            request_id = %self.request_id,
            key = %self.key_name,
            endpoint = self.endpoint,
            model = %self.model,
            provider = %self.provider,
            upstream_model = %self.upstream_model,
            stream = self.stream,
            status,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            reasoning_tokens = usage.reasoning_tokens.unwrap_or(0),
            cached_tokens = usage.cached_tokens.unwrap_or(0),
            ttft_ms = self.first_token.map(|d| d.as_millis() as u64),
            duration_ms = duration.as_millis() as u64,
            attempts = self.attempts,
            error = self.error.as_ref().map(|e| e.message.as_str()),
            "request"
        );
        // Errors after the provider was chosen came from the provider call.
        let upstream_error = self
            .error
            .as_ref()
            .filter(|_| self.upstream_span.is_some())
            .map(|e| e.kind);
        if let Some(span) = self.upstream_span.take() {
            if !self.response_model.is_empty() {
                span.record("gen_ai.response.model", self.response_model.as_str());
            }
            if self.usage.is_some() {
                // As integers: exporters send u64 values as strings.
                let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                span.record("gen_ai.usage.input_tokens", int(usage.prompt_tokens));
                span.record("gen_ai.usage.output_tokens", int(usage.completion_tokens));
            }
            if let Some(kind) = upstream_error {
                span.record("error.type", crate::metrics::error_class(kind));
            }
        }
        if let Some((metrics, surface)) = self.metrics.take() {
            if self.stream {
                crate::metrics::stream_in_flight(-1.0);
            }
            metrics.record(&Outcome {
                model: &self.model,
                provider: &self.provider,
                surface,
                endpoint: self.endpoint,
                stream: self.stream,
                status,
                usage: self.usage.as_ref(),
                ttft: self.first_token,
                duration,
                upstream_error,
            });
        }
    }
}
