//! Micro-benchmarks of the core's upstream parsing hot paths (criterion).
//!
//! Run (from the workspace root or `core/`):
//!
//! ```text
//! cargo bench -p modelgate-core --bench hot_paths                 # full run
//! cargo bench -p modelgate-core --bench hot_paths -- --quick      # fast, rougher numbers
//! cargo bench -p modelgate-core --bench hot_paths -- openai_stream  # only names matching a filter
//! ```
//!
//! Compare against a baseline (e.g. the main branch before a change):
//!
//! ```text
//! git switch main && cargo bench -p modelgate-core --bench hot_paths -- --save-baseline main
//! git switch my-branch && cargo bench -p modelgate-core --bench hot_paths -- --baseline main
//! ```
//!
//! The second run prints the change against the saved numbers (`change: [...]`, and
//! "Performance has regressed/improved" past the noise threshold). Baselines live in
//! `target/criterion/<group>/<bench>/<name>/`; `--load-baseline` re-prints a saved one.
//!
//! What each group measures; every input is a real recording from the provider fixtures,
//! read once at start-up (outside the timed loop), and every iteration processes the whole
//! recording, so throughput is reported in upstream bytes per second:
//!
//! * `sse_decode/<fixture>`: `sse::SseDecoder` framing alone (bytes → `data:` payloads), so a
//!   regression in the framing shows apart from the JSON work.
//! * `openai_stream/<fixture>`: what the OpenAI adapter does with a streamed body: SSE
//!   decoding plus `providers::openai::response::parse_stream_data` for every event, up to
//!   `[DONE]` (the `providers::openai::stream::chunk_stream` loop minus the network and the
//!   async plumbing).
//! * `openai_completion/<fixture>`: `providers::openai::response::parse_completion` of a
//!   non-streamed `chat.completion` body.
//! * `anthropic_stream/<fixture>`: the native Anthropic adapter: SSE decoding plus
//!   `providers::anthropic::stream::StreamState::on_data` for every event, up to
//!   `message_stop`.
//!
//! Fixtures are found at `$MODELGATE_FIXTURES`, else `../shared/fixtures/providers` beside the
//! workspace (`mock_upstream::default_fixtures_dir`), so the bench works from any cwd.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use modelgate::v1::ChatCompletionChunk;
use modelgate_core::providers::anthropic::stream::{Step, StreamState};
use modelgate_core::providers::openai::response::{
    StreamItem, parse_completion, parse_stream_data,
};
use modelgate_core::sse::{SseDecoder, SseEvent};

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

/// The benchmark id of a fixture: its file name.
fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn decode(bytes: &[u8]) -> Vec<SseEvent> {
    let mut decoder = SseDecoder::new();
    let mut events = decoder.push(bytes).expect("fixture is valid SSE");
    events.extend(decoder.finish().expect("fixture is valid SSE"));
    events
}

/// SSE bytes → the chunks the OpenAI adapter forwards.
fn openai_stream(bytes: &[u8]) -> Vec<ChatCompletionChunk> {
    let mut chunks = Vec::new();
    for event in decode(bytes) {
        match parse_stream_data("openai", &event.data).expect("fixture parses") {
            StreamItem::Chunk(chunk) => chunks.push(chunk),
            StreamItem::Skip => {}
            StreamItem::Done => break,
        }
    }
    chunks
}

/// SSE bytes → the chunks the Anthropic adapter forwards.
fn anthropic_stream(bytes: &[u8]) -> Vec<ChatCompletionChunk> {
    let mut state = StreamState::new();
    let mut chunks = Vec::new();
    for event in decode(bytes) {
        match state
            .on_data("anthropic", &event.data)
            .expect("fixture translates")
        {
            Step::Chunks(more) => chunks.extend(more),
            Step::Done => break,
        }
    }
    chunks
}

const OPENAI_STREAMS: &[&str] = &[
    "openai/chat-stream-text-include-usage.sse",
    "openai/chat-stream-tool-call-args-usage.sse",
    "openai/chat-stream-parallel-tool-calls.sse",
];

const OPENAI_COMPLETIONS: &[&str] = &[
    "openai/chat-completion-text.json",
    "openai/chat-completion-tool-calls.json",
];

const ANTHROPIC_STREAMS: &[&str] = &[
    "anthropic/messages-stream-text.sse",
    "anthropic/messages-stream-tool-use.sse",
    "anthropic/messages-stream-thinking.sse",
];

fn sse_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("sse_decode");
    for path in OPENAI_STREAMS.iter().chain(ANTHROPIC_STREAMS) {
        let bytes = fixture(path);
        assert!(!decode(&bytes).is_empty(), "{path}: no events");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name(path)),
            &bytes,
            |b, bytes| {
                b.iter(|| decode(black_box(bytes)));
            },
        );
    }
    group.finish();
}

fn openai_stream_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("openai_stream");
    for path in OPENAI_STREAMS {
        let bytes = fixture(path);
        assert!(!openai_stream(&bytes).is_empty(), "{path}: no chunks");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name(path)),
            &bytes,
            |b, bytes| {
                b.iter(|| openai_stream(black_box(bytes)));
            },
        );
    }
    group.finish();
}

fn openai_completion_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("openai_completion");
    for path in OPENAI_COMPLETIONS {
        let bytes = fixture(path);
        parse_completion("openai", &bytes).expect("fixture parses");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name(path)),
            &bytes,
            |b, bytes| {
                b.iter(|| parse_completion("openai", black_box(bytes)).expect("fixture parses"));
            },
        );
    }
    group.finish();
}

fn anthropic_stream_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("anthropic_stream");
    for path in ANTHROPIC_STREAMS {
        let bytes = fixture(path);
        assert!(!anthropic_stream(&bytes).is_empty(), "{path}: no chunks");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name(path)),
            &bytes,
            |b, bytes| {
                b.iter(|| anthropic_stream(black_box(bytes)));
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    sse_decode,
    openai_stream_parse,
    openai_completion_parse,
    anthropic_stream_parse
);
criterion_main!(benches);
