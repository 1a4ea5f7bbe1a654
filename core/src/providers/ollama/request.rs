//! Proto request → Ollama `/api/chat` and `/api/embed` JSON bodies.
//!
//! Pure functions: http(s) images are fetched beforehand (see
//! [`images::http_image_urls`](crate::providers::images::http_image_urls)) and handed in as base64, so every translation here is
//! testable from fixture strings.

use std::collections::HashMap;

use modelgate::error::GatewayError;
use modelgate::json::{json_from_value, map_from_struct};
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice as ToolChoiceKind;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, Message, Role, Tool, ToolCall};
use serde_json::{Map, Value, json};

use crate::providers::images::parse_data_uri;

/// Model options Ollama reads from `options` (its Modelfile parameters), so
/// a client's `extra` field of that name goes there.
const OPTION_KEYS: &[&str] = &[
    "top_k",
    "min_p",
    "typical_p",
    "tfs_z",
    "num_ctx",
    "num_keep",
    "num_batch",
    "num_gpu",
    "num_thread",
    "repeat_last_n",
    "repeat_penalty",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
    "penalize_newline",
];

/// Top-level `/api/chat` fields a client may set through `extra` as is
/// (typed fields such as `response_format` and `reasoning_effort` win).
const PASSTHROUGH_KEYS: &[&str] = &["keep_alive", "think", "format"];

/// The JSON body for `POST {base}/api/chat`. `fetched` maps each http(s)
/// image URL to its base64 bytes.
pub fn chat_body(
    req: &ChatCompletionRequest,
    fetched: &HashMap<String, String>,
) -> Result<Value, GatewayError> {
    let mut body = Map::new();
    let mut options = Map::new();
    if let Some(extra) = &req.extra {
        for (key, value) in map_from_struct(extra) {
            if OPTION_KEYS.contains(&key.as_str()) {
                options.insert(key, value);
            } else if PASSTHROUGH_KEYS.contains(&key.as_str()) {
                body.insert(key, value);
            } else if key == "options" {
                if let Value::Object(given) = value {
                    options.extend(given);
                }
            } else if key == "thinking" {
                // LobeChat's Anthropic-style switch: `{"type": "enabled"|"disabled"}`.
                match value.get("type").and_then(Value::as_str) {
                    Some("enabled") => {
                        body.entry("think").or_insert(Value::Bool(true));
                    }
                    Some("disabled") => {
                        body.entry("think").or_insert(Value::Bool(false));
                    }
                    _ => tracing::debug!(
                        field = "thinking",
                        "ollama: dropped a `thinking` value it cannot map"
                    ),
                }
            } else {
                tracing::debug!(field = %key, "ollama: dropped a request field /api/chat does not take");
            }
        }
    }
    body.insert("model".into(), req.model.clone().into());
    body.insert("messages".into(), messages(&req.messages, fetched)?.into());
    body.insert("stream".into(), req.stream.into());

    let tools_off = matches!(
        req.tool_choice.as_ref().and_then(|c| c.choice.as_ref()),
        Some(ToolChoiceKind::Mode(mode)) if mode == "none"
    );
    if !req.tools.is_empty() && !tools_off {
        body.insert(
            "tools".into(),
            req.tools.iter().filter_map(tool).collect::<Vec<_>>().into(),
        );
    }
    match req.tool_choice.as_ref().and_then(|c| c.choice.as_ref()) {
        Some(ToolChoiceKind::Mode(mode)) if mode == "auto" || mode == "none" => {}
        Some(_) => tracing::debug!(
            "ollama: tool_choice cannot be enforced; the tools are offered as with `auto`"
        ),
        None => {}
    }
    if req.parallel_tool_calls.is_some() {
        tracing::debug!("ollama: dropped parallel_tool_calls (not an Ollama option)");
    }

    put(&mut options, "temperature", req.temperature.map(number));
    put(&mut options, "top_p", req.top_p.map(number));
    put(
        &mut options,
        "num_predict",
        req.max_tokens
            .or(req.max_completion_tokens)
            .map(Value::from),
    );
    put(&mut options, "seed", req.seed.map(Value::from));
    put(
        &mut options,
        "presence_penalty",
        req.presence_penalty.map(number),
    );
    put(
        &mut options,
        "frequency_penalty",
        req.frequency_penalty.map(number),
    );
    if !req.stop.is_empty() {
        options.insert("stop".into(), req.stop.clone().into());
    }
    if !options.is_empty() {
        body.insert("options".into(), options.into());
    }
    if req.n.is_some_and(|n| n > 1) {
        tracing::debug!("ollama: dropped n > 1 (one answer per call)");
    }
    if !req.logit_bias.is_empty() {
        tracing::debug!("ollama: dropped logit_bias (not an Ollama option)");
    }
    if req.user.is_some() {
        tracing::debug!("ollama: dropped user (not an Ollama field)");
    }

    if let Some(format) = &req.response_format {
        match format.r#type.as_str() {
            "json_object" => {
                body.insert("format".into(), "json".into());
            }
            "json_schema" => {
                let schema = format.json_schema.as_ref().and_then(|s| s.schema.as_ref());
                let value = schema.map_or_else(
                    || Value::from("json"),
                    |s| Value::Object(map_from_struct(s)),
                );
                body.insert("format".into(), value);
            }
            "text" => {}
            other => tracing::debug!(
                response_format = other,
                "ollama: dropped an unknown response_format"
            ),
        }
    }
    if let Some(effort) = &req.reasoning_effort {
        match think_value(&req.model, effort) {
            Some(think) => {
                body.insert("think".into(), think);
            }
            None => {
                tracing::debug!(reasoning_effort = %effort, "ollama: dropped a reasoning_effort it cannot map")
            }
        }
    }
    Ok(Value::Object(body))
}

/// `reasoning_effort` → Ollama's `think`: GPT-OSS takes the named levels
/// (its documented `low`/`medium`/`high`); other thinking models take a
/// boolean. `none` turns thinking off.
pub fn think_value(model: &str, effort: &str) -> Option<Value> {
    let levels = model.to_ascii_lowercase().contains("gpt-oss");
    let level = match effort {
        "none" => return Some(Value::Bool(false)),
        "minimal" | "low" => "low",
        "medium" => "medium",
        "high" | "xhigh" => "high",
        _ => return None,
    };
    Some(if levels {
        Value::from(level)
    } else {
        Value::Bool(true)
    })
}

/// The JSON body for `POST {base}/api/embed`.
pub fn embed_body(req: &EmbedRequest) -> Result<Value, GatewayError> {
    if !req.token_input.is_empty() {
        return Err(GatewayError::invalid(
            "input",
            "Ollama embeds text only; send strings, not token arrays.",
        ));
    }
    let mut body = Map::new();
    if let Some(extra) = &req.extra {
        for (key, value) in map_from_struct(extra) {
            match key.as_str() {
                "truncate" | "keep_alive" | "options" => {
                    body.insert(key, value);
                }
                // Always floats: the gateway re-encodes if the client wants base64.
                "encoding_format" => {}
                _ => {
                    tracing::debug!(field = %key, "ollama: dropped an embeddings field /api/embed does not take")
                }
            }
        }
    }
    body.insert("model".into(), req.model.clone().into());
    let input: Value = match req.input.as_slice() {
        [one] => one.clone().into(),
        many => many.to_vec().into(),
    };
    body.insert("input".into(), input);
    put(&mut body, "dimensions", req.dimensions.map(Value::from));
    if req.user.is_some() {
        tracing::debug!("ollama: dropped user (not an Ollama field)");
    }
    Ok(Value::Object(body))
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

/// Whole numbers as JSON integers (Ollama's integer options reject `5.5`
/// but take `5`; floats stay floats).
fn number(v: f64) -> Value {
    json_from_value(&prost_types::Value {
        kind: Some(prost_types::value::Kind::NumberValue(v)),
    })
}

fn role_name(role: Role) -> &'static str {
    match role {
        // Ollama has no developer role; it is the system prompt's successor.
        Role::System | Role::Developer => "system",
        Role::User | Role::Unspecified => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn messages(
    msgs: &[Message],
    fetched: &HashMap<String, String>,
) -> Result<Vec<Value>, GatewayError> {
    // Tool results name their call by id; Ollama wants the function's name.
    let names: HashMap<&str, &str> = msgs
        .iter()
        .flat_map(|m| &m.tool_calls)
        .filter_map(|c| Some((c.id.as_deref()?, c.name.as_deref()?)))
        .collect();
    msgs.iter()
        .enumerate()
        .map(|(i, msg)| message(i, msg, &names, fetched))
        .collect()
}

fn message(
    i: usize,
    msg: &Message,
    names: &HashMap<&str, &str>,
    fetched: &HashMap<String, String>,
) -> Result<Value, GatewayError> {
    let mut out = Map::new();
    out.insert("role".into(), role_name(msg.role()).into());
    let mut images = Vec::new();
    let content = match &msg.content {
        Some(Content::Text(text)) => text.clone(),
        Some(Content::Parts(parts)) => {
            let mut texts = Vec::new();
            for part in parts.parts.iter().filter_map(|p| p.part.as_ref()) {
                match part {
                    Part::Text(text) => texts.push(text.as_str()),
                    Part::ImageUrl(image) => images.push(image_base64(i, &image.url, fetched)?),
                    Part::Other(_) => tracing::debug!(
                        "ollama: dropped a content part that is neither text nor image"
                    ),
                }
            }
            texts.join("\n")
        }
        None => String::new(),
    };
    out.insert("content".into(), content.into());
    if !images.is_empty() {
        out.insert("images".into(), images.into());
    }
    if msg.name.is_some() {
        tracing::debug!("ollama: dropped a message name (Ollama messages have none)");
    }
    if !msg.tool_calls.is_empty() {
        let calls: Vec<Value> = msg
            .tool_calls
            .iter()
            .enumerate()
            .map(|(pos, c)| tool_call(pos, c))
            .collect();
        out.insert("tool_calls".into(), calls.into());
    }
    if let Some(id) = &msg.tool_call_id {
        match names.get(id.as_str()) {
            Some(name) => {
                out.insert("tool_name".into(), (*name).into());
            }
            None => {
                tracing::debug!(tool_call_id = %id, "ollama: a tool result names no call of the history")
            }
        }
    }
    if let Some(reasoning) = msg.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
        out.insert("thinking".into(), reasoning.clone().into());
    }
    Ok(Value::Object(out))
}

fn image_base64(
    i: usize,
    url: &str,
    fetched: &HashMap<String, String>,
) -> Result<String, GatewayError> {
    if let Some(image) = parse_data_uri(url) {
        return Ok(image.base64);
    }
    fetched.get(url).cloned().ok_or_else(|| {
        let shown: String = url.chars().take(100).collect();
        GatewayError::invalid(
            format!("messages[{i}].content"),
            format!("image_url must be a base64 data: URI or an http(s) URL, got `{shown}`"),
        )
    })
}

/// A history tool call: Ollama takes the arguments as a JSON object.
fn tool_call(pos: usize, call: &ToolCall) -> Value {
    let arguments = match serde_json::from_str::<Value>(&call.arguments) {
        Ok(Value::Object(args)) => Value::Object(args),
        _ if call.arguments.trim().is_empty() => json!({}),
        _ => {
            tracing::debug!(
                "ollama: history tool call arguments are not a JSON object; sent as {{}}"
            );
            json!({})
        }
    };
    let mut function = Map::new();
    function.insert("index".into(), pos.into());
    function.insert("name".into(), call.name.clone().unwrap_or_default().into());
    function.insert("arguments".into(), arguments);
    let mut out = Map::new();
    if let Some(id) = call.id.as_ref().filter(|id| !id.is_empty()) {
        out.insert("id".into(), id.clone().into());
    }
    out.insert("function".into(), function.into());
    Value::Object(out)
}

/// Tool definitions in OpenAI's function format, which Ollama takes as is.
fn tool(tool: &Tool) -> Option<Value> {
    let Some(f) = &tool.function else {
        tracing::debug!(r#type = %tool.r#type, "ollama: dropped a tool that is not a function");
        return None;
    };
    let mut func = Map::new();
    func.insert("name".into(), f.name.clone().into());
    if let Some(d) = &f.description {
        func.insert("description".into(), d.clone().into());
    }
    let parameters = f.parameters.as_ref().map_or_else(
        || json!({"type": "object", "properties": {}}),
        |p| Value::Object(map_from_struct(p)),
    );
    func.insert("parameters".into(), parameters);
    Some(json!({"type": "function", "function": func}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::json::struct_from_map;
    use modelgate::v1::{
        ContentPart, ContentParts, FunctionDefinition, ImageUrl, JsonSchemaFormat, ResponseFormat,
        ToolChoice,
    };

    fn fixture_json(name: &str) -> Value {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/ollama/"
        );
        let bytes = std::fs::read(format!("{dir}{name}")).expect("fixture present");
        serde_json::from_slice(&bytes).expect("fixture is JSON")
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("object"),
        }
    }

    fn text(role: Role, text: &str) -> Message {
        Message {
            role: role as i32,
            content: Some(Content::Text(text.into())),
            ..Default::default()
        }
    }

    fn weather_tool() -> Tool {
        let fixture = fixture_json("request-chat-tools.json");
        let f = &fixture["tools"][0]["function"];
        Tool {
            r#type: "function".into(),
            function: Some(FunctionDefinition {
                name: f["name"].as_str().expect("name").into(),
                description: f["description"].as_str().map(str::to_owned),
                parameters: Some(struct_from_map(obj(f["parameters"].clone()))),
                strict: None,
            }),
            extra: None,
        }
    }

    #[test]
    fn tools_request_matches_the_recorded_one() {
        // The recorded request (langchaingo → Ollama Cloud) and ours carry
        // the same messages and tools.
        let want = fixture_json("request-chat-tools.json");
        let req = ChatCompletionRequest {
            model: "gpt-oss:120b".into(),
            messages: vec![text(
                Role::User,
                want["messages"][0]["content"].as_str().expect("text"),
            )],
            tools: vec![weather_tool()],
            ..Default::default()
        };
        let body = chat_body(&req, &HashMap::new()).expect("builds");
        assert_eq!(body["model"], want["model"]);
        assert_eq!(body["stream"], want["stream"]);
        assert_eq!(body["messages"], want["messages"]);
        assert_eq!(body["tools"], want["tools"]);
    }

    #[test]
    fn tool_result_history_matches_the_recorded_one() {
        let want = fixture_json("request-chat-tool-result.json");
        let call = &want["messages"][1]["tool_calls"][0]["function"];
        let req = ChatCompletionRequest {
            model: "gpt-oss:120b".into(),
            messages: vec![
                text(
                    Role::User,
                    want["messages"][0]["content"].as_str().expect("text"),
                ),
                Message {
                    role: Role::Assistant as i32,
                    content: None,
                    tool_calls: vec![ToolCall {
                        index: 0,
                        id: Some("call_mo1wm122".into()),
                        r#type: Some("function".into()),
                        name: call["name"].as_str().map(str::to_owned),
                        arguments: call["arguments"].to_string(),
                    }],
                    reasoning_content: Some("User asks about weather.".into()),
                    ..Default::default()
                },
                Message {
                    tool_call_id: Some("call_mo1wm122".into()),
                    ..text(
                        Role::Tool,
                        want["messages"][2]["content"].as_str().expect("text"),
                    )
                },
            ],
            tools: vec![weather_tool()],
            ..Default::default()
        };
        let body = chat_body(&req, &HashMap::new()).expect("builds");
        let msgs = &body["messages"];
        assert_eq!(
            msgs[1]["tool_calls"][0]["function"],
            want["messages"][1]["tool_calls"][0]["function"]
        );
        assert_eq!(msgs[1]["tool_calls"][0]["id"], "call_mo1wm122");
        assert_eq!(msgs[1]["content"], "");
        assert_eq!(msgs[1]["thinking"], "User asks about weather.");
        assert_eq!(msgs[2]["role"], "tool");
        assert_eq!(msgs[2]["content"], want["messages"][2]["content"]);
        assert_eq!(msgs[2]["tool_name"], "getWeather");
    }

    #[test]
    fn options_formats_and_think() {
        let Value::Object(extra) = json!({"top_k": 40, "keep_alive": "5m", "service_tier": "flex", "prompt_cache_key": "x"})
        else {
            panic!("object")
        };
        let req = ChatCompletionRequest {
            model: "qwen3:8b".into(),
            messages: vec![text(Role::Developer, "be brief"), text(Role::User, "hi")],
            stream: true,
            temperature: Some(0.0),
            top_p: Some(0.9),
            max_tokens: Some(50),
            seed: Some(7),
            stop: vec!["\n".into()],
            presence_penalty: Some(1.5),
            frequency_penalty: Some(1.0),
            reasoning_effort: Some("high".into()),
            response_format: Some(ResponseFormat {
                r#type: "json_object".into(),
                json_schema: None,
            }),
            extra: Some(struct_from_map(extra)),
            ..Default::default()
        };
        let body = chat_body(&req, &HashMap::new()).expect("builds");
        assert_eq!(
            body["options"],
            json!({"top_k": 40, "temperature": 0, "top_p": 0.9, "num_predict": 50, "seed": 7,
                   "presence_penalty": 1.5, "frequency_penalty": 1, "stop": ["\n"]})
        );
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["stream"], true);
        assert_eq!(body["keep_alive"], "5m");
        assert_eq!(body["format"], "json");
        assert_eq!(body["think"], true);
        assert!(body.get("service_tier").is_none() && body.get("prompt_cache_key").is_none());

        let schema = obj(json!({"type": "object", "properties": {"age": {"type": "integer"}}}));
        let req = ChatCompletionRequest {
            model: "gpt-oss:20b".into(),
            reasoning_effort: Some("low".into()),
            response_format: Some(ResponseFormat {
                r#type: "json_schema".into(),
                json_schema: Some(JsonSchemaFormat {
                    name: "person".into(),
                    schema: Some(struct_from_map(schema.clone())),
                    ..Default::default()
                }),
            }),
            tools: vec![weather_tool()],
            tool_choice: Some(ToolChoice {
                choice: Some(ToolChoiceKind::Mode("none".into())),
            }),
            ..Default::default()
        };
        let body = chat_body(&req, &HashMap::new()).expect("builds");
        assert_eq!(body["format"], Value::Object(schema));
        assert_eq!(body["think"], "low");
        assert!(
            body.get("tools").is_none(),
            "tool_choice none sends no tools"
        );
        assert!(body.get("options").is_none());
        assert_eq!(think_value("qwen3", "none"), Some(Value::Bool(false)));
        assert_eq!(think_value("qwen3", "bogus"), None);
    }

    #[test]
    fn images_become_base64_on_the_message() {
        let parts = |url: &str| {
            Some(Content::Parts(ContentParts {
                parts: vec![
                    ContentPart {
                        part: Some(Part::Text("What is in this image?".into())),
                    },
                    ContentPart {
                        part: Some(Part::ImageUrl(ImageUrl {
                            url: url.into(),
                            detail: Some("low".into()),
                        })),
                    },
                ],
            }))
        };
        let mut req = ChatCompletionRequest {
            model: "llava".into(),
            messages: vec![Message {
                role: Role::User as i32,
                content: parts("data:image/png;base64,iVBORw0KGgo="),
                ..Default::default()
            }],
            ..Default::default()
        };
        let body = chat_body(&req, &HashMap::new()).expect("builds");
        assert_eq!(
            body["messages"][0],
            json!({"role": "user", "content": "What is in this image?", "images": ["iVBORw0KGgo="]})
        );

        req.messages[0].content = parts("https://example.com/cat.png");
        assert_eq!(
            crate::providers::images::http_image_urls(&req),
            vec!["https://example.com/cat.png".to_owned()]
        );
        let err = chat_body(&req, &HashMap::new()).expect_err("not fetched");
        assert_eq!(err.param.as_deref(), Some("messages[0].content"));
        let fetched =
            HashMap::from([("https://example.com/cat.png".to_owned(), "AAAA".to_owned())]);
        let body = chat_body(&req, &fetched).expect("builds");
        assert_eq!(body["messages"][0]["images"], json!(["AAAA"]));
    }

    #[test]
    fn embed_request_matches_the_recorded_one() {
        let want = fixture_json("request-embed.json");
        let Value::Object(extra) =
            json!({"options": {"temperature": 0}, "encoding_format": "float"})
        else {
            panic!("object")
        };
        let req = EmbedRequest {
            model: "nomic-embed-text".into(),
            input: vec!["Hello world".into()],
            extra: Some(struct_from_map(extra)),
            ..Default::default()
        };
        assert_eq!(embed_body(&req).expect("builds"), want);
        let req = EmbedRequest {
            model: "m".into(),
            input: vec!["a".into(), "b".into()],
            dimensions: Some(256),
            ..Default::default()
        };
        assert_eq!(
            embed_body(&req).expect("builds"),
            json!({"model": "m", "input": ["a", "b"], "dimensions": 256})
        );
    }
}
