//! Every error class reaches HTTP clients with OpenAI's shape and status.

use serde_json::{Value, json};

use crate::both_modes;
use crate::harness::{Gateway, LIMITED_KEY, Mode, sse_data};

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.expect("error body is JSON");
    let err = &body["error"];
    for field in ["message", "type", "param", "code"] {
        assert!(err.get(field).is_some(), "error lacks `{field}`: {body}");
    }
    (status, err.clone())
}

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

both_modes!(keys_are_required_and_checked, |gw: Gateway| async move {
    let none = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .json(&chat("mock/text"))
        .send()
        .await
        .expect("answer");
    let (status, err) = error_of(none).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    let wrong = gw
        .client
        .get(gw.url("/v1/models"))
        .bearer_auth("sk-wrong")
        .send()
        .await
        .expect("answer");
    let (status, err) = error_of(wrong).await;
    assert_eq!(status, 401);
    assert!(
        !err["message"]
            .as_str()
            .unwrap_or_default()
            .contains("sk-wrong")
    );
    let limited = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(LIMITED_KEY)
        .json(&chat("mock/tools"))
        .send()
        .await
        .expect("answer");
    assert_eq!(error_of(limited).await.0, 403);
    let allowed = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(LIMITED_KEY)
        .json(&chat("mock/text"))
        .send()
        .await
        .expect("answer");
    assert_eq!(allowed.status(), 200);
    let listed: Value = gw
        .client
        .get(gw.url("/v1/models"))
        .bearer_auth(LIMITED_KEY)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["mock/text"],
        "a key sees only the models it may use"
    );
});

both_modes!(
    unknown_models_are_404_model_not_found,
    |gw: Gateway| async move {
        for model in ["nope/x", "unknown-alias", "mock/error-404"] {
            let (status, err) = error_of(gw.post("/v1/chat/completions", &chat(model)).await).await;
            assert_eq!(
                (status, err["code"].as_str()),
                (404, Some("model_not_found")),
                "{model}: {err}"
            );
        }
    }
);

both_modes!(
    upstream_failures_map_to_statuses,
    |gw: Gateway| async move {
        let cases = [
            ("mock/error-400", 400, "invalid_request_error"),
            ("mock/error-429", 429, "rate_limit_error"),
            ("mock/error-500", 502, "server_error"),
            ("mock/error-503-html", 503, "api_error"),
            ("mock/error-in-200", 400, "invalid_request_error"),
            ("mock/garbage", 502, "api_error"),
            ("down/anything", 502, "api_error"),
        ];
        for (model, want_status, want_type) in cases {
            for stream in [false, true] {
                if model == "mock/garbage" && !stream {
                    continue; // the mock garbles streams only
                }
                let mut body = chat(model);
                body["stream"] = json!(stream);
                let (status, err) = error_of(gw.post("/v1/chat/completions", &body).await).await;
                assert_eq!(
                    (status, err["type"].as_str()),
                    (want_status, Some(want_type)),
                    "{model} stream={stream}: {err}"
                );
            }
        }
        let (_, err) = error_of(
            gw.post("/v1/chat/completions", &chat("mock/error-400"))
                .await,
        )
        .await;
        assert_eq!(err["param"], "max_tokens", "upstream param kept");
        assert!(
            err["message"]
                .as_str()
                .is_some_and(|m| m.contains("max_tokens")),
            "upstream message kept: {err}"
        );
        let (_, err) = error_of(
            gw.post("/v1/chat/completions", &chat("mock/error-429"))
                .await,
        )
        .await;
        assert_eq!(err["code"], "rate_limit_exceeded");
    }
);

both_modes!(
    errors_after_the_first_byte_are_one_event,
    |gw: Gateway| async move {
        for model in ["mock/reset", "mock/openrouter-midstream-error"] {
            let resp = gw.post("/v1/chat/completions", &json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "hi"}]})).await;
            assert_eq!(resp.status(), 200, "{model}: the stream had started");
            let data = sse_data(&resp.text().await.expect("body"));
            let last: Value = serde_json::from_str(data.last().expect("events")).expect("json");
            assert!(last["error"]["message"].is_string(), "{model}: {last}");
            assert!(
                data.iter().all(|d| d != "[DONE]"),
                "{model}: no [DONE] after an error"
            );
            assert_eq!(data.iter().filter(|d| d.contains("\"error\"")).count(), 1);
        }
    }
);

both_modes!(bad_requests_name_the_field, |gw: Gateway| async move {
    let raw = gw
        .client
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(crate::harness::CLIENT_KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    let (status, err) = error_of(raw).await;
    assert_eq!(
        (status, err["type"].as_str()),
        (400, Some("invalid_request_error"))
    );
    let cases = [
        (json!({"model": "mock/text"}), "messages"),
        (
            json!({"messages": [{"role": "user", "content": "x"}]}),
            "model",
        ),
        (
            json!({"model": "mock/text", "messages": [{"role": "robot", "content": "x"}]}),
            "messages[0].role",
        ),
        (
            json!({"model": "mock/text", "temperature": "hot", "messages": [{"role": "user", "content": "x"}]}),
            "temperature",
        ),
        (
            json!({"model": "mock/text", "max_tokens": -1, "messages": [{"role": "user", "content": "x"}]}),
            "max_tokens",
        ),
    ];
    for (body, param) in cases {
        let (status, err) = error_of(gw.post("/v1/chat/completions", &body).await).await;
        assert_eq!(
            (status, err["param"].as_str()),
            (400, Some(param)),
            "{body}: {err}"
        );
    }
    let (status, _) = error_of(gw.post("/v1/nope", &json!({})).await).await;
    assert_eq!(status, 404);
    // The server is still serving after all of that.
    assert_eq!(
        gw.post("/v1/chat/completions", &chat("mock/text"))
            .await
            .status(),
        200
    );
});

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let gw = Gateway::start_with(Mode::Serve, Some(1)).await;
    // Read while the body is still being written (see `too_big_answer`).
    let head = crate::harness::too_big_answer(&gw).await;
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
    let small = "x".repeat(512 * 1024);
    let resp = gw
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock/text", "messages": [{"role": "user", "content": small}]}),
        )
        .await;
    assert_eq!(resp.status(), 200, "under the limit passes");
}

#[tokio::test]
async fn default_limit_takes_inline_images() {
    let gw = Gateway::start(Mode::Serve).await;
    // A 20 MiB data URI, as a large photo pasted into LobeChat becomes.
    let image = format!("data:image/png;base64,{}", "A".repeat(20 * 1024 * 1024));
    let body = json!({"model": "mock/text", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}}]}]});
    assert_eq!(gw.post("/v1/chat/completions", &body).await.status(), 200);
}
