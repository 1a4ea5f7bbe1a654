use super::*;
use modelgate::json::struct_from_map;
use modelgate::v1::{
    ContentPart, ContentParts, FunctionDefinition, ImageUrl, JsonSchemaFormat, ResponseFormat,
    Tool, ToolCall, ToolChoice,
};

fn fixture(path: &str) -> Value {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/providers/gemini/"
    );
    let text = std::fs::read_to_string(format!("{dir}{path}")).expect("fixture present");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn msg(role: Role, text: &str) -> Message {
    Message {
        role: role as i32,
        content: Some(Content::Text(text.into())),
        ..Default::default()
    }
}

fn obj(v: Value) -> prost_types::Struct {
    match v {
        Value::Object(m) => struct_from_map(m),
        _ => panic!("object"),
    }
}

fn function_tool(name: &str, description: &str, params: Value) -> Tool {
    Tool {
        r#type: "function".into(),
        function: Some(FunctionDefinition {
            name: name.into(),
            description: Some(description.into()),
            parameters: Some(obj(params)),
            strict: None,
        }),
        extra: None,
    }
}

#[test]
fn text_request_matches_the_captured_one() {
    let req = ChatCompletionRequest {
        model: "gemini-2.0-flash-exp".into(),
        messages: vec![
            msg(Role::System, "You are a helpful chatbot."),
            msg(Role::User, "What is the capital of France?"),
        ],
        temperature: Some(0.0),
        stream: true,
        ..Default::default()
    };
    let body = chat_body(&req, &HashMap::new()).expect("body");
    let want = fixture("request-stream-text.json");
    assert_eq!(body["contents"], want["contents"]);
    assert_eq!(
        body["systemInstruction"]["parts"],
        want["systemInstruction"]["parts"]
    );
    assert_eq!(body["generationConfig"], want["generationConfig"]);
}

#[test]
fn tool_round_trip_matches_the_captured_request() {
    // The conversation of request-generate-content-function-response.json, as an OpenAI client sends it.
    let req = ChatCompletionRequest {
        model: "gemini-2.0-flash".into(),
        messages: vec![
            msg(Role::User, "What is the largest city in the user country?"),
            Message {
                role: Role::Assistant as i32,
                tool_calls: vec![ToolCall {
                    index: 0,
                    id: Some("pyd_ai_3fa5644dae1d4aad997ae39c70006fbd".into()),
                    r#type: Some("function".into()),
                    name: Some("get_user_country".into()),
                    arguments: String::new(),
                }],
                ..Default::default()
            },
            Message {
                role: Role::Tool as i32,
                content: Some(Content::Text("{\"return_value\": \"Mexico\"}".into())),
                tool_call_id: Some("pyd_ai_3fa5644dae1d4aad997ae39c70006fbd".into()),
                ..Default::default()
            },
        ],
        tools: vec![
            function_tool(
                "get_user_country",
                "",
                json!({"type": "object", "properties": {}, "additionalProperties": false}),
            ),
            function_tool(
                "final_result",
                "The final response which ends this conversation",
                json!({"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                       "required": ["city", "country"], "additionalProperties": false, "title": "x"}),
            ),
        ],
        tool_choice: Some(ToolChoice {
            choice: Some(ToolChoiceKind::Mode("required".into())),
        }),
        ..Default::default()
    };
    let body = chat_body(&req, &HashMap::new()).expect("body");
    let want = fixture("request-generate-content-function-response.json");
    let mut want_contents = want["contents"].clone();
    // Gemini's ids are optional; ours are not sent.
    want_contents[1]["parts"][0]["functionCall"]
        .as_object_mut()
        .map(|m| m.remove("id"));
    want_contents[2]["parts"][0]["functionResponse"]
        .as_object_mut()
        .map(|m| m.remove("id"));
    assert_eq!(body["contents"], want_contents);
    let mut decls = body["tools"][0]["functionDeclarations"].clone();
    decls[1]["parameters"]
        .as_object_mut()
        .map(|m| m.remove("title"));
    assert_eq!(decls, want["tools"][0]["functionDeclarations"]);
    assert_eq!(body["toolConfig"]["functionCallingConfig"]["mode"], "ANY");
    assert_eq!(body.get("generationConfig"), None);
}

#[test]
fn thought_signature_travels_back_in_the_call_id() {
    let sig = "EpwICpkIAXLI2nxlU6gsWZaZ+/==";
    let id = call_ids::encode(Some(sig));
    let req = ChatCompletionRequest {
        model: "gemini-3-pro-preview".into(),
        messages: vec![
            msg(Role::User, "q"),
            Message {
                role: Role::Assistant as i32,
                tool_calls: vec![
                    ToolCall {
                        index: 0,
                        id: Some(id.clone()),
                        name: Some("get_country".into()),
                        arguments: "{}".into(),
                        ..Default::default()
                    },
                    ToolCall {
                        index: 1,
                        id: Some(call_ids::encode(None)),
                        name: Some("b".into()),
                        arguments: "{\"x\":1}".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            Message {
                role: Role::Tool as i32,
                content: Some(Content::Text("France".into())),
                tool_call_id: Some(id),
                ..Default::default()
            },
            Message {
                role: Role::Tool as i32,
                content: Some(Content::Text("[1,2]".into())),
                tool_call_id: Some("unknown".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let body = chat_body(&req, &HashMap::new()).expect("body");
    let model = &body["contents"][1];
    assert_eq!(model["role"], "model");
    assert_eq!(model["parts"][0]["thoughtSignature"], sig);
    assert_eq!(model["parts"][1].get("thoughtSignature"), None);
    assert_eq!(model["parts"][1]["functionCall"]["args"], json!({"x": 1}));
    // Both results merge into one user turn; the unmatched one goes as text.
    assert_eq!(
        body["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "get_country", "response": {"content": "France"}}},
            {"text": "[1,2]"}
        ]})
    );
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"includeThoughts": true})
    );
}

#[test]
fn foreign_calls_get_the_documented_stand_in_on_gemini_3_only() {
    let history = |model: &str| ChatCompletionRequest {
        model: model.into(),
        messages: vec![
            msg(Role::User, "q"),
            Message {
                role: Role::Assistant as i32,
                tool_calls: vec![ToolCall {
                    id: Some("toolu_01".into()),
                    name: Some("f".into()),
                    arguments: "{}".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            Message {
                role: Role::Tool as i32,
                content: Some(Content::Text("7".into())),
                tool_call_id: Some("toolu_01".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let body = chat_body(&history("gemini-3-flash-preview"), &HashMap::new()).expect("body");
    assert_eq!(
        body["contents"][1]["parts"][0]["thoughtSignature"],
        FOREIGN_CALL_SIGNATURE
    );
    assert_eq!(
        body["contents"][2]["parts"][0]["functionResponse"]["response"],
        json!({"content": 7})
    );
    let body = chat_body(&history("gemini-2.0-flash"), &HashMap::new()).expect("body");
    assert_eq!(
        body["contents"][1]["parts"][0].get("thoughtSignature"),
        None
    );
}

#[test]
fn roles_merge_and_images_inline() {
    let parts = ContentParts {
        parts: vec![
            ContentPart {
                part: Some(Part::Text("look".into())),
            },
            ContentPart {
                part: Some(Part::ImageUrl(ImageUrl {
                    url: "data:image/png;base64,iVBORw0KGgo=".into(),
                    detail: None,
                })),
            },
            ContentPart {
                part: Some(Part::ImageUrl(ImageUrl {
                    url: "https://x.test/a.jpg".into(),
                    detail: None,
                })),
            },
        ],
    };
    let req = ChatCompletionRequest {
        model: "gemini-2.0-flash".into(),
        messages: vec![
            msg(Role::Developer, "be brief"),
            msg(Role::User, "one"),
            Message {
                role: Role::User as i32,
                content: Some(Content::Parts(parts)),
                ..Default::default()
            },
            Message {
                role: Role::Assistant as i32,
                reasoning_content: Some("hmm".into()),
                content: Some(Content::Text("ok".into())),
                ..Default::default()
            },
            msg(Role::System, "late system"),
            msg(Role::Assistant, "more"),
        ],
        ..Default::default()
    };
    assert_eq!(
        crate::providers::images::http_image_urls(&req),
        vec!["https://x.test/a.jpg".to_owned()]
    );
    assert!(
        chat_body(&req, &HashMap::new()).is_err(),
        "an unfetched http image is an error"
    );
    let fetched = HashMap::from([(
        "https://x.test/a.jpg".to_owned(),
        InlineImage {
            mime: "image/jpeg".into(),
            base64: "/9j/".into(),
        },
    )]);
    let body = chat_body(&req, &fetched).expect("body");
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "be brief"}, {"text": "late system"}]})
    );
    assert_eq!(
        body["contents"],
        json!([
            {"role": "user", "parts": [
                {"text": "one"}, {"text": "look"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/"}}
            ]},
            {"role": "model", "parts": [{"text": "ok"}, {"text": "more"}]}
        ])
    );
}

#[test]
fn generation_config_and_thinking() {
    let Value::Object(extra) = json!({"top_k": 40, "prompt_cache_key": "x", "thinking": {"type": "enabled", "budget_tokens": 2000}})
    else {
        panic!("object")
    };
    let req = ChatCompletionRequest {
        model: "gemini-2.5-flash".into(),
        messages: vec![msg(Role::User, "hi")],
        temperature: Some(0.7),
        top_p: Some(0.9),
        max_tokens: Some(100),
        max_completion_tokens: Some(200),
        stop: (0..7).map(|i| i.to_string()).collect(),
        seed: Some(42),
        n: Some(2),
        presence_penalty: Some(0.5),
        frequency_penalty: Some(-0.5),
        reasoning_effort: Some("low".into()),
        response_format: Some(ResponseFormat {
            r#type: "json_schema".into(),
            json_schema: Some(JsonSchemaFormat {
                name: "x".into(),
                schema: Some(obj(
                    json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}),
                )),
                ..Default::default()
            }),
        }),
        extra: Some(struct_from_map(extra)),
        ..Default::default()
    };
    let body = chat_body(&req, &HashMap::new()).expect("body");
    assert_eq!(
        body["generationConfig"],
        json!({
            "temperature": 0.7, "topP": 0.9, "topK": 40, "maxOutputTokens": 200,
            "stopSequences": ["0", "1", "2", "3", "4"], "seed": 42, "candidateCount": 2,
            "presencePenalty": 0.5, "frequencyPenalty": -0.5,
            "responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
            "thinkingConfig": {"thinkingBudget": 2000, "includeThoughts": true}
        })
    );
    assert_eq!(body.get("prompt_cache_key"), None);
}

#[test]
fn reasoning_effort_per_family() {
    let config = |model: &str, effort: Option<&str>| {
        let req = ChatCompletionRequest {
            model: model.into(),
            messages: vec![msg(Role::User, "hi")],
            reasoning_effort: effort.map(str::to_owned),
            ..Default::default()
        };
        chat_body(&req, &HashMap::new()).expect("body")["generationConfig"]["thinkingConfig"]
            .clone()
    };
    assert_eq!(
        config("gemini-2.5-pro", Some("high")),
        json!({"thinkingBudget": 24576, "includeThoughts": true})
    );
    assert_eq!(
        config("gemini-2.5-flash", Some("none")),
        json!({"thinkingBudget": 0})
    );
    assert_eq!(
        config("gemini-2.5-flash", None),
        json!({"includeThoughts": true})
    );
    assert_eq!(
        config("gemini-3-pro-preview", Some("medium")),
        json!({"thinkingLevel": "high", "includeThoughts": true})
    );
    assert_eq!(
        config("gemini-3-flash-preview", Some("medium")),
        json!({"thinkingLevel": "medium", "includeThoughts": true})
    );
    assert_eq!(config("gemini-2.0-flash", None), Value::Null);
    assert_eq!(config("gemini-2.0-flash", Some("bogus")), Value::Null);
}

#[test]
fn tool_choice_forms() {
    let with = |choice: ToolChoiceKind| {
        let req = ChatCompletionRequest {
            model: "gemini-2.0-flash".into(),
            messages: vec![msg(Role::User, "hi")],
            tools: vec![function_tool("f", "d", json!({"type": "object"}))],
            tool_choice: Some(ToolChoice {
                choice: Some(choice),
            }),
            ..Default::default()
        };
        chat_body(&req, &HashMap::new()).expect("body")["toolConfig"].clone()
    };
    assert_eq!(
        with(ToolChoiceKind::Mode("auto".into())),
        json!({"functionCallingConfig": {"mode": "AUTO"}})
    );
    assert_eq!(
        with(ToolChoiceKind::Mode("none".into())),
        json!({"functionCallingConfig": {"mode": "NONE"}})
    );
    assert_eq!(
        with(ToolChoiceKind::FunctionName("f".into())),
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}})
    );
}

#[test]
fn embed_body_matches_the_captured_one() {
    let req = EmbedRequest {
        model: "gemini-embedding-001".into(),
        input: vec!["Some text goes here".into()],
        dimensions: Some(768),
        ..Default::default()
    };
    let path = model_path(&req.model).expect("valid");
    assert_eq!(
        embed_body(&req, &path).expect("body"),
        fixture("request-embed-batch.json")
    );
}

#[test]
fn model_names_cannot_change_the_path() {
    assert_eq!(
        model_path("gemini-2.5-flash").as_deref().ok(),
        Some("models/gemini-2.5-flash")
    );
    assert_eq!(
        model_path("models/gemini-2.5-flash").as_deref().ok(),
        Some("models/gemini-2.5-flash")
    );
    for bad in [
        "",
        "../admin",
        "a/b",
        "x?key=1",
        "a:b",
        "..",
        "gemini flash",
    ] {
        assert!(model_path(bad).is_err(), "{bad}");
    }
}
