//! The state machine and the stream around it, fed hand-made chunks for what no recording
//! shows: text and refusal in one message, cut answers, errors before and after the start.

use futures::StreamExt;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, Choice, Delta, ResponseEvent, ResponseRequest, ToolCall, Usage,
};

use super::{Translator, from_chat};
use crate::providers::ChunkStream;

fn delta(delta: Delta) -> ChatCompletionChunk {
    ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        model: "upstream-model".into(),
        created: 1_700_000_000,
        choices: vec![Choice {
            index: 0,
            delta: Some(delta),
            finish_reason: None,
            logprobs: None,
        }],
        ..Default::default()
    }
}

fn text(t: &str) -> ChatCompletionChunk {
    delta(Delta {
        content: Some(t.into()),
        ..Default::default()
    })
}

fn finish(reason: &str) -> ChatCompletionChunk {
    let mut chunk = delta(Delta::default());
    chunk.choices[0].finish_reason = Some(reason.into());
    chunk
}

fn types(events: &[ResponseEvent]) -> Vec<&str> {
    events.iter().map(|e| e.r#type.as_str()).collect()
}

fn run(chunks: &[ChatCompletionChunk], stream: bool) -> Vec<ResponseEvent> {
    let mut t = Translator::new("alias", stream);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(t.chunk(c));
    }
    out.extend(t.finish());
    out
}

#[test]
fn the_response_starts_in_progress_with_the_upstream_model_and_no_output() {
    let events = run(&[text("Hi"), finish("stop")], true);
    for e in &events[..2] {
        let r = e.response.as_ref().expect("response");
        assert_eq!(r.status, "in_progress");
        assert_eq!(r.model, "upstream-model");
        assert_eq!(r.created_at, 1_700_000_000);
        assert!(r.output.is_empty() && r.usage.is_none());
    }
    let created = events[0].response.as_ref().expect("response");
    let done = events
        .last()
        .and_then(|e| e.response.as_ref())
        .expect("response");
    assert_eq!(created.id, done.id);
    assert_eq!(done.status, "completed");
    // The added message is empty and in progress; the done one is whole.
    let added = events[2].item.as_ref().expect("item");
    assert_eq!(
        (added.status.as_deref(), added.role.as_deref()),
        (Some("in_progress"), Some("assistant"))
    );
    assert!(added.content.is_empty());
    let part = events[3].part.as_ref().expect("part");
    assert_eq!(
        (part.r#type.as_str(), part.text.as_deref()),
        ("output_text", Some(""))
    );
    let item_done = events[events.len() - 2].item.as_ref().expect("item");
    assert_eq!(item_done.status.as_deref(), Some("completed"));
    assert_eq!(item_done.content[0].text.as_deref(), Some("Hi"));
}

#[test]
fn refusal_after_text_is_a_second_part_of_the_same_message() {
    let refusal = delta(Delta {
        refusal: Some("I can't".into()),
        ..Default::default()
    });
    let events = run(&[text("Well."), refusal, finish("stop")], true);
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.content_part.added",
            "response.refusal.delta",
            "response.refusal.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[7].content_index, Some(1));
    assert_eq!(events[8].content_index, Some(1));
    assert_eq!(events[9].refusal.as_deref(), Some("I can't"));
    let done = events
        .last()
        .and_then(|e| e.response.as_ref())
        .expect("response");
    let parts: Vec<_> = done.output[0]
        .content
        .iter()
        .map(|p| p.r#type.as_str())
        .collect();
    assert_eq!(parts, ["output_text", "refusal"]);
}

#[test]
fn length_makes_the_response_and_its_open_item_incomplete() {
    let events = run(&[text("Once upon"), finish("length")], true);
    let last = events.last().expect("event");
    assert_eq!(last.r#type, "response.incomplete");
    let r = last.response.as_ref().expect("response");
    assert_eq!(r.status, "incomplete");
    assert_eq!(r.incomplete_reason.as_deref(), Some("max_output_tokens"));
    assert_eq!(r.output[0].status.as_deref(), Some("incomplete"));
}

#[test]
fn text_then_calls_then_usage_after_finish() {
    let call = |index: u32, id: Option<&str>, args: &str| {
        delta(Delta {
            tool_calls: vec![ToolCall {
                index,
                id: id.map(str::to_owned),
                r#type: id.map(|_| "function".into()),
                name: id.map(|_| format!("f{index}")),
                arguments: args.into(),
            }],
            ..Default::default()
        })
    };
    let usage = ChatCompletionChunk {
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            total_tokens: 0,
            cached_tokens: Some(3),
            reasoning_tokens: Some(2),
        }),
        ..Default::default()
    };
    let chunks = [
        text("Let me look."),
        call(0, Some("call_a"), ""),
        call(0, None, "{\"a\":"),
        call(0, None, "1}"),
        call(1, Some("call_b"), "{}"),
        finish("tool_calls"),
        usage,
    ];
    let events = run(&chunks, true);
    let done = events
        .last()
        .and_then(|e| e.response.as_ref())
        .expect("response");
    let kinds: Vec<_> = done.output.iter().map(|i| i.r#type.as_str()).collect();
    assert_eq!(kinds, ["message", "function_call", "function_call"]);
    assert_eq!(done.output[1].call_id.as_deref(), Some("call_a"));
    assert_eq!(done.output[1].name.as_deref(), Some("f0"));
    assert_eq!(done.output[1].arguments.as_deref(), Some("{\"a\":1}"));
    assert_eq!(done.output[2].call_id.as_deref(), Some("call_b"));
    assert_eq!(done.output[2].arguments.as_deref(), Some("{}"));
    let usage = done.usage.clone().expect("usage");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (10, 5, 15)
    );
    assert_eq!(
        (usage.cached_tokens, usage.reasoning_tokens),
        (Some(3), Some(2))
    );
    let arg_deltas: Vec<_> = events
        .iter()
        .filter(|e| e.r#type == "response.function_call_arguments.delta")
        .map(|e| (e.output_index, e.delta.as_deref()))
        .collect();
    assert_eq!(
        arg_deltas,
        [
            (Some(1), Some("{\"a\":")),
            (Some(1), Some("1}")),
            (Some(2), Some("{}"))
        ]
    );
}

#[test]
fn an_answer_without_chunks_still_completes() {
    let events = run(&[], true);
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.in_progress",
            "response.completed"
        ]
    );
    let done = events[2].response.as_ref().expect("response");
    assert_eq!(done.model, "alias");
    assert!(done.output.is_empty());
}

fn chunks(items: Vec<Result<ChatCompletionChunk, GatewayError>>) -> ChunkStream {
    Box::pin(futures::stream::iter(items))
}

fn request(stream: bool) -> ResponseRequest {
    ResponseRequest {
        model: "alias".into(),
        stream,
        ..Default::default()
    }
}

#[tokio::test]
async fn an_error_before_the_answer_starts_is_the_futures() {
    let started = Box::pin(async { Err(GatewayError::new(ErrorKind::RateLimited, "slow down")) });
    let err = from_chat(request(true), started)
        .await
        .err()
        .expect("error");
    assert_eq!(err.kind, ErrorKind::RateLimited);

    let failing_first = chunks(vec![Err(GatewayError::new(ErrorKind::Unavailable, "down"))]);
    let err = from_chat(request(true), Box::pin(async move { Ok(failing_first) }))
        .await
        .err()
        .expect("error");
    assert_eq!(err.kind, ErrorKind::Unavailable);
}

#[tokio::test]
async fn an_error_mid_stream_is_passed_through_and_ends_the_stream() {
    let items = chunks(vec![
        Ok(text("Hel")),
        Err(GatewayError::new(ErrorKind::Unavailable, "cut")),
        Ok(text("lo")),
    ]);
    let events: Vec<_> = from_chat(request(true), Box::pin(async move { Ok(items) }))
        .await
        .expect("started")
        .collect()
        .await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| e.as_ref().map(|e| e.r#type.as_str()).map_err(|e| e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            Ok("response.created"),
            Ok("response.in_progress"),
            Ok("response.output_item.added"),
            Ok("response.content_part.added"),
            Ok("response.output_text.delta"),
            Err(ErrorKind::Unavailable),
        ]
    );
}

#[tokio::test]
async fn a_non_streamed_request_gets_one_event() {
    let mut answer = text("Hello");
    answer.choices[0].finish_reason = Some("stop".into());
    answer.usage = Some(Usage {
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 2,
        ..Default::default()
    });
    let items = chunks(vec![Ok(answer)]);
    let events: Vec<_> = from_chat(request(false), Box::pin(async move { Ok(items) }))
        .await
        .expect("started")
        .collect()
        .await;
    assert_eq!(events.len(), 1);
    let event = events[0].as_ref().expect("event");
    assert_eq!(
        (event.r#type.as_str(), event.sequence_number),
        ("response.completed", 0)
    );
    let r = event.response.as_ref().expect("response");
    assert_eq!(r.output[0].content[0].text.as_deref(), Some("Hello"));
    assert_eq!(r.usage.as_ref().map(|u| u.total_tokens), Some(2));
}
