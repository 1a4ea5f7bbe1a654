//! Proto request → Anthropic Messages JSON body (`POST /v1/messages`).
//!
//! Anthropic wants the system prompt apart, strictly alternating user and
//! assistant turns, tool calls and results as content blocks, and a
//! `max_tokens`. OpenAI parameters with no Anthropic counterpart are dropped
//! with a debug log rather than sent to fail upstream.

use modelgate::error::GatewayError;
use modelgate::json::map_from_struct;
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice as ToolChoiceKind;
use modelgate::v1::{ChatCompletionRequest, Message, Role, Tool};
use serde_json::{Map, Value, json};

use super::defaults;
use crate::providers::images::parse_data_uri;

/// Fields of `extra` that mean something to Anthropic and are translated.
const EXTRA_PASSED: &[&str] = &["top_k", "thinking"];

/// The JSON body for `POST {base}/v1/messages`.
pub fn messages_body(req: &ChatCompletionRequest) -> Result<Value, GatewayError> {
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    let (system, turns) = conversation(&req.messages)?;
    if !system.is_empty() {
        body.insert("system".into(), system.join("\n\n").into());
    }
    let ends_in_tool_results = turns
        .last()
        .is_some_and(|t| t.role == "user" && t.blocks.first().is_some_and(is_tool_result));
    body.insert(
        "messages".into(),
        turns
            .into_iter()
            .map(|t| json!({"role": t.role, "content": t.blocks}))
            .collect(),
    );
    if req.stream {
        body.insert("stream".into(), true.into());
    }

    let extra = req.extra.as_ref().map(map_from_struct).unwrap_or_default();
    for key in extra.keys().filter(|k| !EXTRA_PASSED.contains(&k.as_str())) {
        tracing::debug!(field = %key, "anthropic: dropping a request field the Messages API does not take");
    }

    let tool_choice = tools_and_choice(req, &mut body);
    let forced_tool = tool_choice
        .as_ref()
        .is_some_and(|c| matches!(c["type"].as_str(), Some("any" | "tool")));
    if let Some(choice) = tool_choice {
        body.insert("tool_choice".into(), choice);
    }

    let explicit_max = req
        .max_completion_tokens
        .or(req.max_tokens)
        .filter(|m| *m > 0);
    let mut max_tokens =
        explicit_max.unwrap_or_else(|| defaults::default_max_tokens(&req.model, req.stream));

    let mut thinking = thinking_config(req, extra.get("thinking"));
    if thinking.is_some() && forced_tool {
        tracing::debug!(
            "anthropic: dropping extended thinking, which cannot be combined with a forced tool_choice"
        );
        thinking = None;
    }
    if thinking.is_some() && ends_in_tool_results {
        // Continuing a tool loop with thinking on needs the previous turn's
        // signed thinking block, which OpenAI-shaped history cannot carry.
        tracing::debug!(
            "anthropic: dropping extended thinking: the tool loop's signed thinking block is not available"
        );
        thinking = None;
    }
    let thinking_on = thinking.as_ref().is_some_and(|t| t["type"] != "disabled");
    if let Some(mut thinking) = thinking {
        if let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64) {
            let budget = u32::try_from(budget).unwrap_or(u32::MAX);
            if budget >= max_tokens {
                // The budget counts inside max_tokens: keep the client's room for the answer.
                max_tokens = max_tokens.saturating_add(budget);
                if explicit_max.is_none()
                    && let Some(limit) = defaults::family_max_output(&req.model)
                {
                    max_tokens = max_tokens.min(limit);
                }
                if budget >= max_tokens {
                    let fitted = (max_tokens / 2).max(defaults::MIN_THINKING_BUDGET);
                    thinking["budget_tokens"] = fitted.into();
                    max_tokens = max_tokens.max(fitted.saturating_add(1));
                }
            }
        }
        body.insert("thinking".into(), thinking);
    }
    body.insert("max_tokens".into(), max_tokens.into());

    sampling(req, &extra, thinking_on, &mut body);
    if !req.stop.is_empty() {
        // Anthropic rejects stop sequences made of whitespace only.
        let stops: Vec<&str> = req
            .stop
            .iter()
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
            .collect();
        if stops.len() < req.stop.len() {
            tracing::debug!("anthropic: dropping whitespace-only stop sequences");
        }
        if !stops.is_empty() {
            body.insert("stop_sequences".into(), stops.into());
        }
    }
    // Anthropic's metadata holds `user_id` only (OpenAI's `metadata` is a
    // free-form map for stored completions and is dropped above).
    if let Some(user) = req.user.as_ref().filter(|u| !u.is_empty()) {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    dropped(req);
    Ok(Value::Object(body))
}

/// One Anthropic turn being assembled.
struct Turn {
    role: &'static str,
    blocks: Vec<Value>,
}

fn is_tool_result(block: &Value) -> bool {
    block["type"] == "tool_result"
}

/// System prompts, and the history as alternating turns.
fn conversation(messages: &[Message]) -> Result<(Vec<String>, Vec<Turn>), GatewayError> {
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        if msg.name.is_some() {
            tracing::debug!(
                message = i,
                "anthropic: dropping the message `name`, which Anthropic has no field for"
            );
        }
        let role = msg.role();
        let (role, blocks) = match role {
            Role::System | Role::Developer => {
                let text = system_text(msg);
                if !text.is_empty() {
                    system.push(text);
                }
                continue;
            }
            Role::User | Role::Unspecified => ("user", content_blocks(msg.content.as_ref(), i)?),
            Role::Assistant => ("assistant", assistant_blocks(msg, i)?),
            Role::Tool => ("user", vec![tool_result(msg, i)?]),
        };
        if blocks.is_empty() {
            tracing::debug!(message = i, "anthropic: skipping a message with no content");
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => {
                if blocks.iter().all(is_tool_result) {
                    // Tool results must lead their user turn.
                    let at = last.blocks.iter().take_while(|b| is_tool_result(b)).count();
                    last.blocks.splice(at..at, blocks);
                } else {
                    last.blocks.extend(blocks);
                }
            }
            _ => turns.push(Turn { role, blocks }),
        }
    }
    Ok((system, turns))
}

fn system_text(msg: &Message) -> String {
    match &msg.content {
        Some(Content::Text(text)) => text.clone(),
        Some(Content::Parts(parts)) => {
            let texts: Vec<&str> = parts
                .parts
                .iter()
                .filter_map(|p| match &p.part {
                    Some(Part::Text(t)) => Some(t.as_str()),
                    _ => {
                        tracing::debug!("anthropic: dropping a non-text part of a system message");
                        None
                    }
                })
                .collect();
            texts.join("\n")
        }
        None => String::new(),
    }
}

/// User (or tool result) content as Anthropic blocks; empty text is left
/// out because the API rejects empty text blocks.
fn content_blocks(content: Option<&Content>, i: usize) -> Result<Vec<Value>, GatewayError> {
    match content {
        Some(Content::Text(text)) if !text.is_empty() => {
            Ok(vec![json!({"type": "text", "text": text})])
        }
        Some(Content::Text(_)) | None => Ok(Vec::new()),
        Some(Content::Parts(parts)) => {
            let mut out = Vec::new();
            for part in parts.parts.iter().filter_map(|p| p.part.as_ref()) {
                if let Some(block) = part_block(part, i)? {
                    out.push(block);
                }
            }
            Ok(out)
        }
    }
}

fn part_block(part: &Part, i: usize) -> Result<Option<Value>, GatewayError> {
    Ok(match part {
        Part::Text(text) if text.is_empty() => None,
        Part::Text(text) => Some(json!({"type": "text", "text": text})),
        Part::ImageUrl(image) => Some(image_block(&image.url, i)?),
        Part::Other(other) => other_part(&map_from_struct(other), i)?,
    })
}

fn image_block(url: &str, i: usize) -> Result<Value, GatewayError> {
    if let Some(image) = parse_data_uri(url) {
        return Ok(
            json!({"type": "image", "source": {"type": "base64", "media_type": image.mime, "data": image.base64}}),
        );
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(json!({"type": "image", "source": {"type": "url", "url": url}}));
    }
    Err(GatewayError::invalid(
        format!("messages[{i}].content"),
        "image_url must be a base64 data: URI or an http(s) URL.",
    ))
}

/// Content parts beyond text and images: OpenAI `file` parts holding a
/// base64 PDF become Anthropic documents; Anthropic-native blocks pass.
fn other_part(part: &Map<String, Value>, i: usize) -> Result<Option<Value>, GatewayError> {
    let kind = part.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "file" => {
            let data = part
                .get("file")
                .and_then(|f| f.get("file_data"))
                .and_then(Value::as_str);
            match data.and_then(parse_data_uri) {
                Some(doc) => Ok(Some(
                    json!({"type": "document", "source": {"type": "base64", "media_type": doc.mime, "data": doc.base64}}),
                )),
                None => Err(GatewayError::invalid(
                    format!("messages[{i}].content"),
                    "file parts need `file.file_data` as a base64 data: URI for this provider.",
                )),
            }
        }
        "document" | "image" | "text" | "search_result" => Ok(Some(Value::Object(part.clone()))),
        other => Err(GatewayError::invalid(
            format!("messages[{i}].content"),
            format!("Content parts of type `{other}` are not supported by Anthropic models."),
        )),
    }
}

fn assistant_blocks(msg: &Message, i: usize) -> Result<Vec<Value>, GatewayError> {
    if msg
        .reasoning_content
        .as_deref()
        .is_some_and(|r| !r.is_empty())
    {
        // Anthropic takes thinking back only with its signature, which an
        // OpenAI-shaped history does not hold; earlier turns' thinking is
        // ignored by the API anyway.
        tracing::debug!(
            message = i,
            "anthropic: dropping reasoning_content from history (no thinking signature)"
        );
    }
    let mut blocks = content_blocks(msg.content.as_ref(), i)?;
    for (n, call) in msg.tool_calls.iter().enumerate() {
        let args = call.arguments.trim();
        let input: Value = if args.is_empty() {
            json!({})
        } else {
            serde_json::from_str(args).map_err(|_| bad_arguments(i, n))?
        };
        if !input.is_object() {
            return Err(bad_arguments(i, n));
        }
        blocks.push(json!({
            "type": "tool_use",
            "id": call.id.clone().unwrap_or_else(|| format!("toolu_{i}_{n}")),
            "name": call.name.clone().unwrap_or_default(),
            "input": input,
        }));
    }
    Ok(blocks)
}

fn bad_arguments(i: usize, n: usize) -> GatewayError {
    GatewayError::invalid(
        format!("messages[{i}].tool_calls[{n}].function.arguments"),
        "Tool call arguments must be a JSON object.",
    )
}

fn tool_result(msg: &Message, i: usize) -> Result<Value, GatewayError> {
    let Some(id) = msg.tool_call_id.as_deref() else {
        return Err(GatewayError::invalid(
            format!("messages[{i}].tool_call_id"),
            "Tool messages need a tool_call_id.",
        ));
    };
    let mut block = json!({"type": "tool_result", "tool_use_id": id});
    match &msg.content {
        Some(Content::Text(text)) => block["content"] = text.clone().into(),
        Some(Content::Parts(_)) => {
            let blocks = content_blocks(msg.content.as_ref(), i)?;
            if !blocks.is_empty() {
                block["content"] = blocks.into();
            }
        }
        None => {}
    }
    Ok(block)
}

/// Writes `tools` and returns the `tool_choice` to send, if any.
fn tools_and_choice(req: &ChatCompletionRequest, body: &mut Map<String, Value>) -> Option<Value> {
    let tools: Vec<Value> = req.tools.iter().filter_map(tool).collect();
    let choice = req.tool_choice.as_ref().and_then(|c| c.choice.as_ref());
    if tools.is_empty() {
        if choice.is_some() || req.parallel_tool_calls.is_some() {
            tracing::debug!("anthropic: dropping tool_choice / parallel_tool_calls without tools");
        }
        return None;
    }
    body.insert("tools".into(), tools.into());
    let mut out = match choice {
        Some(ToolChoiceKind::Mode(mode)) => match mode.as_str() {
            "auto" => json!({"type": "auto"}),
            "none" => json!({"type": "none"}),
            "required" => json!({"type": "any"}),
            other => {
                tracing::debug!(
                    tool_choice = other,
                    "anthropic: dropping an unknown tool_choice mode"
                );
                Value::Null
            }
        },
        Some(ToolChoiceKind::FunctionName(name)) => json!({"type": "tool", "name": name}),
        None => Value::Null,
    };
    if req.parallel_tool_calls == Some(false) && out["type"] != "none" {
        if out.is_null() {
            out = json!({"type": "auto"});
        }
        out["disable_parallel_tool_use"] = true.into();
    }
    (!out.is_null()).then_some(out)
}

fn tool(tool: &Tool) -> Option<Value> {
    let function = tool
        .function
        .as_ref()
        .filter(|_| tool.r#type == "function" || tool.r#type.is_empty());
    let Some(function) = function else {
        tracing::debug!(r#type = %tool.r#type, "anthropic: dropping a tool that is not a function");
        return None;
    };
    if function.strict.is_some() {
        tracing::debug!(tool = %function.name, "anthropic: dropping the tool's `strict` flag");
    }
    let mut schema = function
        .parameters
        .as_ref()
        .map(map_from_struct)
        .unwrap_or_default();
    // input_schema must be an object schema; OpenAI allows leaving it out.
    schema.entry("type").or_insert_with(|| "object".into());
    if schema.get("type").and_then(Value::as_str) == Some("object") {
        schema.entry("properties").or_insert_with(|| json!({}));
    }
    let mut out = Map::new();
    out.insert("name".into(), function.name.clone().into());
    if let Some(d) = function.description.as_ref().filter(|d| !d.is_empty()) {
        out.insert("description".into(), d.clone().into());
    }
    out.insert("input_schema".into(), schema.into());
    Some(Value::Object(out))
}

/// `thinking` from the client's own `thinking` field (LobeChat sends
/// Anthropic's shape) or else from `reasoning_effort`.
fn thinking_config(req: &ChatCompletionRequest, raw: Option<&Value>) -> Option<Value> {
    if let Some(raw) = raw {
        match raw["type"].as_str() {
            Some("enabled") if raw["budget_tokens"].as_u64().is_some() => {
                return Some(json!({"type": "enabled", "budget_tokens": raw["budget_tokens"]}));
            }
            Some("disabled") => return Some(json!({"type": "disabled"})),
            Some("adaptive") => return Some(json!({"type": "adaptive"})),
            _ => tracing::debug!(
                "anthropic: dropping a `thinking` field that is not Anthropic's shape"
            ),
        }
    }
    let effort = req.reasoning_effort.as_deref()?;
    match defaults::thinking_budget(effort) {
        Some(budget) => Some(json!({"type": "enabled", "budget_tokens": budget})),
        None => {
            if effort != "none" {
                tracing::debug!(
                    reasoning_effort = effort,
                    "anthropic: dropping a reasoning_effort with no thinking budget"
                );
            }
            None
        }
    }
}

/// temperature / top_p / top_k, within what Anthropic accepts (and only
/// what extended thinking allows when it is on).
fn sampling(
    req: &ChatCompletionRequest,
    extra: &Map<String, Value>,
    thinking: bool,
    body: &mut Map<String, Value>,
) {
    if let Some(t) = req.temperature {
        if thinking && t != 1.0 {
            tracing::debug!(
                "anthropic: dropping temperature, which extended thinking does not allow"
            );
        } else {
            // OpenAI's range is 0–2, Anthropic's 0–1.
            body.insert("temperature".into(), t.clamp(0.0, 1.0).into());
        }
    }
    if let Some(p) = req.top_p {
        if thinking && p < 0.95 {
            tracing::debug!(
                "anthropic: dropping top_p below 0.95, which extended thinking does not allow"
            );
        } else {
            body.insert("top_p".into(), p.into());
        }
    }
    if let Some(k) = extra.get("top_k").filter(|k| k.is_u64()) {
        if thinking {
            tracing::debug!("anthropic: dropping top_k, which extended thinking does not allow");
        } else {
            body.insert("top_k".into(), k.clone());
        }
    }
}

/// Logs the OpenAI parameters that have no Anthropic counterpart.
fn dropped(req: &ChatCompletionRequest) {
    let present = [
        ("seed", req.seed.is_some()),
        ("n", req.n.is_some_and(|n| n != 1)),
        ("presence_penalty", req.presence_penalty.is_some()),
        ("frequency_penalty", req.frequency_penalty.is_some()),
        ("logit_bias", !req.logit_bias.is_empty()),
        ("response_format", req.response_format.is_some()),
    ];
    for (name, _) in present.iter().filter(|(_, set)| *set) {
        tracing::debug!(
            field = name,
            "anthropic: dropping a parameter the Messages API does not take"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::json::struct_from_map;
    use modelgate::v1::{
        ContentPart, ContentParts, FunctionDefinition, ImageUrl, ToolCall, ToolChoice,
    };

    fn msg(role: Role, text: &str) -> Message {
        Message {
            role: role as i32,
            content: Some(Content::Text(text.into())),
            ..Default::default()
        }
    }

    fn req(messages: Vec<Message>) -> ChatCompletionRequest {
        ChatCompletionRequest {
            model: "claude-3-opus-20240229".into(),
            messages,
            ..Default::default()
        }
    }

    fn extra(v: Value) -> Option<prost_types::Struct> {
        match v {
            Value::Object(m) => Some(struct_from_map(m)),
            _ => None,
        }
    }

    #[test]
    fn recorded_stream_request_shape() {
        // The fields of request-messages-stream.json, rebuilt from an OpenAI request.
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/anthropic/"
        );
        let want: Value = serde_json::from_slice(
            &std::fs::read(format!("{dir}request-messages-stream.json")).expect("fixture"),
        )
        .expect("json");
        let mut r = req(vec![msg(Role::User, "Count from 1 to 5")]);
        r.stream = true;
        r.max_tokens = Some(100);
        r.temperature = Some(0.0);
        let body = messages_body(&r).expect("body");
        assert_eq!(body["model"], want["model"]);
        assert_eq!(body["max_tokens"], want["max_tokens"]);
        assert_eq!(body["stream"], want["stream"]);
        assert_eq!(body["temperature"].as_f64(), want["temperature"].as_f64());
        assert_eq!(
            body["messages"][0]["content"][0]["text"],
            want["messages"][0]["content"]
        );
    }

    #[test]
    fn system_alternation_tools_and_images() {
        let image = |url: &str| ContentPart {
            part: Some(Part::ImageUrl(ImageUrl {
                url: url.into(),
                detail: None,
            })),
        };
        let call = |id: &str, args: &str| ToolCall {
            index: 0,
            id: Some(id.into()),
            r#type: Some("function".into()),
            name: Some("get_weather".into()),
            arguments: args.into(),
        };
        let tool_msg = |id: &str, text: &str| Message {
            tool_call_id: Some(id.into()),
            ..msg(Role::Tool, text)
        };
        let r = req(vec![
            msg(Role::System, "be brief"),
            msg(Role::Developer, "be kind"),
            msg(Role::User, "hi"),
            Message {
                role: Role::User as i32,
                content: Some(Content::Parts(ContentParts {
                    parts: vec![
                        image("data:image/png;base64,iVBORw0KGgo="),
                        image("https://x.test/a.png"),
                    ],
                })),
                ..Default::default()
            },
            Message {
                role: Role::Assistant as i32,
                content: None,
                reasoning_content: Some("hmm".into()),
                tool_calls: vec![call("call_1", "{\"city\":\"Paris\"}"), call("call_2", "")],
                ..Default::default()
            },
            tool_msg("call_1", "sunny"),
            tool_msg("call_2", "rainy"),
            msg(Role::User, "thanks"),
        ]);
        let body = messages_body(&r).expect("body");
        assert_eq!(body["system"], "be brief\n\nbe kind");
        let msgs = body["messages"].as_array().expect("messages");
        assert_eq!(msgs.len(), 3, "{body}");
        assert_eq!(msgs[0]["role"], "user");
        assert_eq!(
            msgs[0]["content"][1],
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}})
        );
        assert_eq!(
            msgs[0]["content"][2],
            json!({"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}})
        );
        assert_eq!(
            msgs[1]["content"],
            json!([
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
            ])
        );
        assert_eq!(
            msgs[2]["content"],
            json!([
                {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "rainy"},
                {"type": "text", "text": "thanks"},
            ])
        );
        assert_eq!(body["max_tokens"], 4096);
    }

    #[test]
    fn tools_choice_and_parallel() {
        let mut r = req(vec![msg(Role::User, "hi")]);
        r.tools = vec![Tool {
            r#type: "function".into(),
            function: Some(FunctionDefinition {
                name: "retrieve_entity_info".into(),
                description: Some("Get the knowledge about the given entity.".into()),
                parameters: extra(
                    json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false}),
                ),
                strict: Some(true),
            }),
            extra: None,
        }];
        r.tool_choice = Some(ToolChoice {
            choice: Some(ToolChoiceKind::Mode("auto".into())),
        });
        let body = messages_body(&r).expect("body");
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/providers/anthropic/"
        );
        let want: Value = serde_json::from_slice(
            &std::fs::read(format!("{dir}request-messages-tools.json")).expect("fixture"),
        )
        .expect("json");
        assert_eq!(body["tools"], want["tools"]);
        assert_eq!(body["tool_choice"], want["tool_choice"]);

        r.tool_choice = Some(ToolChoice {
            choice: Some(ToolChoiceKind::Mode("required".into())),
        });
        r.parallel_tool_calls = Some(false);
        assert_eq!(
            messages_body(&r).expect("body")["tool_choice"],
            json!({"type": "any", "disable_parallel_tool_use": true})
        );
        r.tool_choice = Some(ToolChoice {
            choice: Some(ToolChoiceKind::FunctionName("retrieve_entity_info".into())),
        });
        r.parallel_tool_calls = None;
        assert_eq!(
            messages_body(&r).expect("body")["tool_choice"],
            json!({"type": "tool", "name": "retrieve_entity_info"})
        );
        r.tools.clear();
        assert_eq!(messages_body(&r).expect("body").get("tool_choice"), None);
    }

    #[test]
    fn parameters_thinking_and_drops() {
        let mut r = req(vec![msg(Role::User, "hi")]);
        r.model = "claude-sonnet-4-0".into();
        r.stream = true;
        r.reasoning_effort = Some("low".into());
        r.temperature = Some(0.7);
        r.top_p = Some(0.5);
        r.stop = vec!["END".into(), " ".into()];
        r.user = Some("user-1".into());
        r.seed = Some(3);
        r.extra = extra(json!({"top_k": 5, "service_tier": "flex", "prompt_cache_key": "x"}));
        let body = messages_body(&r).expect("body");
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert_eq!(body["max_tokens"], 64_000);
        for gone in [
            "temperature",
            "top_p",
            "top_k",
            "seed",
            "service_tier",
            "prompt_cache_key",
            "stream_options",
        ] {
            assert_eq!(body.get(gone), None, "{gone}: {body}");
        }
        assert_eq!(body["stop_sequences"], json!(["END"]));
        assert_eq!(body["metadata"], json!({"user_id": "user-1"}));

        // Without thinking, sampling passes (temperature clamped to Anthropic's range).
        r.reasoning_effort = None;
        r.temperature = Some(1.5);
        let body = messages_body(&r).expect("body");
        assert_eq!(
            (body["temperature"].as_f64(), body["top_k"].as_u64()),
            (Some(1.0), Some(5))
        );

        // A budget at or above max_tokens grows max_tokens to keep the answer's room.
        r.reasoning_effort = Some("high".into());
        r.max_tokens = Some(1000);
        let body = messages_body(&r).expect("body");
        assert_eq!(
            (
                body["max_tokens"].as_u64(),
                body["thinking"]["budget_tokens"].as_u64()
            ),
            (Some(17_384), Some(16_384))
        );

        // LobeChat's own `thinking` field wins.
        r.extra = extra(json!({"thinking": {"type": "enabled", "budget_tokens": 2048}}));
        let body = messages_body(&r).expect("body");
        assert_eq!(body["thinking"]["budget_tokens"], 2048);
    }

    #[test]
    fn thinking_is_dropped_when_a_tool_loop_continues() {
        let mut r = req(vec![
            msg(Role::User, "weather?"),
            Message {
                role: Role::Assistant as i32,
                tool_calls: vec![ToolCall {
                    id: Some("t1".into()),
                    name: Some("w".into()),
                    arguments: "{}".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            Message {
                tool_call_id: Some("t1".into()),
                ..msg(Role::Tool, "ok")
            },
        ]);
        r.reasoning_effort = Some("medium".into());
        let body = messages_body(&r).expect("body");
        assert_eq!(body.get("thinking"), None);
    }

    #[test]
    fn bad_inputs_are_client_errors() {
        let r = req(vec![Message {
            role: Role::Assistant as i32,
            tool_calls: vec![ToolCall {
                id: Some("t".into()),
                arguments: "[1]".into(),
                ..Default::default()
            }],
            ..Default::default()
        }]);
        let err = messages_body(&r).expect_err("array arguments");
        assert_eq!(
            err.param.as_deref(),
            Some("messages[0].tool_calls[0].function.arguments")
        );
        let r = req(vec![Message {
            role: Role::User as i32,
            content: Some(Content::Parts(ContentParts {
                parts: vec![ContentPart {
                    part: Some(Part::ImageUrl(ImageUrl {
                        url: "file:///etc/passwd".into(),
                        detail: None,
                    })),
                }],
            })),
            ..Default::default()
        }]);
        assert!(messages_body(&r).is_err());
    }
}
