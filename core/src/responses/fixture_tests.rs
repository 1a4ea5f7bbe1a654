//! The translation fed the chunks the real adapters make of recorded provider streams
//! (`shared/fixtures/providers/`): the exact event order, the text and arguments put back
//! together equal to what the provider sent, and the usage.

use modelgate::v1::{ChatCompletionChunk, ResponseEvent, ResponseObject};
use serde_json::Value;

use super::Translator;
use crate::providers::{anthropic, gemini, ollama, openai};
use crate::sse::SseDecoder;

fn fixture(path: &str) -> Vec<u8> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/providers/"
    );
    std::fs::read(format!("{dir}{path}")).expect("fixture present")
}

fn sse_payloads(path: &str) -> Vec<String> {
    let mut dec = SseDecoder::new();
    let mut events = dec.push(&fixture(path)).expect("framing");
    events.extend(dec.finish().expect("framing"));
    events.into_iter().map(|e| e.data).collect()
}

fn json_payloads(path: &str) -> Vec<Value> {
    sse_payloads(path)
        .iter()
        .filter(|d| d.trim() != "[DONE]")
        .map(|d| serde_json::from_str(d).expect("json payload"))
        .collect()
}

fn anthropic_chunks(path: &str) -> Vec<ChatCompletionChunk> {
    let mut state = anthropic::stream::StreamState::new();
    let mut out = Vec::new();
    for data in sse_payloads(path) {
        match state.on_data("anthropic", &data).expect("translates") {
            anthropic::stream::Step::Chunks(chunks) => out.extend(chunks),
            anthropic::stream::Step::Done => break,
        }
    }
    out
}

fn gemini_chunks(path: &str) -> Vec<ChatCompletionChunk> {
    let mut t = gemini::response::Translator::new("gemini", "gemini-requested");
    let mut out = Vec::new();
    for data in sse_payloads(path) {
        out.extend(t.event(&data).expect("translates"));
    }
    out.extend(t.finish().expect("finished"));
    out
}

fn ollama_chunks(path: &str) -> Vec<ChatCompletionChunk> {
    let mut dec = ollama::ndjson::NdjsonDecoder::new();
    let mut lines = dec.push(&fixture(path)).expect("lines");
    lines.extend(dec.finish());
    let mut state = ollama::response::StreamState::new("ollama", "chatcmpl-1".into(), 1, "m");
    let mut out = Vec::new();
    for line in lines {
        out.extend(state.line(&line).expect("translates"));
    }
    out
}

fn openai_chunks(path: &str) -> Vec<ChatCompletionChunk> {
    let mut out = Vec::new();
    for data in sse_payloads(path) {
        match openai::response::parse_stream_data("openai", &data).expect("parses") {
            openai::response::StreamItem::Chunk(chunk) => out.push(chunk),
            openai::response::StreamItem::Skip => {}
            openai::response::StreamItem::Done => break,
        }
    }
    out
}

fn translate(chunks: &[ChatCompletionChunk], stream: bool) -> Vec<ResponseEvent> {
    let mut t = Translator::new("requested-model", stream);
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(t.chunk(chunk));
    }
    events.extend(t.finish());
    let numbers: Vec<u64> = events.iter().map(|e| e.sequence_number).collect();
    let expected: Vec<u64> = (0..events.len() as u64).collect();
    assert_eq!(numbers, expected, "sequence numbers count from 0");
    events
}

fn types(events: &[ResponseEvent]) -> Vec<&str> {
    events.iter().map(|e| e.r#type.as_str()).collect()
}

fn deltas(events: &[ResponseEvent], kind: &str) -> String {
    events
        .iter()
        .filter(|e| e.r#type == kind)
        .filter_map(|e| e.delta.clone())
        .collect()
}

fn terminal(events: &[ResponseEvent]) -> &ResponseObject {
    events
        .last()
        .and_then(|e| e.response.as_ref())
        .expect("terminal event holds the response")
}

/// `repeat` copies of `kind`.
fn n(kind: &'static str, repeat: usize) -> Vec<&'static str> {
    vec![kind; repeat]
}

const HEAD: [&str; 2] = ["response.created", "response.in_progress"];

fn message_events(text_deltas: usize) -> Vec<&'static str> {
    let mut v = vec!["response.output_item.added", "response.content_part.added"];
    v.extend(n("response.output_text.delta", text_deltas));
    v.extend([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    ]);
    v
}

fn call_events(argument_deltas: usize) -> Vec<&'static str> {
    let mut v = vec!["response.output_item.added"];
    v.extend(n("response.function_call_arguments.delta", argument_deltas));
    v.extend([
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]);
    v
}

/// The pieces of an Anthropic fixture's `content_block_delta`s of `delta_type`, non-empty.
fn anthropic_pieces(path: &str, delta_type: &str, field: &str) -> Vec<String> {
    json_payloads(path)
        .iter()
        .filter(|p| p["type"] == "content_block_delta" && p["delta"]["type"] == delta_type)
        .filter_map(|p| p["delta"][field].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn anthropic_thinking_becomes_a_reasoning_item_then_a_message() {
    let path = "anthropic/messages-stream-thinking.sse";
    let thinking = anthropic_pieces(path, "thinking_delta", "thinking");
    let text = anthropic_pieces(path, "text_delta", "text");
    assert!(!thinking.is_empty() && !text.is_empty());
    let events = translate(&anthropic_chunks(path), true);

    let mut want = HEAD.to_vec();
    want.extend([
        "response.output_item.added",
        "response.reasoning_summary_part.added",
    ]);
    want.extend(n("response.reasoning_summary_text.delta", thinking.len()));
    want.extend([
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]);
    want.extend(message_events(text.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);

    assert_eq!(
        deltas(&events, "response.reasoning_summary_text.delta"),
        thinking.concat()
    );
    assert_eq!(deltas(&events, "response.output_text.delta"), text.concat());
    let done = terminal(&events);
    assert_eq!(done.status, "completed");
    assert_eq!(done.model, "claude-sonnet-4-20250514");
    assert!(done.id.starts_with("resp_"), "{}", done.id);
    assert_eq!(done.output.len(), 2);
    assert_eq!(done.output[0].r#type, "reasoning");
    assert!(done.output[0].id.starts_with("rs_"));
    assert_eq!(
        done.output[0].summary[0].text.as_deref(),
        Some(thinking.concat().as_str())
    );
    assert_eq!(done.output[1].r#type, "message");
    assert!(done.output[1].id.starts_with("msg_"));
    assert_eq!(done.output[1].status.as_deref(), Some("completed"));
    assert_eq!(
        done.output[1].content[0].text.as_deref(),
        Some(text.concat().as_str())
    );
    let usage = done.usage.clone().expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (43, 282, 325)
    );
    // The reasoning item's events name it and its place.
    let summary_delta = events
        .iter()
        .find(|e| e.r#type == "response.reasoning_summary_text.delta")
        .expect("delta");
    assert_eq!(summary_delta.item_id.as_ref(), Some(&done.output[0].id));
    assert_eq!(
        (summary_delta.output_index, summary_delta.summary_index),
        (Some(0), Some(0))
    );
    let text_delta = events
        .iter()
        .find(|e| e.r#type == "response.output_text.delta")
        .expect("delta");
    assert_eq!(text_delta.item_id.as_ref(), Some(&done.output[1].id));
    assert_eq!(
        (text_delta.output_index, text_delta.content_index),
        (Some(1), Some(0))
    );
}

#[test]
fn anthropic_tool_use_becomes_a_message_then_a_function_call() {
    let path = "anthropic/messages-stream-tool-use.sse";
    let text = anthropic_pieces(path, "text_delta", "text");
    let args = anthropic_pieces(path, "input_json_delta", "partial_json");
    let events = translate(&anthropic_chunks(path), true);

    let mut want = HEAD.to_vec();
    want.extend(message_events(text.len()));
    want.extend(call_events(args.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);

    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        "I'll check the current weather in Paris for you."
    );
    assert_eq!(args.concat(), r#"{"location": "Paris"}"#);
    assert_eq!(
        deltas(&events, "response.function_call_arguments.delta"),
        args.concat()
    );
    let added = &events[HEAD.len() + message_events(text.len()).len()];
    let item = added.item.as_ref().expect("item");
    assert_eq!(item.r#type, "function_call");
    assert!(item.id.starts_with("fc_"), "{}", item.id);
    assert_eq!(
        item.call_id.as_deref(),
        Some("toolu_01NRLabsLyVHZPKxbKvkfSMn")
    );
    assert_eq!(item.name.as_deref(), Some("get_weather"));
    assert_eq!(item.status.as_deref(), Some("in_progress"));
    assert_eq!(item.arguments.as_deref(), Some(""));

    let args_done = events
        .iter()
        .find(|e| e.r#type == "response.function_call_arguments.done")
        .expect("done");
    assert_eq!(args_done.arguments.as_deref(), Some(args.concat().as_str()));
    let done = terminal(&events);
    assert_eq!(
        done.output[1].arguments.as_deref(),
        Some(args.concat().as_str())
    );
    assert_eq!(done.output[1].status.as_deref(), Some("completed"));
    let usage = done.usage.clone().expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (377, 65, 442)
    );
}

#[test]
fn anthropic_refusal_is_an_incomplete_response_with_a_refusal_part() {
    let path = "anthropic/messages-stream-refusal-no-content.sse";
    let events = translate(&anthropic_chunks(path), true);
    let mut want = HEAD.to_vec();
    want.extend([
        "response.output_item.added",
        "response.content_part.added",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]);
    assert_eq!(types(&events), want);
    let explanation = json_payloads(path)
        .iter()
        .find_map(|p| {
            p["delta"]["stop_details"]["explanation"]
                .as_str()
                .map(str::to_owned)
        })
        .expect("explanation");
    assert_eq!(deltas(&events, "response.refusal.delta"), explanation);
    let refusal_done = events
        .iter()
        .find(|e| e.r#type == "response.refusal.done")
        .expect("done");
    assert_eq!(refusal_done.refusal.as_deref(), Some(explanation.as_str()));
    let done = terminal(&events);
    assert_eq!(done.status, "incomplete");
    assert_eq!(done.incomplete_reason.as_deref(), Some("content_filter"));
    assert_eq!(done.output[0].status.as_deref(), Some("incomplete"));
    assert_eq!(done.output[0].content[0].r#type, "refusal");
}

#[test]
fn gemini_function_call_with_thought_signature() {
    let events = translate(
        &gemini_chunks("gemini/stream-function-call-thought-signature.sse"),
        true,
    );
    let mut want = HEAD.to_vec();
    want.extend(call_events(1));
    want.push("response.completed");
    assert_eq!(types(&events), want);
    assert_eq!(
        deltas(&events, "response.function_call_arguments.delta"),
        "{}"
    );
    let done = terminal(&events);
    assert_eq!(done.model, "gemini-3-pro-preview");
    let call = &done.output[0];
    assert_eq!(call.name.as_deref(), Some("get_country"));
    assert!(call.call_id.as_deref().is_some_and(|id| !id.is_empty()));
    let usage = done.usage.clone().expect("usage");
    // Thoughts count as output, as OpenAI counts reasoning tokens.
    assert_eq!(
        (
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
            usage.reasoning_tokens
        ),
        (29, 212, 241, Some(202))
    );
}

#[test]
fn ollama_text_stream() {
    let path = "ollama/chat-stream.ndjson";
    let pieces: Vec<String> = String::from_utf8(fixture(path))
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter_map(|v| v["message"]["content"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .collect();
    let events = translate(&ollama_chunks(path), true);
    let mut want = HEAD.to_vec();
    want.extend(message_events(pieces.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        pieces.concat()
    );
    let text_done = events
        .iter()
        .find(|e| e.r#type == "response.output_text.done")
        .expect("done");
    assert_eq!(text_done.text.as_deref(), Some(pieces.concat().as_str()));
    let done = terminal(&events);
    assert_eq!(done.model, "gemma3:1b");
    let usage = done.usage.clone().expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (16, 22, 38)
    );
}

/// Tool call argument pieces of an OpenAI stream fixture, by call index.
fn openai_arguments(path: &str, index: u64) -> Vec<String> {
    json_payloads(path)
        .iter()
        .flat_map(|p| p["choices"].as_array().cloned().unwrap_or_default())
        .flat_map(|c| {
            c["delta"]["tool_calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|t| t["index"] == index)
        .filter_map(|t| t["function"]["arguments"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn openai_tool_call_stream_with_usage() {
    let path = "openai/chat-stream-tool-call-args-usage.sse";
    let args = openai_arguments(path, 0);
    let events = translate(&openai_chunks(path), true);
    let mut want = HEAD.to_vec();
    want.extend(call_events(args.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);
    assert_eq!(args.concat(), r#"{"city":"Mexico City"}"#);
    let done = terminal(&events);
    assert_eq!(
        done.output[0].arguments.as_deref(),
        Some(args.concat().as_str())
    );
    assert_eq!(
        done.output[0].call_id.as_deref(),
        Some("call_LwxJUB9KppVyogRRLQsamRJv")
    );
    let wire_usage = json_payloads(path)
        .into_iter()
        .rev()
        .find(|p| p["usage"].is_object())
        .expect("usage chunk")["usage"]
        .clone();
    let usage = done.usage.clone().expect("usage");
    assert_eq!(
        Some(usage.input_tokens),
        wire_usage["prompt_tokens"].as_u64()
    );
    assert_eq!(
        Some(usage.output_tokens),
        wire_usage["completion_tokens"].as_u64()
    );
    assert_eq!(
        Some(usage.total_tokens),
        wire_usage["total_tokens"].as_u64()
    );
    assert_eq!(
        usage.cached_tokens,
        wire_usage["prompt_tokens_details"]["cached_tokens"].as_u64()
    );
    assert_eq!(
        usage.reasoning_tokens,
        wire_usage["completion_tokens_details"]["reasoning_tokens"].as_u64()
    );
}

#[test]
fn openai_parallel_tool_calls_are_one_item_each() {
    let path = "openai/chat-stream-parallel-tool-calls.sse";
    let first = openai_arguments(path, 0);
    let second = openai_arguments(path, 1);
    let events = translate(&openai_chunks(path), true);
    let mut want = HEAD.to_vec();
    want.extend(call_events(first.len()));
    want.extend(call_events(second.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);
    let done = terminal(&events);
    let names: Vec<_> = done.output.iter().map(|i| i.name.as_deref()).collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[0], Some("get_country"));
    assert_eq!(
        done.output[0].arguments.as_deref(),
        Some(first.concat().as_str())
    );
    assert_eq!(
        done.output[1].arguments.as_deref(),
        Some(second.concat().as_str())
    );
    assert_ne!(done.output[0].id, done.output[1].id);
    // Each call's events carry its own output_index.
    let indexes: Vec<_> = events
        .iter()
        .filter(|e| e.r#type == "response.function_call_arguments.done")
        .map(|e| e.output_index)
        .collect();
    assert_eq!(indexes, [Some(0), Some(1)]);
}

#[test]
fn openai_text_stream() {
    let path = "openai/chat-stream-text-include-usage.sse";
    let pieces: Vec<String> = json_payloads(path)
        .iter()
        .flat_map(|p| p["choices"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["delta"]["content"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .collect();
    let events = translate(&openai_chunks(path), true);
    let mut want = HEAD.to_vec();
    want.extend(message_events(pieces.len()));
    want.push("response.completed");
    assert_eq!(types(&events), want);
    assert_eq!(
        deltas(&events, "response.output_text.delta"),
        pieces.concat()
    );
    assert!(terminal(&events).usage.is_some());
}

#[test]
fn a_non_streamed_answer_is_one_terminal_event() {
    let body = fixture("openai/chat-completion-tool-calls.json");
    let chunk = openai::response::parse_completion("openai", &body).expect("parses");
    let events = translate(&[chunk], false);
    assert_eq!(types(&events), ["response.completed"]);
    assert_eq!(events[0].sequence_number, 0);
    let wire: Value = serde_json::from_slice(&body).expect("json");
    let calls = wire["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("calls");
    let done = terminal(&events);
    assert_eq!(done.output.len(), calls.len());
    for (item, call) in done.output.iter().zip(calls) {
        assert_eq!(item.r#type, "function_call");
        assert_eq!(item.status.as_deref(), Some("completed"));
        assert_eq!(item.call_id.as_deref(), call["id"].as_str());
        assert_eq!(item.name.as_deref(), call["function"]["name"].as_str());
        assert_eq!(
            item.arguments.as_deref(),
            call["function"]["arguments"].as_str()
        );
    }
    assert_eq!(
        done.usage.as_ref().map(|u| u.total_tokens),
        wire["usage"]["total_tokens"].as_u64()
    );
}

#[test]
fn a_non_streamed_text_answer_cut_by_max_tokens_is_incomplete() {
    let body = fixture("gemini/generate-content-max-tokens-no-parts.json");
    let chunk = gemini::response::parse_completion("gemini", "m", &body).expect("parses");
    let events = translate(&[chunk], false);
    assert_eq!(types(&events), ["response.incomplete"]);
    let done = terminal(&events);
    assert_eq!(done.status, "incomplete");
    assert_eq!(done.incomplete_reason.as_deref(), Some("max_output_tokens"));
}

/// What OpenAI's SDKs do with a stream (`openai` Python's `ResponseStreamState`): start from
/// `response.created`'s response, append items and parts as they are added, append deltas by
/// `output_index` / `content_index`. Done on the JSON the client receives, it must end with
/// the output `response.completed` holds.
#[test]
fn an_sdk_accumulating_the_json_events_gets_the_completed_output() {
    let events = translate(
        &anthropic_chunks("anthropic/messages-stream-tool-use.sse"),
        true,
    );
    let json: Vec<Value> = events
        .iter()
        .map(modelgate::responses::event_to_json)
        .collect();
    let mut snapshot = json[0]["response"].clone();
    assert_eq!(json[0]["type"], "response.created");
    for event in &json[1..] {
        let output = snapshot["output"].as_array_mut().expect("output list");
        let at = |e: &Value, key: &str| e[key].as_u64().expect("index") as usize;
        match event["type"].as_str().expect("type") {
            "response.output_item.added" => output.push(event["item"].clone()),
            "response.content_part.added" => {
                let item = &mut output[at(event, "output_index")];
                item["content"]
                    .as_array_mut()
                    .expect("content list")
                    .push(event["part"].clone());
            }
            "response.output_text.delta" => {
                let item = &mut output[at(event, "output_index")];
                let part = &mut item["content"][at(event, "content_index")];
                let text = format!(
                    "{}{}",
                    part["text"].as_str().expect("text"),
                    event["delta"].as_str().expect("delta")
                );
                part["text"] = Value::String(text);
            }
            "response.function_call_arguments.delta" => {
                let item = &mut output[at(event, "output_index")];
                let args = format!(
                    "{}{}",
                    item["arguments"].as_str().expect("arguments"),
                    event["delta"].as_str().expect("delta")
                );
                item["arguments"] = Value::String(args);
            }
            _ => {}
        }
    }
    let completed = json.last().expect("terminal");
    assert_eq!(completed["type"], "response.completed");
    let final_output = completed["response"]["output"].as_array().expect("output");
    let accumulated = snapshot["output"].as_array().expect("output");
    assert_eq!(accumulated.len(), final_output.len());
    for (got, want) in accumulated.iter().zip(final_output) {
        assert_eq!(got["id"], want["id"]);
        assert_eq!(got["content"], want["content"]);
        assert_eq!(got["arguments"], want["arguments"]);
        assert_eq!(got["call_id"], want["call_id"]);
    }
    assert_eq!(completed["response"]["usage"]["input_tokens"], 377);
    assert_eq!(completed["response"]["object"], "response");
}
