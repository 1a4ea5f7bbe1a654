//! Embeddings request parsing: the recorded body, input shapes, 400s naming the field.

use super::tests::*;
use super::*;
use serde_json::json;

#[test]
fn embeddings_fixture() {
    let bytes = fixture!("openai/request-embeddings.json");
    let (req, format) = embed_request_from_json(&bytes).expect("converts");
    assert_eq!(req.model, "text-embedding-3-small");
    assert_eq!(req.input, vec!["Hello world".to_owned()]);
    assert!(req.token_input.is_empty());
    assert_eq!(req.dimensions, Some(256));
    assert_eq!(format, EncodingFormat::Float);
    assert_eq!(req.extra, None);

    let (req, _) = embed_request_from_json(&with_unknown_fields(&bytes)).expect("converts");
    assert_eq!(extra_json(&req.extra), unknown_fields());
}

fn embed(body: serde_json::Value) -> Result<(EmbedRequest, EncodingFormat)> {
    embed_request_from_json(body.to_string().as_bytes())
}

#[test]
fn embeddings_input_shapes() {
    let (req, format) =
        embed(json!({"model": "e", "input": "one", "encoding_format": "base64", "user": "u"}))
            .expect("string input");
    assert_eq!(req.input, vec!["one".to_owned()]);
    assert_eq!(format, EncodingFormat::Base64);
    assert_eq!(req.user.as_deref(), Some("u"));

    let (req, format) = embed(json!({"model": "e", "input": ["a", "b"], "encoding_format": null}))
        .expect("strings");
    assert_eq!(req.input, vec!["a".to_owned(), "b".to_owned()]);
    assert_eq!(format, EncodingFormat::Float);

    let (req, _) = embed(json!({"model": "e", "input": [1, 2, 3]})).expect("one token input");
    assert!(req.input.is_empty());
    assert_eq!(
        req.token_input,
        vec![TokenInput {
            tokens: vec![1, 2, 3]
        }]
    );

    let (req, _) = embed(json!({"model": "e", "input": [[1, 2], [3]], "encoding_format": "float"}))
        .expect("token inputs");
    assert_eq!(
        req.token_input,
        vec![
            TokenInput { tokens: vec![1, 2] },
            TokenInput { tokens: vec![3] }
        ]
    );
}

#[test]
fn invalid_embeddings_name_the_field() {
    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            json!({"input": "x"}),
            "model",
            "Missing required parameter: 'model'.",
        ),
        (json!({"model": "", "input": "x"}), "model", "empty string"),
        (
            json!({"model": "e"}),
            "input",
            "Missing required parameter: 'input'.",
        ),
        (
            json!({"model": "e", "input": null}),
            "input",
            "Missing required parameter: 'input'.",
        ),
        (json!({"model": "e", "input": ""}), "input", "empty string"),
        (
            json!({"model": "e", "input": []}),
            "input",
            "Invalid 'input': empty array.",
        ),
        (
            json!({"model": "e", "input": 5}),
            "input",
            "but got an integer instead.",
        ),
        (
            json!({"model": "e", "input": {"text": "x"}}),
            "input",
            "but got an object instead.",
        ),
        (
            json!({"model": "e", "input": ["a", 1]}),
            "input[1]",
            "expected a string, but got an integer instead.",
        ),
        (
            json!({"model": "e", "input": ["a", ""]}),
            "input[1]",
            "empty string",
        ),
        (
            json!({"model": "e", "input": [1, "a"]}),
            "input[1]",
            "expected an integer, but got a string instead.",
        ),
        (
            json!({"model": "e", "input": [1, 2.5]}),
            "input[1]",
            "expected an integer, but got a decimal number",
        ),
        (
            json!({"model": "e", "input": [[1], []]}),
            "input[1]",
            "empty array",
        ),
        (
            json!({"model": "e", "input": [[1], [2, "x"]]}),
            "input[1][1]",
            "expected an integer",
        ),
        (
            json!({"model": "e", "input": [[1], 2]}),
            "input[1]",
            "expected an array of integers",
        ),
        (
            json!({"model": "e", "input": [true]}),
            "input[0]",
            "but got a boolean instead.",
        ),
        (
            json!({"model": "e", "input": "x", "dimensions": 0}),
            "dimensions",
            "Expected a value >= 1, but got 0 instead.",
        ),
        (
            json!({"model": "e", "input": "x", "dimensions": "256"}),
            "dimensions",
            "expected an integer",
        ),
        (
            json!({"model": "e", "input": "x", "encoding_format": "int8"}),
            "encoding_format",
            "Invalid value: 'int8'. Supported values are: 'float' and 'base64'.",
        ),
        (
            json!({"model": "e", "input": "x", "encoding_format": 1}),
            "encoding_format",
            "expected a string",
        ),
        (
            json!({"model": "e", "input": "x", "user": 1}),
            "user",
            "expected a string",
        ),
    ];
    for (body, param, message) in cases {
        let err = match embed(body.clone()) {
            Ok(req) => panic!("accepted {body}: {req:?}"),
            Err(e) => e,
        };
        assert_eq!(err.http_status(), 400, "{body}");
        assert_eq!(err.param.as_deref(), Some(param), "{body}: {}", err.message);
        assert!(
            err.message.contains(message),
            "{body}: {:?} lacks {message:?}",
            err.message
        );
    }
}
