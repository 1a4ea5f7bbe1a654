//! The README's error table, row by row, on the wire: each failure is provoked the way a user
//! provokes it (bad JSON, a wrong key, a model the key may not use, a body over the limit, a
//! per-key limit, an upstream that fails, hangs, redirects or is not there, an image URL that may
//! not be fetched, a draining or full server), through the binary in `serve` and in split mode
//! (`core` + `facade` as two processes), and checked over HTTP (status, `error.type`,
//! `error.code`, `error.param`, `retry-after`) and over gRPC (status code and the
//! `x-modelgate-error-*` / `x-modelgate-http-status` / `retry-after` metadata the facade rebuilds
//! the HTTP error from).
//!
//! The expected values below are written out literally from the README, never read from
//! `modelgate::error`, so a change to the shared table shows up here as a wire difference.
//! `every_readme_row_and_error_kind_has_a_wire_case` ties the cases to the README's rows and to
//! every `ErrorKind`.

use crate::loopback;
use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use loopback::Loopback;
use mock_upstream::MockUpstream;
use modelgate::error::ErrorKind;
use modelgate::v1::content_part::Part;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::message::Content;
use modelgate::v1::{
    ChatCompletionRequest, ContentPart, ContentParts, EmbedRequest, ImageUrl, Message, Role,
};
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, eventually, mock};
use tonic::{Code, Status};

/// A key allowed every model.
const KEY: &str = "sk-errortable-all-0123456789";
/// A key allowed only `mock/text`.
const NARROW: &str = "sk-errortable-narrow-0123456789";
/// A key allowed one request a minute.
const LIMITED: &str = "sk-errortable-limited-0123456789";
/// `server.body_limit_mb` of the gateway under test.
const LIMIT_MB: usize = 1;
const MIB: usize = 1024 * 1024;

/// One way to provoke a row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// A body that is not JSON (HTTP only: a protobuf message has no JSON to get wrong).
    MalformedJson,
    /// A message without a valid role.
    InvalidField,
    /// The upstream refuses a field: its `code` and `param` are relayed.
    UpstreamInvalid,
    MissingKey,
    UnknownKey,
    NotAllowed,
    UnknownModel,
    /// A body (message) over `server.body_limit_mb`.
    TooLarge,
    Upstream429,
    /// The key's own `rpm` limit (README "Per-key limits").
    KeyRpm,
    Upstream500,
    Upstream503,
    /// A provider whose port nothing listens on.
    Unreachable,
    /// A provider that never answers, with `timeout: 1`.
    UpstreamTimeout,
    /// An image URL on loopback for a provider modelgate fetches images for (Ollama).
    ImageNotFetchable,
    /// Embeddings from an Anthropic model: Anthropic has no embeddings API.
    UnsupportedByProvider,
    Redirect,
    /// A gRPC method the core does not have (gRPC only: over HTTP an unknown route is 404).
    UnknownRpc,
    /// New work after SIGTERM while a stream is held open (README "Shutdown"); own gateway.
    Draining,
    /// A connection over `server.max_connections`; own gateway.
    TooManyConnections,
}

/// The cases [`error_table`] runs on one gateway; the last two need their own.
const SHARED_GATEWAY: [Case; 18] = [
    Case::MalformedJson,
    Case::InvalidField,
    Case::UpstreamInvalid,
    Case::MissingKey,
    Case::UnknownKey,
    Case::NotAllowed,
    Case::UnknownModel,
    Case::TooLarge,
    Case::Upstream429,
    Case::KeyRpm,
    Case::Upstream500,
    Case::Upstream503,
    Case::Unreachable,
    Case::UpstreamTimeout,
    Case::ImageNotFetchable,
    Case::UnsupportedByProvider,
    Case::Redirect,
    Case::UnknownRpc,
];

/// What the README promises for a case.
struct Expect {
    /// The README row's "situation" cell, or the README section the promise is in.
    situation: &'static str,
    /// HTTP status; `None`: the case has no HTTP form.
    http: Option<u16>,
    /// gRPC status; `None`: there is none, the connection is closed. (Whether a case has an
    /// HTTP and a gRPC form is up to [`http_answer`] and [`grpc_answer`].)
    grpc: Option<Code>,
    /// `error.type`.
    openai_type: &'static str,
    /// `error.code` (`None`: JSON `null`, and no code metadata).
    code: Option<&'static str>,
    /// `error.param` (`None`: JSON `null`, and no param metadata).
    param: Option<&'static str>,
    /// `retry-after` (and over gRPC `retry-after-ms`) must be present.
    retry_after: bool,
    /// A header (HTTP) and metadata entry (gRPC) that must be there with this value.
    header: Option<(&'static str, &'static str)>,
    /// The status carries modelgate's error metadata (false: tonic's own status).
    metadata: bool,
}

const fn expect(
    situation: &'static str,
    http: u16,
    grpc: Code,
    openai_type: &'static str,
    code: Option<&'static str>,
) -> Expect {
    Expect {
        situation,
        http: Some(http),
        grpc: Some(grpc),
        openai_type,
        code,
        param: None,
        retry_after: false,
        header: None,
        metadata: true,
    }
}

const MALFORMED: &str = "malformed JSON, invalid field";
const UPSTREAM_5XX_ROW: &str = "upstream 5xx";
const UNREACHABLE_ROW: &str = "upstream unreachable";
const UNSUPPORTED_ROW: &str = "provider does not support the operation (embeddings on Anthropic)";

impl Case {
    fn expect(self) -> Expect {
        match self {
            Case::MalformedJson => expect(
                MALFORMED,
                400,
                Code::InvalidArgument,
                "invalid_request_error",
                None,
            ),
            Case::InvalidField => Expect {
                param: Some("messages[0].role"),
                ..expect(
                    MALFORMED,
                    400,
                    Code::InvalidArgument,
                    "invalid_request_error",
                    None,
                )
            },
            Case::UpstreamInvalid => Expect {
                param: Some("max_tokens"),
                ..expect(
                    MALFORMED,
                    400,
                    Code::InvalidArgument,
                    "invalid_request_error",
                    Some("unsupported_parameter"),
                )
            },
            Case::MissingKey | Case::UnknownKey => expect(
                "missing or unknown key",
                401,
                Code::Unauthenticated,
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
            Case::NotAllowed => Expect {
                param: Some("model"),
                ..expect(
                    "key not allowed this model",
                    403,
                    Code::PermissionDenied,
                    "permission_error",
                    Some("model_not_allowed"),
                )
            },
            Case::UnknownModel => Expect {
                param: Some("model"),
                ..expect(
                    "unknown model",
                    404,
                    Code::NotFound,
                    "invalid_request_error",
                    Some("model_not_found"),
                )
            },
            Case::TooLarge => expect(
                "body over the limit (32 MiB by default)",
                413,
                Code::OutOfRange,
                "invalid_request_error",
                Some("request_too_large"),
            ),
            Case::Upstream429 => expect(
                "upstream 429",
                429,
                Code::ResourceExhausted,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
            ),
            Case::KeyRpm => Expect {
                retry_after: true,
                header: Some(("x-ratelimit-limit-requests", "1")),
                ..expect(
                    "Per-key limits",
                    429,
                    Code::ResourceExhausted,
                    "rate_limit_error",
                    Some("rate_limit_exceeded"),
                )
            },
            // The upstream's own `type` (`server_error`) is relayed.
            Case::Upstream500 => expect(
                UPSTREAM_5XX_ROW,
                502,
                Code::Unavailable,
                "server_error",
                None,
            ),
            Case::Upstream503 => {
                expect(UPSTREAM_5XX_ROW, 503, Code::Unavailable, "api_error", None)
            }
            Case::Unreachable => expect(
                UNREACHABLE_ROW,
                502,
                Code::Unavailable,
                "api_error",
                Some("upstream_unavailable"),
            ),
            Case::UpstreamTimeout => expect(
                "upstream timeout",
                504,
                Code::DeadlineExceeded,
                "timeout_error",
                Some("upstream_timeout"),
            ),
            Case::ImageNotFetchable => Expect {
                // The same answer whatever the cause and wherever the image is.
                param: Some("messages"),
                ..expect(
                    "image URL not fetchable ([Security](#security))",
                    400,
                    Code::InvalidArgument,
                    "invalid_request_error",
                    Some("image_url_not_fetchable"),
                )
            },
            Case::UnsupportedByProvider => Expect {
                param: Some("model"),
                ..expect(
                    UNSUPPORTED_ROW,
                    400,
                    Code::InvalidArgument,
                    "invalid_request_error",
                    Some("unsupported_by_provider"),
                )
            },
            Case::Redirect => expect(
                "upstream answered with a redirect",
                502,
                Code::Unavailable,
                "api_error",
                Some("upstream_redirect"),
            ),
            Case::UnknownRpc => Expect {
                http: None,
                metadata: false,
                ..expect("gRPC", 501, Code::Unimplemented, "", None)
            },
            Case::Draining => expect(
                "Shutdown",
                503,
                Code::Unavailable,
                "api_error",
                Some("shutting_down"),
            ),
            Case::TooManyConnections => Expect {
                grpc: None,
                ..expect(
                    "too many connections on the port",
                    503,
                    Code::Unavailable,
                    "api_error",
                    Some("too_many_connections"),
                )
            },
        }
    }
}

/// Every `ErrorKind`, and the cases that put it on the wire. The match has no wildcard: a new
/// kind does not compile until it is given its cases here.
fn wire_cases(kind: ErrorKind) -> &'static [Case] {
    match kind {
        ErrorKind::InvalidRequest => &[
            Case::MalformedJson,
            Case::InvalidField,
            Case::UpstreamInvalid,
            Case::ImageNotFetchable,
        ],
        ErrorKind::UnsupportedByProvider => &[Case::UnsupportedByProvider],
        ErrorKind::Unauthenticated => &[Case::MissingKey, Case::UnknownKey],
        ErrorKind::PermissionDenied => &[Case::NotAllowed],
        ErrorKind::NotFound => &[Case::UnknownModel],
        ErrorKind::PayloadTooLarge => &[Case::TooLarge],
        ErrorKind::RateLimited => &[Case::Upstream429, Case::KeyRpm],
        ErrorKind::Unavailable => &[
            Case::Upstream500,
            Case::Upstream503,
            Case::Unreachable,
            Case::Redirect,
            Case::Draining,
            Case::TooManyConnections,
        ],
        ErrorKind::Timeout => &[Case::UpstreamTimeout],
        ErrorKind::Unimplemented => &[Case::UnknownRpc],
        // A fault inside modelgate (a handler panic, an Azure provider built without its
        // api_version, which the config checks prevent): nothing a user sends produces it.
        ErrorKind::Internal => &[],
    }
}

const KINDS: [ErrorKind; 11] = [
    ErrorKind::InvalidRequest,
    ErrorKind::UnsupportedByProvider,
    ErrorKind::Unauthenticated,
    ErrorKind::PermissionDenied,
    ErrorKind::NotFound,
    ErrorKind::PayloadTooLarge,
    ErrorKind::RateLimited,
    ErrorKind::Unavailable,
    ErrorKind::Timeout,
    ErrorKind::Unimplemented,
    ErrorKind::Internal,
];

/// The kinds no user request can produce, with why.
const NOT_PROVOKABLE: [ErrorKind; 1] = [ErrorKind::Internal];

/// The gateway under test and clients for both surfaces.
struct Ctx {
    gw: Gateway,
    http: reqwest::Client,
    grpc: GatewayClient<tonic::transport::Channel>,
}

impl Ctx {
    fn chat(&self, key: Option<&str>, body: &Value) -> reqwest::RequestBuilder {
        let request = self.http.post(self.gw.url("/v1/chat/completions"));
        let request = match key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        request.json(body)
    }

    /// Runs a chat RPC and returns how it failed.
    async fn grpc_chat(&self, key: Option<&str>, message: ChatCompletionRequest) -> Status {
        let mut request = tonic::Request::new(message);
        if let Some(key) = key {
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {key}").parse().expect("metadata"),
            );
        }
        let mut client = self.grpc.clone();
        match client.chat_completion(request).await {
            Err(status) => status,
            Ok(response) => match response.into_inner().message().await {
                Err(status) => status,
                Ok(chunk) => panic!("expected a failure, got {chunk:?}"),
            },
        }
    }
}

fn user(text: &str) -> Message {
    Message {
        role: Role::User as i32,
        content: Some(Content::Text(text.to_owned())),
        ..Default::default()
    }
}

fn grpc_request(model: &str, messages: Vec<Message>) -> ChatCompletionRequest {
    ChatCompletionRequest {
        model: model.to_owned(),
        messages,
        ..Default::default()
    }
}

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// An image on loopback, which modelgate never fetches.
const PRIVATE_IMAGE: &str = "http://127.0.0.1:9/cat.png";

/// The HTTP answer to `case`, or `None` when it has no HTTP form.
async fn http_answer(case: Case, ctx: &Ctx) -> Option<reqwest::Response> {
    let request = match case {
        Case::MalformedJson => ctx
            .http
            .post(ctx.gw.url("/v1/chat/completions"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(r#"{"model": "mock/text", "messages": [{"role": "user", "#),
        Case::InvalidField => ctx.chat(
            Some(KEY),
            &json!({"model": "mock/text", "messages": [{"role": "wizard", "content": "hi"}]}),
        ),
        Case::UpstreamInvalid => ctx.chat(Some(KEY), &chat_body("mock/error-400")),
        Case::MissingKey => ctx.chat(None, &chat_body("mock/text")),
        Case::UnknownKey => ctx.chat(Some("sk-errortable-nobody-0123456789"), &chat_body("mock/text")),
        Case::NotAllowed => ctx.chat(Some(NARROW), &chat_body("mock/error-400")),
        Case::UnknownModel => ctx.chat(Some(KEY), &chat_body("nosuch/model")),
        Case::TooLarge => ctx.chat(
            Some(KEY),
            &json!({"model": "mock/text", "messages": [{"role": "user", "content": "a".repeat(LIMIT_MB * MIB + 64 * 1024)}]}),
        ),
        Case::Upstream429 => ctx.chat(Some(KEY), &chat_body("mock/error-429")),
        Case::KeyRpm => {
            // The key's one request of the minute, which must pass.
            let first = ctx
                .chat(Some(LIMITED), &chat_body("mock/text"))
                .send()
                .await
                .expect("answers");
            assert_eq!(first.status(), 200, "{:?}: the first request", ctx.gw.mode);
            ctx.chat(Some(LIMITED), &chat_body("mock/text"))
        }
        Case::Upstream500 => ctx.chat(Some(KEY), &chat_body("mock/error-500")),
        Case::Upstream503 => ctx.chat(Some(KEY), &chat_body("mock/error-503-html")),
        Case::Unreachable => ctx.chat(Some(KEY), &chat_body("down/m")),
        Case::UpstreamTimeout => ctx.chat(Some(KEY), &chat_body("slow/hang")),
        Case::ImageNotFetchable => ctx.chat(
            Some(KEY),
            &json!({"model": "ol/llava", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": PRIVATE_IMAGE}},
            ]}]}),
        ),
        Case::UnsupportedByProvider => ctx
            .http
            .post(ctx.gw.url("/v1/embeddings"))
            .bearer_auth(KEY)
            .json(&json!({"model": "claude/m", "input": "hi"})),
        Case::Redirect => ctx.chat(Some(KEY), &chat_body("redir/m")),
        Case::UnknownRpc | Case::Draining | Case::TooManyConnections => return None,
    };
    Some(request.send().await.expect("answers"))
}

/// The gRPC status of `case`, or `None` when it has no gRPC form.
async fn grpc_answer(case: Case, ctx: &Ctx) -> Option<Status> {
    let chat = |model: &str| grpc_request(model, vec![user("hi")]);
    Some(match case {
        Case::MalformedJson | Case::Draining | Case::TooManyConnections => return None,
        Case::InvalidField => {
            let message = Message {
                role: Role::Unspecified as i32,
                ..user("hi")
            };
            ctx.grpc_chat(Some(KEY), grpc_request("mock/text", vec![message]))
                .await
        }
        Case::UpstreamInvalid => ctx.grpc_chat(Some(KEY), chat("mock/error-400")).await,
        Case::MissingKey => ctx.grpc_chat(None, chat("mock/text")).await,
        Case::UnknownKey => {
            ctx.grpc_chat(Some("sk-errortable-nobody-0123456789"), chat("mock/text"))
                .await
        }
        Case::NotAllowed => ctx.grpc_chat(Some(NARROW), chat("mock/error-400")).await,
        Case::UnknownModel => ctx.grpc_chat(Some(KEY), chat("nosuch/model")).await,
        Case::TooLarge => {
            let big = "a".repeat(LIMIT_MB * MIB + 64 * 1024);
            ctx.grpc_chat(Some(KEY), grpc_request("mock/text", vec![user(&big)]))
                .await
        }
        Case::Upstream429 => ctx.grpc_chat(Some(KEY), chat("mock/error-429")).await,
        // The HTTP case spent the key's one request of the minute.
        Case::KeyRpm => ctx.grpc_chat(Some(LIMITED), chat("mock/text")).await,
        Case::Upstream500 => ctx.grpc_chat(Some(KEY), chat("mock/error-500")).await,
        Case::Upstream503 => ctx.grpc_chat(Some(KEY), chat("mock/error-503-html")).await,
        Case::Unreachable => ctx.grpc_chat(Some(KEY), chat("down/m")).await,
        Case::UpstreamTimeout => ctx.grpc_chat(Some(KEY), chat("slow/hang")).await,
        Case::ImageNotFetchable => {
            let part = ContentPart {
                part: Some(Part::ImageUrl(ImageUrl {
                    url: PRIVATE_IMAGE.to_owned(),
                    detail: None,
                })),
            };
            let message = Message {
                content: Some(Content::Parts(ContentParts { parts: vec![part] })),
                ..user("")
            };
            ctx.grpc_chat(Some(KEY), grpc_request("ol/llava", vec![message]))
                .await
        }
        Case::UnsupportedByProvider => {
            let mut request = tonic::Request::new(EmbedRequest {
                model: "claude/m".to_owned(),
                input: vec!["hi".to_owned()],
                ..Default::default()
            });
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {KEY}").parse().expect("metadata"),
            );
            let mut client = ctx.grpc.clone();
            client
                .embed(request)
                .await
                .expect_err("Anthropic has no embeddings")
        }
        Case::Redirect => ctx.grpc_chat(Some(KEY), chat("redir/m")).await,
        Case::UnknownRpc => unknown_rpc(ctx).await,
    })
}

/// Calls `/modelgate.v1.Gateway/NoSuchMethod` with a valid key, as a client built from a newer
/// proto would, and reads the status from the answer's headers.
async fn unknown_rpc(ctx: &Ctx) -> Status {
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .post(format!("{}/modelgate.v1.Gateway/NoSuchMethod", ctx.gw.grpc))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .bearer_auth(KEY)
        // One empty, uncompressed message.
        .body(vec![0u8; 5])
        .send()
        .await
        .expect("answers");
    Status::from_header_map(response.headers()).expect("a trailers-only status")
}

/// Mismatches between an HTTP answer and `want`.
async fn check_http(what: &str, response: reqwest::Response, want: &Expect, out: &mut Vec<String>) {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after");
    let extra = want.header.map(|(name, _)| header(name));
    let text = response.text().await.unwrap_or_default();
    let mut fail = |m: String| out.push(format!("{what} HTTP: {m}; body {text}"));
    if Some(status) != want.http {
        fail(format!("status {status}, want {:?}", want.http));
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let error = &body["error"];
    if error["type"] != want.openai_type {
        fail(format!("type {}, want {}", error["type"], want.openai_type));
    }
    if error["code"] != json!(want.code) {
        fail(format!("code {}, want {:?}", error["code"], want.code));
    }
    if error["param"] != json!(want.param) {
        fail(format!("param {}, want {:?}", error["param"], want.param));
    }
    if error["message"].as_str().is_none_or(str::is_empty) {
        fail("no message".to_owned());
    }
    if want.retry_after
        && !retry_after
            .as_deref()
            .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1))
    {
        fail(format!(
            "retry-after {retry_after:?}, want whole seconds >= 1"
        ));
    }
    if let (Some((name, value)), Some(got)) = (want.header, extra)
        && got.as_deref() != Some(value)
    {
        fail(format!("{name}: {got:?}, want {value}"));
    }
}

/// Mismatches between a gRPC status and `want`.
fn check_grpc(what: &str, status: &Status, want: &Expect, out: &mut Vec<String>) {
    let meta = |key: &str| {
        status
            .metadata()
            .get(key)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut fail = |m: String| out.push(format!("{what} gRPC: {m}; status {status:?}"));
    if Some(status.code()) != want.grpc {
        fail(format!("code {:?}, want {:?}", status.code(), want.grpc));
    }
    if !want.metadata {
        if meta("x-modelgate-error-type").is_some() {
            fail("modelgate error metadata on a status tonic answers itself".to_owned());
        }
        return;
    }
    let pairs = [
        ("x-modelgate-error-type", Some(want.openai_type.to_owned())),
        ("x-modelgate-error-code", want.code.map(str::to_owned)),
        ("x-modelgate-error-param", want.param.map(str::to_owned)),
        ("x-modelgate-http-status", want.http.map(|s| s.to_string())),
    ];
    if status.message().is_empty() {
        fail("no message".to_owned());
    }
    for (key, value) in pairs {
        if meta(key) != value {
            fail(format!("{key}: {:?}, want {value:?}", meta(key)));
        }
    }
    if want.retry_after {
        let secs = meta("retry-after").and_then(|v| v.parse::<u64>().ok());
        let ms = meta("retry-after-ms").and_then(|v| v.parse::<u64>().ok());
        if !(secs.is_some_and(|s| s >= 1) && ms.is_some_and(|m| m >= 1)) {
            fail(format!("retry-after {secs:?}, retry-after-ms {ms:?}"));
        }
    }
    if let Some((name, value)) = want.header
        && meta(name).as_deref() != Some(value)
    {
        fail(format!("{name}: {:?}, want {value}", meta(name)));
    }
}

/// Providers for every case: the mock (and a narrow timeout on it), an Ollama provider for
/// image fetching, an Anthropic one for embeddings it cannot serve, a port nothing listens on, and a redirecting server.
fn config(mock: &MockUpstream, down: &str, redirect: &str) -> String {
    let base = mock.base_url();
    format!(
        "server: {{ body_limit_mb: {LIMIT_MB} }}
auth:
  keys:
    - {{ name: all, key: {KEY} }}
    - {{ name: narrow, key: {NARROW}, models: [mock/text] }}
    - {{ name: limited, key: {LIMITED}, rpm: 1 }}
providers:
  mock: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text, error-400, error-429, error-500, error-503-html] }}
  slow: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [hang], timeout: 1 }}
  ol: {{ kind: ollama, api_base: \"{base}\", models: [llava] }}
  claude: {{ kind: anthropic, api_base: \"{base}\", api_key: sk-ant-up-0123456789, models: [m] }}
  down: {{ kind: openai, api_base: \"{down}/v1\", api_key: sk-up-0123456789, models: [m] }}
  redir: {{ kind: openai, api_base: \"{redirect}/v1\", api_key: sk-up-0123456789, models: [m] }}
"
    )
}

/// `http://127.0.0.1:PORT` where nothing listens (a port just released).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

async fn error_table(mode: Mode) {
    let mock = mock().await;
    let redirect = Loopback::start(|_| {
        Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header("location", "http://127.0.0.1:9/elsewhere")
            .body(axum::body::Body::empty())
            .expect("response")
    })
    .await;
    let (_dir, file) = config_file(&config(&mock, &closed_port(), &redirect.url));
    let gw = Gateway::start(mode, &file, &[]).await;
    let grpc = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("grpc connects");
    let ctx = Ctx {
        gw,
        http: reqwest::Client::new(),
        grpc,
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in SHARED_GATEWAY {
        let want = case.expect();
        let what = format!("{mode:?} {case:?}");
        if let Some(response) = http_answer(case, &ctx).await {
            check_http(&what, response, &want, &mut failures).await;
            checked += 1;
        }
        if let Some(status) = grpc_answer(case, &ctx).await {
            check_grpc(&what, &status, &want, &mut failures);
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} answers differ from the README:\n{}\nlog:\n{}",
        failures.len(),
        failures.join("\n"),
        ctx.gw.log()
    );
    // Each case has at least one form, and all but two have both.
    assert_eq!(checked, 2 * SHARED_GATEWAY.len() - 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn error_table_serve() {
    error_table(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn error_table_split() {
    error_table(Mode::Split).await;
}

/// README "Shutdown": after SIGTERM, with a stream held open, new requests get 503
/// `shutting_down` and new RPCs UNAVAILABLE with the same fields. In split mode the facade and
/// the core each drain on their own signal.
async fn draining(mode: Mode) {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "server: {{ shutdown_grace_seconds: 30 }}\nauth:\n  keys:\n    - {{ name: all, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text, hang-mid-stream] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(mode, &file, &[]).await;
    let http = reqwest::Client::new();
    // A stream over HTTP and one over gRPC, each past its first chunk and then silent, so
    // both processes have work in flight and keep draining instead of exiting.
    let mut held = http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "mock/hang-mid-stream", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(held.status(), 200);
    held.chunk().await.expect("first chunk").expect("a chunk");
    let mut client = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("grpc connects");
    let mut request = tonic::Request::new(ChatCompletionRequest {
        stream: true,
        ..grpc_request("mock/hang-mid-stream", vec![user("hi")])
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("metadata"),
    );
    let mut held_rpc = client
        .chat_completion(request)
        .await
        .expect("stream starts")
        .into_inner();
    held_rpc
        .message()
        .await
        .expect("first chunk")
        .expect("a chunk");

    gw.http_process().signal(Signal::SIGTERM);
    let ready = gw.url("/health/ready");
    eventually("readiness turns 503", || {
        let (http, ready) = (http.clone(), ready.clone());
        async move {
            http.get(ready)
                .send()
                .await
                .is_ok_and(|r| r.status() == 503)
        }
    })
    .await;
    let want = Case::Draining.expect();
    let mut failures = Vec::new();
    let response = http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&chat_body("mock/text"))
        .send()
        .await
        .expect("answers");
    check_http(
        &format!("{mode:?} Draining"),
        response,
        &want,
        &mut failures,
    )
    .await;

    if mode == Mode::Split {
        gw.core.signal(Signal::SIGTERM);
    }
    // A new connection, as a client arriving after the signal makes.
    let mut fresh = GatewayClient::connect(gw.grpc.clone())
        .await
        .expect("grpc connects while draining");
    let status = eventually_status(&mut fresh).await;
    check_grpc(&format!("{mode:?} Draining"), &status, &want, &mut failures);
    assert!(
        failures.is_empty(),
        "{}\nlog:\n{}",
        failures.join("\n"),
        gw.log()
    );
    drop((held, held_rpc));
}

/// The status of a new chat RPC once the core has begun to drain (in split mode its signal
/// arrives just before this call).
async fn eventually_status(client: &mut GatewayClient<tonic::transport::Channel>) -> Status {
    let deadline = std::time::Instant::now() + support::DEADLINE;
    loop {
        let mut request = tonic::Request::new(grpc_request("mock/text", vec![user("hi")]));
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {KEY}").parse().expect("metadata"),
        );
        let status = match client.chat_completion(request).await {
            Err(status) => status,
            Ok(response) => match response.into_inner().message().await {
                Err(status) => status,
                Ok(_) => Status::ok("answered"),
            },
        };
        if status.code() != Code::Ok || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn draining_serve() {
    draining(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn draining_split() {
    draining(Mode::Split).await;
}

/// Connections each port allows in [`too_many_connections`].
const MAX_CONNECTIONS: usize = 3;

/// A new connection to `addr` with one answered keep-alive `GET /health` on it, so the server
/// has surely counted it; `None` when the server answered anything but 200.
fn held_connection(addr: &str) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(support::DEADLINE))
        .expect("timeout");
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    // The head, then the body: `content-length` bytes or chunks up to the last one.
    loop {
        let text = String::from_utf8_lossy(&data).to_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let complete = match length {
                Some(length) => data.len() >= end + 4 + length,
                None => text.ends_with("0\r\n\r\n"),
            };
            if complete {
                return text.starts_with("http/1.1 200").then_some(stream);
            }
        }
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => data.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
}

/// What a new connection to `addr` gets: a refusal is written as soon as the connection is
/// accepted, so wait for it before sending a request (a request arriving after the refusal
/// closed the socket would reset it and lose the answer); otherwise send one.
fn probe(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    match stream.read(&mut buf) {
        Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
        _ => {
            let request =
                format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(request.as_bytes());
        }
    }
    stream
        .set_read_timeout(Some(support::DEADLINE))
        .expect("timeout");
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// README table, last row: past `server.max_connections` plain HTTP answers 503
/// `too_many_connections` and closes; gRPC connections are closed (no status of modelgate's).
async fn too_many_connections(mode: Mode) {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "server: {{ max_connections: {MAX_CONNECTIONS} }}\nauth:\n  keys:\n    - {{ name: all, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(mode, &file, &[]).await;
    let want = Case::TooManyConnections.expect();

    // Connections with a request answered on them fill the HTTP port (the readiness probe's
    // may take a moment to be seen closed, and its slot with it).
    let addr = gw.http_addr().to_owned();
    let mut held = Vec::new();
    while held.len() < MAX_CONNECTIONS {
        let addr = addr.clone();
        let next = first_some("a connection under the limit", || {
            let addr = addr.clone();
            async move {
                tokio::task::spawn_blocking(move || held_connection(&addr))
                    .await
                    .expect("connect")
            }
        })
        .await;
        held.push(next);
    }
    let answer = tokio::task::spawn_blocking(move || probe(&addr))
        .await
        .expect("probe");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    let mut failures = Vec::new();
    let lower = answer.to_lowercase();
    if status != want.http
        || !lower.contains("connection: close")
        || !answer.contains("\"code\":\"too_many_connections\"")
        || !answer.contains("\"type\":\"api_error\"")
    {
        failures.push(format!("{mode:?} HTTP over the limit: {answer}"));
    }
    drop(held);

    // Over gRPC the connection is closed: the call fails on the client's side, with none of
    // modelgate's error metadata; once the held connections go, calls work again.
    let held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect(gw.grpc_addr()).expect("connect"))
        .collect();
    let gw = &gw;
    let refused = first_some("gRPC refuses past the limit", || async move {
        authenticate(gw).await.err()
    })
    .await;
    if refused.metadata().get("x-modelgate-error-type").is_some() {
        failures.push(format!(
            "{mode:?} gRPC over the limit: a modelgate status {refused:?}"
        ));
    }
    drop(held);
    eventually("gRPC answers again", || async move {
        authenticate(gw).await.is_ok()
    })
    .await;
    assert!(
        failures.is_empty(),
        "{}\nlog:\n{}",
        failures.join("\n"),
        gw.log()
    );
}

/// Polls `check` every 20 ms until it gives a value, failing after [`support::DEADLINE`].
async fn first_some<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < support::DEADLINE,
            "{what}: not within {:?}",
            support::DEADLINE
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An `Authenticate` call on a new connection.
async fn authenticate(gw: &Gateway) -> Result<(), Status> {
    let channel = tonic::transport::Endpoint::from_shared(gw.grpc.clone())
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(modelgate::v1::AuthenticateRequest {});
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {KEY}").parse().expect("metadata"),
    );
    GatewayClient::new(channel)
        .authenticate(request)
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_connections_serve() {
    too_many_connections(Mode::Serve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_connections_split() {
    too_many_connections(Mode::Split).await;
}

/// The README's error table, as (situation, HTTP, gRPC, code) cells.
fn readme_rows() -> Vec<[String; 4]> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("| situation | HTTP | gRPC |"))
        .skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect();
        let cells: [String; 4] = cells.try_into().expect("four cells");
        rows.push(cells);
    }
    rows
}

fn grpc_name(code: Code) -> String {
    let mut name = String::new();
    for (i, ch) in format!("{code:?}").chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(ch.to_ascii_uppercase());
    }
    name
}

/// Every row of the README's error table has a wire case whose expectations are the row's
/// cells, and every `ErrorKind` but the ones no request can produce has a wire case with its
/// gRPC code.
#[test]
fn every_readme_row_and_error_kind_has_a_wire_case() {
    let all: Vec<Case> = SHARED_GATEWAY
        .into_iter()
        .chain([Case::Draining, Case::TooManyConnections])
        .collect();
    let rows = readme_rows();
    assert!(rows.len() >= 11, "the README's error table: {rows:?}");
    for [situation, http, grpc, code] in &rows {
        let cases: Vec<Case> = all
            .iter()
            .copied()
            .filter(|c| c.expect().situation == situation)
            .collect();
        assert!(
            !cases.is_empty(),
            "no wire case for README row `{situation}`"
        );
        for case in cases {
            let want = case.expect();
            if let Some(status) = want.http {
                assert!(
                    http.contains(&status.to_string()),
                    "{case:?}: {status} vs `{http}`"
                );
            }
            match want.grpc {
                Some(c) => assert!(grpc.contains(&grpc_name(c)), "{case:?}: {c:?} vs `{grpc}`"),
                None => assert_eq!(grpc, "(connection closed)", "{case:?}"),
            }
            // A row naming a code (other than `param`) is asserted with exactly that code.
            let named = code.split('`').skip(1).step_by(2).find(|c| *c != "param");
            if let Some(named) = named {
                assert_eq!(want.code, Some(named), "{case:?}: README row `{situation}`");
            }
        }
    }
    for kind in KINDS {
        let cases = wire_cases(kind);
        if NOT_PROVOKABLE.contains(&kind) {
            assert!(cases.is_empty(), "{kind:?}");
            continue;
        }
        assert!(!cases.is_empty(), "{kind:?} has no wire case");
        for case in cases {
            assert!(all.contains(case), "{case:?} is not run");
            if let Some(code) = case.expect().grpc {
                assert_eq!(code, kind.grpc_code(), "{case:?}");
            }
        }
    }
}
