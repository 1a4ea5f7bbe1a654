//! Responses requests mapped onto chat requests, and the 400s for what chat cannot carry.

use std::collections::HashMap;

use modelgate::error::{ErrorKind, GatewayError};
use modelgate::json::{map_from_struct, struct_from_map};
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;
use modelgate::v1::tool_choice::Choice;
use modelgate::v1::{
    InputItem, Message, ReasoningConfig, ResponsePart, ResponseRequest, ResponseTool,
    ResponseToolChoice, Role, TextConfig, TextFormat,
};
use serde_json::json;

use super::to_chat;
use crate::config::ProviderKind;

fn base() -> ResponseRequest {
    ResponseRequest {
        model: "claude".into(),
        ..Default::default()
    }
}

fn msg(role: &str, text: &str) -> InputItem {
    InputItem {
        r#type: "message".into(),
        role: Some(role.into()),
        content_text: Some(text.into()),
        ..Default::default()
    }
}

fn part(kind: &str) -> ResponsePart {
    ResponsePart {
        r#type: kind.into(),
        ..Default::default()
    }
}

fn call(id: &str, name: &str, args: &str) -> InputItem {
    InputItem {
        r#type: "function_call".into(),
        call_id: Some(id.into()),
        name: Some(name.into()),
        arguments: Some(args.into()),
        ..Default::default()
    }
}

fn text_of(m: &Message) -> Option<&str> {
    match &m.content {
        Some(Content::Text(t)) => Some(t),
        _ => None,
    }
}

fn err(request: &ResponseRequest, kind: ProviderKind) -> GatewayError {
    to_chat(request, kind).expect_err("refused")
}

#[test]
fn instructions_and_input_text_with_sampling_and_caps() {
    let mut extra = serde_json::Map::new();
    extra.insert("fallbacks".into(), json!(["x"]));
    let req = ResponseRequest {
        instructions: Some("Be brief.".into()),
        input_text: Some("Hi".into()),
        stream: true,
        max_output_tokens: Some(300),
        temperature: Some(0.5),
        top_p: Some(0.9),
        parallel_tool_calls: Some(false),
        reasoning: Some(ReasoningConfig {
            effort: Some("low".into()),
            summary: Some("auto".into()),
            extra: None,
        }),
        user: Some("u-1".into()),
        store: Some(true),
        safety_identifier: Some("s".into()),
        prompt_cache_key: Some("k".into()),
        metadata: HashMap::from([("a".into(), "b".into())]),
        extra: Some(struct_from_map(extra)),
        ..base()
    };
    let chat = to_chat(&req, ProviderKind::Anthropic).expect("maps");
    assert_eq!(chat.model, "claude");
    let roles: Vec<i32> = chat.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::System as i32, Role::User as i32]);
    assert_eq!(text_of(&chat.messages[0]), Some("Be brief."));
    assert_eq!(text_of(&chat.messages[1]), Some("Hi"));
    assert!(chat.stream);
    assert_eq!(chat.stream_options.map(|o| o.include_usage), Some(true));
    assert_eq!(
        (chat.max_tokens, chat.max_completion_tokens),
        (Some(300), None)
    );
    assert_eq!((chat.temperature, chat.top_p), (Some(0.5), Some(0.9)));
    assert_eq!(chat.parallel_tool_calls, Some(false));
    assert_eq!(chat.reasoning_effort.as_deref(), Some("low"));
    assert_eq!(chat.user.as_deref(), Some("u-1"));
    // store, metadata, safety_identifier, prompt_cache_key and extra stay behind.
    assert!(chat.extra.is_none());

    let quiet = to_chat(
        &ResponseRequest {
            input_text: Some("Hi".into()),
            ..base()
        },
        ProviderKind::Ollama,
    )
    .expect("maps");
    assert!(!quiet.stream && quiet.stream_options.is_none());
}

#[test]
fn every_message_role_and_part_kind() {
    let user = InputItem {
        content: vec![
            ResponsePart {
                text: Some("What is this?".into()),
                ..part("input_text")
            },
            ResponsePart {
                image_url: Some("https://example.com/a.png".into()),
                detail: Some("high".into()),
                ..part("input_image")
            },
            ResponsePart {
                file_data: Some("data:application/pdf;base64,JVBERi0=".into()),
                filename: Some("a.pdf".into()),
                ..part("input_file")
            },
        ],
        content_text: None,
        ..msg("user", "")
    };
    let assistant = InputItem {
        content: vec![ResponsePart {
            text: Some("An image.".into()),
            ..part("output_text")
        }],
        content_text: None,
        ..msg("assistant", "")
    };
    let req = ResponseRequest {
        input: vec![
            msg("developer", "Rules."),
            msg("system", "More rules."),
            user,
            assistant,
        ],
        ..base()
    };
    let chat = to_chat(&req, ProviderKind::Gemini).expect("maps");
    let roles: Vec<i32> = chat.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::Developer as i32,
            Role::System as i32,
            Role::User as i32,
            Role::Assistant as i32
        ]
    );
    let Some(Content::Parts(parts)) = &chat.messages[2].content else {
        panic!("user parts expected: {:?}", chat.messages[2].content);
    };
    let parts: Vec<_> = parts.parts.iter().filter_map(|p| p.part.clone()).collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], Part::Text("What is this?".into()));
    let Part::ImageUrl(image) = &parts[1] else {
        panic!("image expected");
    };
    assert_eq!(
        (image.url.as_str(), image.detail.as_deref()),
        ("https://example.com/a.png", Some("high"))
    );
    let Part::Other(file) = &parts[2] else {
        panic!("file expected");
    };
    assert_eq!(
        serde_json::Value::Object(map_from_struct(file)),
        json!({"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}})
    );
    assert_eq!(text_of(&chat.messages[3]), Some("An image."));
}

#[test]
fn function_calls_join_the_assistant_message_before_them_and_outputs_are_tool_messages() {
    let req = ResponseRequest {
        input: vec![
            msg("user", "Weather in Paris and Rome?"),
            InputItem {
                r#type: "reasoning".into(),
                summary: vec![part("summary_text")],
                encrypted_content: Some("opaque".into()),
                ..Default::default()
            },
            msg("assistant", "Checking."),
            call("call_1", "weather", r#"{"city":"Paris"}"#),
            call("call_2", "weather", ""),
            InputItem {
                r#type: "function_call_output".into(),
                call_id: Some("call_1".into()),
                output: Some("18C".into()),
                ..Default::default()
            },
            InputItem {
                r#type: "function_call_output".into(),
                call_id: Some("call_2".into()),
                output: Some("21C".into()),
                ..Default::default()
            },
            call("call_3", "weather", r#"{"city":"Oslo"}"#),
        ],
        ..base()
    };
    let chat = to_chat(&req, ProviderKind::Anthropic).expect("maps");
    let roles: Vec<i32> = chat.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User as i32,
            Role::Assistant as i32,
            Role::Tool as i32,
            Role::Tool as i32,
            Role::Assistant as i32,
        ]
    );
    let turn = &chat.messages[1];
    assert_eq!(text_of(turn), Some("Checking."));
    let calls: Vec<_> = turn
        .tool_calls
        .iter()
        .map(|c| {
            (
                c.index,
                c.id.as_deref(),
                c.name.as_deref(),
                c.arguments.as_str(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (0, Some("call_1"), Some("weather"), r#"{"city":"Paris"}"#),
            (1, Some("call_2"), Some("weather"), "{}"),
        ]
    );
    assert_eq!(chat.messages[2].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(text_of(&chat.messages[2]), Some("18C"));
    assert_eq!(chat.messages[3].tool_call_id.as_deref(), Some("call_2"));
    // A call after tool output starts its own assistant message, without content.
    assert!(chat.messages[4].content.is_none());
    assert_eq!(chat.messages[4].tool_calls[0].id.as_deref(), Some("call_3"));
}

#[test]
fn unknown_item_types_are_refused_by_path() {
    let req = ResponseRequest {
        input: vec![
            msg("user", "hi"),
            InputItem {
                r#type: "item_reference".into(),
                id: Some("msg_1".into()),
                ..Default::default()
            },
        ],
        ..base()
    };
    let e = err(&req, ProviderKind::Ollama);
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.openai_type(), "invalid_request_error");
    assert_eq!(e.http_status(), 400);
    assert_eq!(e.param.as_deref(), Some("input[1].type"));
    assert!(
        e.message.contains("`item_reference`") && e.message.contains("`ollama`"),
        "{}",
        e.message
    );

    let bad_role = ResponseRequest {
        input: vec![msg("tool", "x")],
        ..base()
    };
    assert_eq!(
        err(&bad_role, ProviderKind::Gemini).param.as_deref(),
        Some("input[0].role")
    );

    let no_call_id = ResponseRequest {
        input: vec![InputItem {
            r#type: "function_call_output".into(),
            output: Some("x".into()),
            ..Default::default()
        }],
        ..base()
    };
    assert_eq!(
        err(&no_call_id, ProviderKind::Gemini).param.as_deref(),
        Some("input[0].call_id")
    );
}

#[test]
fn file_ids_file_urls_and_ollama_files_are_refused_by_path() {
    let user = |p: ResponsePart| ResponseRequest {
        input: vec![InputItem {
            content: vec![part("input_text"), p],
            content_text: None,
            ..msg("user", "")
        }],
        ..base()
    };
    let image_id = user(ResponsePart {
        file_id: Some("file-1".into()),
        ..part("input_image")
    });
    let e = err(&image_id, ProviderKind::Anthropic);
    assert_eq!(e.kind, ErrorKind::UnsupportedByProvider);
    assert_eq!(e.code.as_deref(), Some("unsupported_by_provider"));
    assert_eq!(e.param.as_deref(), Some("input[0].content[1].file_id"));
    assert!(e.message.contains("`anthropic`"), "{}", e.message);

    let file_id = user(ResponsePart {
        file_id: Some("file-1".into()),
        ..part("input_file")
    });
    assert_eq!(
        err(&file_id, ProviderKind::Gemini).param.as_deref(),
        Some("input[0].content[1].file_id")
    );
    let file_url = user(ResponsePart {
        file_url: Some("https://example.com/a.pdf".into()),
        ..part("input_file")
    });
    assert_eq!(
        err(&file_url, ProviderKind::Gemini).param.as_deref(),
        Some("input[0].content[1].file_url")
    );
    let ollama_file = user(ResponsePart {
        file_data: Some("data:application/pdf;base64,JVBERi0=".into()),
        ..part("input_file")
    });
    let e = err(&ollama_file, ProviderKind::Ollama);
    assert_eq!(e.code.as_deref(), Some("unsupported_by_provider"));
    assert_eq!(e.param.as_deref(), Some("input[0].content[1].type"));
    let audio = user(part("input_audio"));
    assert_eq!(
        err(&audio, ProviderKind::Gemini).param.as_deref(),
        Some("input[0].content[1].type")
    );
}

#[test]
fn function_tools_map_and_built_in_tools_are_refused() {
    let params = struct_from_map(
        json!({"type": "object", "properties": {"city": {"type": "string"}}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let function = ResponseTool {
        r#type: "function".into(),
        name: Some("weather".into()),
        description: Some("Weather now".into()),
        parameters: Some(params.clone()),
        strict: Some(true),
        extra: None,
    };
    let req = ResponseRequest {
        input_text: Some("hi".into()),
        tools: vec![function.clone()],
        ..base()
    };
    let chat = to_chat(&req, ProviderKind::Anthropic).expect("maps");
    assert_eq!(chat.tools.len(), 1);
    assert_eq!(chat.tools[0].r#type, "function");
    let f = chat.tools[0].function.as_ref().expect("function");
    assert_eq!(f.name, "weather");
    assert_eq!(f.description.as_deref(), Some("Weather now"));
    assert_eq!(f.parameters.as_ref(), Some(&params));
    assert_eq!(f.strict, Some(true));

    let with_search = ResponseRequest {
        tools: vec![
            function,
            ResponseTool {
                r#type: "web_search".into(),
                ..Default::default()
            },
        ],
        ..req
    };
    let e = err(&with_search, ProviderKind::Gemini);
    assert_eq!(e.kind, ErrorKind::UnsupportedByProvider);
    assert_eq!(e.http_status(), 400);
    assert_eq!(e.openai_type(), "invalid_request_error");
    assert_eq!(e.code.as_deref(), Some("unsupported_by_provider"));
    assert_eq!(e.param.as_deref(), Some("tools[1].type"));
    assert!(
        e.message.contains("`web_search`") && e.message.contains("`gemini`"),
        "{}",
        e.message
    );
}

#[test]
fn previous_response_id_is_refused() {
    let req = ResponseRequest {
        input_text: Some("and then?".into()),
        previous_response_id: Some("resp_1".into()),
        ..base()
    };
    let e = err(&req, ProviderKind::Ollama);
    assert_eq!(e.code.as_deref(), Some("unsupported_by_provider"));
    assert_eq!(e.param.as_deref(), Some("previous_response_id"));
    assert!(e.message.contains("`ollama`"), "{}", e.message);
}

#[test]
fn tool_choice_modes_functions_and_built_ins() {
    let with = |choice: ResponseToolChoice| ResponseRequest {
        input_text: Some("hi".into()),
        tool_choice: Some(choice),
        ..base()
    };
    let mode = to_chat(
        &with(ResponseToolChoice {
            mode: Some("required".into()),
            ..Default::default()
        }),
        ProviderKind::Anthropic,
    )
    .expect("maps");
    assert_eq!(
        mode.tool_choice.and_then(|c| c.choice),
        Some(Choice::Mode("required".into()))
    );
    let named = to_chat(
        &with(ResponseToolChoice {
            r#type: Some("function".into()),
            name: Some("weather".into()),
            ..Default::default()
        }),
        ProviderKind::Anthropic,
    )
    .expect("maps");
    assert_eq!(
        named.tool_choice.and_then(|c| c.choice),
        Some(Choice::FunctionName("weather".into()))
    );
    let e = err(
        &with(ResponseToolChoice {
            r#type: Some("file_search".into()),
            ..Default::default()
        }),
        ProviderKind::Anthropic,
    );
    assert_eq!(e.code.as_deref(), Some("unsupported_by_provider"));
    assert_eq!(e.param.as_deref(), Some("tool_choice.type"));
}

#[test]
fn text_formats_become_response_formats() {
    let schema = struct_from_map(
        json!({"type": "object"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let with = |format: TextFormat| ResponseRequest {
        input_text: Some("hi".into()),
        text: Some(TextConfig {
            format: Some(format),
            verbosity: None,
            extra: None,
        }),
        ..base()
    };
    let structured = to_chat(
        &with(TextFormat {
            r#type: "json_schema".into(),
            name: Some("answer".into()),
            description: Some("An answer".into()),
            schema: Some(schema.clone()),
            strict: Some(true),
            extra: None,
        }),
        ProviderKind::Gemini,
    )
    .expect("maps");
    let format = structured.response_format.expect("format");
    assert_eq!(format.r#type, "json_schema");
    let js = format.json_schema.expect("schema");
    assert_eq!(js.name, "answer");
    assert_eq!(js.description.as_deref(), Some("An answer"));
    assert_eq!(js.schema, Some(schema));
    assert_eq!(js.strict, Some(true));

    let object = to_chat(
        &with(TextFormat {
            r#type: "json_object".into(),
            ..Default::default()
        }),
        ProviderKind::Gemini,
    )
    .expect("maps");
    let format = object.response_format.expect("format");
    assert_eq!(
        (format.r#type.as_str(), format.json_schema),
        ("json_object", None)
    );

    let plain = to_chat(
        &with(TextFormat {
            r#type: "text".into(),
            ..Default::default()
        }),
        ProviderKind::Gemini,
    )
    .expect("maps");
    assert!(plain.response_format.is_none());
}

#[test]
fn an_empty_input_is_refused() {
    let e = err(&base(), ProviderKind::Anthropic);
    assert_eq!(e.param.as_deref(), Some("input"));
}
