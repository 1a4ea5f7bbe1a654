//! Micro-benchmarks of the facade's hot paths (criterion): OpenAI JSON in, OpenAI bytes out.
//!
//! Run (from the workspace root or `facade/`):
//!
//! ```text
//! cargo bench -p modelgate-facade --bench hot_paths                  # full run
//! cargo bench -p modelgate-facade --bench hot_paths -- --quick       # fast, rougher numbers
//! cargo bench -p modelgate-facade --bench hot_paths -- request_json  # only names matching a filter
//! ```
//!
//! Compare against a baseline (e.g. the main branch before a change):
//!
//! ```text
//! git switch main && cargo bench -p modelgate-facade --bench hot_paths -- --save-baseline main
//! git switch my-branch && cargo bench -p modelgate-facade --bench hot_paths -- --baseline main
//! ```
//!
//! The second run prints the change against the saved numbers (`change: [...]`, and
//! "Performance has regressed/improved" past the noise threshold). Baselines live in
//! `target/criterion/<group>/<bench>/<name>/`; `--load-baseline` re-prints a saved one.
//!
//! What each group measures (inputs are built once at start-up, outside the timed loop):
//!
//! * `request_json/<case>`: `request::chat_request_from_json`, a `POST /v1/chat/completions`
//!   body → `modelgate::v1::ChatCompletionRequest`. `small` is one user message
//!   (`{"model":"mock-json",…,"max_tokens":64}`); `tools-463B` and `multi-turn-tools-8KB` are
//!   recorded OpenAI requests from the fixtures (`openai/request-chat-tools.json`: one tool;
//!   `openai/request-chat-stream-tools.json`: assistant tool calls, tool results, 20 tools).
//!   Throughput: request bytes.
//! * `chunk_to_sse/<case>`: one proto `ChatCompletionChunk` → its `data: {json}\n\n` event
//!   (`response::chunk_json` + `sse::event`, as `sse::sse_body` does per chunk). Throughput:
//!   bytes written.
//! * `sse_body/<fixture>`: `sse::sse_body` over every chunk of a recorded OpenAI stream
//!   (reasoning split, usage chunk last, `[DONE]`), including its async plumbing (polled with
//!   `futures::executor::block_on`, no network). Cloning the chunks is not timed. Throughput:
//!   bytes written.
//! * `completion_json/<case>`: `response::CompletionBuilder` push + finish, i.e. the
//!   non-streamed `chat.completion` body. `text`/`tool-calls` fold the single chunk the core
//!   sends for a recorded completion; `folded-stream` folds all chunks of a recorded tool-call
//!   stream. Throughput: bytes written.
//!
//! Proto chunks come from recorded upstream responses turned into chunks by the core's OpenAI
//! parser (a dev-dependency), so they have real sizes and shapes. Fixtures are found at
//! `$MODELGATE_FIXTURES`, else `../shared/fixtures/providers` beside the workspace
//! (`mock_upstream::default_fixtures_dir`), so the bench works from any cwd.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use modelgate::v1::ChatCompletionChunk;
use modelgate_core::providers::openai::response::{
    StreamItem, parse_completion, parse_stream_data,
};
use modelgate_core::sse::SseDecoder;
use modelgate_facade::request::chat_request_from_json;
use modelgate_facade::response::{CompletionBuilder, chunk_json};
use modelgate_facade::sse::{event, sse_body};

const SMALL_REQUEST: &[u8] =
    br#"{"model":"mock-json","messages":[{"role":"user","content":"Say something."}],"max_tokens":64}"#;

/// The bytes of one fixture, read before any timing starts.
fn fixture(path: &str) -> Vec<u8> {
    let file = mock_upstream::default_fixtures_dir().join(path);
    std::fs::read(&file).unwrap_or_else(|e| {
        panic!(
            "fixture {} not readable ({e}); set MODELGATE_FIXTURES to the shared/fixtures/providers folder",
            file.display()
        )
    })
}

/// The chunks the core would send for a recorded OpenAI stream.
fn stream_chunks(path: &str) -> Vec<ChatCompletionChunk> {
    let mut decoder = SseDecoder::new();
    let bytes = fixture(path);
    let mut events = decoder.push(&bytes).expect("fixture is valid SSE");
    events.extend(decoder.finish().expect("fixture is valid SSE"));
    let mut chunks = Vec::new();
    for e in events {
        match parse_stream_data("openai", &e.data).expect("fixture parses") {
            StreamItem::Chunk(chunk) => chunks.push(chunk),
            StreamItem::Skip => {}
            StreamItem::Done => break,
        }
    }
    chunks
}

/// The one chunk the core sends for a recorded non-streamed completion.
fn completion_chunk(path: &str) -> ChatCompletionChunk {
    parse_completion("openai", &fixture(path)).expect("fixture parses")
}

fn sse_event(chunk: &ChatCompletionChunk, include_usage: bool) -> bytes::Bytes {
    event(&chunk_json(chunk, include_usage))
}

fn render_stream(chunks: Vec<ChatCompletionChunk>, include_usage: bool) -> usize {
    let body = sse_body(
        futures::stream::iter(chunks.into_iter().map(Ok)),
        include_usage,
    );
    futures::executor::block_on(body.fold(0, |n, bytes| async move {
        let bytes = bytes.expect("infallible");
        n + black_box(bytes).len()
    }))
}

fn completion(chunks: Vec<ChatCompletionChunk>) -> Vec<u8> {
    let mut builder = CompletionBuilder::new();
    for chunk in chunks {
        builder.push(chunk);
    }
    builder.finish()
}

fn request_json(c: &mut Criterion) {
    let cases = [
        ("small", SMALL_REQUEST.to_vec()),
        ("tools-463B", fixture("openai/request-chat-tools.json")),
        (
            "multi-turn-tools-8KB",
            fixture("openai/request-chat-stream-tools.json"),
        ),
    ];
    let mut group = c.benchmark_group("request_json");
    for (name, body) in &cases {
        chat_request_from_json(body).expect("request converts");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), body, |b, body| {
            b.iter(|| chat_request_from_json(black_box(body)).expect("request converts"));
        });
    }
    group.finish();
}

fn chunk_to_sse(c: &mut Criterion) {
    let text = stream_chunks("openai/chat-stream-text-include-usage.sse");
    let tools = stream_chunks("openai/chat-stream-tool-call-args-usage.sse");
    let cases = [
        // `{"content":"1"}`: the typical token chunk.
        (
            "content-delta",
            text.get(1).cloned().expect("a content chunk"),
        ),
        // The first tool-call chunk: id, type, name and empty arguments.
        (
            "tool-call-open",
            tools.first().cloned().expect("a tool chunk"),
        ),
        (
            "usage",
            text.iter()
                .find(|c| c.usage.is_some())
                .cloned()
                .expect("a usage chunk"),
        ),
    ];
    let mut group = c.benchmark_group("chunk_to_sse");
    for (name, chunk) in &cases {
        group.throughput(Throughput::Bytes(sse_event(chunk, true).len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), chunk, |b, chunk| {
            b.iter(|| sse_event(black_box(chunk), true));
        });
    }
    group.finish();
}

fn stream_body(c: &mut Criterion) {
    let mut group = c.benchmark_group("sse_body");
    for path in [
        "openai/chat-stream-text-include-usage.sse",
        "openai/chat-stream-tool-call-args-usage.sse",
    ] {
        let chunks = stream_chunks(path);
        let written = render_stream(chunks.clone(), true);
        group.throughput(Throughput::Bytes(written as u64));
        let name = path.rsplit('/').next().unwrap_or(path);
        group.bench_with_input(BenchmarkId::from_parameter(name), &chunks, |b, chunks| {
            b.iter_batched(
                || chunks.clone(),
                |chunks| render_stream(chunks, true),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn completion_json(c: &mut Criterion) {
    let cases = [
        (
            "text",
            vec![completion_chunk("openai/chat-completion-text.json")],
        ),
        (
            "tool-calls",
            vec![completion_chunk("openai/chat-completion-tool-calls.json")],
        ),
        (
            "folded-stream",
            stream_chunks("openai/chat-stream-tool-call-args-usage.sse"),
        ),
    ];
    let mut group = c.benchmark_group("completion_json");
    for (name, chunks) in &cases {
        group.throughput(Throughput::Bytes(completion(chunks.clone()).len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), chunks, |b, chunks| {
            b.iter_batched(|| chunks.clone(), completion, BatchSize::SmallInput);
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    request_json,
    chunk_to_sse,
    stream_body,
    completion_json
);
criterion_main!(benches);
