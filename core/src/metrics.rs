//! Prometheus metrics recorded by the core, so gRPC callers count as much as
//! HTTP ones: requests, tokens, latency, upstream errors and streams in
//! flight. Recorded through the `metrics` facade; the binary installs the
//! Prometheus recorder (without one, recording does nothing).
//!
//! Labels stay low-cardinality: the `model` label is a configured alias, a
//! configured `provider/model`, or a name that has answered successfully
//! (bounded); anything else is `other`. Key values never appear.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use modelgate::error::ErrorKind;
use modelgate::v1::Usage;

use crate::config::{Config, ProviderKind};

pub const REQUESTS: &str = "modelgate_requests_total";
pub const TOKENS: &str = "modelgate_tokens_total";
pub const DURATION: &str = "modelgate_request_duration_seconds";
pub const TTFT: &str = "modelgate_time_to_first_token_seconds";
pub const UPSTREAM_ERRORS: &str = "modelgate_upstream_errors_total";
pub const STREAMS_IN_FLIGHT: &str = "modelgate_streams_in_flight";

/// The label for model names outside the configured set.
pub const OTHER: &str = "other";

/// How many names learned from successful answers get their own label.
const LEARNED_CAP: usize = 256;

/// Metadata key by which the facade marks RPCs made for HTTP clients.
pub const SURFACE_HEADER: &str = "x-modelgate-surface";

/// Which API the caller used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// Through the HTTP facade.
    Http,
    /// A gRPC client calling the core directly.
    Grpc,
}

impl Surface {
    /// The surface an RPC came from, by the facade's marker.
    pub fn of(metadata: &tonic::metadata::MetadataMap) -> Self {
        match metadata.get(SURFACE_HEADER).and_then(|v| v.to_str().ok()) {
            Some("http") => Surface::Http,
            _ => Surface::Grpc,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Http => "http",
            Surface::Grpc => "grpc",
        }
    }
}

/// The config-derived facts metrics and spans need.
pub struct Metrics {
    known: HashSet<String>,
    /// Shared with the metrics of earlier configs (see [`Metrics::carry_over`]), so the cap
    /// holds for the process: the recorder keeps every series it has seen.
    learned: Arc<Mutex<HashSet<String>>>,
    kinds: HashMap<String, ProviderKind>,
    /// Registered series by label set: registering one hashes and allocates
    /// every label, a cached handle only bumps an atomic.
    series: Mutex<HashMap<SeriesKey, Arc<Series>>>,
}

/// Label sets kept in [`Metrics::series`]; past this they are registered per request.
const MAX_CACHED_SERIES: usize = 4096;

#[derive(Hash, PartialEq, Eq)]
struct SeriesKey {
    model: String,
    provider: String,
    status: u16,
    stream: bool,
    surface: Surface,
    /// `chat`, `embeddings` or `responses`.
    endpoint: &'static str,
}

/// The series one finished request moves; TTFT and tokens appear on first use.
struct Series {
    key: SeriesKey,
    requests: ::metrics::Counter,
    duration: ::metrics::Histogram,
    ttft: OnceLock<::metrics::Histogram>,
    /// prompt, completion, reasoning, cached.
    tokens: OnceLock<[::metrics::Counter; 4]>,
}

impl Series {
    fn register(key: SeriesKey) -> Self {
        let (model, provider) = (key.model.clone(), key.provider.clone());
        let stream = if key.stream { "true" } else { "false" };
        let (surface, endpoint) = (key.surface.as_str(), key.endpoint);
        Self {
            requests: counter!(REQUESTS,
                "model" => model.clone(), "provider" => provider.clone(),
                "status" => key.status.to_string(), "stream" => stream, "surface" => surface,
                "endpoint" => endpoint),
            duration: histogram!(DURATION,
                "model" => model, "provider" => provider, "stream" => stream, "surface" => surface,
                "endpoint" => endpoint),
            ttft: OnceLock::new(),
            tokens: OnceLock::new(),
            key,
        }
    }

    fn ttft(&self) -> &::metrics::Histogram {
        self.ttft.get_or_init(|| {
            let k = &self.key;
            histogram!(TTFT,
                "model" => k.model.clone(), "provider" => k.provider.clone(),
                "surface" => k.surface.as_str(), "endpoint" => k.endpoint)
        })
    }

    fn tokens(&self) -> &[::metrics::Counter; 4] {
        self.tokens.get_or_init(|| {
            let k = &self.key;
            ["prompt", "completion", "reasoning", "cached"].map(|kind| {
                counter!(TOKENS,
                    "model" => k.model.clone(), "provider" => k.provider.clone(), "kind" => kind,
                    "endpoint" => k.endpoint)
            })
        })
    }
}

/// What one finished request contributes.
pub struct Outcome<'a> {
    pub model: &'a str,
    pub provider: &'a str,
    pub surface: Surface,
    /// `chat`, `embeddings` or `responses`.
    pub endpoint: &'static str,
    pub stream: bool,
    pub status: u16,
    pub usage: Option<&'a Usage>,
    pub ttft: Option<Duration>,
    pub duration: Duration,
    /// Set when the provider call failed.
    pub upstream_error: Option<ErrorKind>,
}

impl Metrics {
    /// The label set and provider kinds of `config`.
    pub fn new(config: &Config) -> Self {
        describe();
        let mut known = HashSet::new();
        let mut kinds = HashMap::new();
        for (name, provider) in &config.providers {
            kinds.insert(name.clone(), provider.kind);
            for model in provider.models.iter().flatten() {
                known.insert(format!("{name}/{model}"));
            }
        }
        for d in &config.model_list {
            kinds
                .entry(d.provider.name.clone())
                .or_insert(d.provider.kind);
            if !d.model_name.contains('*') {
                known.insert(d.model_name.clone());
            }
        }
        Self {
            known,
            learned: Arc::default(),
            kinds,
            series: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps the model names `previous` learned: after a reload the recorder still holds
    /// their series, so a fresh set would let every reload add another [`LEARNED_CAP`].
    pub fn carry_over(&mut self, previous: &Metrics) {
        self.learned = previous.learned.clone();
    }

    /// The OpenTelemetry `gen_ai.system` of a provider.
    pub fn system(&self, provider: &str) -> &'static str {
        match self.kinds.get(provider) {
            Some(ProviderKind::OpenAi) => "openai",
            Some(ProviderKind::Azure) => "az.ai.openai",
            Some(ProviderKind::Anthropic) => "anthropic",
            Some(ProviderKind::Gemini) => "gcp.gemini",
            Some(ProviderKind::Ollama) => "ollama",
            None => "_OTHER",
        }
    }

    /// The `model` label for a request for `model` that ended with `status`.
    pub fn model_label<'a>(&self, model: &'a str, provider: &str, status: u16) -> &'a str {
        if self.known.contains(model) {
            return model;
        }
        let Ok(mut learned) = self.learned.lock() else {
            return OTHER;
        };
        if learned.contains(model) {
            return model;
        }
        // A name an upstream answered to is a real model of a configured
        // provider; free-form names that fail stay `other`.
        if status == 200 && !provider.is_empty() && learned.len() < LEARNED_CAP {
            learned.insert(model.to_owned());
            return model;
        }
        OTHER
    }

    /// Records one finished request.
    pub fn record(&self, o: &Outcome<'_>) {
        let key = SeriesKey {
            model: self.model_label(o.model, o.provider, o.status).to_owned(),
            provider: if o.provider.is_empty() {
                "none".to_owned()
            } else {
                o.provider.to_owned()
            },
            status: o.status,
            stream: o.stream,
            surface: o.surface,
            endpoint: o.endpoint,
        };
        let series = self.series(key);
        series.requests.increment(1);
        series.duration.record(o.duration.as_secs_f64());
        if let Some(ttft) = o.ttft {
            series.ttft().record(ttft.as_secs_f64());
        }
        if let Some(usage) = o.usage {
            let counts = [
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.reasoning_tokens.unwrap_or(0),
                usage.cached_tokens.unwrap_or(0),
            ];
            for (counter, n) in series.tokens().iter().zip(counts) {
                counter.increment(n);
            }
        }
        if let Some(kind) = o.upstream_error {
            counter!(UPSTREAM_ERRORS, "provider" => series.key.provider.clone(), "class" => error_class(kind))
                .increment(1);
        }
    }

    fn series(&self, key: SeriesKey) -> Arc<Series> {
        let Ok(mut cache) = self.series.lock() else {
            return Arc::new(Series::register(key));
        };
        if let Some(series) = cache.get(&key) {
            return series.clone();
        }
        if cache.len() >= MAX_CACHED_SERIES {
            return Arc::new(Series::register(key));
        }
        let series = Arc::new(Series::register(key));
        let key = SeriesKey {
            model: series.key.model.clone(),
            provider: series.key.provider.clone(),
            ..series.key
        };
        cache.insert(key, series.clone());
        series
    }
}

pub fn stream_in_flight(delta: f64) {
    gauge!(STREAMS_IN_FLIGHT).increment(delta);
}

/// The `class` label of an upstream error.
pub fn error_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request",
        ErrorKind::UnsupportedByProvider => "unsupported_by_provider",
        ErrorKind::Unauthenticated => "unauthenticated",
        ErrorKind::PermissionDenied => "permission_denied",
        ErrorKind::NotFound => "not_found",
        ErrorKind::PayloadTooLarge => "payload_too_large",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Unimplemented => "unimplemented",
        ErrorKind::Internal => "internal",
    }
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "Requests finished, by model, provider, status (HTTP, 499 = client went away), stream, surface and endpoint (chat, embeddings, responses)"
    );
    describe_counter!(
        TOKENS,
        "Tokens reported by upstreams, by kind (prompt, completion, reasoning, cached)"
    );
    describe_histogram!(
        DURATION,
        ::metrics::Unit::Seconds,
        "Request duration, to the last chunk"
    );
    describe_histogram!(
        TTFT,
        ::metrics::Unit::Seconds,
        "Time to the first chunk of an answer"
    );
    describe_counter!(
        UPSTREAM_ERRORS,
        "Failed provider calls, by provider and error class"
    );
    describe_gauge!(
        STREAMS_IN_FLIGHT,
        "Streamed answers (chat completions and responses) being relayed now"
    );
    // Present from the start, so dashboards show 0 rather than no data.
    gauge!(STREAMS_IN_FLIGHT).increment(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnv;

    fn metrics() -> Metrics {
        let yaml = r#"
providers:
  fixed: { kind: openai, api_base: "http://127.0.0.1:9/v1", models: [a] }
  open: { kind: anthropic, api_base: "http://127.0.0.1:9" }
model_list:
  - model_name: fast
    litellm_params: { model: fixed/a }
  - model_name: "wild/*"
    litellm_params: { model: "open/*" }
"#;
        let config =
            Config::from_yaml_str(yaml, "t.yaml", &MapEnv::from_pairs(&[])).expect("valid");
        Metrics::new(&config)
    }

    #[test]
    fn free_form_names_collapse_to_other() {
        let m = metrics();
        assert_eq!(m.model_label("fast", "fixed", 500), "fast");
        assert_eq!(m.model_label("fixed/a", "fixed", 502), "fixed/a");
        assert_eq!(m.model_label("wild/xyz", "open", 404), OTHER);
        assert_eq!(m.model_label("open/made-up", "open", 404), OTHER);
        assert_eq!(m.model_label("nonsense", "", 404), OTHER);
        // Answered once: a real model, labelled from then on.
        assert_eq!(m.model_label("open/claude", "open", 200), "open/claude");
        assert_eq!(m.model_label("open/claude", "open", 429), "open/claude");
        assert_eq!(m.system("open"), "anthropic");
        assert_eq!(m.system("fixed"), "openai");
    }

    #[test]
    fn learned_names_stay_bounded_across_reloads() {
        let first = metrics();
        for i in 0..LEARNED_CAP {
            assert_ne!(first.model_label(&format!("open/m{i}"), "open", 200), OTHER);
        }
        let mut reloaded = metrics();
        reloaded.carry_over(&first);
        assert_eq!(reloaded.model_label("open/m0", "open", 500), "open/m0");
        assert_eq!(
            reloaded.model_label("open/after-reload", "open", 200),
            OTHER
        );
    }

    #[test]
    fn learned_names_are_bounded() {
        let m = metrics();
        for i in 0..LEARNED_CAP {
            assert_ne!(m.model_label(&format!("open/m{i}"), "open", 200), OTHER);
        }
        assert_eq!(m.model_label("open/one-too-many", "open", 200), OTHER);
    }
}
