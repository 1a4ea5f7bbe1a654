use super::*;
use modelgate::json::struct_from_map;
use serde_json::{Value, json};

macro_rules! fixture {
    ($path:literal) => {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/",
            $path
        ))
        .expect(concat!("fixture ", $path))
    };
}

/// The JSON payloads of an SSE body's `data:` lines, without `[DONE]`.
fn sse_payloads(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).expect("chunk JSON"))
        .collect()
}

fn role_from_name(name: &str) -> i32 {
    match name {
        "system" => Role::System as i32,
        "developer" => Role::Developer as i32,
        "user" => Role::User as i32,
        "assistant" => Role::Assistant as i32,
        "tool" => Role::Tool as i32,
        other => panic!("role {other}"),
    }
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn usage_from_json(v: &Value) -> Option<Usage> {
    v.as_object()?;
    Some(Usage {
        prompt_tokens: v["prompt_tokens"].as_u64().expect("prompt_tokens"),
        completion_tokens: v["completion_tokens"].as_u64().expect("completion_tokens"),
        total_tokens: v["total_tokens"].as_u64().expect("total_tokens"),
        cached_tokens: v["prompt_tokens_details"]["cached_tokens"].as_u64(),
        reasoning_tokens: v["completion_tokens_details"]["reasoning_tokens"].as_u64(),
    })
}

fn tool_calls_from_json(v: &Value) -> Vec<ToolCall> {
    v.as_array()
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    index: c["index"]
                        .as_u64()
                        .map_or(u32::try_from(i).expect("small"), |n| {
                            u32::try_from(n).expect("small")
                        }),
                    id: opt_str(&c["id"]),
                    r#type: opt_str(&c["type"]),
                    name: opt_str(&c["function"]["name"]),
                    arguments: opt_str(&c["function"]["arguments"]).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn delta_from_json(d: &Value) -> Delta {
    Delta {
        role: d["role"].as_str().map(role_from_name),
        content: opt_str(&d["content"]),
        reasoning_content: opt_str(&d["reasoning_content"]),
        tool_calls: tool_calls_from_json(&d["tool_calls"]),
        refusal: opt_str(&d["refusal"]),
    }
}

/// What the core would send for one OpenAI chunk (or, with `message`
/// instead of `delta`, for one whole completion).
fn chunk_from_json(v: &Value) -> ChatCompletionChunk {
    ChatCompletionChunk {
        id: v["id"].as_str().expect("id").to_owned(),
        model: v["model"].as_str().expect("model").to_owned(),
        created: v["created"].as_i64().expect("created"),
        system_fingerprint: opt_str(&v["system_fingerprint"]),
        choices: v["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .map(|c| Choice {
                index: u32::try_from(c["index"].as_u64().expect("index")).expect("small"),
                delta: Some(delta_from_json(if c.get("message").is_some() {
                    &c["message"]
                } else {
                    &c["delta"]
                })),
                finish_reason: opt_str(&c["finish_reason"]),
                logprobs: c["logprobs"].as_object().cloned().map(struct_from_map),
            })
            .collect(),
        usage: usage_from_json(&v["usage"]),
        service_tier: opt_str(&v["service_tier"]),
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

/// An OpenAI chunk as we render it: without the fields the contract does not
/// carry (`obfuscation`) and without `null` delta fields (we omit unset ones).
fn normalised(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.remove("obfuscation");
        obj.retain(|key, value| !(key == "system_fingerprint" && value.is_null()));
    }
    if let Some(choices) = v["choices"].as_array_mut() {
        for choice in choices {
            if let Some(delta) = choice["delta"].as_object_mut() {
                delta.retain(|_, value| !value.is_null());
            }
        }
    }
    v
}

#[test]
fn openai_stream_fixtures_render_back_identically() {
    for body in [
        fixture!("openai/chat-stream-tool-call-args-usage.sse"),
        fixture!("openai/chat-stream-parallel-tool-calls.sse"),
        fixture!("openai/chat-stream-text-include-usage.sse"),
    ] {
        let payloads = sse_payloads(&body);
        assert!(payloads.len() > 3);
        for original in payloads {
            let chunk = chunk_from_json(&original);
            if chunk.choices.is_empty() {
                // The usage chunk: compare the modelled part of usage.
                let usage = chunk.usage.as_ref().expect("usage chunk");
                let rendered = parse(&usage_chunk_json(
                    &chunk.id,
                    &chunk.model,
                    chunk.created,
                    chunk.system_fingerprint.as_deref(),
                    usage,
                ));
                assert_eq!(rendered["choices"], json!([]));
                assert_eq!(rendered["object"], "chat.completion.chunk");
                assert_eq!(rendered["id"], original["id"]);
                assert_eq!(
                    rendered["system_fingerprint"],
                    original["system_fingerprint"]
                );
                for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
                    assert_eq!(rendered["usage"][key], original["usage"][key], "{key}");
                }
                assert_eq!(
                    rendered["usage"]["prompt_tokens_details"]["cached_tokens"],
                    original["usage"]["prompt_tokens_details"]["cached_tokens"]
                );
                continue;
            }
            let rendered = parse(&chunk_json(&chunk, true));
            assert_eq!(rendered, normalised(original.clone()), "{original}");
        }
    }
}

#[test]
fn chunk_json_exact_bytes_and_key_order() {
    let chunk = ChatCompletionChunk {
        id: "chatcmpl-1".into(),
        model: "gpt-4o".into(),
        created: 1_754_693_440,
        system_fingerprint: Some("fp_1".into()),
        choices: vec![Choice {
            index: 0,
            delta: Some(Delta {
                role: Some(Role::Assistant as i32),
                content: Some("Hi".into()),
                ..Delta::default()
            }),
            finish_reason: None,
            logprobs: None,
        }],
        usage: None,
        service_tier: Some("default".into()),
    };
    assert_eq!(
        String::from_utf8(chunk_json(&chunk, true)).expect("utf-8"),
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1754693440,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}"#
    );

    // Without include_usage there is no usage key; unset optional fields are omitted.
    let bare = ChatCompletionChunk {
        system_fingerprint: None,
        service_tier: None,
        choices: vec![Choice {
            index: 1,
            delta: None,
            finish_reason: Some("stop".into()),
            logprobs: None,
        }],
        ..chunk
    };
    assert_eq!(
        String::from_utf8(chunk_json(&bare, false)).expect("utf-8"),
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1754693440,"model":"gpt-4o","choices":[{"index":1,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#
    );
}

#[test]
fn chunk_json_delta_fields_usage_and_logprobs() {
    let logprobs = json!({"content": [{"token": "Hi", "logprob": -0.25, "bytes": [72, 105], "top_logprobs": []}], "refusal": null});
    let Value::Object(logprobs_map) = logprobs.clone() else {
        panic!("object")
    };
    let chunk = ChatCompletionChunk {
        id: "c".into(),
        model: "m".into(),
        created: 1,
        choices: vec![Choice {
            index: 0,
            delta: Some(Delta {
                role: Some(Role::Tool as i32),
                reasoning_content: Some("think".into()),
                refusal: Some("no".into()),
                tool_calls: vec![
                    ToolCall {
                        index: 0,
                        id: Some("call_a".into()),
                        r#type: None,
                        name: Some("lobe-web-browsing____search____builtin".into()),
                        arguments: String::new(),
                    },
                    ToolCall {
                        index: 1,
                        id: None,
                        r#type: None,
                        name: None,
                        arguments: "{\"q\"".into(),
                    },
                ],
                ..Delta::default()
            }),
            finish_reason: None,
            logprobs: Some(struct_from_map(logprobs_map)),
        }],
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
            total_tokens: 15,
            cached_tokens: Some(4),
            reasoning_tokens: Some(2),
        }),
        ..ChatCompletionChunk::default()
    };
    let v = parse(&chunk_json(&chunk, false));
    let delta = &v["choices"][0]["delta"];
    assert_eq!(delta["role"], "tool");
    assert_eq!(delta["reasoning_content"], "think");
    assert_eq!(delta["refusal"], "no");
    assert!(delta.get("content").is_none());
    assert_eq!(
        delta["tool_calls"],
        json!([
            {"index": 0, "id": "call_a", "type": "function",
             "function": {"name": "lobe-web-browsing____search____builtin", "arguments": ""}},
            {"index": 1, "function": {"arguments": "{\"q\""}}
        ])
    );
    assert_eq!(v["choices"][0]["logprobs"], logprobs);
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
               "prompt_tokens_details": {"cached_tokens": 4},
               "completion_tokens_details": {"reasoning_tokens": 2}})
    );
    assert!(v.get("system_fingerprint").is_none());
    assert!(v.get("service_tier").is_none());
}

fn both_chunk() -> ChatCompletionChunk {
    ChatCompletionChunk {
        id: "c".into(),
        model: "m".into(),
        created: 7,
        system_fingerprint: Some("fp".into()),
        choices: vec![Choice {
            index: 0,
            delta: Some(Delta {
                role: Some(Role::Assistant as i32),
                content: Some("Answer".into()),
                reasoning_content: Some("Thought".into()),
                ..Delta::default()
            }),
            finish_reason: Some("stop".into()),
            logprobs: None,
        }],
        usage: Some(Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            ..Usage::default()
        }),
        service_tier: None,
    }
}

#[test]
fn split_reasoning_separates_reasoning_from_content() {
    let pieces = split_reasoning(both_chunk());
    assert_eq!(pieces.len(), 2);
    let first = parse(&chunk_json(&pieces[0], false));
    let second = parse(&chunk_json(&pieces[1], false));
    assert_eq!(
        first["choices"],
        json!([{"index": 0, "delta": {"role": "assistant", "reasoning_content": "Thought"},
                "logprobs": null, "finish_reason": null}])
    );
    assert!(first.get("usage").is_none());
    assert_eq!(first["id"], "c");
    assert_eq!(first["system_fingerprint"], "fp");
    assert_eq!(
        second["choices"],
        json!([{"index": 0, "delta": {"content": "Answer"}, "logprobs": null, "finish_reason": "stop"}])
    );
    assert_eq!(second["usage"]["total_tokens"], 3);
}

#[test]
fn split_reasoning_leaves_other_chunks_alone() {
    let mut only_content = both_chunk();
    if let Some(d) = only_content.choices[0].delta.as_mut() {
        d.reasoning_content = Some(String::new());
    }
    assert_eq!(split_reasoning(only_content.clone()), vec![only_content]);

    let mut only_reasoning = both_chunk();
    if let Some(d) = only_reasoning.choices[0].delta.as_mut() {
        d.content = None;
    }
    assert_eq!(
        split_reasoning(only_reasoning.clone()),
        vec![only_reasoning]
    );

    // DeepSeek's real stream never needs a split, and splitting changes nothing.
    for payload in sse_payloads(&fixture!(
        "openai-compatible/deepseek-chat-stream-reasoning-content.sse"
    )) {
        let chunk = chunk_from_json(&payload);
        assert_eq!(split_reasoning(chunk.clone()), vec![chunk]);
    }
}

#[test]
fn split_reasoning_with_two_choices() {
    let mut chunk = both_chunk();
    chunk.choices.push(Choice {
        index: 1,
        delta: Some(Delta {
            content: Some("Other".into()),
            ..Delta::default()
        }),
        finish_reason: None,
        logprobs: None,
    });
    let pieces = split_reasoning(chunk);
    assert_eq!(pieces.len(), 2);
    assert_eq!(pieces[0].choices.len(), 1);
    assert_eq!(pieces[1].choices.len(), 2);
    for piece in &pieces {
        for choice in &piece.choices {
            assert!(!has_both(choice));
        }
    }
}

#[test]
fn builder_merges_streamed_tool_call_fragments() {
    let mut builder = CompletionBuilder::new();
    for payload in sse_payloads(&fixture!("openai/chat-stream-tool-call-args-usage.sse")) {
        builder.push(chunk_from_json(&payload));
    }
    let v = parse(&builder.finish());
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["id"], "chatcmpl-C2QD2NQfRbWW5ww5we2oDjS1mgHtK");
    assert_eq!(v["model"], "gpt-4o-2024-08-06");
    assert_eq!(v["created"], 1_754_693_440);
    assert_eq!(v["system_fingerprint"], "fp_07871e2ad8");
    assert_eq!(v["service_tier"], "default");
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["logprobs"], Value::Null);
    let message = &choice["message"];
    assert_eq!(message["role"], "assistant");
    assert!(
        message.get("content").is_some_and(Value::is_null),
        "{message}"
    );
    let calls = message["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["id"], "call_LwxJUB9KppVyogRRLQsamRJv");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(calls[0]["function"]["arguments"].as_str().expect("string"))
            .expect("valid JSON");
    assert_eq!(args, json!({"city": "Mexico City"}));
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 423, "completion_tokens": 15, "total_tokens": 438,
               "prompt_tokens_details": {"cached_tokens": 0},
               "completion_tokens_details": {"reasoning_tokens": 0}})
    );
}

#[test]
fn builder_merges_parallel_and_interleaved_calls() {
    let mut builder = CompletionBuilder::default();
    for payload in sse_payloads(&fixture!("openai/chat-stream-parallel-tool-calls.sse")) {
        builder.push(chunk_from_json(&payload));
    }
    let v = parse(&builder.finish());
    let calls = v["choices"][0]["message"]["tool_calls"]
        .as_array()
        .expect("tool_calls")
        .clone();
    let names: Vec<_> = calls
        .iter()
        .map(|c| c["function"]["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("get_country"), json!("get_product_name")]);
    let ids: Vec<_> = calls.iter().map(|c| c["id"].clone()).collect();
    assert_eq!(
        ids,
        vec![
            json!("call_q2UyBRP7eXNTzAoR8lEhjc9Z"),
            json!("call_b51ijcpFkDiTQG1bQzsrmtW5")
        ]
    );
    for call in &calls {
        assert_eq!(call["function"]["arguments"], "{}");
    }

    // Fragments of two calls interleaved and out of index order; the second
    // call never gets an id or arguments.
    let fragment =
        |index: u32, id: Option<&str>, name: Option<&str>, args: &str| ChatCompletionChunk {
            id: "x".into(),
            model: "m".into(),
            choices: vec![Choice {
                index: 0,
                delta: Some(Delta {
                    tool_calls: vec![ToolCall {
                        index,
                        id: id.map(str::to_owned),
                        r#type: None,
                        name: name.map(str::to_owned),
                        arguments: args.into(),
                    }],
                    ..Delta::default()
                }),
                finish_reason: None,
                logprobs: None,
            }],
            ..ChatCompletionChunk::default()
        };
    let mut builder = CompletionBuilder::new();
    builder.push(fragment(1, None, Some("second"), ""));
    builder.push(fragment(0, Some("call_first"), Some("first"), "{\"a\":"));
    builder.push(fragment(0, Some("call_ignored"), Some("ignored"), "[1,"));
    builder.push(fragment(0, None, None, "2]}"));
    let v = parse(&builder.finish());
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let calls = choice["message"]["tool_calls"]
        .as_array()
        .expect("tool_calls");
    assert_eq!(calls[0]["id"], "call_first");
    assert_eq!(calls[0]["function"]["name"], "first");
    let args: Value =
        serde_json::from_str(calls[0]["function"]["arguments"].as_str().expect("string"))
            .expect("JSON");
    assert_eq!(args, json!({"a": [1, 2]}));
    assert_eq!(calls[1]["function"]["name"], "second");
    assert_eq!(calls[1]["function"]["arguments"], "{}");
    let generated = calls[1]["id"].as_str().expect("generated id");
    assert!(
        generated.starts_with("call_") && generated.len() == 29,
        "{generated}"
    );
    assert!(v.get("usage").is_none());
}

#[test]
fn builder_renders_a_whole_completion_like_openai() {
    let original: Value =
        serde_json::from_str(&fixture!("openai/chat-completion-tool-calls.json")).expect("JSON");
    let mut builder = CompletionBuilder::new();
    builder.push(chunk_from_json(&original));
    let v = parse(&builder.finish());
    for key in ["id", "object", "created", "model", "service_tier"] {
        assert_eq!(v[key], original[key], "{key}");
    }
    // `"system_fingerprint": null` upstream: omitted.
    assert!(v.get("system_fingerprint").is_none());
    let mut expected_message = original["choices"][0]["message"].clone();
    if let Some(m) = expected_message.as_object_mut() {
        m.remove("refusal");
        m.remove("annotations");
    }
    assert_eq!(v["choices"][0]["message"], expected_message);
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["choices"][0]["logprobs"], Value::Null);
    assert_eq!(v["usage"]["total_tokens"], 95);

    let original: Value =
        serde_json::from_str(&fixture!("openai/chat-completion-text.json")).expect("JSON");
    let mut builder = CompletionBuilder::new();
    builder.push(chunk_from_json(&original));
    let v = parse(&builder.finish());
    assert_eq!(
        v["choices"][0]["message"]["content"],
        original["choices"][0]["message"]["content"]
    );
    assert!(v["choices"][0]["message"].get("tool_calls").is_none());
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
}

#[test]
fn builder_keeps_reasoning_content() {
    let original: Value = serde_json::from_str(&fixture!(
        "openai-compatible/deepseek-chat-completion-reasoning-content.json"
    ))
    .expect("JSON");
    let mut builder = CompletionBuilder::new();
    builder.push(chunk_from_json(&original));
    let v = parse(&builder.finish());
    let message = &v["choices"][0]["message"];
    assert_eq!(
        message["content"],
        original["choices"][0]["message"]["content"]
    );
    assert_eq!(
        message["reasoning_content"],
        original["choices"][0]["message"]["reasoning_content"]
    );
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        415
    );
    assert_eq!(v["system_fingerprint"], "fp_5417b77867_prod0225");

    // The same answer streamed: reasoning and content concatenated.
    let mut builder = CompletionBuilder::new();
    let payloads = sse_payloads(&fixture!(
        "openai-compatible/deepseek-chat-stream-reasoning-content.sse"
    ));
    let mut content = String::new();
    let mut reasoning = String::new();
    for payload in &payloads {
        if let Some(delta) = payload["choices"].get(0).map(|c| &c["delta"]) {
            content.push_str(delta["content"].as_str().unwrap_or_default());
            reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or_default());
        }
        builder.push(chunk_from_json(payload));
    }
    assert!(!content.is_empty() && !reasoning.is_empty());
    let v = parse(&builder.finish());
    assert_eq!(v["choices"][0]["message"]["content"], content);
    assert_eq!(v["choices"][0]["message"]["reasoning_content"], reasoning);
}

#[test]
fn builder_concatenates_logprobs() {
    let lp = |token: &str| {
        let Value::Object(map) = json!({"content": [{"token": token, "logprob": -1}]}) else {
            panic!("object")
        };
        struct_from_map(map)
    };
    let piece = |text: &str| ChatCompletionChunk {
        id: "x".into(),
        choices: vec![Choice {
            index: 0,
            delta: Some(Delta {
                content: Some(text.into()),
                ..Delta::default()
            }),
            finish_reason: None,
            logprobs: Some(lp(text)),
        }],
        ..ChatCompletionChunk::default()
    };
    let mut builder = CompletionBuilder::new();
    builder.push(piece("Hel"));
    builder.push(piece("lo"));
    let v = parse(&builder.finish());
    assert_eq!(v["choices"][0]["message"]["content"], "Hello");
    assert_eq!(
        v["choices"][0]["logprobs"],
        json!({"content": [{"token": "Hel", "logprob": -1}, {"token": "lo", "logprob": -1}]})
    );
}

fn fixture_embeddings() -> (Value, EmbedResponse) {
    let original: Value = serde_json::from_str(&fixture!("openai/embeddings.json")).expect("JSON");
    let data = original["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| Embedding {
            index: u32::try_from(e["index"].as_u64().expect("index")).expect("small"),
            #[allow(clippy::cast_possible_truncation)]
            embedding: e["embedding"]
                .as_array()
                .expect("vector")
                .iter()
                .map(|x| x.as_f64().expect("number") as f32)
                .collect(),
        })
        .collect();
    let resp = EmbedResponse {
        model: original["model"].as_str().expect("model").to_owned(),
        data,
        usage: Some(modelgate::v1::EmbedUsage {
            prompt_tokens: 2,
            total_tokens: 2,
        }),
    };
    (original, resp)
}

#[test]
fn float_embeddings_match_openai() {
    let (original, resp) = fixture_embeddings();
    assert!(resp.data[0].embedding.len() > 200);
    // OpenAI prints the shortest text of each f32; so do we: same JSON value.
    assert_eq!(
        parse(&embeddings_json(&resp, EncodingFormat::Float)),
        original
    );
}

#[test]
fn base64_embeddings_decode_to_the_same_floats() {
    let (_, resp) = fixture_embeddings();
    let v = parse(&embeddings_json(&resp, EncodingFormat::Base64));
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "text-embedding-3-small");
    assert_eq!(v["usage"], json!({"prompt_tokens": 2, "total_tokens": 2}));
    let item = &v["data"][0];
    assert_eq!(item["object"], "embedding");
    assert_eq!(item["index"], 0);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(item["embedding"].as_str().expect("base64 string"))
        .expect("valid base64");
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(bytes.len(), resp.data[0].embedding.len() * 4);
    let same_bits = decoded
        .iter()
        .zip(&resp.data[0].embedding)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same_bits);
}

#[test]
fn models_render_like_an_openai_compatible_list() {
    let original: Value =
        serde_json::from_str(&fixture!("openai-compatible/cerebras-models-list.json"))
            .expect("JSON");
    let models: Vec<Model> = original["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| Model {
            id: m["id"].as_str().expect("id").to_owned(),
            created: m["created"].as_i64().expect("created"),
            owned_by: m["owned_by"].as_str().expect("owned_by").to_owned(),
        })
        .collect();
    assert_eq!(parse(&models_json(&models, &HashMap::new())), original);
    assert_eq!(
        parse(&models_json(&[], &HashMap::new())),
        json!({"object": "list", "data": []})
    );

    let alias = Model {
        id: "gpt-4o".into(),
        created: 1_715_367_049,
        owned_by: "modelgate".into(),
    };
    assert_eq!(
        String::from_utf8(model_json(&alias, None)).expect("utf-8"),
        r#"{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"modelgate"}"#
    );
}

#[test]
fn model_metadata_renders_lobechat_keys_after_openai_ones() {
    let model = Model {
        id: "fast".into(),
        created: 0,
        owned_by: "modelgate".into(),
    };
    let full = ModelMetadata {
        display_name: Some("Fast".into()),
        context_window_tokens: Some(128_000),
        max_output: Some(16_384),
        function_call: Some(true),
        vision: Some(false),
        reasoning: Some(true),
        r#type: Some("chat".into()),
        pricing: Some(modelgate::v1::ModelPricing {
            input: Some(0.15),
            output: Some(0.6),
            cached_input: Some(0.075),
        }),
        enabled: Some(true),
    };
    assert_eq!(
        String::from_utf8(model_json(&model, Some(&full))).expect("utf-8"),
        concat!(
            r#"{"id":"fast","object":"model","created":0,"owned_by":"modelgate","#,
            r#""displayName":"Fast","contextWindowTokens":128000,"maxOutput":16384,"#,
            r#""functionCall":true,"vision":false,"reasoning":true,"type":"chat","#,
            r#""pricing":{"input":0.15,"output":0.6,"cachedInput":0.075},"enabled":true}"#
        )
    );
    // Only known keys: no nulls, no empty pricing object.
    let sparse = ModelMetadata {
        enabled: Some(true),
        pricing: Some(modelgate::v1::ModelPricing::default()),
        ..ModelMetadata::default()
    };
    let metadata = HashMap::from([("fast".to_owned(), sparse)]);
    assert_eq!(
        parse(&models_json(&[model], &metadata)),
        json!({"object": "list", "data": [
            {"id": "fast", "object": "model", "created": 0, "owned_by": "modelgate", "enabled": true}
        ]})
    );
}
