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
mod tests;
