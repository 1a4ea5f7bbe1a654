//! Chat request parsing against hostile input: long values, non-objects, deep nesting, every
//! prefix and byte flip of a recorded body.

use super::tests::*;
use super::*;
use serde_json::json;

#[test]
fn long_invalid_values_are_truncated() {
    let role = "x".repeat(10_000);
    let err = chat_err(&json!({"model": "m", "messages": [{"role": role, "content": "x"}]}));
    assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    assert!(err.message.len() < 300, "{}", err.message);
    assert!(
        err.message
            .starts_with(&format!("Invalid value: '{}…'", "x".repeat(64)))
    );
}

#[test]
fn bodies_that_are_not_json_objects() {
    for body in [
        &b"{\"model\": \"m\","[..],
        b"",
        b"not json",
        b"[1, 2]",
        b"\"text\"",
        b"null",
        b"{\"model\": \"m\"} trailing",
        b"\xff\xfe",
    ] {
        let err = chat_request_from_json(body).expect_err("rejected");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param, None);
        assert!(
            err.message
                .starts_with("We could not parse the JSON body of your request"),
            "{}",
            err.message
        );
        let err = embed_request_from_json(body).expect_err("rejected");
        assert_eq!(err.http_status(), 400);
    }
}

#[test]
fn deeply_nested_json_is_a_400_not_a_crash() {
    let depth = 100_000;
    let mut body =
        String::from(r#"{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":"#);
    body.push_str(&"[".repeat(depth));
    body.push_str(&"]".repeat(depth));
    body.push('}');
    let err = chat_request_from_json(body.as_bytes()).expect_err("too deep");
    assert_eq!(err.http_status(), 400);
    assert!(err.message.contains("recursion limit"), "{}", err.message);

    // Nesting within the limit is passed through; past it (100 levels would
    // not survive protobuf decoding on the way to the core) it is a 400.
    let nested = |levels: usize| {
        let mut body =
            String::from(r#"{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":"#);
        body.push_str(&"[".repeat(levels));
        body.push_str(&"]".repeat(levels));
        body.push('}');
        body
    };
    let req = chat_request_from_json(nested(30).as_bytes()).expect("30 levels are fine");
    assert!(req.extra.is_some());
    let err = chat_request_from_json(nested(100).as_bytes()).expect_err("100 levels");
    assert_eq!(err.http_status(), 400);
    assert!(
        err.message.contains("nested deeper than 32"),
        "{}",
        err.message
    );
}

#[test]
fn every_prefix_and_byte_flip_of_a_fixture_is_handled() {
    // Truncations and single-byte corruptions must give Ok or a 400, never a panic.
    let bytes = fixture!("openai/request-chat-stream-tools.json");
    for end in (0..bytes.len()).step_by(7) {
        if let Err(e) = chat_request_from_json(&bytes[..end]) {
            assert_eq!(e.http_status(), 400);
        }
    }
    for (i, replacement) in (0..bytes.len())
        .step_by(11)
        .zip([b'"', b'1', b'{', b']', b'n', b'\\'].iter().cycle())
    {
        let mut corrupted = bytes.clone();
        corrupted[i] = *replacement;
        if let Err(e) = chat_request_from_json(&corrupted) {
            assert_eq!(e.http_status(), 400);
        }
    }
}
