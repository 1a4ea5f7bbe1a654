//! What each adapter declares: how it is configured, which capabilities it
//! has, and what its recorded data should produce through the facade.

mod anthropic;
mod azure;
mod gemini;
mod ollama;
mod openai;

use mock_upstream::MockUpstream;
use serde_json::Value;

use crate::checks::Cap;

/// Scenario models are chosen by name: the mock picks a recording by the
/// model the gateway sends upstream (`<spec.name>/<model>` from the client).
/// `name` is also the mock's route, whose source table (`mock_upstream::sources`)
/// says what each answer rests on.
#[derive(Clone)]
pub struct Spec {
    /// Provider name in the config, and the client's model prefix.
    pub name: &'static str,
    /// The provider entry's YAML (flow style), pointing at the mock.
    pub provider_yaml: fn(&MockUpstream) -> String,
    /// Capabilities this adapter claims; each must pass its check.
    pub caps: &'static [Cap],
    /// A streamed text answer and its full text.
    pub text_stream: (&'static str, String),
    /// A non-streamed answer: model, and values (JSON pointer into the response → the value
    /// the recording says it must hold; `null` where the field must be null).
    pub non_stream: (&'static str, Vec<(&'static str, Value)>),
    /// A streamed tool call: model, function name, parsed arguments.
    pub tool_stream: (&'static str, &'static str, Value),
    /// A streamed answer with reasoning before its content.
    pub reasoning_model: &'static str,
    /// Streamed usage: model, prompt tokens, completion tokens.
    pub usage: (&'static str, u64, u64),
    /// Failing models and the error each must give the client, streamed or not.
    pub errors: Vec<Failure>,
    /// A model whose stream is not valid provider data.
    pub malformed_model: &'static str,
    /// The message modelgate writes for it (a 502 before any chunk; code and param null).
    pub malformed_message: &'static str,
    /// A model whose stream is slow enough to walk away from.
    pub slow_model: &'static str,
    /// A part of the upstream path every chat call has (to find it in the mock's log).
    pub chat_path: &'static str,
    /// Whether the upstream request carries the image part, translated.
    pub image_sent: fn(&Value) -> bool,
    /// Whether the upstream request carries the assistant tool call and the
    /// tool result of the history, translated.
    pub tool_result_sent: fn(&Value) -> bool,
    /// Whether the upstream request carries the tool definition, translated.
    pub tool_definition_sent: fn(&Value) -> bool,
    /// Embeddings model and the first value of the first vector.
    pub embeddings: Option<(&'static str, f32)>,
    /// The upstream request a `/v1/responses` call becomes: `responses` (the provider's own
    /// Responses API, passed through) or `chat` (translated); the mock's source-table request.
    pub responses_upstream: &'static str,
}

/// An upstream failure and the OpenAI error the client gets for it: the same status and body
/// fields whether the request streamed or not (it fails before the first chunk).
#[derive(Clone)]
pub struct Failure {
    /// The mock's scenario model.
    pub model: &'static str,
    pub status: u16,
    /// The error body's `type`, `code` and `param`, exactly (`None`: null).
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<&'static str>,
}

/// OpenAI's `type` for a request the upstream refused.
pub const IR: &str = "invalid_request_error";

/// Shorthand for a [`Failure`] row.
pub const fn fails(
    model: &'static str,
    status: u16,
    kind: &'static str,
    code: Option<&'static str>,
    param: Option<&'static str>,
) -> Failure {
    Failure {
        model,
        status,
        kind,
        code,
        param,
    }
}

/// Every adapter, in the table's column order.
pub fn all() -> Vec<Spec> {
    vec![
        openai::spec(),
        anthropic::spec(),
        gemini::spec(),
        ollama::spec(),
        azure::spec(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Reads a fixture file.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(mock_upstream::default_fixtures_dir().join(path))
        .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Reads a JSON fixture.
pub fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path))
        .unwrap_or_else(|e| panic!("fixture {path} is not JSON: {e}"))
}

/// The JSON payloads of the `data:` lines of an SSE fixture.
pub fn sse_payloads(path: &str) -> Vec<Value> {
    let text = String::from_utf8(fixture(path))
        .expect("utf8")
        .replace("\r\n", "\n");
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}
