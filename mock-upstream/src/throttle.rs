//! `throttle-ms-<N>-<MS>[-tag]`: the first N requests for this exact model get a 429 whose only
//! wait hint is `retry-after-ms: MS` (no `retry-after`), later ones the `text` answer.
//!
//! No recording carries `retry-after-ms`: OpenAI documents it (its SDKs read it before
//! `retry-after`), so the header is written here, beside the recorded 429 body of
//! `openai-compatible/openrouter-error-429.json`. The README's table says so.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use crate::fixtures::Fixture;
use crate::scenarios::{Action, Plan};
use crate::server::AppState;

/// The answer for `model` when it names this scenario.
pub(crate) fn respond(st: &AppState, model: &str, stream: bool) -> Option<Response> {
    let rest = model.strip_prefix("throttle-ms-")?;
    let mut parts = rest.split('-');
    let times: u64 = parts.next()?.parse().ok()?;
    let ms: u64 = parts.next()?.parse().ok()?;
    if st.counters.bump(model) > times {
        return match crate::scenarios::chat("text", stream, &st.fixtures) {
            Action::Reply(plan) => Some(st.reply(plan)),
            Action::Hang => None,
        };
    }
    let mut response = st.reply(Plan::json(
        StatusCode::TOO_MANY_REQUESTS,
        st.fixtures.get(Fixture::Error429),
    ));
    response.headers_mut().insert(
        HeaderName::from_static("retry-after-ms"),
        HeaderValue::from(ms),
    );
    Some(response)
}
