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
    /// Failing models: model, HTTP status the client must see, OpenAI `code` if any.
    pub errors: Vec<(&'static str, u16, Option<&'static str>)>,
    /// A model whose stream is not valid provider data.
    pub malformed_model: &'static str,
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
