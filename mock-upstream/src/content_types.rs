//! The `Content-Type` each recording was served with, as the fixtures README lists it (its
//! "HTTP" column: the captured response header, or for vercel/ai and SDK fixtures the type
//! the fixture author notes as the original). The mock sends a recording with its own type,
//! so a parser that depends on `charset` or its absence meets what the provider sends.

/// Fixture path (relative to the fixtures folder) → recorded `Content-Type`.
const RECORDED: &[(&str, &str)] = &[
    ("openai/chat-completion-text.json", "application/json"),
    ("openai/chat-completion-tool-calls.json", "application/json"),
    (
        "openai/chat-stream-parallel-tool-calls.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "openai/chat-stream-text-include-usage.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "openai/chat-stream-text-usage-then-moderation.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "openai/chat-stream-tool-call-args-usage.sse",
        "text/event-stream; charset=utf-8",
    ),
    ("openai/embeddings.json", "application/json"),
    (
        "openai/error-400-invalid-value-role.json",
        "application/json",
    ),
    (
        "openai/error-400-unsupported-parameter.json",
        "application/json",
    ),
    (
        "openai/error-404-embeddings-model-not-found.json",
        "application/json; charset=utf-8",
    ),
    (
        "openai/error-404-model-not-found.json",
        "application/json; charset=utf-8",
    ),
    (
        "azure/chat-completion-content-filter-results.json",
        "application/json",
    ),
    (
        "azure/chat-stream-model-router.chunks.jsonl",
        "text/event-stream",
    ),
    (
        "anthropic/error-400-invalid-request.json",
        "application/json",
    ),
    ("anthropic/error-404-not-found.json", "application/json"),
    (
        "anthropic/messages-parallel-tool-use.json",
        "application/json",
    ),
    (
        "anthropic/messages-stream-error-event.docs.sse",
        "text/event-stream",
    ),
    (
        "anthropic/messages-stream-redacted-thinking.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "anthropic/messages-stream-refusal-no-content.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "anthropic/messages-stream-server-tool-then-tool-use.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "anthropic/messages-stream-text.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "anthropic/messages-stream-thinking.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "anthropic/messages-stream-tool-no-args.chunks.jsonl",
        "text/event-stream",
    ),
    (
        "anthropic/messages-stream-tool-use.sse",
        "text/event-stream",
    ),
    ("anthropic/messages-text.json", "application/json"),
    ("gemini/embed-batch.json", "application/json; charset=UTF-8"),
    (
        "gemini/error-403-permission-denied.json",
        "application/json; charset=UTF-8",
    ),
    (
        "gemini/error-404-model-not-found.json",
        "application/json; charset=UTF-8",
    ),
    (
        "gemini/error-429-resource-exhausted.json",
        "application/json",
    ),
    (
        "gemini/generate-content-finish-safety.json",
        "application/json; charset=UTF-8",
    ),
    (
        "gemini/generate-content-function-call.json",
        "application/json; charset=UTF-8",
    ),
    (
        "gemini/generate-content-max-tokens-no-parts.json",
        "application/json; charset=UTF-8",
    ),
    (
        "gemini/generate-content-text.json",
        "application/json; charset=UTF-8",
    ),
    ("gemini/models-list.json", "application/json; charset=UTF-8"),
    (
        "gemini/stream-function-call-single-chunk.sse",
        "text/event-stream",
    ),
    (
        "gemini/stream-function-call-thought-signature.sse",
        "text/event-stream",
    ),
    ("gemini/stream-text.sse", "text/event-stream"),
    ("gemini/stream-thinking.sse", "text/event-stream"),
    ("ollama/chat-stream-implicit.ndjson", "application/x-ndjson"),
    (
        "ollama/chat-stream-tool-calls.docs.chunk.json",
        "application/x-ndjson",
    ),
    (
        "ollama/chat-stream-tool-calls.docs.final.json",
        "application/x-ndjson",
    ),
    ("ollama/chat-stream.ndjson", "application/x-ndjson"),
    ("ollama/chat-tool-calls-thinking.json", "application/json"),
    ("ollama/embed.json", "application/json; charset=utf-8"),
    (
        "ollama/error-400-model-does-not-support-tools.json",
        "application/json; charset=utf-8",
    ),
    (
        "ollama/error-400-think-value-unsupported.json",
        "application/json; charset=utf-8",
    ),
    (
        "ollama/error-404-model-not-found.json",
        "application/json; charset=utf-8",
    ),
    (
        "ollama/generate-stream-midstream-error.docs.ndjson",
        "application/x-ndjson",
    ),
    ("ollama/generate-stream.ndjson", "application/x-ndjson"),
    ("ollama/generate.json", "application/json; charset=utf-8"),
    ("ollama/pull-stream.ndjson", "application/x-ndjson"),
    ("ollama/tags.docs.json", "application/json; charset=utf-8"),
    (
        "openai-compatible/anthropic-compat-stream-tool-call-index1.sse",
        "text/event-stream",
    ),
    (
        "openai-compatible/cerebras-models-list.json",
        "application/json",
    ),
    (
        "openai-compatible/deepseek-chat-completion-reasoning-content.json",
        "application/json",
    ),
    (
        "openai-compatible/deepseek-chat-stream-reasoning-content.sse",
        "text/event-stream; charset=utf-8",
    ),
    (
        "openai-compatible/ollama-v1-chat-completion-reasoning.json",
        "application/json",
    ),
    (
        "openai-compatible/openrouter-chat-stream-comments-midstream-error.sse",
        "text/event-stream",
    ),
    (
        "openai-compatible/openrouter-chat-stream-processing-comment.sse",
        "text/event-stream",
    ),
    (
        "openai-compatible/openrouter-error-429.json",
        "application/json",
    ),
    (
        "openai-compatible/xai-chat-stream-tool-call.chunks.jsonl",
        "text/event-stream",
    ),
    (
        "openai-compatible/zai-chat-stream-reasoning-content.sse",
        "text/event-stream;charset=UTF-8",
    ),
];

/// The recorded `Content-Type` of a fixture file, if the fixtures README lists one.
pub(crate) fn recorded(path: &str) -> Option<&'static str> {
    RECORDED
        .iter()
        .find(|(file, _)| *file == path)
        .map(|(_, content_type)| *content_type)
}

/// The type to send a fixture with: the recorded one; for a file the README gives none, the
/// type its format has on the wire.
pub(crate) fn of(path: &str) -> &'static str {
    recorded(path).unwrap_or(
        if path.ends_with(".sse") || path.ends_with(".chunks.jsonl") {
            "text/event-stream"
        } else if path.ends_with(".ndjson") {
            "application/x-ndjson"
        } else {
            "application/json"
        },
    )
}

/// `(path, content type)` of every response row of the fixtures README: the last `…` span of
/// its "HTTP" column, without the " (original)" note. For the tests.
#[cfg(test)]
pub(crate) fn from_readme(readme: &str) -> Vec<(String, String)> {
    let mut dir = "";
    let mut rows = Vec::new();
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            dir = title.split('/').next().unwrap_or_default();
            continue;
        }
        let Some(row) = line.strip_prefix("| `") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let (Some(file), Some(http)) = (cells.first(), cells.get(4)) else {
            continue;
        };
        let file = file.trim_end_matches('`');
        let spans: Vec<&str> = http.split('`').skip(1).step_by(2).collect();
        if file.starts_with("request-") || dir.is_empty() {
            continue;
        }
        if let Some(last) = spans.last() {
            rows.push((
                format!("{dir}/{file}"),
                last.trim_end_matches(" (original)").to_owned(),
            ));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_readme_s_http_column() {
        let readme = std::fs::read_to_string(crate::default_fixtures_dir().join("README.md"))
            .expect("fixtures README");
        let listed = from_readme(&readme);
        assert!(listed.len() >= 60, "README rows parsed: {}", listed.len());
        let ours: Vec<(String, String)> = RECORDED
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(ours, listed);
    }
}
