//! What the mock answers, chosen by the request's `model` (the table in README.md).

use std::time::Duration;

use axum::http::StatusCode;
use bytes::Bytes;

use crate::canned;
use crate::fixtures::{Fixture, Fixtures, split_sse_events};

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
    let json = |status, fixture| Plan::json(status, fx.get(fixture));
    let sse = |fixture| Plan::sse(&fx.get(fixture));
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
        ("error-429", _) => Plan {
            headers: &[("retry-after", "1")],
            ..json(StatusCode::TOO_MANY_REQUESTS, Fixture::Error429)
        },
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

pub(crate) fn embeddings(model: &str, fx: &Fixtures) -> Plan {
    match model {
        "missing" => Plan::json(StatusCode::NOT_FOUND, fx.get(Fixture::Error404Embeddings)),
        _ => Plan::json(StatusCode::OK, fx.get(Fixture::Embeddings)),
    }
}

pub(crate) fn models(fx: &Fixtures) -> Plan {
    Plan::json(StatusCode::OK, fx.get(Fixture::ModelsList))
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
