use super::*;
use modelgate::json::map_from_struct;
use modelgate::v1::content_part::Part;
use serde_json::json;

macro_rules! fixture {
    ($path:literal) => {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/",
            $path
        ))
        .expect(concat!("fixture ", $path))
    };
}
pub(super) use fixture;

pub(super) fn chat(body: &serde_json::Value) -> Result<ChatCompletionRequest> {
    chat_request_from_json(body.to_string().as_bytes())
}

pub(super) fn chat_ok(body: &serde_json::Value) -> ChatCompletionRequest {
    chat(body).unwrap_or_else(|e| panic!("{body}: {e:?}"))
}

pub(super) fn chat_err(body: &serde_json::Value) -> GatewayError {
    match chat(body) {
        Ok(req) => panic!("accepted {body}: {req:?}"),
        Err(e) => e,
    }
}

pub(super) fn extra_json(extra: &Option<prost_types::Struct>) -> serde_json::Value {
    extra
        .as_ref()
        .map_or(json!({}), |s| serde_json::Value::Object(map_from_struct(s)))
}

/// Adds unknown top-level fields to a fixture body.
pub(super) fn with_unknown_fields(bytes: &[u8]) -> Vec<u8> {
    let mut body: serde_json::Value = serde_json::from_slice(bytes).expect("fixture is JSON");
    let obj = body.as_object_mut().expect("fixture is an object");
    obj.insert("prompt_cache_key".into(), json!("conv-42"));
    obj.insert("metadata".into(), json!({"trace": "abc", "n": 3}));
    body.to_string().into_bytes()
}

pub(super) fn unknown_fields() -> serde_json::Value {
    json!({"prompt_cache_key": "conv-42", "metadata": {"trace": "abc", "n": 3}})
}

#[test]
fn openai_fixture_stream_include_usage() {
    let bytes = fixture!("openai/request-chat-stream-include-usage.json");
    let req = chat_request_from_json(&bytes).expect("converts");
    assert_eq!(req.model, "gpt-3.5-turbo");
    assert!(req.stream);
    assert_eq!(
        req.stream_options,
        Some(StreamOptions {
            include_usage: true
        })
    );
    assert_eq!(req.max_completion_tokens, Some(50));
    assert_eq!(req.max_tokens, None);
    assert_eq!(req.temperature, Some(0.0));
    assert_eq!(req.messages.len(), 1);
    assert_eq!(req.messages[0].role, Role::User as i32);
    assert_eq!(
        req.messages[0].content,
        Some(message::Content::Text("Count from 1 to 5".into()))
    );
    assert_eq!(req.extra, None, "every field of this fixture is modelled");

    let req = chat_request_from_json(&with_unknown_fields(&bytes)).expect("converts");
    assert_eq!(extra_json(&req.extra), unknown_fields());
    assert_eq!(req.max_completion_tokens, Some(50));
}

#[test]
fn openai_fixture_tools() {
    let bytes = fixture!("openai/request-chat-tools.json");
    let req = chat_request_from_json(&bytes).expect("converts");
    assert_eq!(req.tools.len(), 1);
    let tool = &req.tools[0];
    assert_eq!(tool.r#type, "function");
    assert_eq!(tool.extra, None);
    let function = tool.function.as_ref().expect("function tool");
    assert_eq!(function.name, "getCurrentWeather");
    assert_eq!(
        function.description.as_deref(),
        Some("Get the current weather in a given location")
    );
    let params = serde_json::Value::Object(map_from_struct(
        function.parameters.as_ref().expect("parameters"),
    ));
    assert_eq!(
        params["properties"]["unit"]["enum"],
        json!(["celsius", "fahrenheit"])
    );
    assert_eq!(params["required"], json!(["location"]));
    assert!(!req.stream);
    assert_eq!(req.stream_options, None);

    let req = chat_request_from_json(&with_unknown_fields(&bytes)).expect("converts");
    assert_eq!(extra_json(&req.extra), unknown_fields());
}

#[test]
fn openai_fixture_stream_tools_history() {
    let bytes = fixture!("openai/request-chat-stream-tools.json");
    let req = chat_request_from_json(&bytes).expect("converts");
    assert_eq!(req.model, "gpt-4o");
    assert_eq!(req.tools.len(), 19);
    assert_eq!(
        req.tools
            .iter()
            .filter(|t| t.function.as_ref().and_then(|f| f.strict) == Some(true))
            .count(),
        5
    );
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice {
            choice: Some(tool_choice::Choice::Mode("required".into()))
        })
    );
    let assistant = &req.messages[1];
    assert_eq!(assistant.role, Role::Assistant as i32);
    assert_eq!(assistant.content, None);
    assert_eq!(
        assistant.tool_calls,
        vec![
            ToolCall {
                index: 0,
                id: Some("call_q2UyBRP7eXNTzAoR8lEhjc9Z".into()),
                r#type: Some("function".into()),
                name: Some("get_country".into()),
                arguments: "{}".into(),
            },
            ToolCall {
                index: 1,
                id: Some("call_b51ijcpFkDiTQG1bQzsrmtW5".into()),
                r#type: Some("function".into()),
                name: Some("get_product_name".into()),
                arguments: "{}".into(),
            },
        ]
    );
    let tool_result = &req.messages[2];
    assert_eq!(tool_result.role, Role::Tool as i32);
    assert_eq!(
        tool_result.tool_call_id.as_deref(),
        Some("call_q2UyBRP7eXNTzAoR8lEhjc9Z")
    );
    assert_eq!(req.extra, None);

    let req = chat_request_from_json(&with_unknown_fields(&bytes)).expect("converts");
    assert_eq!(extra_json(&req.extra), unknown_fields());
}

#[test]
fn openai_compatible_fixture_deepseek() {
    let bytes = fixture!("openai-compatible/request-deepseek-chat-stream.json");
    let req = chat_request_from_json(&bytes).expect("converts");
    assert_eq!(req.model, "deepseek-reasoner");
    assert!(req.stream);
    assert_eq!(
        req.stream_options,
        Some(StreamOptions {
            include_usage: true
        })
    );
    assert_eq!(req.extra, None);

    let req = chat_request_from_json(&with_unknown_fields(&bytes)).expect("converts");
    assert_eq!(extra_json(&req.extra), unknown_fields());
}

#[test]
fn lobechat_style_body() {
    let data_uri = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    let body = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "developer", "content": "You are a helpful assistant."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": data_uri, "detail": "auto"}},
                {"type": "image_url", "image_url": "https://example.com/cat.png"},
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
            ]},
            {"role": "assistant", "content": "A red pixel.", "reasoning_content": "The image is 1x1 and red.",
             "refusal": null, "annotations": []},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {
                    "name": "lobe-web-browsing____search____builtin",
                    "arguments": {"query": "red pixel"}}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "name": "lobe-web-browsing____search____builtin",
             "content": "[]"},
            {"role": "user", "content": "Thanks"}
        ],
        "tools": [
            {"type": "function", "function": {
                "name": "lobe-web-browsing____search____builtin",
                "description": "Search the web",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
            }, "cache_control": {"type": "ephemeral"}},
            {"type": "web_search_preview", "search_context_size": "low"}
        ],
        "temperature": 0.7,
        "top_p": 1,
        "presence_penalty": 0,
        "frequency_penalty": 0.5,
        "max_tokens": 4096,
        "stream": true,
        "stream_options": {"include_usage": true},
        "user": "user-123",
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "prompt_cache_key": "session-abc",
        "service_tier": "auto",
        "logprobs": false,
        "top_logprobs": null,
        "metadata": {"lobe": "chat"},
        "store": false,
        "modalities": ["text"]
    });
    let req = chat_ok(&body);

    assert_eq!(req.model, "gpt-4o");
    assert!(req.stream);
    assert_eq!(
        req.stream_options,
        Some(StreamOptions {
            include_usage: true
        })
    );
    assert_eq!(req.temperature, Some(0.7));
    assert_eq!(req.top_p, Some(1.0));
    assert_eq!(req.presence_penalty, Some(0.0));
    assert_eq!(req.frequency_penalty, Some(0.5));
    assert_eq!(req.max_tokens, Some(4096));
    assert_eq!(req.max_completion_tokens, None);
    assert_eq!(req.user.as_deref(), Some("user-123"));

    // Unknown top-level fields, unchanged (nulls included).
    assert_eq!(
        extra_json(&req.extra),
        json!({
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "prompt_cache_key": "session-abc",
            "service_tier": "auto",
            "logprobs": false,
            "top_logprobs": null,
            "metadata": {"lobe": "chat"},
            "store": false,
            "modalities": ["text"]
        })
    );

    let m = &req.messages;
    assert_eq!(m.len(), 6);
    assert_eq!(m[0].role, Role::Developer as i32);
    assert_eq!(
        m[0].content,
        Some(message::Content::Text(
            "You are a helpful assistant.".into()
        ))
    );

    let Some(message::Content::Parts(parts)) = &m[1].content else {
        panic!("parts expected: {:?}", m[1].content)
    };
    let parts: Vec<_> = parts.parts.iter().map(|p| p.part.clone()).collect();
    assert_eq!(parts[0], Some(Part::Text("What is in this image?".into())));
    assert_eq!(
        parts[1],
        Some(Part::ImageUrl(ImageUrl {
            url: data_uri.into(),
            detail: Some("auto".into())
        }))
    );
    assert_eq!(
        parts[2],
        Some(Part::ImageUrl(ImageUrl {
            url: "https://example.com/cat.png".into(),
            detail: None
        }))
    );
    let Some(Part::Other(audio)) = &parts[3] else {
        panic!("other part expected: {:?}", parts[3])
    };
    assert_eq!(
        serde_json::Value::Object(map_from_struct(audio)),
        json!({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}})
    );

    assert_eq!(m[2].role, Role::Assistant as i32);
    assert_eq!(
        m[2].reasoning_content.as_deref(),
        Some("The image is 1x1 and red.")
    );
    // Unknown message keys are kept as sent.
    assert_eq!(
        extra_json(&m[2].extra),
        json!({"refusal": null, "annotations": []})
    );

    assert_eq!(m[3].content, None);
    let call = &m[3].tool_calls[0];
    assert_eq!(
        call.name.as_deref(),
        Some("lobe-web-browsing____search____builtin")
    );
    // Object arguments are re-sent as JSON text.
    let args: serde_json::Value = serde_json::from_str(&call.arguments).expect("JSON arguments");
    assert_eq!(args, json!({"query": "red pixel"}));

    assert_eq!(m[4].role, Role::Tool as i32);
    assert_eq!(m[4].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(
        m[4].name.as_deref(),
        Some("lobe-web-browsing____search____builtin")
    );
    assert_eq!(m[4].extra, None);

    let function_tool = &req.tools[0];
    assert_eq!(function_tool.r#type, "function");
    assert_eq!(
        function_tool.function.as_ref().map(|f| f.name.as_str()),
        Some("lobe-web-browsing____search____builtin")
    );
    assert_eq!(
        extra_json(&function_tool.extra),
        json!({"cache_control": {"type": "ephemeral"}})
    );
    let hosted_tool = &req.tools[1];
    assert_eq!(hosted_tool.r#type, "web_search_preview");
    assert_eq!(hosted_tool.function, None);
    assert_eq!(
        extra_json(&hosted_tool.extra),
        json!({"type": "web_search_preview", "search_context_size": "low"})
    );
}

#[test]
fn remaining_typed_fields() {
    let req = chat_ok(&json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi", "name": "bob"}],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": false,
        "n": 2,
        "seed": -7,
        "stop": ["END", "STOP"],
        "logit_bias": {"50256": -100, "1234": 2.5},
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "answer", "description": "d", "strict": true,
            "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}},
        "reasoning_effort": "high",
        "max_completion_tokens": 2.0
    }));
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice {
            choice: Some(tool_choice::Choice::FunctionName("get_weather".into()))
        })
    );
    assert_eq!(req.parallel_tool_calls, Some(false));
    assert_eq!(req.n, Some(2));
    assert_eq!(req.seed, Some(-7));
    assert_eq!(req.stop, vec!["END".to_owned(), "STOP".to_owned()]);
    assert_eq!(req.logit_bias.get("50256"), Some(&-100.0));
    assert_eq!(req.logit_bias.get("1234"), Some(&2.5));
    assert_eq!(req.reasoning_effort.as_deref(), Some("high"));
    assert_eq!(req.max_completion_tokens, Some(2));
    assert_eq!(req.messages[0].name.as_deref(), Some("bob"));
    let format = req.response_format.expect("response_format");
    assert_eq!(format.r#type, "json_schema");
    let schema = format.json_schema.expect("json_schema");
    assert_eq!(schema.name, "answer");
    assert_eq!(schema.description.as_deref(), Some("d"));
    assert_eq!(schema.strict, Some(true));
    assert_eq!(
        serde_json::Value::Object(map_from_struct(&schema.schema.expect("schema"))),
        json!({"type": "object", "properties": {"a": {"type": "integer"}}})
    );
    assert_eq!(req.extra, None);

    let req = chat_ok(&json!({
        "model": "m", "messages": [{"role": "user", "content": "hi"}],
        "stop": "\n", "tool_choice": "none", "response_format": {"type": "json_object"},
        "stream": null, "temperature": null, "stream_options": {"include_usage": false, "x": 1}
    }));
    assert_eq!(req.stop, vec!["\n".to_owned()]);
    assert_eq!(
        req.tool_choice,
        Some(ToolChoice {
            choice: Some(tool_choice::Choice::Mode("none".into()))
        })
    );
    assert_eq!(
        req.response_format.map(|f| f.r#type),
        Some("json_object".into())
    );
    assert!(!req.stream);
    assert_eq!(req.temperature, None);
    // Other stream_options keys are dropped (documented), not moved to extra.
    assert_eq!(
        req.stream_options,
        Some(StreamOptions {
            include_usage: false
        })
    );
    assert_eq!(req.extra, None);
}

#[test]
fn invalid_requests_name_the_field() {
    let ok_messages = json!([{"role": "user", "content": "hi"}]);
    let with = |field: &str, value: serde_json::Value| {
        let mut body = json!({"model": "m", "messages": ok_messages.clone()});
        body[field] = value;
        body
    };
    let message = |m: serde_json::Value| json!({"model": "m", "messages": [{"role": "user", "content": "hi"}, m]});

    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            json!({"messages": ok_messages}),
            "model",
            "Missing required parameter: 'model'.",
        ),
        (
            json!({"model": null, "messages": ok_messages}),
            "model",
            "Missing required parameter: 'model'.",
        ),
        (
            json!({"model": "", "messages": ok_messages}),
            "model",
            "Invalid 'model': empty string.",
        ),
        (
            json!({"model": 4, "messages": ok_messages}),
            "model",
            "Invalid type for 'model': expected a string, but got an integer instead.",
        ),
        (
            json!({"model": "m"}),
            "messages",
            "Missing required parameter: 'messages'.",
        ),
        (
            json!({"model": "m", "messages": []}),
            "messages",
            "Invalid 'messages': empty array.",
        ),
        (
            json!({"model": "m", "messages": "hi"}),
            "messages",
            "Invalid type for 'messages': expected an array, but got a string instead.",
        ),
        (
            json!({"model": "m", "messages": ["hi"]}),
            "messages[0]",
            "Invalid type for 'messages[0]': expected an object, but got a string instead.",
        ),
        (
            message(json!({"role": "robot", "content": "x"})),
            "messages[1].role",
            "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.",
        ),
        (
            message(json!({"content": "x"})),
            "messages[1].role",
            "Missing required parameter: 'messages[1].role'.",
        ),
        (
            message(json!({"role": "user", "content": 5})),
            "messages[1].content",
            "Invalid type for 'messages[1].content': expected one of a string or array of objects, but got an integer instead.",
        ),
        (
            message(json!({"role": "user", "content": {"type": "text"}})),
            "messages[1].content",
            "expected one of a string or array of objects, but got an object instead.",
        ),
        (
            message(json!({"role": "user", "content": ["hi"]})),
            "messages[1].content[0]",
            "expected an object, but got a string instead.",
        ),
        (
            message(json!({"role": "user", "content": [{"text": "hi"}]})),
            "messages[1].content[0].type",
            "Missing required parameter: 'messages[1].content[0].type'.",
        ),
        (
            message(json!({"role": "user", "content": [{"type": "text", "text": 3}]})),
            "messages[1].content[0].text",
            "expected a string, but got an integer instead.",
        ),
        (
            message(json!({"role": "user", "content": [{"type": "image_url"}]})),
            "messages[1].content[0].image_url",
            "Missing required parameter",
        ),
        (
            message(
                json!({"role": "user", "content": [{"type": "image_url", "image_url": {"detail": "low"}}]}),
            ),
            "messages[1].content[0].image_url.url",
            "Missing required parameter",
        ),
        (
            message(json!({"role": "user", "content": "x", "name": 1})),
            "messages[1].name",
            "expected a string, but got an integer instead.",
        ),
        (
            message(json!({"role": "tool", "content": "x", "tool_call_id": true})),
            "messages[1].tool_call_id",
            "expected a string, but got a boolean instead.",
        ),
        (
            message(json!({"role": "assistant", "reasoning_content": ["x"]})),
            "messages[1].reasoning_content",
            "expected a string, but got an array instead.",
        ),
        (
            message(json!({"role": "assistant", "tool_calls": {}})),
            "messages[1].tool_calls",
            "expected an array, but got an object instead.",
        ),
        (
            message(json!({"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]})),
            "messages[1].tool_calls[0].function",
            "Missing required parameter",
        ),
        (
            message(
                json!({"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}),
            ),
            "messages[1].tool_calls[0].function.name",
            "Missing required parameter",
        ),
        (
            message(
                json!({"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 1}}]}),
            ),
            "messages[1].tool_calls[0].function.arguments",
            "expected a string, but got an integer instead.",
        ),
        (
            with("temperature", json!("hot")),
            "temperature",
            "Invalid type for 'temperature': expected a number, but got a string instead.",
        ),
        (
            with("top_p", json!(true)),
            "top_p",
            "expected a number, but got a boolean instead.",
        ),
        (
            with("presence_penalty", json!([])),
            "presence_penalty",
            "expected a number",
        ),
        (
            with("frequency_penalty", json!({})),
            "frequency_penalty",
            "expected a number",
        ),
        (
            with("max_tokens", json!(-1)),
            "max_tokens",
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 0, but got -1 instead.",
        ),
        (
            with("max_tokens", json!(1.5)),
            "max_tokens",
            "Invalid type for 'max_tokens': expected an integer, but got a decimal number instead.",
        ),
        (
            with("max_tokens", json!(5_000_000_000_u64)),
            "max_tokens",
            "integer above maximum value. Expected a value <= 4294967295, but got 5000000000 instead.",
        ),
        (
            with("max_completion_tokens", json!("10")),
            "max_completion_tokens",
            "expected an integer, but got a string instead.",
        ),
        (with("n", json!(-2)), "n", "integer below minimum value"),
        (
            with("n", json!(0.25)),
            "n",
            "expected an integer, but got a decimal number instead.",
        ),
        (with("seed", json!(1.5)), "seed", "expected an integer"),
        (
            with("seed", json!(u64::MAX)),
            "seed",
            "integer above maximum value",
        ),
        (
            with("stream", json!("yes")),
            "stream",
            "expected a boolean, but got a string instead.",
        ),
        (
            with("parallel_tool_calls", json!(1)),
            "parallel_tool_calls",
            "expected a boolean",
        ),
        (
            with("stream_options", json!(true)),
            "stream_options",
            "expected an object",
        ),
        (
            with("stream_options", json!({"include_usage": "true"})),
            "stream_options.include_usage",
            "expected a boolean, but got a string instead.",
        ),
        (
            with("stop", json!(5)),
            "stop",
            "expected one of a string or array of strings",
        ),
        (
            with("stop", json!(["a", 5])),
            "stop[1]",
            "expected a string, but got an integer instead.",
        ),
        (
            with("logit_bias", json!([1])),
            "logit_bias",
            "expected an object",
        ),
        (
            with("logit_bias", json!({"50256": "x"})),
            "logit_bias.50256",
            "expected a number",
        ),
        (with("user", json!(42)), "user", "expected a string"),
        (
            with("reasoning_effort", json!(1)),
            "reasoning_effort",
            "expected a string",
        ),
        (with("tools", json!({})), "tools", "expected an array"),
        (
            with(
                "tools",
                json!([{"type": "function", "function": {"description": "no name"}}]),
            ),
            "tools[0].function.name",
            "Missing required parameter: 'tools[0].function.name'.",
        ),
        (
            with(
                "tools",
                json!([{"type": "function", "function": {"name": 7}}]),
            ),
            "tools[0].function.name",
            "expected a string, but got an integer instead.",
        ),
        (
            with(
                "tools",
                json!([{"type": "function", "function": {"name": "f", "parameters": "x"}}]),
            ),
            "tools[0].function.parameters",
            "expected an object",
        ),
        (
            with(
                "tools",
                json!([{"type": "function", "function": {"name": "f", "strict": "yes"}}]),
            ),
            "tools[0].function.strict",
            "expected a boolean",
        ),
        (
            with("tools", json!([{"type": "function", "function": "f"}])),
            "tools[0].function",
            "expected an object",
        ),
        (
            with("tools", json!([{"name": "f"}])),
            "tools[0].type",
            "Missing required parameter",
        ),
        (with("tools", json!([1])), "tools[0]", "expected an object"),
        (
            with("tool_choice", json!("sometimes")),
            "tool_choice",
            "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'.",
        ),
        (
            with("tool_choice", json!({"type": "allowed_tools"})),
            "tool_choice.type",
            "Invalid value: 'allowed_tools'. Supported values are: 'function'.",
        ),
        (
            with("tool_choice", json!({"type": "function"})),
            "tool_choice.function",
            "Missing required parameter",
        ),
        (
            with("tool_choice", json!({"type": "function", "function": {}})),
            "tool_choice.function.name",
            "Missing required parameter",
        ),
        (
            with("tool_choice", json!(true)),
            "tool_choice",
            "expected one of a string or an object",
        ),
        (
            with("response_format", json!("json")),
            "response_format",
            "expected an object",
        ),
        (
            with("response_format", json!({})),
            "response_format.type",
            "Missing required parameter",
        ),
        (
            with("response_format", json!({"type": "yaml"})),
            "response_format.type",
            "Invalid value: 'yaml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        ),
        (
            with("response_format", json!({"type": "json_schema"})),
            "response_format.json_schema",
            "Missing required parameter",
        ),
        (
            with(
                "response_format",
                json!({"type": "json_schema", "json_schema": {"schema": {}}}),
            ),
            "response_format.json_schema.name",
            "Missing required parameter",
        ),
        (
            with(
                "response_format",
                json!({"type": "json_schema", "json_schema": {"name": "a", "schema": []}}),
            ),
            "response_format.json_schema.schema",
            "expected an object",
        ),
    ];

    for (body, param, message) in cases {
        let err = chat_err(&body);
        assert_eq!(err.kind, ErrorKind::InvalidRequest, "{body}");
        assert_eq!(err.http_status(), 400, "{body}");
        assert_eq!(err.param.as_deref(), Some(param), "{body}: {}", err.message);
        assert!(
            err.message.contains(message),
            "{body}: message {:?} lacks {message:?}",
            err.message
        );
    }
}
