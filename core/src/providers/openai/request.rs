//! Proto request → OpenAI chat completions JSON body.
//!
//! Fields the proto models are written from it; everything in `extra` is
//! copied as the client sent it, so upstream-specific options pass through.

use modelgate::json::{json_from_value, map_from_struct};
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice as ToolChoiceKind;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, Message, Role, Tool, ToolCall};
use serde_json::{Map, Value, json};

/// The JSON body for `POST {base}/chat/completions`.
pub fn chat_body(req: &ChatCompletionRequest) -> Value {
    let mut body = req.extra.as_ref().map(map_from_struct).unwrap_or_default();
    body.insert("model".into(), req.model.clone().into());
    body.insert(
        "messages".into(),
        req.messages.iter().map(message).collect(),
    );
    if req.stream {
        body.insert("stream".into(), true.into());
        // Always ask for usage: accounting needs it even when the client did not.
        body.insert("stream_options".into(), json!({"include_usage": true}));
    } else {
        body.remove("stream");
        body.remove("stream_options");
    }
    if !req.tools.is_empty() {
        body.insert("tools".into(), req.tools.iter().map(tool).collect());
    }
    if let Some(choice) = req.tool_choice.as_ref().and_then(|c| c.choice.as_ref()) {
        let value = match choice {
            ToolChoiceKind::Mode(mode) => Value::String(mode.clone()),
            ToolChoiceKind::FunctionName(name) => {
                json!({"type": "function", "function": {"name": name}})
            }
        };
        body.insert("tool_choice".into(), value);
    }
    put(&mut body, "parallel_tool_calls", req.parallel_tool_calls);
    put(&mut body, "temperature", req.temperature);
    put(&mut body, "top_p", req.top_p);
    put(&mut body, "max_tokens", req.max_tokens);
    put(
        &mut body,
        "max_completion_tokens",
        req.max_completion_tokens,
    );
    put(&mut body, "seed", req.seed);
    put(&mut body, "n", req.n);
    put(&mut body, "presence_penalty", req.presence_penalty);
    put(&mut body, "frequency_penalty", req.frequency_penalty);
    put(&mut body, "reasoning_effort", req.reasoning_effort.clone());
    put(&mut body, "user", req.user.clone());
    if !req.stop.is_empty() {
        body.insert("stop".into(), req.stop.clone().into());
    }
    if !req.logit_bias.is_empty() {
        let bias: Map<String, Value> = req
            .logit_bias
            .iter()
            .map(|(k, v)| (k.clone(), number(*v)))
            .collect();
        body.insert("logit_bias".into(), bias.into());
    }
    if let Some(format) = &req.response_format {
        let mut value = Map::new();
        value.insert("type".into(), format.r#type.clone().into());
        if let Some(schema) = &format.json_schema {
            let mut inner = Map::new();
            inner.insert("name".into(), schema.name.clone().into());
            if let Some(d) = &schema.description {
                inner.insert("description".into(), d.clone().into());
            }
            if let Some(s) = &schema.schema {
                inner.insert("schema".into(), map_from_struct(s).into());
            }
            if let Some(strict) = schema.strict {
                inner.insert("strict".into(), strict.into());
            }
            value.insert("json_schema".into(), inner.into());
        }
        body.insert("response_format".into(), value.into());
    }
    Value::Object(body)
}

/// The JSON body for `POST {base}/embeddings`, always asking for floats.
pub fn embed_body(req: &EmbedRequest) -> Value {
    let mut body = req.extra.as_ref().map(map_from_struct).unwrap_or_default();
    body.insert("model".into(), req.model.clone().into());
    let input: Value = if req.token_input.is_empty() {
        match req.input.as_slice() {
            [one] => one.clone().into(),
            many => many.to_vec().into(),
        }
    } else {
        req.token_input
            .iter()
            .map(|t| Value::from(t.tokens.clone()))
            .collect()
    };
    body.insert("input".into(), input);
    body.insert("encoding_format".into(), "float".into());
    put(&mut body, "dimensions", req.dimensions);
    put(&mut body, "user", req.user.clone());
    Value::Object(body)
}

fn put<T: Into<Value>>(body: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        body.insert(key.into(), v.into());
    }
}

/// Whole numbers as JSON integers, so `5` is not re-sent as `5.0`.
fn number(v: f64) -> Value {
    json_from_value(&prost_types::Value {
        kind: Some(prost_types::value::Kind::NumberValue(v)),
    })
}

/// The wire name of a role.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User | Role::Unspecified => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn message(msg: &Message) -> Value {
    let mut out = msg.extra.as_ref().map(map_from_struct).unwrap_or_default();
    out.insert("role".into(), role_name(msg.role()).into());
    let content = match &msg.content {
        Some(Content::Text(text)) => Value::String(text.clone()),
        Some(Content::Parts(parts)) => parts
            .parts
            .iter()
            .filter_map(|p| p.part.as_ref())
            .map(part)
            .collect(),
        None => Value::Null,
    };
    out.insert("content".into(), content);
    if let Some(name) = &msg.name {
        out.insert("name".into(), name.clone().into());
    }
    if !msg.tool_calls.is_empty() {
        out.insert(
            "tool_calls".into(),
            msg.tool_calls.iter().map(tool_call).collect(),
        );
    }
    if let Some(id) = &msg.tool_call_id {
        out.insert("tool_call_id".into(), id.clone().into());
    }
    if let Some(reasoning) = &msg.reasoning_content {
        out.insert("reasoning_content".into(), reasoning.clone().into());
    }
    Value::Object(out)
}

fn part(part: &Part) -> Value {
    match part {
        Part::Text(text) => json!({"type": "text", "text": text}),
        Part::ImageUrl(image) => {
            let mut inner = Map::new();
            inner.insert("url".into(), image.url.clone().into());
            if let Some(detail) = &image.detail {
                inner.insert("detail".into(), detail.clone().into());
            }
            json!({"type": "image_url", "image_url": inner})
        }
        Part::Other(other) => Value::Object(map_from_struct(other)),
    }
}

fn tool_call(call: &ToolCall) -> Value {
    json!({
        "id": call.id.clone().unwrap_or_default(),
        "type": call.r#type.clone().unwrap_or_else(|| "function".into()),
        "function": {"name": call.name.clone().unwrap_or_default(), "arguments": call.arguments},
    })
}

fn tool(tool: &Tool) -> Value {
    let mut out = tool.extra.as_ref().map(map_from_struct).unwrap_or_default();
    out.insert("type".into(), tool.r#type.clone().into());
    if let Some(f) = &tool.function {
        let mut func = Map::new();
        func.insert("name".into(), f.name.clone().into());
        if let Some(d) = &f.description {
            func.insert("description".into(), d.clone().into());
        }
        if let Some(p) = &f.parameters {
            func.insert("parameters".into(), map_from_struct(p).into());
        }
        if let Some(strict) = f.strict {
            func.insert("strict".into(), strict.into());
        }
        out.insert("function".into(), func.into());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::json::struct_from_map;
    use modelgate::v1::{ContentPart, ContentParts, ImageUrl, StreamOptions};

    fn user(text: &str) -> Message {
        Message {
            role: Role::User as i32,
            content: Some(Content::Text(text.into())),
            ..Default::default()
        }
    }

    #[test]
    fn extra_fields_pass_and_typed_fields_win() {
        let Value::Object(extra) =
            json!({"thinking": {"type": "enabled"}, "model": "stale", "service_tier": "flex"})
        else {
            panic!("object")
        };
        let req = ChatCompletionRequest {
            model: "gpt-4o".into(),
            messages: vec![user("hi")],
            stream: true,
            stream_options: Some(StreamOptions {
                include_usage: false,
            }),
            max_tokens: Some(5),
            temperature: Some(0.5),
            extra: Some(struct_from_map(extra)),
            ..Default::default()
        };
        let body = chat_body(&req);
        assert_eq!(body["model"], "gpt-4o");
        assert_eq!(body["thinking"], json!({"type": "enabled"}));
        assert_eq!(body["service_tier"], "flex");
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["max_tokens"], json!(5));
        assert_eq!(body["temperature"], json!(0.5));
        assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));
    }

    #[test]
    fn history_with_tools_images_and_reasoning() {
        let image = ContentPart {
            part: Some(Part::ImageUrl(ImageUrl {
                url: "data:image/png;base64,AAAA".into(),
                detail: Some("low".into()),
            })),
        };
        let req = ChatCompletionRequest {
            model: "m".into(),
            messages: vec![
                Message {
                    role: Role::User as i32,
                    content: Some(Content::Parts(ContentParts { parts: vec![image] })),
                    ..Default::default()
                },
                Message {
                    role: Role::Assistant as i32,
                    content: None,
                    reasoning_content: Some("thought".into()),
                    tool_calls: vec![ToolCall {
                        index: 0,
                        id: Some("call_1".into()),
                        r#type: Some("function".into()),
                        name: Some("lookup".into()),
                        arguments: "{\"q\":1}".into(),
                    }],
                    ..Default::default()
                },
                Message {
                    role: Role::Tool as i32,
                    content: Some(Content::Text("42".into())),
                    tool_call_id: Some("call_1".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let body = chat_body(&req);
        assert_eq!(body.get("stream"), None);
        let msgs = &body["messages"];
        assert_eq!(
            msgs[0]["content"][0],
            json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}})
        );
        assert_eq!(msgs[1]["content"], Value::Null);
        assert_eq!(msgs[1]["reasoning_content"], "thought");
        assert_eq!(
            msgs[1]["tool_calls"][0]["function"],
            json!({"name": "lookup", "arguments": "{\"q\":1}"})
        );
        assert_eq!(
            msgs[2],
            json!({"role": "tool", "content": "42", "tool_call_id": "call_1"})
        );
    }
}
