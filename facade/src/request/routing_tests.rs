//! The routing options of chat and embeddings bodies: typed `routing`, never `extra`.

use super::*;
use serde_json::json;

fn chat(body: serde_json::Value) -> Result<ChatCompletionRequest> {
    chat_request_from_json(body.to_string().as_bytes())
}

fn embed(body: serde_json::Value) -> Result<EmbedRequest> {
    embed_request_from_json(body.to_string().as_bytes()).map(|(req, _)| req)
}

fn messages() -> serde_json::Value {
    json!([{"role": "user", "content": "hi"}])
}

#[test]
fn chat_fallbacks_in_both_litellm_forms_become_routing() {
    let req = chat(json!({
        "model": "a", "messages": messages(), "logprobs": true,
        "fallbacks": ["b", {"model": "c"}], "num_retries": 2
    }))
    .expect("valid");
    let routing = req.routing.expect("routing");
    assert_eq!(routing.fallbacks, ["b", "c"]);
    assert_eq!(routing.num_retries, Some(2));
    // Only the OpenAI field stays for the upstream.
    let extra = req.extra.expect("extra");
    assert_eq!(extra.fields.keys().collect::<Vec<_>>(), ["logprobs"]);

    let req = chat(json!({"model": "a", "messages": messages(), "fallbacks": "b"})).expect("valid");
    assert_eq!(req.routing.expect("routing").fallbacks, ["b"]);
    assert_eq!(req.extra, None);
    let req = chat(json!({"model": "a", "messages": messages()})).expect("valid");
    assert_eq!(req.routing, None);
}

#[test]
fn embeddings_fallbacks_become_routing() {
    let req = embed(json!({
        "model": "a", "input": "hi",
        "fallbacks": [{"model": "b"}, "c"], "num_retries": 0
    }))
    .expect("valid");
    let routing = req.routing.expect("routing");
    assert_eq!(routing.fallbacks, ["b", "c"]);
    assert_eq!(routing.num_retries, Some(0));
    assert_eq!(req.extra, None);
}

#[test]
fn wrong_shapes_are_400s_naming_the_field() {
    let cases = [
        (json!({"fallbacks": 3}), "fallbacks"),
        (json!({"fallbacks": [true]}), "fallbacks"),
        (json!({"fallbacks": [{"model": ["b"]}]}), "fallbacks"),
        (json!({"num_retries": "1"}), "num_retries"),
        (json!({"num_retries": 11}), "num_retries"),
        (json!({"num_retries": 0.5}), "num_retries"),
    ];
    for (fields, param) in cases {
        let mut body = json!({"model": "a", "messages": messages(), "input": "hi"});
        for (k, v) in fields.as_object().expect("object") {
            body[k] = v.clone();
        }
        for err in [
            chat(body.clone()).expect_err("chat refuses"),
            embed(body.clone()).expect_err("embeddings refuse"),
        ] {
            assert_eq!(err.http_status(), 400, "{body}");
            assert_eq!(err.param.as_deref(), Some(param), "{body}");
        }
    }
}
