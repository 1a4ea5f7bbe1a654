//! Proto request → Gemini `generateContent` / `batchEmbedContents` bodies.
//!
//! Pure: images behind http(s) URLs are fetched beforehand (see
//! [`images::http_image_urls`](crate::providers::images::http_image_urls)) and handed in, so every translation is testable offline.
//!
//! `reasoning_effort` mapping (Gemini's thinking controls differ by family):
//! - Gemini 3 (`thinkingLevel`): Flash models take `minimal|low|medium|high`
//!   as given; other models only know `low|high`, so `minimal|low` → `low`
//!   and `medium|high` → `high`. `none` → the lowest level (Gemini 3 cannot
//!   switch thinking off).
//! - Gemini 2.5 and others (`thinkingBudget`, tokens): `none` → 0 (off, where
//!   the model allows it), `minimal` → 512, `low` → 1024, `medium` → 8192,
//!   `high` → 24576 (every value inside each 2.5 model's documented range).
//! - An Anthropic-style `thinking: {type: enabled, budget_tokens: N}` in the
//!   request's extra fields (LobeChat sends it) sets `thinkingBudget: N`;
//!   `{type: disabled}` sets 0.
//!
//! `includeThoughts: true` goes with every thinking config that does not turn
//! thinking off, and is sent on its own to models that think by default
//! (2.5, 3), so their thought summaries come back as `reasoning_content`.

use std::collections::HashMap;

use modelgate::error::GatewayError;
use modelgate::json::map_from_struct;
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice as ToolChoiceKind;
use modelgate::v1::{ChatCompletionRequest, EmbedRequest, Message, Role};
use serde_json::{Map, Value, json};

use super::{call_ids, schema};
use crate::providers::images::{InlineImage, parse_data_uri};
use crate::providers::path_segment::PathSegment;

/// Gemini accepts at most this many stop sequences.
const MAX_STOP_SEQUENCES: usize = 5;
/// The signature Gemini documents for function calls it did not produce
/// (history from another model); Gemini 3 rejects unsigned calls otherwise.
const FOREIGN_CALL_SIGNATURE: &str = "skip_thought_signature_validator";

/// The `models/{name}` path segment for a model, checked so that nothing a
/// client sends can change the request path.
pub fn model_path(model: &str) -> Result<String, GatewayError> {
    let (prefix, name) = match model.strip_prefix("tunedModels/") {
        Some(rest) => ("tunedModels", rest),
        None => ("models", model.strip_prefix("models/").unwrap_or(model)),
    };
    // The rules every URL-path adapter shares, then Gemini's narrower name syntax.
    let name = PathSegment::new(name)?;
    let valid = name.as_str().len() <= 200
        && name
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.as_str().starts_with('.');
    if !valid {
        return Err(GatewayError::invalid(
            "model",
            format!(
                "`{}` is not a valid Gemini model name",
                short(model).escape_debug()
            ),
        ));
    }
    Ok(format!("{prefix}/{name}"))
}

/// Whether the model thinks without being asked (2.5 and 3 families).
pub fn thinks_by_default(model: &str) -> bool {
    let name = model.strip_prefix("models/").unwrap_or(model);
    name.starts_with("gemini-2.5")
        || name.starts_with("gemini-3")
        || (name.starts_with("gemini-") && name.ends_with("-latest"))
}

fn is_gemini_3(model: &str) -> bool {
    model
        .strip_prefix("models/")
        .unwrap_or(model)
        .starts_with("gemini-3")
}

/// The JSON body for `:generateContent` / `:streamGenerateContent`.
pub fn chat_body(
    req: &ChatCompletionRequest,
    images: &HashMap<String, InlineImage>,
) -> Result<Value, GatewayError> {
    let mut body = Map::new();
    let (system, contents) = contents(req, images)?;
    body.insert("contents".into(), contents.into());
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let declarations: Vec<Value> = req
        .tools
        .iter()
        .filter_map(|tool| {
            if tool.r#type != "function" {
                tracing::debug!(kind = %tool.r#type, "gemini: non-function tool dropped");
                return None;
            }
            let f = tool.function.as_ref()?;
            let mut decl = Map::new();
            decl.insert("name".into(), f.name.clone().into());
            decl.insert(
                "description".into(),
                f.description.clone().unwrap_or_default().into(),
            );
            if let Some(params) = &f.parameters {
                decl.insert(
                    "parameters".into(),
                    schema::clean(&Value::Object(map_from_struct(params))),
                );
            }
            Some(Value::Object(decl))
        })
        .collect();
    if !declarations.is_empty() {
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations}]),
        );
        if let Some(config) = tool_config(req) {
            body.insert("toolConfig".into(), config);
        }
    }
    let extra = req.extra.as_ref().map(map_from_struct).unwrap_or_default();
    let generation = generation_config(req, &extra);
    if !generation.is_empty() {
        body.insert("generationConfig".into(), generation.into());
    }
    if let Some(settings) = extra
        .get("safety_settings")
        .or_else(|| extra.get("safetySettings"))
    {
        body.insert("safetySettings".into(), settings.clone());
    }
    let ignored: Vec<&String> = extra
        .keys()
        .filter(|k| {
            !matches!(
                k.as_str(),
                "top_k" | "thinking" | "safety_settings" | "safetySettings"
            )
        })
        .collect();
    if !ignored.is_empty() {
        tracing::debug!(
            ?ignored,
            "gemini: request fields without a Gemini equivalent dropped"
        );
    }
    if req.parallel_tool_calls.is_some() || !req.logit_bias.is_empty() || req.user.is_some() {
        tracing::debug!(
            "gemini: parallel_tool_calls / logit_bias / user have no Gemini equivalent; dropped"
        );
    }
    Ok(Value::Object(body))
}

fn tool_config(req: &ChatCompletionRequest) -> Option<Value> {
    let choice = req.tool_choice.as_ref()?.choice.as_ref()?;
    let config = match choice {
        ToolChoiceKind::Mode(mode) => match mode.as_str() {
            "auto" => json!({"mode": "AUTO"}),
            "none" => json!({"mode": "NONE"}),
            "required" => json!({"mode": "ANY"}),
            other => {
                tracing::debug!(mode = other, "gemini: unknown tool_choice dropped");
                return None;
            }
        },
        ToolChoiceKind::FunctionName(name) => {
            json!({"mode": "ANY", "allowedFunctionNames": [name]})
        }
    };
    Some(json!({"functionCallingConfig": config}))
}

fn generation_config(
    req: &ChatCompletionRequest,
    extra: &Map<String, Value>,
) -> Map<String, Value> {
    let mut g = Map::new();
    put(&mut g, "temperature", req.temperature);
    put(&mut g, "topP", req.top_p);
    if let Some(top_k) = extra.get("top_k") {
        match top_k.as_f64() {
            Some(k) if k >= 0.0 => {
                g.insert("topK".into(), top_k.clone());
            }
            _ => tracing::debug!("gemini: top_k is not a non-negative number; dropped"),
        }
    }
    put(
        &mut g,
        "maxOutputTokens",
        req.max_completion_tokens.or(req.max_tokens),
    );
    if !req.stop.is_empty() {
        if req.stop.len() > MAX_STOP_SEQUENCES {
            tracing::debug!("gemini: only the first {MAX_STOP_SEQUENCES} stop sequences are sent");
        }
        let stops: Vec<&String> = req.stop.iter().take(MAX_STOP_SEQUENCES).collect();
        g.insert("stopSequences".into(), json!(stops));
    }
    match req.seed.map(i32::try_from) {
        Some(Ok(seed)) => {
            g.insert("seed".into(), seed.into());
        }
        Some(Err(_)) => tracing::debug!("gemini: seed outside int32 dropped"),
        None => {}
    }
    put(&mut g, "candidateCount", req.n);
    put(&mut g, "presencePenalty", req.presence_penalty);
    put(&mut g, "frequencyPenalty", req.frequency_penalty);
    if let Some(format) = &req.response_format {
        match format.r#type.as_str() {
            "json_object" => {
                g.insert("responseMimeType".into(), "application/json".into());
            }
            "json_schema" => {
                g.insert("responseMimeType".into(), "application/json".into());
                if let Some(s) = format.json_schema.as_ref().and_then(|s| s.schema.as_ref()) {
                    g.insert(
                        "responseSchema".into(),
                        schema::clean(&Value::Object(map_from_struct(s))),
                    );
                }
            }
            _ => {}
        }
    }
    if let Some(thinking) = thinking_config(req, extra) {
        g.insert("thinkingConfig".into(), thinking);
    }
    g
}

fn thinking_config(req: &ChatCompletionRequest, extra: &Map<String, Value>) -> Option<Value> {
    let model = req.model.as_str();
    let mut config = Map::new();
    if let Some(effort) = req.reasoning_effort.as_deref() {
        if is_gemini_3(model) {
            let flash = model.contains("flash");
            let level = match effort {
                "minimal" | "low" | "medium" if flash => Some(effort),
                "none" | "minimal" | "low" => Some(if flash { "minimal" } else { "low" }),
                "medium" | "high" => Some("high"),
                _ => None,
            };
            match level {
                Some(level) => {
                    config.insert("thinkingLevel".into(), level.into());
                }
                None => tracing::debug!(effort, "gemini: unknown reasoning_effort dropped"),
            }
        } else {
            let budget = match effort {
                "none" => Some(0),
                "minimal" => Some(512),
                "low" => Some(1024),
                "medium" => Some(8192),
                "high" => Some(24576),
                _ => None,
            };
            match budget {
                Some(b) => {
                    config.insert("thinkingBudget".into(), b.into());
                }
                None => tracing::debug!(effort, "gemini: unknown reasoning_effort dropped"),
            }
        }
    }
    if let Some(thinking) = extra.get("thinking").and_then(Value::as_object) {
        match thinking.get("type").and_then(Value::as_str) {
            Some("disabled") => {
                config.insert("thinkingBudget".into(), 0.into());
            }
            Some("enabled") => {
                if let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64) {
                    config.insert("thinkingBudget".into(), budget.into());
                }
            }
            _ => {}
        }
    }
    let off = config.get("thinkingBudget").and_then(Value::as_u64) == Some(0);
    if !off && (!config.is_empty() || thinks_by_default(model)) {
        config.insert("includeThoughts".into(), true.into());
    }
    (!config.is_empty()).then_some(Value::Object(config))
}

/// System parts and the `contents` list (roles `user`/`model`, consecutive
/// same-role turns merged as Gemini wants alternation).
fn contents(
    req: &ChatCompletionRequest,
    images: &HashMap<String, InlineImage>,
) -> Result<(Vec<Value>, Vec<Value>), GatewayError> {
    let mut system = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut call_names: HashMap<&str, &str> = HashMap::new();
    for (i, msg) in req.messages.iter().enumerate() {
        if msg.name.is_some() {
            tracing::debug!("gemini: message `name` has no Gemini equivalent; dropped");
        }
        let (role, parts) = match msg.role() {
            Role::System | Role::Developer => {
                system.extend(
                    text_of(msg)
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .map(|t| json!({"text": t})),
                );
                continue;
            }
            Role::User | Role::Unspecified => ("user", user_parts(msg, i, images)?),
            Role::Assistant => {
                let mut parts: Vec<Value> = text_of(msg)
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| json!({"text": t}))
                    .collect();
                for call in &msg.tool_calls {
                    let name = call.name.as_deref().unwrap_or_default();
                    if let Some(id) = call.id.as_deref() {
                        call_names.insert(id, name);
                    }
                    let mut part = Map::new();
                    part.insert(
                        "functionCall".into(),
                        json!({"name": name, "args": arguments(&call.arguments)}),
                    );
                    if let Some(sig) = call.id.as_deref().and_then(call_ids::signature) {
                        part.insert("thoughtSignature".into(), sig.into());
                    }
                    parts.push(Value::Object(part));
                }
                ("model", parts)
            }
            Role::Tool => {
                let text = text_of(msg).join("");
                let name = msg
                    .tool_call_id
                    .as_deref()
                    .and_then(|id| call_names.get(id).copied());
                match name {
                    Some(name) => (
                        "user",
                        vec![
                            json!({"functionResponse": {"name": name, "response": tool_response(&text)}}),
                        ],
                    ),
                    // The call is not in the history (a client that trims old
                    // turns): Gemini rejects an unmatched functionResponse,
                    // so the result goes as text.
                    None => {
                        tracing::debug!(
                            "gemini: tool result without its call in history sent as text"
                        );
                        ("user", vec![json!({"text": text})])
                    }
                }
            }
        };
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    if is_gemini_3(&req.model) {
        for (role, parts) in &mut turns {
            if *role == "model" {
                sign_foreign_calls(parts);
            }
        }
    }
    let contents = turns
        .into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect();
    Ok((system, contents))
}

/// A model turn whose calls carry no signature came from elsewhere: its
/// first call gets the documented stand-in signature.
fn sign_foreign_calls(parts: &mut [Value]) {
    let calls = || parts.iter().filter(|p| p.get("functionCall").is_some());
    if calls().any(|p| p.get("thoughtSignature").is_some()) {
        return;
    }
    if let Some(Value::Object(first)) = parts.iter_mut().find(|p| p.get("functionCall").is_some()) {
        first.insert("thoughtSignature".into(), FOREIGN_CALL_SIGNATURE.into());
    }
}

/// Tool call arguments as the object Gemini wants.
fn arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return json!({});
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => {
            tracing::debug!("gemini: tool call arguments are not a JSON object; sent as {{}}");
            json!({})
        }
    }
}

/// A tool result as the object `functionResponse.response` must be.
fn tool_response(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(other) if !text.trim().is_empty() => json!({"content": other}),
        _ => json!({"content": text}),
    }
}

fn text_of(msg: &Message) -> Vec<String> {
    match &msg.content {
        Some(Content::Text(t)) => vec![t.clone()],
        Some(Content::Parts(parts)) => parts
            .parts
            .iter()
            .filter_map(|p| match &p.part {
                Some(Part::Text(t)) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    }
}

fn user_parts(
    msg: &Message,
    index: usize,
    images: &HashMap<String, InlineImage>,
) -> Result<Vec<Value>, GatewayError> {
    let parts = match &msg.content {
        Some(Content::Text(t)) if t.is_empty() => Vec::new(),
        Some(Content::Text(t)) => vec![json!({"text": t})],
        Some(Content::Parts(parts)) => {
            let mut out = Vec::new();
            for part in parts.parts.iter().filter_map(|p| p.part.as_ref()) {
                match part {
                    Part::Text(t) if t.is_empty() => {}
                    Part::Text(t) => out.push(json!({"text": t})),
                    Part::ImageUrl(image) => {
                        let inline = parse_data_uri(&image.url)
                            .or_else(|| images.get(&image.url).cloned())
                            .ok_or_else(|| {
                                GatewayError::invalid(
                                    format!("messages[{index}].content"),
                                    format!(
                                        "image_url must be a data: URI or an http(s) URL, got `{}`",
                                        short(&image.url)
                                    ),
                                )
                            })?;
                        out.push(inline_data(&inline.mime, &inline.base64));
                    }
                    Part::Other(other) => match other_part(&map_from_struct(other)) {
                        Some(v) => out.push(v),
                        None => tracing::debug!(
                            "gemini: content part without a Gemini equivalent dropped"
                        ),
                    },
                }
            }
            out
        }
        None => Vec::new(),
    };
    Ok(parts)
}

/// `input_audio` and `file` parts with inline data.
fn other_part(part: &Map<String, Value>) -> Option<Value> {
    match part.get("type").and_then(Value::as_str)? {
        "input_audio" => {
            let audio = part.get("input_audio")?;
            let data = audio.get("data")?.as_str()?;
            let format = audio.get("format").and_then(Value::as_str).unwrap_or("wav");
            Some(inline_data(&format!("audio/{format}"), data))
        }
        "file" => {
            let data = part.get("file")?.get("file_data")?.as_str()?;
            let inline = parse_data_uri(data)?;
            Some(inline_data(&inline.mime, &inline.base64))
        }
        _ => None,
    }
}

fn inline_data(mime: &str, data: &str) -> Value {
    json!({"inlineData": {"mimeType": mime, "data": data}})
}

/// The JSON body for `:batchEmbedContents`.
pub fn embed_body(req: &EmbedRequest, model_path: &str) -> Result<Value, GatewayError> {
    if !req.token_input.is_empty() {
        return Err(GatewayError::invalid(
            "input",
            "Gemini embeddings take text input, not token arrays.",
        ));
    }
    let extra = req.extra.as_ref().map(map_from_struct).unwrap_or_default();
    let task_type = extra
        .get("task_type")
        .or_else(|| extra.get("taskType"))
        .and_then(Value::as_str);
    let requests: Vec<Value> = req
        .input
        .iter()
        .map(|text| {
            let mut one = Map::new();
            one.insert("model".into(), model_path.into());
            one.insert("content".into(), json!({"parts": [{"text": text}]}));
            if let Some(d) = req.dimensions {
                one.insert("outputDimensionality".into(), d.into());
            }
            if let Some(t) = task_type {
                one.insert("taskType".into(), t.into());
            }
            Value::Object(one)
        })
        .collect();
    Ok(json!({"requests": requests}))
}

fn put<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.into(), v.into());
    }
}

fn short(text: &str) -> String {
    text.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
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
}
