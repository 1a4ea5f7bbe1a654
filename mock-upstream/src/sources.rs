//! Where each answer of the mock comes from: a recording in the fixtures folder, a provider's
//! documentation, a public quote of a live response, another provider's (or endpoint's)
//! recording, or the mock itself (fault injection). `SOURCES.md` is this table, rendered
//! (`tests/replay.rs` checks it is current), and the replay tests request every entry that
//! names files and compare the answer with them byte for byte.

/// What an answer rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The provider's own recorded bytes for this request (`files`).
    Recorded,
    /// Not recorded: built from the provider's documentation (`from` names the page).
    Documented,
    /// Not recorded in the fixtures: a live response quoted in a public report (`from`).
    Quoted,
    /// Another provider's or another endpoint's recording (`files`, `from` says whose).
    Borrowed,
    /// Made up by the mock to inject a fault (`from` says what).
    Synthetic,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Recorded => "recorded",
            Kind::Documented => "documented",
            Kind::Quoted => "quoted",
            Kind::Borrowed => "borrowed",
            Kind::Synthetic => "synthetic",
        }
    }
}

/// How the files' bytes become the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// The file's bytes, unchanged.
    Raw,
    /// vercel/ai `.chunks.jsonl`: `data: <line>\n\n` per line, then `data: [DONE]\n\n`.
    JsonlAsOpenAiSse,
    /// vercel/ai `.chunks.jsonl` of Anthropic or of OpenAI's Responses API:
    /// `event: <type>\ndata: <line>\n\n` per line.
    JsonlAsAnthropicSse,
    /// A docs SSE event stored without its closing blank line: the file, then `\n`.
    EventTerminated,
    /// Pretty-printed docs JSON, each file as one NDJSON line (whitespace between tokens dropped).
    OneLineEach,
    /// A JSON answer sent as the only line of an NDJSON stream (`application/x-ndjson`).
    NdjsonLine,
    /// The file's bytes with pauses between events (not replayed by the byte tests: slow).
    Paced,
}

/// One answer of the mock.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    /// `openai` (the root routes), `azure`, `anthropic`, `gemini`, `ollama`, or `all`.
    pub route: &'static str,
    /// `chat`, `embeddings`, `models`, or another request of the route.
    pub request: &'static str,
    /// The scenario: the request's model (the deployment for Azure); `text` also stands for
    /// any model not listed.
    pub model: &'static str,
    /// `Some(stream)`, or `None` when streamed and non-streamed requests get the same answer.
    pub stream: Option<bool>,
    /// HTTP status (0: never answers).
    pub status: u16,
    pub kind: Kind,
    /// Fixture files whose bytes make the body (relative to the fixtures folder).
    pub files: &'static [&'static str],
    pub framing: Framing,
    /// The documentation page, the public report, whose recording was borrowed, or what the
    /// mock makes up; for recordings, a note (may be empty).
    pub from: &'static str,
}

// One positional row per entry keeps the table readable as a table.
#[allow(clippy::too_many_arguments)]
const fn entry(
    route: &'static str,
    request: &'static str,
    model: &'static str,
    stream: Option<bool>,
    status: u16,
    kind: Kind,
    files: &'static [&'static str],
    from: &'static str,
) -> Source {
    Source {
        route,
        request,
        model,
        stream,
        status,
        kind,
        files,
        framing: Framing::Raw,
        from,
    }
}

const fn framed(source: Source, framing: Framing) -> Source {
    Source { framing, ..source }
}

const YES: Option<bool> = Some(true);
const NO: Option<bool> = Some(false);
const ANY: Option<bool> = None;
use Kind::{Borrowed, Documented, Quoted, Recorded, Synthetic};

const OPENAI_ERRORS_DOC: &str = "OpenAI, https://platform.openai.com/docs/guides/error-codes";
const ANTHROPIC_ERRORS_DOC: &str = "Anthropic, https://docs.claude.com/en/api/errors";
const GEMINI_QUOTES: &str = "Google's error envelope quoted in google-gemini/gemini-cli#4231, #7227 and cequence-io/openai-scala-client#109";
const TEXT_STREAM: &[&str] = &["openai/chat-stream-text-include-usage.sse"];

/// Where the recordings kept in this crate (not in the shared fixtures folder) start.
pub const CRATE_RECORDINGS: &str = "mock-upstream/recordings/";
const R_TEXT_STREAM: &str = "mock-upstream/recordings/openai/responses-stream-text.chunks.jsonl";
const R_TEXT_JSON: &str = "mock-upstream/recordings/openai/responses-text.json";
const R_TOOLS_STREAM: &str =
    "mock-upstream/recordings/openai/responses-stream-function-call.chunks.jsonl";
const R_TOOLS_JSON: &str = "mock-upstream/recordings/openai/responses-function-call.json";
const R_REASONING_STREAM: &str =
    "mock-upstream/recordings/openai/responses-stream-reasoning-encrypted.chunks.jsonl";
const R_ERROR_STREAM: &str =
    "mock-upstream/recordings/openai/responses-stream-error-then-failed.chunks.jsonl";
const R_ERROR_400: &str =
    "mock-upstream/recordings/openai/responses-error-400-unsupported-parameter.json";
const R_ERROR_429: &str =
    "mock-upstream/recordings/openai/responses-error-429-insufficient-quota.json";
const R_AZURE_TEXT_STREAM: &str =
    "mock-upstream/recordings/azure/responses-stream-text.chunks.jsonl";
const R_AZURE_TEXT_JSON: &str = "mock-upstream/recordings/azure/responses-text.json";
const R_AZURE_TOOLS_STREAM: &str =
    "mock-upstream/recordings/azure/responses-stream-function-call.chunks.jsonl";
const R_AZURE_TOOLS_JSON: &str = "mock-upstream/recordings/azure/responses-function-call.json";
const VERCEL_SHELL_LOCAL: &str = "vercel/ai packages/openai/src/responses/__fixtures__/openai-shell-local-multiturn.1.{chunks.txt,json} @ ff12133fa2269d9691d1680f47dc033fcbf76b05 (gpt-5.2)";
const VERCEL_TOOL_SEARCH: &str = "vercel/ai packages/openai/src/responses/__fixtures__/openai-client-tool-search.2.{chunks.txt,json} @ 156cdf0600eabb7a5e39a13db229b67787124a23 (gpt-5.4)";
const VERCEL_AZURE_TEXT: &str = "vercel/ai packages/azure/src/__fixtures__/azure-text.1.{chunks.txt,json} @ 1b219322a212e355135a46b01de9eaa3ff30f01c";
const VERCEL_AZURE_TOOLS: &str = "vercel/ai packages/azure/src/__fixtures__/azure-tool-call.1.{chunks.txt,json} @ 1b219322a212e355135a46b01de9eaa3ff30f01c";

/// Where a file a row names is: under this crate for [`CRATE_RECORDINGS`], else in the
/// fixtures folder.
pub fn file_path(file: &str) -> std::path::PathBuf {
    match file.strip_prefix("mock-upstream/") {
        Some(rest) => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rest),
        None => crate::default_fixtures_dir().join(file),
    }
}

/// Every answer of the mock, by route.
#[rustfmt::skip]
pub const SOURCES: &[Source] = &[
    // --- OpenAI-compatible routes (`/v1/...`, `/...`) ---
    entry("openai", "chat", "text", NO, 200, Recorded, &["openai/chat-completion-text.json"], "also any model not listed"),
    entry("openai", "chat", "text", YES, 200, Recorded, TEXT_STREAM, "also any model not listed"),
    entry("openai", "chat", "tools", NO, 200, Recorded, &["openai/chat-completion-tool-calls.json"], ""),
    entry("openai", "chat", "tools", YES, 200, Recorded, &["openai/chat-stream-tool-call-args-usage.sse"], ""),
    entry("openai", "chat", "parallel-tools", NO, 200, Recorded, &["openai/chat-completion-tool-calls.json"], "one tool call: no non-streamed parallel capture exists"),
    entry("openai", "chat", "parallel-tools", YES, 200, Recorded, &["openai/chat-stream-parallel-tool-calls.sse"], ""),
    entry("openai", "chat", "moderation", NO, 200, Recorded, &["openai/chat-completion-text.json"], ""),
    entry("openai", "chat", "moderation", YES, 200, Recorded, &["openai/chat-stream-text-usage-then-moderation.sse"], ""),
    entry("openai", "chat", "deepseek-reasoner", NO, 200, Recorded, &["openai-compatible/deepseek-chat-completion-reasoning-content.json"], ""),
    entry("openai", "chat", "deepseek-reasoner", YES, 200, Recorded, &["openai-compatible/deepseek-chat-stream-reasoning-content.sse"], ""),
    entry("openai", "chat", "zai-reasoning", YES, 200, Recorded, &["openai-compatible/zai-chat-stream-reasoning-content.sse"], ""),
    entry("openai", "chat", "ollama-reasoning", NO, 200, Recorded, &["openai-compatible/ollama-v1-chat-completion-reasoning.json"], ""),
    entry("openai", "chat", "openrouter-processing", YES, 200, Recorded, &["openai-compatible/openrouter-chat-stream-processing-comment.sse"], ""),
    entry("openai", "chat", "openrouter-midstream-error", YES, 200, Recorded, &["openai-compatible/openrouter-chat-stream-comments-midstream-error.sse"], ""),
    framed(entry("openai", "chat", "xai-tool", YES, 200, Recorded, &["openai-compatible/xai-chat-stream-tool-call.chunks.jsonl"], ""), Framing::JsonlAsOpenAiSse),
    entry("openai", "chat", "anthropic-compat-tool", YES, 200, Recorded, &["openai-compatible/anthropic-compat-stream-tool-call-index1.sse"], ""),
    entry("openai", "chat", "error-400", ANY, 400, Recorded, &["openai/error-400-unsupported-parameter.json"], ""),
    entry("openai", "chat", "error-400-role", ANY, 400, Recorded, &["openai/error-400-invalid-value-role.json"], ""),
    entry("openai", "chat", "error-401", ANY, 401, Documented, &[], OPENAI_ERRORS_DOC),
    entry("openai", "chat", "error-404", ANY, 404, Recorded, &["openai/error-404-model-not-found.json"], ""),
    entry("openai", "chat", "error-429", ANY, 429, Recorded, &["openai-compatible/openrouter-error-429.json"], "OpenRouter's; no retry-after (the capture carried none)"),
    entry("openai", "chat", "error-429-retry-after", ANY, 429, Documented, &["openai-compatible/openrouter-error-429.json"], "header retry-after: 1 not recorded: documented by Groq (OpenAI-compatible), https://console.groq.com/docs/rate-limits; body recorded (OpenRouter)"),
    entry("openai", "chat", "error-500", ANY, 500, Documented, &[], OPENAI_ERRORS_DOC),
    entry("openai", "chat", "error-503-html", ANY, 503, Synthetic, &[], "an HTML page, as a proxy in front of a provider sends"),
    entry("openai", "chat", "error-in-200", ANY, 200, Synthetic, &["openai/error-400-unsupported-parameter.json"], "the recorded 400 body sent with status 200"),
    entry("openai", "chat", "context-too-long", ANY, 400, Documented, &[], "code context_length_exceeded as OpenAI's API reference lists it; wording as clients match it (LiteLLM)"),
    entry("openai", "chat", "content-filter", ANY, 400, Documented, &[], "Microsoft Learn, Azure OpenAI content filtering (MicrosoftDocs/azure-ai-docs concepts/content-filter.md)"),
    entry("openai", "chat", "fail-N-STATUS[-tag]", ANY, 0, Synthetic, &[], "the first N requests fail (429: the recorded OpenRouter 429; 500: documented; 503: HTML; 408), then `text`"),
    entry("openai", "chat", "fail-N-429-retry-after[-tag]", ANY, 429, Documented, &[], "as error-429-retry-after for the first N requests, then `text`"),
    entry("openai", "chat", "throttle-ms-N-MS[-tag]", ANY, 429, Documented, &[], "as error-429 (body recorded, OpenRouter) for the first N requests with header retry-after-ms: MS, not recorded: the header the official OpenAI SDKs read before retry-after (openai-python _base_client.py); then `text`"),
    entry("openai", "chat", "slow-first-MS[-tag]", ANY, 200, Synthetic, &[], "the `text` answer after MS ms of silence"),
    framed(entry("openai", "chat", "slow", YES, 200, Recorded, TEXT_STREAM, "200 ms between events"), Framing::Paced),
    entry("openai", "chat", "reset", YES, 200, Synthetic, &[], "3 recorded `text` events, then a connection reset"),
    entry("openai", "chat", "hang-mid-stream", YES, 200, Synthetic, &[], "3 recorded `text` events, then silence"),
    entry("openai", "chat", "garbage", YES, 200, Synthetic, &[], "bytes that are not SSE"),
    entry("openai", "chat", "endless", YES, 200, Synthetic, &[], "a content chunk every 10 ms, never ending"),
    entry("openai", "chat", "huge-event", YES, 200, Synthetic, &[], "one 10 MB chunk, then [DONE]"),
    entry("openai", "chat", "wrong-content-type", YES, 200, Synthetic, &[], "the recorded `text` stream as text/plain"),
    entry("openai", "chat", "hang", ANY, 0, Synthetic, &[], "never answers"),
    entry("openai", "chat", "(body not JSON)", ANY, 400, Synthetic, &[], "OpenAI's wording, not recorded"),
    entry("openai", "embeddings", "text", ANY, 200, Recorded, &["openai/embeddings.json"], "any model but `missing`"),
    entry("openai", "embeddings", "missing", ANY, 404, Recorded, &["openai/error-404-embeddings-model-not-found.json"], ""),
    entry("openai", "models", "text", ANY, 200, Recorded, &["openai-compatible/cerebras-models-list.json"], "Cerebras's: no OpenAI capture exists"),
    entry("openai", "(unknown route)", "text", ANY, 404, Synthetic, &[], "the mock's own 404"),
    entry("openai", "GET /assets/pixel.png", "text", ANY, 200, Synthetic, &[], "a 1x1 PNG for image-fetch tests"),
    // --- Azure OpenAI (`/azure/openai/deployments/{deployment}/...`) ---
    entry("azure", "chat", "text", NO, 200, Recorded, &["azure/chat-completion-content-filter-results.json"], "also any deployment not listed"),
    framed(entry("azure", "chat", "text", YES, 200, Recorded, &["azure/chat-stream-model-router.chunks.jsonl"], "also any deployment not listed"), Framing::JsonlAsOpenAiSse),
    framed(entry("azure", "chat", "slow", YES, 200, Recorded, &["azure/chat-stream-model-router.chunks.jsonl"], "200 ms between events"), Framing::Paced),
    entry("azure", "chat", "thinking", NO, 200, Borrowed, &["openai-compatible/deepseek-chat-completion-reasoning-content.json"], "DeepSeek (as Azure Foundry's DeepSeek-R1 deployments answer)"),
    entry("azure", "chat", "thinking", YES, 200, Borrowed, &["openai-compatible/deepseek-chat-stream-reasoning-content.sse"], "DeepSeek (as Azure Foundry's DeepSeek-R1 deployments answer)"),
    entry("azure", "chat", "tools", NO, 200, Borrowed, &["openai/chat-completion-tool-calls.json"], "OpenAI"),
    entry("azure", "chat", "tools", YES, 200, Borrowed, &["openai/chat-stream-tool-call-args-usage.sse"], "OpenAI"),
    entry("azure", "chat", "parallel-tools", NO, 200, Borrowed, &["openai/chat-completion-tool-calls.json"], "OpenAI"),
    entry("azure", "chat", "parallel-tools", YES, 200, Borrowed, &["openai/chat-stream-parallel-tool-calls.sse"], "OpenAI"),
    entry("azure", "chat", "error-400", ANY, 400, Borrowed, &["openai/error-400-unsupported-parameter.json"], "OpenAI"),
    entry("azure", "chat", "error-500", ANY, 500, Borrowed, &[], "OpenAI (its documented 500 envelope)"),
    entry("azure", "chat", "error-401", ANY, 401, Quoted, &[], "SciSharp/BotSharp#386"),
    entry("azure", "chat", "error-404", ANY, 404, Quoted, &[], "chatboxai/chatbox#646, #861 (DeploymentNotFound)"),
    entry("azure", "chat", "error-429", ANY, 429, Quoted, &[], "microsoft/copilot-camp#551 (body only; no retry-after)"),
    entry("azure", "chat", "content-filter", ANY, 400, Documented, &[], "Microsoft Learn, Azure OpenAI content filtering (MicrosoftDocs/azure-ai-docs concepts/content-filter.md)"),
    entry("azure", "chat", "error-503-html", ANY, 503, Synthetic, &[], "as the OpenAI route's"),
    entry("azure", "chat", "garbage", YES, 200, Synthetic, &[], "as the OpenAI route's"),
    entry("azure", "chat", "reset", YES, 200, Synthetic, &[], "as the OpenAI route's (OpenAI's recorded events)"),
    entry("azure", "chat", "hang", ANY, 0, Synthetic, &[], "never answers"),
    entry("azure", "chat", "(no api-version)", ANY, 404, Synthetic, &[], "the mock's own 404"),
    entry("azure", "chat", "(no api-key)", ANY, 401, Quoted, &[], "SciSharp/BotSharp#386"),
    entry("azure", "embeddings", "text", ANY, 200, Borrowed, &["openai/embeddings.json"], "OpenAI (Azure's shape is the same)"),
    entry("azure", "embeddings", "missing", ANY, 404, Quoted, &[], "chatboxai/chatbox#646, #861 (DeploymentNotFound)"),
    // --- Anthropic Messages API (`/anthropic/v1/...`) ---
    entry("anthropic", "chat", "text", NO, 200, Recorded, &["anthropic/messages-text.json"], "also any model not listed"),
    entry("anthropic", "chat", "text", YES, 200, Recorded, &["anthropic/messages-stream-text.sse"], "also any model not listed"),
    entry("anthropic", "chat", "tools", NO, 200, Recorded, &["anthropic/messages-parallel-tool-use.json"], ""),
    entry("anthropic", "chat", "tools", YES, 200, Recorded, &["anthropic/messages-stream-tool-use.sse"], "anthropic-sdk-python's recorded stream"),
    entry("anthropic", "chat", "parallel-tools", NO, 200, Recorded, &["anthropic/messages-parallel-tool-use.json"], ""),
    framed(entry("anthropic", "chat", "tool-no-args", YES, 200, Recorded, &["anthropic/messages-stream-tool-no-args.chunks.jsonl"], ""), Framing::JsonlAsAnthropicSse),
    entry("anthropic", "chat", "server-tool", YES, 200, Recorded, &["anthropic/messages-stream-server-tool-then-tool-use.sse"], ""),
    entry("anthropic", "chat", "thinking", YES, 200, Recorded, &["anthropic/messages-stream-thinking.sse"], ""),
    entry("anthropic", "chat", "redacted-thinking", YES, 200, Recorded, &["anthropic/messages-stream-redacted-thinking.sse"], ""),
    entry("anthropic", "chat", "refusal", YES, 200, Recorded, &["anthropic/messages-stream-refusal-no-content.sse"], ""),
    framed(entry("anthropic", "chat", "overloaded", YES, 200, Documented, &["anthropic/messages-stream-error-event.docs.sse"], "Anthropic, https://docs.claude.com/en/docs/build-with-claude/streaming (error events)"), Framing::EventTerminated),
    entry("anthropic", "chat", "overloaded", NO, 529, Documented, &[], ANTHROPIC_ERRORS_DOC),
    entry("anthropic", "chat", "error-529", ANY, 529, Documented, &[], ANTHROPIC_ERRORS_DOC),
    entry("anthropic", "chat", "error-400", ANY, 400, Recorded, &["anthropic/error-400-invalid-request.json"], ""),
    entry("anthropic", "chat", "error-404", ANY, 404, Recorded, &["anthropic/error-404-not-found.json"], ""),
    entry("anthropic", "chat", "error-401", ANY, 401, Documented, &[], ANTHROPIC_ERRORS_DOC),
    entry("anthropic", "chat", "error-429", ANY, 429, Documented, &[], "Anthropic, https://docs.claude.com/en/api/errors; header retry-after: 1 per https://docs.claude.com/en/api/rate-limits"),
    entry("anthropic", "chat", "error-500", ANY, 500, Documented, &[], ANTHROPIC_ERRORS_DOC),
    entry("anthropic", "chat", "context-too-long", ANY, 400, Quoted, &[], "boldsoftware/exe.dev#62"),
    framed(entry("anthropic", "chat", "slow", YES, 200, Recorded, &["anthropic/messages-stream-text.sse"], "200 ms between events"), Framing::Paced),
    entry("anthropic", "chat", "reset", YES, 200, Synthetic, &[], "3 recorded `text` events, then a connection reset"),
    entry("anthropic", "chat", "garbage", ANY, 200, Synthetic, &[], "bytes that are not SSE / JSON"),
    entry("anthropic", "chat", "hang", ANY, 0, Synthetic, &[], "never answers"),
    entry("anthropic", "chat", "(request breaks the schema)", ANY, 400, Synthetic, &[], "Anthropic's documented envelope; the message is the mock's"),
    entry("anthropic", "models", "text", ANY, 200, Documented, &[], "Anthropic, https://docs.claude.com/en/api/models-list"),
    // --- Gemini API (`/gemini/v1beta/...`) ---
    entry("gemini", "chat", "text", NO, 200, Recorded, &["gemini/generate-content-text.json"], "also any model not listed"),
    entry("gemini", "chat", "text", YES, 200, Recorded, &["gemini/stream-text.sse"], "also any model not listed"),
    entry("gemini", "chat", "tools", NO, 200, Recorded, &["gemini/generate-content-function-call.json"], ""),
    entry("gemini", "chat", "tools", YES, 200, Recorded, &["gemini/stream-function-call-single-chunk.sse"], ""),
    entry("gemini", "chat", "tools-signature", NO, 200, Recorded, &["gemini/generate-content-function-call.json"], ""),
    entry("gemini", "chat", "tools-signature", YES, 200, Recorded, &["gemini/stream-function-call-thought-signature.sse"], ""),
    entry("gemini", "chat", "thinking", YES, 200, Recorded, &["gemini/stream-thinking.sse"], ""),
    entry("gemini", "chat", "safety", NO, 200, Recorded, &["gemini/generate-content-finish-safety.json"], ""),
    entry("gemini", "chat", "max-tokens", NO, 200, Recorded, &["gemini/generate-content-max-tokens-no-parts.json"], ""),
    entry("gemini", "chat", "error-401", ANY, 400, Quoted, &[], GEMINI_QUOTES),
    entry("gemini", "chat", "error-403", ANY, 403, Recorded, &["gemini/error-403-permission-denied.json"], ""),
    entry("gemini", "chat", "error-404", ANY, 404, Recorded, &["gemini/error-404-model-not-found.json"], ""),
    entry("gemini", "chat", "error-429", ANY, 429, Recorded, &["gemini/error-429-resource-exhausted.json"], "vercel/ai fixture of a live 429 (RetryInfo in the body)"),
    entry("gemini", "chat", "error-503", ANY, 503, Quoted, &[], GEMINI_QUOTES),
    entry("gemini", "chat", "context-too-long", ANY, 400, Quoted, &[], GEMINI_QUOTES),
    framed(entry("gemini", "chat", "slow", YES, 200, Recorded, &["gemini/stream-thinking.sse"], "200 ms between events"), Framing::Paced),
    entry("gemini", "chat", "reset", YES, 200, Synthetic, &[], "the first recorded `text` event, then a connection reset"),
    entry("gemini", "chat", "garbage", ANY, 200, Synthetic, &[], "bytes that are not JSON / SSE"),
    entry("gemini", "chat", "hang", ANY, 0, Synthetic, &[], "never answers"),
    entry("gemini", "embeddings", "text", ANY, 200, Recorded, &["gemini/embed-batch.json"], "any model but `error-404`"),
    entry("gemini", "embeddings", "error-404", ANY, 404, Borrowed, &["gemini/error-404-model-not-found.json"], "Gemini's generateContent 404"),
    entry("gemini", "models", "text", ANY, 200, Recorded, &["gemini/models-list.json"], "whatever the page token"),
    // --- Ollama native API (`/ollama/api/...`) ---
    entry("ollama", "chat", "text", YES, 200, Recorded, &["ollama/chat-stream.ndjson"], "also any model not listed"),
    entry("ollama", "chat", "text", NO, 200, Documented, &[], "Ollama, https://github.com/ollama/ollama/blob/main/docs/api.md (chat request, no streaming): no capture exists"),
    entry("ollama", "chat", "tools", NO, 200, Recorded, &["ollama/chat-tool-calls-thinking.json"], ""),
    entry("ollama", "chat", "thinking", NO, 200, Recorded, &["ollama/chat-tool-calls-thinking.json"], ""),
    framed(entry("ollama", "chat", "tools", YES, 200, Documented, &["ollama/chat-stream-tool-calls.docs.chunk.json", "ollama/chat-stream-tool-calls.docs.final.json"], "Ollama, https://github.com/ollama/ollama/blob/main/docs/api.md (chat request, with tools)"), Framing::OneLineEach),
    framed(entry("ollama", "chat", "thinking", YES, 200, Borrowed, &["ollama/chat-tool-calls-thinking.json"], "Ollama's non-streamed answer, as the only line: no streamed capture with thinking exists"), Framing::NdjsonLine),
    entry("ollama", "chat", "error-400", ANY, 400, Recorded, &["ollama/error-400-model-does-not-support-tools.json"], ""),
    entry("ollama", "chat", "error-400-think", ANY, 400, Recorded, &["ollama/error-400-think-value-unsupported.json"], "live output quoted in observation notes"),
    entry("ollama", "chat", "error-404", ANY, 404, Recorded, &["ollama/error-404-model-not-found.json"], "live output quoted in observation notes"),
    entry("ollama", "chat", "error-500", ANY, 500, Documented, &[], "Ollama, https://github.com/ollama/ollama/blob/main/docs/api/errors.mdx"),
    framed(entry("ollama", "chat", "slow", YES, 200, Recorded, &["ollama/chat-stream.ndjson"], "200 ms between lines"), Framing::Paced),
    entry("ollama", "chat", "reset", YES, 200, Synthetic, &[], "3 recorded lines, then a connection reset"),
    entry("ollama", "chat", "garbage", YES, 200, Synthetic, &[], "bytes that are not NDJSON"),
    entry("ollama", "chat", "hang", ANY, 0, Synthetic, &[], "never answers"),
    entry("ollama", "embeddings", "text", ANY, 200, Recorded, &["ollama/embed.json"], "any model but `missing`"),
    entry("ollama", "embeddings", "missing", ANY, 404, Borrowed, &["ollama/error-404-model-not-found.json"], "Ollama's /api/chat 404"),
    entry("ollama", "models", "text", ANY, 200, Documented, &["ollama/tags.docs.json"], "Ollama, https://github.com/ollama/ollama/blob/main/docs/api.md (list local models)"),
    // --- OpenAI Responses API (`/v1/responses`, `/responses`): recordings kept in this crate ---
    framed(entry("openai-responses", "responses", "text", YES, 200, Recorded, &[R_TEXT_STREAM], VERCEL_SHELL_LOCAL), Framing::JsonlAsAnthropicSse),
    entry("openai-responses", "responses", "text", NO, 200, Recorded, &[R_TEXT_JSON], VERCEL_SHELL_LOCAL),
    framed(entry("openai-responses", "responses", "tools", YES, 200, Recorded, &[R_TOOLS_STREAM], VERCEL_TOOL_SEARCH), Framing::JsonlAsAnthropicSse),
    entry("openai-responses", "responses", "tools", NO, 200, Recorded, &[R_TOOLS_JSON], VERCEL_TOOL_SEARCH),
    framed(entry("openai-responses", "responses", "reasoning", YES, 200, Recorded, &[R_REASONING_STREAM], "vercel/ai packages/openai/src/responses/__fixtures__/openai-reasoning-encrypted-content.1.chunks.txt @ 55cd1a40625f1ea6eda228cb413234328c215537, lines 1-56: the first of the four answers that file holds"), Framing::JsonlAsAnthropicSse),
    framed(entry("openai-responses", "responses", "error-in-stream", YES, 200, Recorded, &[R_ERROR_STREAM], "vercel/ai packages/openai/src/responses/__fixtures__/openai-error.1.chunks.txt @ 23f132b48dd12c87de610f437348eb8b0ab34a2e (an `error` event, then `response.failed`)"), Framing::JsonlAsAnthropicSse),
    entry("openai-responses", "responses", "error-400", ANY, 400, Recorded, &[R_ERROR_400], "vercel/ai packages/openai/src/responses/__fixtures__/reasoning-model-temperature-error.json @ 34c53c0ff19b1567e79d45130f85c612006eacf6 (served with 400 there)"),
    entry("openai-responses", "responses", "error-429", ANY, 429, Recorded, &[R_ERROR_429], "body: vercel/ai packages/openai/src/responses/__fixtures__/openai-error.1.json @ 23f132b48dd12c87de610f437348eb8b0ab34a2e; status 429 for insufficient_quota per https://platform.openai.com/docs/guides/error-codes"),
    entry("openai-responses", "responses", "error-401", ANY, 401, Documented, &[], OPENAI_ERRORS_DOC),
    entry("openai-responses", "responses", "error-500", ANY, 500, Documented, &[], OPENAI_ERRORS_DOC),
    entry("openai-responses", "responses", "malformed", YES, 200, Synthetic, &[], "the recorded `text` stream's first event, then an event whose data is cut off mid-JSON"),
    entry("openai-responses", "responses", "garbage", YES, 200, Synthetic, &[], "bytes that are not SSE, as the chat route's"),
    entry("openai-responses", "responses", "(framing)", YES, 200, Documented, &[], "recordings keep the `data:` payloads; each is sent as `event: <type>` + `data:`, no `[DONE]`, per https://platform.openai.com/docs/api-reference/responses-streaming"),
    // --- Azure OpenAI Responses API (`/azure/openai/v1/responses`, `/azure/openai/responses?api-version=…`) ---
    framed(entry("azure-responses", "responses", "text", YES, 200, Recorded, &[R_AZURE_TEXT_STREAM], VERCEL_AZURE_TEXT), Framing::JsonlAsAnthropicSse),
    entry("azure-responses", "responses", "text", NO, 200, Recorded, &[R_AZURE_TEXT_JSON], VERCEL_AZURE_TEXT),
    framed(entry("azure-responses", "responses", "tools", YES, 200, Recorded, &[R_AZURE_TOOLS_STREAM], VERCEL_AZURE_TOOLS), Framing::JsonlAsAnthropicSse),
    entry("azure-responses", "responses", "tools", NO, 200, Recorded, &[R_AZURE_TOOLS_JSON], VERCEL_AZURE_TOOLS),
    framed(entry("azure-responses", "responses", "reasoning", YES, 200, Borrowed, &[R_REASONING_STREAM], "OpenAI's (Azure answers in its format)"), Framing::JsonlAsAnthropicSse),
    framed(entry("azure-responses", "responses", "error-in-stream", YES, 200, Borrowed, &[R_ERROR_STREAM], "OpenAI's"), Framing::JsonlAsAnthropicSse),
    entry("azure-responses", "responses", "error-400", ANY, 400, Borrowed, &[R_ERROR_400], "OpenAI's"),
    entry("azure-responses", "responses", "error-429", ANY, 429, Borrowed, &[R_ERROR_429], "OpenAI's"),
    entry("azure-responses", "responses", "error-404", ANY, 404, Quoted, &[], "chatboxai/chatbox#646, #861 (DeploymentNotFound)"),
    entry("azure-responses", "responses", "(path)", ANY, 200, Documented, &[], "Microsoft Learn, Azure OpenAI Responses API, https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/responses: POST {endpoint}/openai/v1/responses, `api-key` header, the deployment as `model`"),
    // --- Every native route ---
    entry("all", "(fixture file missing)", "any", ANY, 500, Synthetic, &[], "a JSON error naming the missing file"),
];

/// The answer the mock gives on `route` to `request` for `model`: the scenario's entry, else
/// (an unlisted model or cell) the `text` entry, as the mock answers.
pub fn lookup(route: &str, request: &str, model: &str, stream: bool) -> Option<&'static Source> {
    let find = |model: &str| {
        SOURCES.iter().find(|s| {
            s.route == route
                && s.request == request
                && s.model == model
                && s.stream.is_none_or(|st| st == stream)
        })
    };
    find(model).or_else(|| find("text"))
}

/// `SOURCES.md`: the table, rendered.
pub fn render() -> String {
    let mut out = String::from(
        "# Where the mock's answers come from\n\n\
         Generated from `src/sources.rs` (`tests/replay.rs` fails when this file is out of date; \
         `MOCK_SOURCES_WRITE=1 cargo test -p mock-upstream --test replay` rewrites it). Every row that \
         names files is requested by `tests/replay.rs`, and its body compared byte for byte with \
         them (with its framing), its `Content-Type` with the one the fixtures README records \
         (paced rows excepted: their bytes are those of the row without pacing).\n\n\
         * **recorded**: the provider's recorded bytes for this request (`../../shared/fixtures/providers/`, or \
         `mock-upstream/recordings/` for the Responses API rows, whose sources are named in the row).\n\
         * **documented**: not recorded; built from the provider's documentation (named).\n\
         * **quoted**: not in the fixtures; a live response quoted in a public report (named).\n\
         * **borrowed**: another provider's, or another endpoint's, recording (named).\n\
         * **synthetic**: made up by the mock to inject a fault.\n\n\
         | route | request | scenario (model) | stream | status | source | files / reference |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for s in SOURCES {
        let stream = match s.stream {
            Some(true) => "yes",
            Some(false) => "no",
            None => "either",
        };
        let status = if s.status == 0 {
            "none".to_owned()
        } else {
            s.status.to_string()
        };
        let framing = match s.framing {
            Framing::Raw => "",
            Framing::JsonlAsOpenAiSse => " (framed as `data:` events + `[DONE]`)",
            Framing::JsonlAsAnthropicSse => " (framed as `event:`/`data:` events)",
            Framing::EventTerminated => " (+ the closing blank line)",
            Framing::OneLineEach => " (each as one NDJSON line)",
            Framing::NdjsonLine => " (as one NDJSON line)",
            Framing::Paced => " (paced)",
        };
        let files: Vec<String> = s.files.iter().map(|f| format!("`{f}`")).collect();
        let mut reference = files.join(" + ");
        reference.push_str(framing);
        if !s.from.is_empty() {
            if !reference.is_empty() {
                reference.push_str("; ");
            }
            reference.push_str(s.from);
        }
        out.push_str(&format!(
            "| {} | {} | `{}` | {stream} | {status} | {} | {reference} |\n",
            s.route,
            s.request,
            s.model,
            s.kind.name(),
        ));
    }
    out
}
