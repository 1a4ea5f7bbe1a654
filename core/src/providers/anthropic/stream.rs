//! Anthropic Messages SSE events → OpenAI-shaped chunks.
//!
//! Anthropic streams content blocks by block index (text, thinking,
//! tool_use, server tools…); OpenAI numbers tool calls alone (0, 1, 2…) and
//! sends reasoning and content as separate deltas. [`StreamState`] keeps the
//! little state that takes: the message id/model, the open blocks, the next
//! tool call index, and the usage seen so far.

use std::collections::HashMap;

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{ChatCompletionChunk, Choice, Delta, Role, ToolCall};
use serde::Deserialize;

use super::response::{
    StopDetails, WireError, WireUsage, finish_reason, malformed, now, stream_error,
};

/// Blocks open at once; Anthropic opens one at a time, so more is a broken
/// (or hostile) stream, not a reason to grow memory.
const MAX_OPEN_BLOCKS: usize = 64;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u64,
        content_block: BlockStart,
    },
    ContentBlockDelta {
        index: u64,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u64,
    },
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Error {
        #[serde(default)]
        error: WireError,
    },
    /// `ping` and event types added later.
    #[serde(other)]
    Ignored,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockStart {
    Text {
        #[serde(default)]
        text: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
    },
    ToolUse {
        #[serde(default)]
        id: String,
        #[serde(default)]
        name: String,
    },
    /// redacted_thinking (opaque), server_tool_use and server tool results:
    /// nothing an OpenAI client can act on.
    #[serde(other)]
    Skipped,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        #[serde(default)]
        text: String,
    },
    InputJsonDelta {
        #[serde(default)]
        partial_json: String,
    },
    ThinkingDelta {
        #[serde(default)]
        thinking: String,
    },
    /// signature_delta, citations_delta, …
    #[serde(other)]
    Ignored,
}

#[derive(Deserialize)]
struct MessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_details: Option<StopDetails>,
}

#[derive(Clone, Copy)]
enum Block {
    Text,
    Thinking,
    Tool { index: u32, has_arguments: bool },
    Skipped,
}

/// What one event means.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Chunks to forward (possibly none).
    Chunks(Vec<ChatCompletionChunk>),
    /// `message_stop`: the answer is complete.
    Done,
}

/// Translation state of one stream.
#[derive(Default)]
pub struct StreamState {
    id: String,
    model: String,
    created: i64,
    blocks: HashMap<u64, Block>,
    next_tool: u32,
    usage: WireUsage,
    /// A `message_delta` with the stop reason has been seen.
    pub finished: bool,
}

impl StreamState {
    pub fn new() -> Self {
        Self {
            created: now(),
            ..Self::default()
        }
    }

    /// Translates one SSE `data:` payload.
    pub fn on_data(&mut self, provider: &str, data: &str) -> Result<Step, GatewayError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(Step::Chunks(Vec::new()));
        }
        let event: Event = serde_json::from_str(data).map_err(|e| malformed(provider, &e))?;
        let chunks = match event {
            Event::MessageStart { message } => {
                self.id = message.id;
                self.model = message.model;
                self.usage.update(&message.usage);
                vec![self.chunk(
                    Delta {
                        role: Some(Role::Assistant as i32),
                        ..Default::default()
                    },
                    None,
                )]
            }
            Event::ContentBlockStart {
                index,
                content_block,
            } => self.block_start(provider, index, content_block)?,
            Event::ContentBlockDelta { index, delta } => self.block_delta(index, delta),
            Event::ContentBlockStop { index } => match self.blocks.remove(&index) {
                // A call whose input never got a non-empty piece has no arguments: `{}`.
                Some(Block::Tool {
                    index,
                    has_arguments: false,
                }) => vec![self.arguments(index, "{}".into())],
                _ => Vec::new(),
            },
            Event::MessageDelta { delta, usage } => {
                if let Some(usage) = &usage {
                    self.usage.update(usage);
                }
                match delta.stop_reason {
                    Some(reason) => {
                        self.finished = true;
                        let refusal = if reason == "refusal" {
                            delta.stop_details.and_then(|d| d.explanation)
                        } else {
                            None
                        };
                        let finish = self.chunk(
                            Delta {
                                refusal,
                                ..Default::default()
                            },
                            Some(finish_reason(&reason)),
                        );
                        let usage = ChatCompletionChunk {
                            choices: Vec::new(),
                            usage: Some(self.usage.to_usage()),
                            ..self.chunk(Delta::default(), None)
                        };
                        vec![finish, usage]
                    }
                    None => Vec::new(),
                }
            }
            Event::MessageStop => return Ok(Step::Done),
            Event::Error { error } => return Err(stream_error(&error)),
            Event::Ignored => Vec::new(),
        };
        Ok(Step::Chunks(chunks))
    }

    fn block_start(
        &mut self,
        provider: &str,
        index: u64,
        start: BlockStart,
    ) -> Result<Vec<ChatCompletionChunk>, GatewayError> {
        if self.blocks.len() >= MAX_OPEN_BLOCKS {
            return Err(GatewayError::new(
                ErrorKind::Unavailable,
                format!("upstream `{provider}` opened more than {MAX_OPEN_BLOCKS} content blocks at once"),
            )
            .with_http_status(502));
        }
        let (block, chunks) = match start {
            BlockStart::Text { text } => (Block::Text, self.text(text)),
            BlockStart::Thinking { thinking } => (Block::Thinking, self.reasoning(thinking)),
            BlockStart::ToolUse { id, name } => {
                let tool_index = self.next_tool;
                self.next_tool = self.next_tool.saturating_add(1);
                let call = ToolCall {
                    index: tool_index,
                    id: Some(id),
                    r#type: Some("function".into()),
                    name: Some(name),
                    arguments: String::new(),
                };
                let chunk = self.chunk(
                    Delta {
                        tool_calls: vec![call],
                        ..Default::default()
                    },
                    None,
                );
                (
                    Block::Tool {
                        index: tool_index,
                        has_arguments: false,
                    },
                    vec![chunk],
                )
            }
            BlockStart::Skipped => (Block::Skipped, Vec::new()),
        };
        self.blocks.insert(index, block);
        Ok(chunks)
    }

    fn block_delta(&mut self, index: u64, delta: BlockDelta) -> Vec<ChatCompletionChunk> {
        let Some(block) = self.blocks.get_mut(&index) else {
            tracing::debug!(
                index,
                "anthropic: ignoring a delta for a block that was never started"
            );
            return Vec::new();
        };
        match (block, delta) {
            (Block::Text, BlockDelta::TextDelta { text }) => self.text(text),
            (Block::Thinking, BlockDelta::ThinkingDelta { thinking }) => self.reasoning(thinking),
            (
                Block::Tool {
                    index,
                    has_arguments,
                },
                BlockDelta::InputJsonDelta { partial_json },
            ) => {
                if partial_json.is_empty() {
                    return Vec::new();
                }
                *has_arguments = true;
                let index = *index;
                vec![self.arguments(index, partial_json)]
            }
            _ => Vec::new(),
        }
    }

    fn text(&self, text: String) -> Vec<ChatCompletionChunk> {
        if text.is_empty() {
            return Vec::new();
        }
        vec![self.chunk(
            Delta {
                content: Some(text),
                ..Default::default()
            },
            None,
        )]
    }

    fn reasoning(&self, thinking: String) -> Vec<ChatCompletionChunk> {
        if thinking.is_empty() {
            return Vec::new();
        }
        vec![self.chunk(
            Delta {
                reasoning_content: Some(thinking),
                ..Default::default()
            },
            None,
        )]
    }

    fn arguments(&self, index: u32, arguments: String) -> ChatCompletionChunk {
        let call = ToolCall {
            index,
            arguments,
            ..Default::default()
        };
        self.chunk(
            Delta {
                tool_calls: vec![call],
                ..Default::default()
            },
            None,
        )
    }

    fn chunk(&self, delta: Delta, finish: Option<&str>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.id.clone(),
            model: self.model.clone(),
            created: self.created,
            choices: vec![Choice {
                index: 0,
                delta: Some(delta),
                finish_reason: finish.map(str::to_owned),
                logprobs: None,
            }],
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::SseDecoder;
    use serde_json::Value;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/anthropic/"
        );
        std::fs::read(format!("{dir}{name}")).expect("fixture present")
    }

    /// The `data:` payloads of a fixture: SSE files decoded, `.chunks.jsonl` line by line.
    fn payloads(name: &str) -> Vec<String> {
        let bytes = fixture(name);
        if name.ends_with(".jsonl") {
            return String::from_utf8(bytes)
                .expect("utf8")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
        }
        let mut dec = SseDecoder::new();
        let mut events = dec.push(&bytes).expect("framing");
        events.extend(dec.finish().expect("framing"));
        events.into_iter().map(|e| e.data).collect()
    }

    /// Every chunk of a fixture, and whether `message_stop` ended it.
    fn run(name: &str) -> (Vec<ChatCompletionChunk>, bool) {
        let mut st = StreamState::new();
        let mut out = Vec::new();
        for data in payloads(name) {
            match st.on_data("anthropic", &data).expect("translates") {
                Step::Chunks(chunks) => out.extend(chunks),
                Step::Done => return (out, true),
            }
        }
        (out, false)
    }

    fn deltas(chunks: &[ChatCompletionChunk]) -> impl Iterator<Item = &Delta> {
        chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.delta.as_ref())
    }

    fn content(chunks: &[ChatCompletionChunk]) -> String {
        deltas(chunks).filter_map(|d| d.content.clone()).collect()
    }

    fn finish(chunks: &[ChatCompletionChunk]) -> Vec<&str> {
        chunks
            .iter()
            .flat_map(|c| &c.choices)
            .filter_map(|c| c.finish_reason.as_deref())
            .collect()
    }

    /// Tool calls by OpenAI index: (id, name, joined arguments).
    fn calls(chunks: &[ChatCompletionChunk]) -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = Vec::new();
        for call in deltas(chunks).flat_map(|d| &d.tool_calls) {
            let i = call.index as usize;
            if let Some(name) = &call.name {
                assert_eq!(i, out.len(), "tool calls are numbered 0, 1, 2…");
                out.push((
                    call.id.clone().unwrap_or_default(),
                    name.clone(),
                    String::new(),
                ));
            } else {
                assert!(
                    call.id.is_none() && call.r#type.is_none(),
                    "later fragments carry only index + arguments"
                );
            }
            out[i].2.push_str(&call.arguments);
        }
        out
    }

    #[test]
    fn text_stream() {
        let (chunks, done) = run("messages-stream-text.sse");
        assert!(done);
        assert_eq!(
            chunks[0].choices[0].delta.as_ref().and_then(|d| d.role),
            Some(Role::Assistant as i32)
        );
        assert_eq!(chunks[0].id, "msg_01Ju7oPaDmjgrhWq8gNP4AUj");
        assert_eq!(content(&chunks), "1\n2\n3\n4\n5");
        assert_eq!(finish(&chunks), ["stop"]);
        let last = chunks.last().expect("chunks");
        assert!(last.choices.is_empty());
        let usage = last.usage.expect("usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (15, 13, 28)
        );
        assert!(chunks.iter().rev().skip(1).all(|c| c.usage.is_none()));
    }

    #[test]
    fn tool_use_stream() {
        let (chunks, _) = run("messages-stream-tool-use.sse");
        assert_eq!(
            content(&chunks),
            "I'll check the current weather in Paris for you."
        );
        let calls = calls(&chunks);
        assert_eq!(calls.len(), 1);
        assert_eq!(
            (calls[0].0.as_str(), calls[0].1.as_str()),
            ("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather")
        );
        assert_eq!(
            serde_json::from_str::<Value>(&calls[0].2).expect("json"),
            serde_json::json!({"location": "Paris"})
        );
        assert_eq!(finish(&chunks), ["tool_calls"]);
        let usage = chunks.last().and_then(|c| c.usage).expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (377, 65));
    }

    #[test]
    fn tool_without_arguments_becomes_empty_object() {
        let (chunks, done) = run("messages-stream-tool-no-args.chunks.jsonl");
        assert!(done);
        let calls = calls(&chunks);
        assert_eq!(
            (calls[0].1.as_str(), calls[0].2.as_str()),
            ("updateIssueList", "{}")
        );
    }

    #[test]
    fn server_tool_is_skipped_and_client_tool_is_index_zero() {
        let (chunks, _) = run("messages-stream-server-tool-then-tool-use.sse");
        let calls = calls(&chunks);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].1, "get_exchange_rate");
        assert_eq!(
            serde_json::from_str::<Value>(&calls[0].2).expect("json"),
            serde_json::json!({"from_currency": "USD", "to_currency": "EUR"})
        );
        assert!(content(&chunks).starts_with("Let me search"));
        assert!(!content(&chunks).contains("query"));
    }

    #[test]
    fn thinking_stream_keeps_reasoning_and_content_apart() {
        let (chunks, _) = run("messages-stream-thinking.sse");
        let reasoning: String = deltas(&chunks)
            .filter_map(|d| d.reasoning_content.clone())
            .collect();
        assert!(
            reasoning.starts_with("This is a straightforward question"),
            "{reasoning}"
        );
        assert!(content(&chunks).ends_with("when crossing streets."));
        assert!(deltas(&chunks).all(|d| d.content.is_none() || d.reasoning_content.is_none()));
        assert!(
            !reasoning.contains("EvMC"),
            "the signature is not reasoning"
        );
    }

    #[test]
    fn redacted_thinking_and_refusal() {
        let (chunks, _) = run("messages-stream-redacted-thinking.sse");
        assert!(deltas(&chunks).all(|d| d.reasoning_content.is_none()));
        assert!(content(&chunks).starts_with("I notice that you've sent"));

        let (chunks, done) = run("messages-stream-refusal-no-content.sse");
        assert!(done);
        assert_eq!(finish(&chunks), ["content_filter"]);
        assert!(deltas(&chunks).any(|d| {
            d.refusal
                .as_deref()
                .is_some_and(|r| r.contains("Terms of Service"))
        }));
        assert_eq!(
            chunks.last().and_then(|c| c.usage).map(|u| u.prompt_tokens),
            Some(97)
        );
    }

    #[test]
    fn error_event_is_overloaded_503() {
        let mut st = StreamState::new();
        let data = payloads("messages-stream-error-event.docs.sse");
        let err = st.on_data("anthropic", &data[0]).expect_err("error event");
        assert_eq!((err.kind, err.http_status()), (ErrorKind::Unavailable, 503));
        assert_eq!(err.message, "Overloaded");
    }

    #[test]
    fn garbage_and_open_block_cap() {
        let mut st = StreamState::new();
        assert_eq!(
            st.on_data("a", "not json")
                .expect_err("malformed")
                .http_status(),
            502
        );
        let mut st = StreamState::new();
        let start = |i: usize| {
            format!(
                r#"{{"type":"content_block_start","index":{i},"content_block":{{"type":"text","text":""}}}}"#
            )
        };
        for i in 0..MAX_OPEN_BLOCKS {
            st.on_data("a", &start(i)).expect("fits");
        }
        assert!(st.on_data("a", &start(MAX_OPEN_BLOCKS)).is_err());
    }
}
