//! The provider captures the scenarios replay, read once at start.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use axum::http::StatusCode;
use bytes::Bytes;

use crate::scenarios::Plan;

/// Every fixture file a scenario uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Fixture {
    ChatText,
    ChatToolCalls,
    StreamText,
    StreamToolArgs,
    StreamParallelTools,
    StreamModeration,
    DeepseekJson,
    DeepseekStream,
    ZaiStream,
    OllamaJson,
    OpenrouterProcessing,
    OpenrouterMidstreamError,
    XaiToolStream,
    AnthropicCompatTool,
    Error400Param,
    Error400Role,
    Error404Model,
    Error429,
    Embeddings,
    Error404Embeddings,
    ModelsList,
}

impl Fixture {
    const ALL: [Fixture; 21] = [
        Fixture::ChatText,
        Fixture::ChatToolCalls,
        Fixture::StreamText,
        Fixture::StreamToolArgs,
        Fixture::StreamParallelTools,
        Fixture::StreamModeration,
        Fixture::DeepseekJson,
        Fixture::DeepseekStream,
        Fixture::ZaiStream,
        Fixture::OllamaJson,
        Fixture::OpenrouterProcessing,
        Fixture::OpenrouterMidstreamError,
        Fixture::XaiToolStream,
        Fixture::AnthropicCompatTool,
        Fixture::Error400Param,
        Fixture::Error400Role,
        Fixture::Error404Model,
        Fixture::Error429,
        Fixture::Embeddings,
        Fixture::Error404Embeddings,
        Fixture::ModelsList,
    ];

    /// Path relative to the fixtures folder.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Fixture::ChatText => "openai/chat-completion-text.json",
            Fixture::ChatToolCalls => "openai/chat-completion-tool-calls.json",
            Fixture::StreamText => "openai/chat-stream-text-include-usage.sse",
            Fixture::StreamToolArgs => "openai/chat-stream-tool-call-args-usage.sse",
            Fixture::StreamParallelTools => "openai/chat-stream-parallel-tool-calls.sse",
            Fixture::StreamModeration => "openai/chat-stream-text-usage-then-moderation.sse",
            Fixture::DeepseekJson => {
                "openai-compatible/deepseek-chat-completion-reasoning-content.json"
            }
            Fixture::DeepseekStream => {
                "openai-compatible/deepseek-chat-stream-reasoning-content.sse"
            }
            Fixture::ZaiStream => "openai-compatible/zai-chat-stream-reasoning-content.sse",
            Fixture::OllamaJson => "openai-compatible/ollama-v1-chat-completion-reasoning.json",
            Fixture::OpenrouterProcessing => {
                "openai-compatible/openrouter-chat-stream-processing-comment.sse"
            }
            Fixture::OpenrouterMidstreamError => {
                "openai-compatible/openrouter-chat-stream-comments-midstream-error.sse"
            }
            Fixture::XaiToolStream => "openai-compatible/xai-chat-stream-tool-call.chunks.jsonl",
            Fixture::AnthropicCompatTool => {
                "openai-compatible/anthropic-compat-stream-tool-call-index1.sse"
            }
            Fixture::Error400Param => "openai/error-400-unsupported-parameter.json",
            Fixture::Error400Role => "openai/error-400-invalid-value-role.json",
            Fixture::Error404Model => "openai/error-404-model-not-found.json",
            Fixture::Error429 => "openai-compatible/openrouter-error-429.json",
            Fixture::Embeddings => "openai/embeddings.json",
            Fixture::Error404Embeddings => "openai/error-404-embeddings-model-not-found.json",
            Fixture::ModelsList => "openai-compatible/cerebras-models-list.json",
        }
    }
}

/// The fixture bodies, as they go on the wire (`.chunks.jsonl` already framed as SSE).
pub(crate) struct Fixtures {
    files: HashMap<Fixture, Bytes>,
}

impl Fixtures {
    pub(crate) fn load(dir: &Path) -> io::Result<Fixtures> {
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("mock-upstream: fixtures folder {} not found", dir.display()),
            ));
        }
        let mut files = HashMap::new();
        for fixture in Fixture::ALL {
            let path = dir.join(fixture.path());
            let raw = std::fs::read(&path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("mock-upstream: cannot read fixture {}: {e}", path.display()),
                )
            })?;
            let bytes = if fixture.path().ends_with(".chunks.jsonl") {
                frame_chunks_as_sse(&raw)
            } else {
                raw
            };
            files.insert(fixture, Bytes::from(bytes));
        }
        Ok(Fixtures { files })
    }

    pub(crate) fn get(&self, fixture: Fixture) -> Bytes {
        self.files.get(&fixture).cloned().unwrap_or_default()
    }
}

/// Reads a fixture a native route replays (read per request: the files are small, and the
/// mock starts without them). A missing or unreadable file is a 500 whose message names it,
/// never an empty answer a test could take for a provider's.
pub(crate) fn read_or_500(dir: &Path, path: &str) -> Result<Bytes, Plan> {
    std::fs::read(dir.join(path)).map(Bytes::from).map_err(|e| {
        let body = serde_json::json!({"error": {
            "message": format!("mock-upstream: cannot read fixture {path} in {}: {e}", dir.display()),
            "type": "mock_fixture_missing",
        }});
        Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from(body.to_string()),
        )
    })
}

/// vercel/ai's recorder keeps one SSE `data:` payload per line: replay each as
/// `data: <line>\n\n`, then OpenAI's `data: [DONE]\n\n`.
pub(crate) fn frame_chunks_as_sse(jsonl: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(jsonl.len() + jsonl.len() / 8);
    for line in jsonl.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// Splits an SSE body after each blank line (`\n\n` or `\r\n\r\n`); the pieces concatenate back
/// to the input byte-for-byte.
pub(crate) fn split_sse_events(body: &Bytes) -> Vec<Bytes> {
    let mut events = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        let boundary = if rest.starts_with(b"\r\n\r\n") {
            4
        } else if rest.starts_with(b"\n\n") {
            2
        } else {
            0
        };
        if boundary == 0 {
            i += 1;
        } else {
            i += boundary;
            events.push(body.slice(start..i));
            start = i;
        }
    }
    if start < body.len() {
        events.push(body.slice(start..));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_bytes_and_boundaries() {
        let body = Bytes::from_static(b"data: a\n\n: comment\n\ndata: b\r\n\r\ndata: c");
        let events = split_sse_events(&body);
        assert_eq!(
            events,
            vec![
                Bytes::from_static(b"data: a\n\n"),
                Bytes::from_static(b": comment\n\n"),
                Bytes::from_static(b"data: b\r\n\r\n"),
                Bytes::from_static(b"data: c"),
            ]
        );
        assert_eq!(events.concat(), body.to_vec());
    }

    #[test]
    fn jsonl_framing() {
        let framed = frame_chunks_as_sse(b"{\"a\":1}\n{\"b\":2}");
        assert_eq!(
            framed,
            b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n".to_vec()
        );
    }

    #[test]
    fn every_fixture_loads() {
        let fixtures = Fixtures::load(&crate::default_fixtures_dir()).expect("fixtures load");
        for fixture in Fixture::ALL {
            assert!(!fixtures.get(fixture).is_empty(), "{}", fixture.path());
        }
    }
}
