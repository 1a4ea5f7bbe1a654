use prost::Message;
use serde_json::{Value, json};

use super::*;
use crate::v1::{ResponseObject, ResponseUsage};

const STREAMS: &[(&str, &str)] = &[
    (
        "web search",
        include_str!("testdata/openai-web-search-tool.1.chunks.txt"),
    ),
    (
        "reasoning + function calls",
        include_str!("testdata/openai-reasoning-encrypted-content.1.chunks.txt"),
    ),
    ("error", include_str!("testdata/openai-error.1.chunks.txt")),
    ("text", include_str!("testdata/openai-phase.1.chunks.txt")),
    (
        "azure reasoning summaries",
        include_str!("testdata/azure-gpt5-reasoning-multi-summary-with-encryption.chunks.txt"),
    ),
];

const RESPONSES: &[&str] = &[
    include_str!("testdata/openai-web-search-tool.1.json"),
    include_str!("testdata/openai-reasoning-encrypted-content.1.json"),
];

/// A `Struct` holds doubles only: a JSON `1.0` comes back as `1` (see `json_number`).
fn integral_floats_as_integers(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => crate::json::json_number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(integral_floats_as_integers).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, integral_floats_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("recorded JSON")
}

#[test]
fn every_recorded_event_round_trips_through_the_protobuf_message() {
    let mut events = 0;
    for (name, stream) in STREAMS {
        for line in stream.lines().filter(|l| !l.trim().is_empty()) {
            let original = parse(line);
            let event = event_from_json(line.as_bytes()).expect("event");
            // Across the core-facade gRPC hop too.
            let event = ResponseEvent::decode(event.encode_to_vec().as_slice()).expect("decode");
            let back = event_to_json(&event);
            assert_eq!(
                back,
                integral_floats_as_integers(original),
                "{name}: {line}"
            );
            events += 1;
        }
    }
    assert!(events > 300, "{events} events");
}

#[test]
fn recorded_events_land_in_typed_fields() {
    let mut seen = std::collections::BTreeSet::new();
    for (_, stream) in STREAMS {
        for line in stream.lines().filter(|l| !l.trim().is_empty()) {
            let e = event_from_json(line.as_bytes()).expect("event");
            assert!(!e.r#type.is_empty());
            let extra = e.extra.clone().unwrap_or_default();
            for key in [
                "type",
                "sequence_number",
                "response",
                "item",
                "part",
                "delta",
                "item_id",
            ] {
                assert!(
                    !extra.fields.contains_key(key),
                    "{key} left in extra: {line}"
                );
            }
            if let Some(r) = &e.response {
                assert!(r.id.starts_with("resp_"), "{line}");
                seen.insert(format!("status:{}", r.status));
                if let Some(u) = &r.usage {
                    seen.insert(format!("usage:{}", u.total_tokens > 0));
                }
                if let Some(err) = &r.error {
                    seen.insert(format!("error:{}", err.code));
                }
            }
            if let Some(item) = &e.item {
                seen.insert(format!("item:{}", item.r#type));
                if item.encrypted_content.is_some() {
                    seen.insert("encrypted".to_owned());
                }
                if item.call_id.is_some() && item.name.is_some() {
                    seen.insert("function_call".to_owned());
                }
            }
            if let Some(err) = &e.error {
                seen.insert(format!("event_error:{}", err.code));
            }
            if e.delta.is_some() {
                seen.insert(format!("delta:{}", e.r#type));
            }
        }
    }
    for expected in [
        "status:completed",
        "status:failed",
        "usage:true",
        "error:insufficient_quota",
        "event_error:insufficient_quota",
        "item:web_search_call",
        "item:reasoning",
        "item:message",
        "encrypted",
        "function_call",
        "delta:response.output_text.delta",
        "delta:response.reasoning_summary_text.delta",
        "delta:response.function_call_arguments.delta",
    ] {
        assert!(seen.contains(expected), "{expected} not seen in {seen:?}");
    }
}

#[test]
fn recorded_response_objects_round_trip() {
    for body in RESPONSES {
        let original = parse(body);
        let response = response_from_json(body.as_bytes()).expect("response");
        let response = ResponseObject::decode(response.encode_to_vec().as_slice()).expect("decode");
        assert!(response.usage.as_ref().is_some_and(|u| u.total_tokens > 0));
        assert!(!response.output.is_empty());
        assert_eq!(
            response_to_json(&response),
            integral_floats_as_integers(original)
        );
    }
}

#[test]
fn modelgate_written_response_carries_what_openai_always_writes() {
    let response = ResponseObject {
        id: "resp_1".to_owned(),
        created_at: 1_741_290_958,
        status: "in_progress".to_owned(),
        model: "gpt-4.1".to_owned(),
        ..Default::default()
    };
    assert_eq!(
        response_to_json(&response),
        json!({"id": "resp_1", "object": "response", "created_at": 1_741_290_958,
               "status": "in_progress", "model": "gpt-4.1", "output": [],
               "usage": null, "error": null, "incomplete_details": null})
    );
    let done = ResponseObject {
        status: "incomplete".to_owned(),
        incomplete_reason: Some("max_output_tokens".to_owned()),
        usage: Some(ResponseUsage {
            input_tokens: 3,
            output_tokens: 5,
            total_tokens: 8,
            ..Default::default()
        }),
        ..response
    };
    let json = response_to_json(&done);
    assert_eq!(
        json["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(
        json["usage"],
        json!({"input_tokens": 3, "output_tokens": 5, "total_tokens": 8,
               "input_tokens_details": {"cached_tokens": 0},
               "output_tokens_details": {"reasoning_tokens": 0}})
    );
}

#[test]
fn real_request_bodies_round_trip() {
    let bodies = include_str!("testdata/requests.jsonl")
        .lines()
        .map(str::to_owned)
        .chain([lobechat_shaped_body().to_string()]);
    for body in bodies {
        let request = request_from_json(body.as_bytes()).expect("request");
        let request = ResponseRequest::decode(request.encode_to_vec().as_slice()).expect("decode");
        assert_eq!(request_to_json(&request), parse(&body), "{body}");
    }
}

/// The fields LobeChat's Responses client sends, with every item and part kind.
fn lobechat_shaped_body() -> Value {
    json!({
        "model": "gpt-5-mini",
        "input": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "input_text", "text": "What is in this image and file?"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"},
                {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}
            ]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAB"},
            {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{\"q\":1}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "42"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "42."}]}
        ],
        "tools": [
            {"type": "function", "name": "lookup", "description": "Look up", "parameters": {"type": "object", "properties": {"q": {"type": "integer"}}}, "strict": false},
            {"type": "web_search"}
        ],
        "tool_choice": {"type": "function", "name": "lookup"},
        "reasoning": {"effort": "medium", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "store": false,
        "stream": true,
        "max_output_tokens": 4096,
        "temperature": 0.7,
        "top_p": 1,
        "safety_identifier": "user-hash",
        "prompt_cache_key": "session-1",
        "user": "u-1",
        "text": {"verbosity": "low", "format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true}}
    })
}

#[test]
fn string_input_and_list_input() {
    let r = request_from_json(br#"{"model":"m","input":"hi"}"#).expect("request");
    assert_eq!(r.input_text.as_deref(), Some("hi"));
    assert!(r.input.is_empty());

    let r = request_from_json(
        br#"{"model":"m","input":[{"role":"user","content":"hi"},{"type":"message","role":"user","content":[{"type":"input_text","text":"yo"}]}]}"#,
    )
    .expect("request");
    assert_eq!(r.input_text, None);
    assert_eq!(r.input[0].r#type, "message");
    assert!(r.input[0].implicit_type);
    assert_eq!(r.input[0].content_text.as_deref(), Some("hi"));
    assert!(!r.input[1].implicit_type);
    assert_eq!(r.input[1].content[0].text.as_deref(), Some("yo"));
    // An item without type is written back without one.
    let back = request_to_json(&r);
    assert_eq!(back["input"][0], json!({"role": "user", "content": "hi"}));
}

#[test]
fn tool_choice_string_and_object() {
    let r = request_from_json(br#"{"model":"m","input":"x","tool_choice":"required"}"#)
        .expect("request");
    let choice = r.tool_choice.expect("choice");
    assert_eq!(choice.mode.as_deref(), Some("required"));
    assert_eq!(choice.r#type, None);

    let body = br#"{"model":"m","input":"x","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"f"}]}}"#;
    let r = request_from_json(body).expect("request");
    let choice = r.tool_choice.clone().expect("choice");
    assert_eq!(choice.mode, None);
    assert_eq!(choice.r#type.as_deref(), Some("allowed_tools"));
    assert!(choice.extra.is_some_and(|e| e.fields.contains_key("tools")));
    assert_eq!(
        request_to_json(&r),
        parse(std::str::from_utf8(body).expect("utf8"))
    );

    let r = request_from_json(
        br#"{"model":"m","input":"x","tool_choice":{"type":"function","name":"f"}}"#,
    )
    .expect("request");
    assert_eq!(r.tool_choice.expect("choice").name.as_deref(), Some("f"));
}

#[test]
fn unmodelled_fields_go_to_extra_at_every_level() {
    let body = lobechat_shaped_body();
    let r = request_from_json(body.to_string().as_bytes()).expect("request");
    let has = |s: &Option<prost_types::Struct>, key: &str| {
        s.as_ref().is_some_and(|s| s.fields.contains_key(key))
    };
    assert!(has(&r.extra, "include"));
    assert!(!has(&r.extra, "safety_identifier"));
    assert_eq!(r.safety_identifier.as_deref(), Some("user-hash"));
    assert_eq!(r.store, Some(false));
    assert_eq!(r.max_output_tokens, Some(4096));
    assert_eq!(r.input[3].call_id.as_deref(), Some("call_1"));
    assert_eq!(r.input[4].output.as_deref(), Some("42"));
    assert_eq!(r.input[2].encrypted_content.as_deref(), Some("gAAAAB"));
    assert_eq!(
        r.input[1].content[2].file_data.as_deref(),
        Some("data:application/pdf;base64,JVBERi0=")
    );
    assert!(r.tools[0].parameters.is_some());
    let format = r.text.and_then(|t| t.format).expect("format");
    assert_eq!(format.name.as_deref(), Some("answer"));
}

fn bad(body: &str) -> (Option<String>, String) {
    let err = request_from_json(body.as_bytes()).expect_err("400");
    assert_eq!(err.http_status(), 400);
    assert_eq!(err.openai_type(), "invalid_request_error");
    (err.param.clone(), err.message.clone())
}

#[test]
fn wrong_types_name_the_field_path() {
    let (param, message) = bad(
        r#"{"model":"m","input":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":[{"type":5,"text":"x"}]}]}"#,
    );
    assert_eq!(param.as_deref(), Some("input[2].content[0].type"));
    assert_eq!(
        message,
        "Invalid type for 'input[2].content[0].type': expected a string, but got an integer instead."
    );
    let (param, _) = bad(
        r#"{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":"{}"}]}"#,
    );
    assert_eq!(param.as_deref(), Some("tools[0].parameters"));
    let (param, _) = bad(r#"{"model":"m","input":[{"content":"x"}]}"#);
    assert_eq!(param.as_deref(), Some("input[0].type"));
    let (param, _) = bad(r#"{"model":"m","input":"x","temperature":"hot"}"#);
    assert_eq!(param.as_deref(), Some("temperature"));
    let (param, _) = bad(r#"{"model":"m","input":"x","metadata":{"k":1}}"#);
    assert_eq!(param.as_deref(), Some("metadata.k"));
    let (param, _) = bad(r#"{"model":"m","input":5}"#);
    assert_eq!(param.as_deref(), Some("input"));
}

#[test]
fn missing_model_is_a_400_naming_model() {
    for body in [
        r#"{"input":"x"}"#,
        r#"{"model":"","input":"x"}"#,
        r#"{"model":null}"#,
    ] {
        let (param, message) = bad(body);
        assert_eq!(param.as_deref(), Some("model"));
        assert_eq!(message, "Missing required parameter: 'model'.");
    }
}

#[test]
fn never_panics_on_odd_input() {
    for body in [
        "",
        "[]",
        "null",
        "{",
        r#"{"model":"m","input":[null]}"#,
        r#"{"model":"m","input":[[]]}"#,
    ] {
        assert!(request_from_json(body.as_bytes()).is_err(), "{body}");
    }
    assert!(event_from_json(b"[1]").is_err());
    let odd = br#"{"type":"x","sequence_number":"7","output_index":-1,"item":{"content":[1]},"part":null,"response":{"output":5,"usage":{"input_tokens":1.5}}}"#;
    let event = event_from_json(odd).expect("object");
    let back = event_to_json(&event);
    // Values of unexpected types come back as they were, from `extra`.
    assert_eq!(back["sequence_number"], json!("7"));
    assert_eq!(back["output_index"], json!(-1));
    assert_eq!(back["item"]["content"], json!([1]));
    assert_eq!(back["response"]["output"], json!(5));
    assert_eq!(back["response"]["usage"]["input_tokens"], json!(1.5));
}

#[test]
fn routing_options_are_read_out_of_the_body_and_not_written_back() {
    let body = json!({
        "model": "m", "input": "hi", "store": false,
        "fallbacks": ["a", {"model": "b"}], "num_retries": 1
    });
    let request = request_from_json(body.to_string().as_bytes()).expect("request");
    let routing = request.routing.clone().expect("routing");
    assert_eq!(routing.fallbacks, ["a", "b"]);
    assert_eq!(routing.num_retries, Some(1));
    assert_eq!(request.extra, None);
    assert_eq!(
        request_to_json(&request),
        json!({"model": "m", "input": "hi", "store": false})
    );
    let err = request_from_json(br#"{"model":"m","input":"x","fallbacks":[1]}"#).expect_err("400");
    assert_eq!(err.param.as_deref(), Some("fallbacks"));
    let err = request_from_json(br#"{"model":"m","input":"x","num_retries":-1}"#).expect_err("400");
    assert_eq!(err.param.as_deref(), Some("num_retries"));
}
