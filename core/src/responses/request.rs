//! A Responses request as the chat request that answers it on an upstream without a Responses
//! API. What chat cannot carry is refused with a 400 naming the field; what only concerns the
//! Responses API (`store`, `metadata`, `prompt_cache_key`, `safety_identifier`, `extra`) is
//! dropped, since chat upstreams may reject fields they do not know.

use modelgate::error::GatewayError;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice;
use modelgate::v1::{
    ChatCompletionRequest, FunctionDefinition, JsonSchemaFormat, Message, ResponseFormat,
    ResponseRequest, ResponseTool, ResponseToolChoice, Role, StreamOptions, TextConfig, Tool,
    ToolChoice,
};

use super::input::{append_messages, unsupported};
use crate::config::ProviderKind;

/// The chat request for `request` on an upstream of `kind`.
pub fn chat_request(
    request: &ResponseRequest,
    kind: ProviderKind,
) -> Result<ChatCompletionRequest, GatewayError> {
    if request
        .previous_response_id
        .as_deref()
        .is_some_and(|id| !id.is_empty())
    {
        return Err(unsupported(
            "previous_response_id".into(),
            format!(
                "`previous_response_id` is not supported by `{}` providers, which store no \
                 responses; send the whole conversation in `input`.",
                kind.as_str()
            ),
        ));
    }
    let tools = request
        .tools
        .iter()
        .enumerate()
        .map(|(i, t)| tool(t, i, kind))
        .collect::<Result<Vec<_>, _>>()?;
    let tool_choice = match &request.tool_choice {
        Some(choice) => tool_choice(choice, kind)?,
        None => None,
    };
    let mut messages = Vec::new();
    if let Some(instructions) = request.instructions.as_ref().filter(|s| !s.is_empty()) {
        messages.push(text_message(Role::System, instructions));
    }
    if let Some(text) = &request.input_text {
        messages.push(text_message(Role::User, text));
    }
    append_messages(&request.input, kind, &mut messages)?;
    if messages.is_empty() {
        return Err(GatewayError::invalid(
            "input",
            "`input` is required: a string, or a list of input items.",
        ));
    }
    Ok(ChatCompletionRequest {
        model: request.model.clone(),
        messages,
        stream: request.stream,
        // Usage arrives in a last chunk only when asked for; the response needs it.
        stream_options: request.stream.then_some(StreamOptions {
            include_usage: true,
        }),
        tools,
        tool_choice,
        parallel_tool_calls: request.parallel_tool_calls,
        temperature: request.temperature,
        top_p: request.top_p,
        // `max_tokens`: every adapter honours it, and OpenAI-compatible servers know it where
        // many do not know `max_completion_tokens`.
        max_tokens: request.max_output_tokens,
        reasoning_effort: request.reasoning.as_ref().and_then(|r| r.effort.clone()),
        response_format: match &request.text {
            Some(text) => response_format(text)?,
            None => None,
        },
        user: request.user.clone(),
        ..Default::default()
    })
}

fn text_message(role: Role, text: &str) -> Message {
    Message {
        role: role as i32,
        content: Some(Content::Text(text.to_owned())),
        ..Default::default()
    }
}

fn tool(tool: &ResponseTool, i: usize, kind: ProviderKind) -> Result<Tool, GatewayError> {
    if tool.r#type != "function" {
        return Err(unsupported(
            format!("tools[{i}].type"),
            format!(
                "The `{}` tool is not supported by `{}` providers: built-in tools run only on \
                 OpenAI and Azure. Use `function` tools.",
                tool.r#type,
                kind.as_str()
            ),
        ));
    }
    let name = match tool.name.as_deref() {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => {
            return Err(GatewayError::invalid(
                format!("tools[{i}].name"),
                "Function tools need a `name`.",
            ));
        }
    };
    Ok(Tool {
        r#type: "function".into(),
        function: Some(FunctionDefinition {
            name,
            description: tool.description.clone(),
            parameters: tool.parameters.clone(),
            strict: tool.strict,
        }),
        extra: None,
    })
}

fn tool_choice(
    choice: &ResponseToolChoice,
    kind: ProviderKind,
) -> Result<Option<ToolChoice>, GatewayError> {
    let picked = match (&choice.mode, choice.r#type.as_deref()) {
        (Some(mode), _) => Choice::Mode(mode.clone()),
        (None, Some("function")) => match choice.name.as_deref() {
            Some(name) if !name.is_empty() => Choice::FunctionName(name.to_owned()),
            _ => {
                return Err(GatewayError::invalid(
                    "tool_choice.name",
                    "A `function` tool choice needs a `name`.",
                ));
            }
        },
        (None, Some(other)) => {
            return Err(unsupported(
                "tool_choice.type".into(),
                format!(
                    "Tool choice `{other}` is not supported by `{}` providers: they run only \
                     `function` tools.",
                    kind.as_str()
                ),
            ));
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(ToolChoice {
        choice: Some(picked),
    }))
}

fn response_format(text: &TextConfig) -> Result<Option<ResponseFormat>, GatewayError> {
    let Some(format) = &text.format else {
        return Ok(None);
    };
    Ok(match format.r#type.as_str() {
        // Plain text is what chat answers with anyway.
        "text" | "" => None,
        "json_object" => Some(ResponseFormat {
            r#type: "json_object".into(),
            json_schema: None,
        }),
        "json_schema" => Some(ResponseFormat {
            r#type: "json_schema".into(),
            json_schema: Some(JsonSchemaFormat {
                name: format
                    .name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "response".into()),
                description: format.description.clone(),
                schema: format.schema.clone(),
                strict: format.strict,
            }),
        }),
        other => {
            return Err(GatewayError::invalid(
                "text.format.type",
                format!(
                    "Invalid text format `{other}`: one of `text`, `json_object`, `json_schema`."
                ),
            ));
        }
    })
}
