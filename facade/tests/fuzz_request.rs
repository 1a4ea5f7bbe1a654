//! Property tests of the facade's request JSON → protobuf translation, seeded
//! from the recorded OpenAI-dialect request bodies: byte mutations, one JSON
//! node replaced by any value, and arbitrary documents. Properties: no panic;
//! every refusal is a 4xx naming a field path; an accepted request encodes
//! and decodes as protobuf unchanged (what crossing to the core does).
//!
//! Case counts keep the file to a few seconds on two cores.

use std::sync::OnceLock;

use mock_upstream::fuzz_input::{Mutation, fixture_files, mutate, replace_node};
use modelgate::v1::{ChatCompletionRequest, EmbedRequest};
use modelgate_facade::request::{chat_request_from_json, embed_request_from_json};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use prost::Message;
use serde_json::{Value, json};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Chat and embedding request bodies in OpenAI's dialect.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = mock_upstream::default_fixtures_dir();
        let mut files = Vec::new();
        for sub in ["openai", "openai-compatible", "azure"] {
            files.extend(
                fixture_files(&dir.join(sub), &[".json"])
                    .into_iter()
                    .filter(|(name, _)| name.contains("request-")),
            );
        }
        assert!(files.len() >= 4, "request fixtures missing: {files:?}");
        files
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        (
            any::<usize>(),
            prop::sample::select(b"{}[]\",:-0e\\".to_vec())
        )
            .prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            -1.0e300,
            -1.0,
            -0.5,
            0.0,
            0.5,
            1.0,
            2.0,
            4_294_967_296.0,
            1.0e300,
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "user",
            "assistant",
            "system",
            "tool",
            "developer",
            "function",
            "text",
            "image_url",
            "auto",
            "none",
            "required",
            "json_schema",
            "float",
            "base64",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The invariants every outcome must keep.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    match chat_request_from_json(body) {
        Ok(request) => {
            let bytes = request.encode_to_vec();
            let back = ChatCompletionRequest::decode(bytes.as_slice())
                .map_err(|e| TestCaseError::fail(format!("accepted but not decodable: {e}")))?;
            prop_assert_eq!(back, request);
        }
        Err(err) => {
            let status = err.http_status();
            prop_assert!(
                (400..500).contains(&status),
                "status {} for {:?}",
                status,
                err
            );
        }
    }
    match embed_request_from_json(body) {
        Ok((request, _)) => {
            let bytes = request.encode_to_vec();
            let back = EmbedRequest::decode(bytes.as_slice())
                .map_err(|e| TestCaseError::fail(format!("accepted but not decodable: {e}")))?;
            prop_assert_eq!(back, request);
        }
        Err(err) => prop_assert!((400..500).contains(&err.http_status())),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn mutated_request_bytes(
        file in prop::sample::select(seeds()),
        edits in prop::collection::vec(mutation(), 0..8),
    ) {
        check(&mutate(&file.1, &edits))?;
    }

    #[test]
    fn reshaped_requests(
        file in prop::sample::select(seeds()),
        nodes in prop::collection::vec((any::<usize>(), json_value()), 1..4),
    ) {
        let mut doc: Value = serde_json::from_slice(&file.1).expect("fixture is JSON");
        for (node, value) in nodes {
            replace_node(&mut doc, node, value);
        }
        check(doc.to_string().as_bytes())?;
    }

    #[test]
    fn arbitrary_documents(doc in json_value()) {
        check(doc.to_string().as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes)?;
    }
}

/// Nesting deeper than serde_json's recursion limit is a 400, not a stack
/// overflow.
#[test]
fn deeply_nested_json_is_refused() {
    for depth in [200, 100_000] {
        let body = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":"hi"}}],"extra":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let err = chat_request_from_json(body.as_bytes()).expect_err("too deep");
        assert_eq!(err.http_status(), 400, "{err:?}");
    }
}

/// Nesting that JSON accepts must still cross to the core: protobuf decoders
/// stop at 100 levels of messages, and each JSON level is two of them.
#[test]
fn accepted_nesting_fits_protobuf() {
    for depth in [10, 40, 60, 120] {
        let mut extra = json!("leaf");
        for _ in 0..depth {
            extra = json!({ "k": extra });
        }
        let body =
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "x": extra});
        match chat_request_from_json(body.to_string().as_bytes()) {
            Ok(request) => {
                let bytes = request.encode_to_vec();
                ChatCompletionRequest::decode(bytes.as_slice())
                    .unwrap_or_else(|e| panic!("depth {depth} accepted but undecodable: {e}"));
            }
            Err(err) => assert_eq!(err.http_status(), 400, "depth {depth}: {err:?}"),
        }
    }
}

#[test]
fn numbers_out_of_range_are_refused() {
    for (field, value) in [
        ("max_tokens", json!(-1)),
        ("max_tokens", json!(1e300)),
        ("n", json!(-5)),
        ("n", json!(4_294_967_296_u64)),
        ("n", json!(1_000_000)),
        ("temperature", json!("hot")),
    ] {
        let mut body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        body[field] = value.clone();
        let err = chat_request_from_json(body.to_string().as_bytes())
            .expect_err(&format!("{field}={value} accepted"));
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param.as_deref(), Some(field), "{err:?}");
    }
}
