//! Chat, models and embeddings through the HTTP facade.

use serde_json::{Value, json};

use crate::both_modes;
use crate::harness::{Gateway, fixture, sse_data};

fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("fixture is JSON")
}

/// Concatenated `delta.content` of an OpenAI SSE fixture.
fn fixture_stream_text(path: &str) -> String {
    let text = String::from_utf8(fixture(path)).expect("utf8");
    sse_data(&text.replace("\r\n", "\n"))
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

fn chunks(body: &str) -> (Vec<Value>, bool) {
    let data = sse_data(body);
    let done = data.last().is_some_and(|d| d == "[DONE]");
    let chunks = data
        .iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).expect("chunk is JSON"))
        .collect();
    (chunks, done)
}

both_modes!(non_stream_text_matches_fixture, |gw: Gateway| async move {
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    let want = fixture_json("openai/chat-completion-text.json");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        want["choices"][0]["message"]["content"]
    );
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"]["prompt_tokens"],
        want["usage"]["prompt_tokens"]
    );
    assert_eq!(
        body["usage"]["completion_tokens"],
        want["usage"]["completion_tokens"]
    );
    assert_eq!(body["id"], want["id"]);
});

both_modes!(
    stream_with_usage_matches_fixture,
    |gw: Gateway| async move {
        let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/text", "stream": true, "stream_options": {"include_usage": true},
                    "messages": [{"role": "user", "content": "count"}]}),
        )
        .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.headers()["cache-control"], "no-cache");
        assert_eq!(resp.headers()["x-accel-buffering"], "no");
        let body = resp.text().await.expect("body");
        assert!(!body.contains("event:"), "events must be unnamed");
        let (chunks, done) = chunks(&body);
        assert!(done, "ends with [DONE]");
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(
            text,
            fixture_stream_text("openai/chat-stream-text-include-usage.sse")
        );
        assert!(chunks.len() >= 2, "content chunks, then usage: {body}");
        let last = chunks.last().expect("chunks");
        assert_eq!(last["choices"], json!([]));
        assert!(
            last["usage"]["total_tokens"]
                .as_u64()
                .is_some_and(|t| t > 0)
        );
        assert!(
            chunks[..chunks.len() - 1]
                .iter()
                .all(|c| c["usage"].is_null())
        );
    }
);

both_modes!(
    stream_without_usage_sends_no_usage_chunk,
    |gw: Gateway| async move {
        let body = gw
        .post("/v1/chat/completions", &json!({"model": "mock/moderation", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .await
        .text()
        .await
        .expect("body");
        let (chunks, done) = chunks(&body);
        assert!(done);
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(
            text,
            fixture_stream_text("openai/chat-stream-text-usage-then-moderation.sse")
        );
        assert!(
            chunks.iter().all(|c| c.get("usage").is_none()
                && !c["choices"].as_array().expect("choices").is_empty())
        );
    }
);

both_modes!(streamed_tool_calls_reassemble, |gw: Gateway| async move {
    let body = gw
        .post("/v1/chat/completions", &json!({"model": "mock/tools", "stream": true, "messages": [{"role": "user", "content": "weather?"}]}))
        .await
        .text()
        .await
        .expect("body");
    let (chunks, _) = chunks(&body);
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert!(!calls.is_empty(), "no tool call deltas: {body}");
    assert!(
        calls.iter().all(|c| c["function"].is_object()),
        "function always present"
    );
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert!(
        calls[0]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("call_"))
    );
    let args: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    let parsed: Value = serde_json::from_str(&args).expect("arguments reassemble into JSON");
    assert_eq!(parsed["city"], "Mexico City");
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "tool_calls")
    );
});

both_modes!(
    reasoning_never_shares_a_delta_with_content,
    |gw: Gateway| async move {
        let body = gw
        .post("/v1/chat/completions", &json!({"model": "mock/deepseek-reasoner", "stream": true, "messages": [{"role": "user", "content": "think"}]}))
        .await
        .text()
        .await
        .expect("body");
        let (chunks, done) = chunks(&body);
        assert!(done);
        let nonempty = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
        let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
        assert!(deltas.iter().any(|d| nonempty(&d["reasoning_content"])));
        assert!(deltas.iter().any(|d| nonempty(&d["content"])));
        assert!(
            deltas
                .iter()
                .all(|d| !(nonempty(&d["reasoning_content"]) && nonempty(&d["content"])))
        );
    }
);

both_modes!(
    ollama_reasoning_field_becomes_reasoning_content,
    |gw: Gateway| async move {
        let body: Value = gw
        .post("/v1/chat/completions", &json!({"model": "mock/ollama-reasoning", "messages": [{"role": "user", "content": "q"}]}))
        .await
        .json()
        .await
        .expect("json");
        let msg = &body["choices"][0]["message"];
        assert_eq!(msg["content"], "Paris.");
        assert!(
            msg["reasoning_content"]
                .as_str()
                .is_some_and(|r| r.starts_with("We need"))
        );
    }
);

both_modes!(
    unknown_fields_and_images_reach_the_upstream,
    |gw: Gateway| async move {
        let image = "data:image/png;base64,iVBORw0KGgo=";
        let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({
                "model": "gpt-4o-alias", "stream": true, "max_tokens": 7, "temperature": 0.2,
                "thinking": {"type": "enabled", "budget_tokens": 1024}, "prompt_cache_key": "abc",
                "messages": [
                    {"role": "developer", "content": "be brief"},
                    {"role": "user", "content": [{"type": "text", "text": "what is this"},
                                                  {"type": "image_url", "image_url": {"url": image, "detail": "low"}}]},
                ],
            }),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let _ = resp.text().await;
        let sent = gw
            .mock
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("/chat/completions"))
            .expect("upstream called");
        let body = &sent.body;
        assert_eq!(body["model"], "text");
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert_eq!(body["prompt_cache_key"], "abc");
        assert_eq!(body["max_tokens"], 7);
        assert_eq!(body["temperature"], 0.2);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["messages"][0]["role"], "developer");
        assert_eq!(
            body["messages"][1]["content"][1]["image_url"],
            json!({"url": image, "detail": "low"})
        );
    }
);

both_modes!(group_members_share_the_load, |gw: Gateway| async move {
    for _ in 0..4 {
        let resp = gw
            .post(
                "/v1/chat/completions",
                &json!({"model": "balanced", "messages": [{"role": "user", "content": "x"}]}),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    let models: Vec<String> = gw
        .mock
        .requests()
        .iter()
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        models.iter().filter(|m| *m == "text").count(),
        2,
        "{models:?}"
    );
    assert_eq!(
        models.iter().filter(|m| *m == "tools").count(),
        2,
        "{models:?}"
    );
});

both_modes!(
    models_list_aliases_fixed_and_discovered,
    |gw: Gateway| async move {
        let body: Value = gw.get("/v1/models").await.json().await.expect("json");
        assert_eq!(body["object"], "list");
        let ids: Vec<&str> = body["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|m| m["id"].as_str())
            .collect();
        for want in ["gpt-4o-alias", "balanced", "mock/text", "mock/tools"] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        let upstream = fixture_json("openai-compatible/cerebras-models-list.json");
        for m in upstream["data"].as_array().expect("data") {
            let id = format!("discovered/{}", m["id"].as_str().expect("id"));
            assert!(ids.contains(&id.as_str()), "{id} missing");
        }
        assert!(
            ids.iter()
                .all(|id| !id.contains('*') && !id.starts_with("down/"))
        );
        assert!(
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .all(|m| m["object"] == "model")
        );
        let one: Value = gw
            .get("/v1/models/mock/text")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(one["id"], "mock/text");
        let missing = gw.get("/v1/models/nope").await;
        assert_eq!(missing.status(), 404);
    }
);

both_modes!(embeddings_float_and_base64, |gw: Gateway| async move {
    let want = fixture_json("openai/embeddings.json");
    let want0: Vec<f32> = want["data"][0]["embedding"]
        .as_array()
        .expect("vec")
        .iter()
        .map(|v| v.as_f64().expect("num") as f32)
        .collect();
    let float: Value = gw
        .post(
            "/v1/embeddings",
            &json!({"model": "mock/text", "input": ["a", "b"], "encoding_format": "float"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(float["object"], "list");
    let got: Vec<f32> = float["data"][0]["embedding"]
        .as_array()
        .expect("vec")
        .iter()
        .map(|v| v.as_f64().expect("num") as f32)
        .collect();
    assert_eq!(got, want0);
    let b64: Value = gw
        .post(
            "/v1/embeddings",
            &json!({"model": "mock/text", "input": "a", "encoding_format": "base64"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let text = b64["data"][0]["embedding"].as_str().expect("base64 string");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64");
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(decoded, want0);
    let sent = gw
        .mock
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/embeddings"))
        .expect("called");
    assert_eq!(sent.body["encoding_format"], "float");
});
