//! What the mock answers, chosen by the request's `model` (the table in README.md).

use std::time::Duration;

use axum::http::StatusCode;
use bytes::Bytes;

use crate::canned;
use crate::content_types;
use crate::fixtures::{Fixture, Fixtures, split_sse_events};

/// The type of the streams the mock makes up (OpenAI's, as its recordings carry it); a
/// replayed recording goes with its own recorded type (`content_types`).
pub(crate) const SSE: &str = "text/event-stream; charset=utf-8";
pub(crate) const JSON: &str = "application/json";
const HTML: &str = "text/html";

/// Gap between events of the `slow` scenario.
const SLOW_INTERVAL: Duration = Duration::from_millis(200);
/// Events of the `text` stream the `reset` scenario sends before it aborts.
const RESET_AFTER_EVENTS: usize = 3;
/// Events of the `text` stream `hang-mid-stream` sends before it falls silent.
const HANG_AFTER_EVENTS: usize = 3;
/// Silence of `hang-mid-stream`: longer than any test runs.
const HANG_FOR: Duration = Duration::from_secs(3600);
/// Pieces the `huge-event` body is written in.
const HUGE_PIECE: usize = 64 * 1024;
const TEXT: &str = "text/plain; charset=utf-8";

pub(crate) enum Action {
    Reply(Plan),
    /// Accept the request and never answer.
    Hang,
}

/// A response: status, headers and the body pieces in the order they are sent.
pub(crate) struct Plan {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) headers: &'static [(&'static str, &'static str)],
    pub(crate) chunks: Vec<Bytes>,
    /// `true`: chunked body; `false`: the body is sent with a `content-length`.
    pub(crate) streaming: bool,
    /// Pause before every chunk but the first.
    pub(crate) interval: Duration,
    /// After the last chunk, abort the connection instead of ending the body.
    pub(crate) reset: bool,
}

impl Plan {
    pub(crate) fn json(status: StatusCode, body: Bytes) -> Plan {
        Plan {
            status,
            content_type: JSON,
            headers: &[],
            chunks: vec![body],
            streaming: false,
            interval: Duration::ZERO,
            reset: false,
        }
    }

    /// A recorded answer, with the `Content-Type` it was recorded with.
    pub(crate) fn recorded(status: StatusCode, path: &str, body: Bytes) -> Plan {
        Plan {
            content_type: content_types::of(path),
            ..Plan::json(status, body)
        }
    }

    /// A recorded stream, one body chunk per event, with its recorded `Content-Type`.
    pub(crate) fn recorded_sse(path: &str, body: &Bytes) -> Plan {
        Plan {
            content_type: content_types::of(path),
            ..Plan::sse(body)
        }
    }

    fn sse(body: &Bytes) -> Plan {
        Plan {
            status: StatusCode::OK,
            content_type: SSE,
            headers: &[],
            chunks: split_sse_events(body),
            streaming: true,
            interval: Duration::ZERO,
            reset: false,
        }
    }
}

pub(crate) fn chat(model: &str, stream: bool, fx: &Fixtures) -> Action {
    let json = |status, fixture: Fixture| Plan::recorded(status, fixture.path(), fx.get(fixture));
    let sse = |fixture: Fixture| Plan::recorded_sse(fixture.path(), &fx.get(fixture));
    let plan = match (model, stream) {
        ("hang", _) => return Action::Hang,
        ("tools" | "parallel-tools", false) => json(StatusCode::OK, Fixture::ChatToolCalls),
        ("tools", true) => sse(Fixture::StreamToolArgs),
        ("parallel-tools", true) => sse(Fixture::StreamParallelTools),
        ("moderation", true) => sse(Fixture::StreamModeration),
        ("deepseek-reasoner", false) => json(StatusCode::OK, Fixture::DeepseekJson),
        ("deepseek-reasoner", true) => sse(Fixture::DeepseekStream),
        ("zai-reasoning", true) => sse(Fixture::ZaiStream),
        ("ollama-reasoning", false) => json(StatusCode::OK, Fixture::OllamaJson),
        ("openrouter-processing", true) => sse(Fixture::OpenrouterProcessing),
        ("openrouter-midstream-error", true) => sse(Fixture::OpenrouterMidstreamError),
        ("xai-tool", true) => sse(Fixture::XaiToolStream),
        ("anthropic-compat-tool", true) => sse(Fixture::AnthropicCompatTool),
        ("error-400", _) => json(StatusCode::BAD_REQUEST, Fixture::Error400Param),
        ("error-400-role", _) => json(StatusCode::BAD_REQUEST, Fixture::Error400Role),
        ("error-401", _) => Plan::json(
            StatusCode::UNAUTHORIZED,
            Bytes::from_static(canned::ERROR_401.as_bytes()),
        ),
        ("error-404", _) => json(StatusCode::NOT_FOUND, Fixture::Error404Model),
        // The OpenRouter capture carried no `Retry-After` (its rate-limit headers were
        // `X-RateLimit-*`, not kept): replayed without one.
        ("error-429", _) => json(StatusCode::TOO_MANY_REQUESTS, Fixture::Error429),
        ("error-429-retry-after", _) => rate_limited_with_retry_after(fx),
        ("error-500", _) => Plan::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(canned::ERROR_500.as_bytes()),
        ),
        ("error-503-html", _) => Plan {
            content_type: HTML,
            ..Plan::json(
                StatusCode::SERVICE_UNAVAILABLE,
                Bytes::from_static(canned::ERROR_503_HTML.as_bytes()),
            )
        },
        ("error-in-200", _) => json(StatusCode::OK, Fixture::Error400Param),
        ("slow", true) => Plan {
            interval: SLOW_INTERVAL,
            ..sse(Fixture::StreamText)
        },
        ("reset", true) => {
            let mut plan = sse(Fixture::StreamText);
            plan.chunks.truncate(RESET_AFTER_EVENTS);
            plan.reset = true;
            plan
        }
        ("garbage", true) => Plan::sse(&Bytes::from_static(canned::GARBAGE)),
        ("hang-mid-stream", true) => {
            let events = split_sse_events(&fx.get(Fixture::StreamText));
            let (head, rest) = events.split_at(HANG_AFTER_EVENTS.min(events.len()));
            Plan {
                chunks: vec![Bytes::from(head.concat()), Bytes::from(rest.concat())],
                interval: HANG_FOR,
                ..sse(Fixture::StreamText)
            }
        }
        ("huge-event", true) => {
            let body = Bytes::from(canned::huge_event());
            let chunks = (0..body.len())
                .step_by(HUGE_PIECE)
                .map(|at| body.slice(at..(at + HUGE_PIECE).min(body.len())))
                .collect();
            Plan {
                chunks,
                ..sse(Fixture::StreamText)
            }
        }
        ("wrong-content-type", true) => Plan {
            content_type: TEXT,
            ..sse(Fixture::StreamText)
        },
        // `text`, unlisted models, and the cells marked "—" in the table.
        (_, false) => json(StatusCode::OK, Fixture::ChatText),
        (_, true) => sse(Fixture::StreamText),
    };
    Action::Reply(plan)
}

/// Not recorded: no capture of a 429 with `Retry-After` exists. Groq, an OpenAI-compatible
/// provider, documents the header on its 429s, in seconds
/// (https://console.groq.com/docs/rate-limits); the body is the recorded OpenRouter 429.
pub(crate) fn rate_limited_with_retry_after(fx: &Fixtures) -> Plan {
    Plan {
        headers: &[("retry-after", "1")],
        ..Plan::recorded(
            StatusCode::TOO_MANY_REQUESTS,
            Fixture::Error429.path(),
            fx.get(Fixture::Error429),
        )
    }
}

pub(crate) fn embeddings(model: &str, fx: &Fixtures) -> Plan {
    let fixture = match model {
        "missing" => Fixture::Error404Embeddings,
        _ => Fixture::Embeddings,
    };
    let status = match fixture {
        Fixture::Error404Embeddings => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    Plan::recorded(status, fixture.path(), fx.get(fixture))
}

pub(crate) fn models(fx: &Fixtures) -> Plan {
    let fixture = Fixture::ModelsList;
    Plan::recorded(StatusCode::OK, fixture.path(), fx.get(fixture))
}

pub(crate) fn invalid_json() -> Plan {
    Plan::json(
        StatusCode::BAD_REQUEST,
        Bytes::from_static(canned::ERROR_400_INVALID_JSON.as_bytes()),
    )
}

pub(crate) fn unknown_route() -> Plan {
    Plan::json(
        StatusCode::NOT_FOUND,
        Bytes::from_static(canned::ERROR_404_ROUTE.as_bytes()),
    )
}
