//! `CreateResponse` in the core, past admission: the request checked, routed (with chat's
//! limits, retries and fallbacks, `resilience::responses`), and its events relayed without a
//! channel, so a caller that goes away drops the upstream request at once. The request log
//! takes its usage and model from the events.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use modelgate::error::GatewayError;
use modelgate::v1::{ResponseEvent, ResponseRequest, Usage};
use tonic::Status;

use crate::auth::{self, Caller};
use crate::providers::EventStream;
use crate::request_log::RequestLog;
use crate::secrets::Secrets;
use crate::service::CoreState;

/// The events the RPC streams to its caller.
pub type Events = Pin<Box<dyn Stream<Item = Result<ResponseEvent, Status>> + Send>>;

/// Checks, routes and calls the provider, then waits for the first event so that failures
/// before any output are the RPC's status.
pub async fn start(
    state: &CoreState,
    caller: &Caller,
    req: &mut ResponseRequest,
    deadline: Option<tokio::time::Instant>,
    log: &mut RequestLog,
) -> Result<(Events, Vec<(String, String)>), GatewayError> {
    validate(req)?;
    if !caller.may_use(&req.model) {
        return Err(auth::not_allowed(caller, &req.model));
    }
    let answer =
        crate::resilience::responses(&state.router, caller, std::mem::take(req), deadline, log)
            .await?;
    let (first, upstream) = (answer.first, answer.rest);
    log.first_chunk();
    note(log, &first);
    let log = std::mem::replace(log, RequestLog::detached());
    let relay = Relay {
        upstream,
        log,
        secrets: state.secrets.clone(),
    };
    Ok((
        Box::pin(futures::stream::once(async move { Ok(first) }).chain(relay)),
        answer.headers,
    ))
}

fn validate(req: &ResponseRequest) -> Result<(), GatewayError> {
    if req.model.is_empty() {
        return Err(GatewayError::invalid(
            "model",
            "Missing required parameter: 'model'.",
        ));
    }
    modelgate::model_name::check_length(&req.model, "model")?;
    if req.input_text.is_none() && req.input.is_empty() && req.previous_response_id.is_none() {
        return Err(GatewayError::invalid(
            "input",
            "Missing required parameter: 'input'.",
        ));
    }
    Ok(())
}

/// Events that end a response: they carry its final usage.
const TERMINAL: [&str; 3] = [
    "response.completed",
    "response.incomplete",
    "response.failed",
];

/// Records what `event` tells the request log: the model that answered, and the usage of a
/// terminal event.
fn note(log: &mut RequestLog, event: &ResponseEvent) {
    let Some(response) = &event.response else {
        return;
    };
    if !response.model.is_empty() {
        log.response_model(&response.model);
    }
    if TERMINAL.contains(&event.r#type.as_str())
        && let Some(usage) = &response.usage
    {
        log.usage(Usage {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.total_tokens,
            cached_tokens: usage.cached_tokens,
            reasoning_tokens: usage.reasoning_tokens,
        });
    }
}

/// Relays the provider's events to the caller, keeping the request log up to date; dropping
/// it (caller gone) drops the upstream response.
struct Relay {
    upstream: EventStream,
    log: RequestLog,
    secrets: Secrets,
}

impl Stream for Relay {
    type Item = Result<ResponseEvent, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = std::task::ready!(self.upstream.poll_next_unpin(cx));
        Poll::Ready(match item {
            Some(Ok(event)) => {
                note(&mut self.log, &event);
                Some(Ok(event))
            }
            Some(Err(err)) => {
                let err = self.secrets.scrub(err);
                self.log.fail(&err);
                Some(Err(err.into()))
            }
            None => {
                self.log.finish();
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ResponseRequest {
        ResponseRequest {
            model: "m".into(),
            input_text: Some("hi".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_request_needs_a_model_and_something_to_answer() {
        assert!(validate(&request()).is_ok());
        let no_model = ResponseRequest {
            model: String::new(),
            ..request()
        };
        assert_eq!(
            validate(&no_model).err().and_then(|e| e.param).as_deref(),
            Some("model")
        );
        let no_input = ResponseRequest {
            input_text: None,
            ..request()
        };
        assert_eq!(
            validate(&no_input).err().and_then(|e| e.param).as_deref(),
            Some("input")
        );
        let continued = ResponseRequest {
            previous_response_id: Some("resp_1".into()),
            ..no_input
        };
        assert!(validate(&continued).is_ok());
    }
}
