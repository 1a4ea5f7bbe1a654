//! The streamed RPCs (`ChatCompletion`, `CreateResponse`) as one shape: what differs per
//! operation — how a request names its model, what makes it valid, which pipeline entry runs
//! it — is this trait; admission, the request log, the allow-list, the relay and the drain
//! guard are written once, in `GatewayService::streamed`.

use std::future::Future;
use std::pin::Pin;

use futures::Stream;
use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, ResponseRequest, Role};
use tokio::time::Instant;

use crate::auth::Caller;
use crate::providers::Operation;
use crate::relay::Relayed;
use crate::request_log::RequestLog;
use crate::service::CoreState;

/// An answer whose first item has arrived: failures before it were the RPC's status.
pub struct Started<T> {
    pub first: T,
    pub rest: Pin<Box<dyn Stream<Item = Result<T, GatewayError>> + Send>>,
    /// `x-modelgate-*` and `x-ratelimit-*`.
    pub headers: Vec<(String, String)>,
}

/// A request of a server-streaming RPC.
pub trait StreamedRpc: Send + Sized + 'static {
    /// What the answer streams.
    type Item: Relayed;
    const OPERATION: Operation;

    fn model(&self) -> &str;
    fn streamed(&self) -> bool;
    /// The request's own checks (the allow-list is checked by the caller).
    fn validate(&self) -> Result<(), GatewayError>;
    /// Routes and calls the provider (limits, retries, fallbacks: `crate::resilience`) until
    /// the first item.
    fn start<'a>(
        self,
        state: &'a CoreState,
        caller: &'a Caller,
        deadline: Option<Instant>,
        log: &'a mut RequestLog,
    ) -> impl Future<Output = Result<Started<Self::Item>, GatewayError>> + Send + 'a;
}

impl StreamedRpc for ChatCompletionRequest {
    type Item = modelgate::v1::ChatCompletionChunk;
    const OPERATION: Operation = Operation::Chat;

    fn model(&self) -> &str {
        &self.model
    }

    fn streamed(&self) -> bool {
        self.stream
    }

    fn validate(&self) -> Result<(), GatewayError> {
        check_model(&self.model)?;
        if self.messages.is_empty() {
            return Err(GatewayError::invalid(
                "messages",
                "'messages' must contain at least one message.",
            ));
        }
        for (i, msg) in self.messages.iter().enumerate() {
            if Role::try_from(msg.role).map_or(true, |r| r == Role::Unspecified) {
                return Err(GatewayError::invalid(
                    format!("messages[{i}].role"),
                    "Every message needs a role.",
                ));
            }
        }
        Ok(())
    }

    async fn start<'a>(
        self,
        state: &'a CoreState,
        caller: &'a Caller,
        deadline: Option<Instant>,
        log: &'a mut RequestLog,
    ) -> Result<Started<Self::Item>, GatewayError> {
        let answer = crate::resilience::chat(&state.router, caller, self, deadline, log).await?;
        Ok(Started {
            first: answer.first,
            rest: answer.rest,
            headers: answer.headers,
        })
    }
}

impl StreamedRpc for ResponseRequest {
    type Item = modelgate::v1::ResponseEvent;
    const OPERATION: Operation = Operation::Responses;

    fn model(&self) -> &str {
        &self.model
    }

    fn streamed(&self) -> bool {
        self.stream
    }

    fn validate(&self) -> Result<(), GatewayError> {
        check_model(&self.model)?;
        if self.input_text.is_none() && self.input.is_empty() && self.previous_response_id.is_none()
        {
            return Err(GatewayError::invalid(
                "input",
                "Missing required parameter: 'input'.",
            ));
        }
        Ok(())
    }

    async fn start<'a>(
        self,
        state: &'a CoreState,
        caller: &'a Caller,
        deadline: Option<Instant>,
        log: &'a mut RequestLog,
    ) -> Result<Started<Self::Item>, GatewayError> {
        let answer =
            crate::resilience::responses(&state.router, caller, self, deadline, log).await?;
        Ok(Started {
            first: answer.first,
            rest: answer.rest,
            headers: answer.headers,
        })
    }
}

/// Present and bounded: every operation names a model.
pub fn check_model(model: &str) -> Result<(), GatewayError> {
    if model.is_empty() {
        return Err(GatewayError::invalid(
            "model",
            "Missing required parameter: 'model'.",
        ));
    }
    modelgate::model_name::check_length(model, "model")
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
    fn a_response_request_needs_a_model_and_something_to_answer() {
        assert!(request().validate().is_ok());
        let no_model = ResponseRequest {
            model: String::new(),
            ..request()
        };
        assert_eq!(
            no_model.validate().err().and_then(|e| e.param).as_deref(),
            Some("model")
        );
        let no_input = ResponseRequest {
            input_text: None,
            ..request()
        };
        assert_eq!(
            no_input.validate().err().and_then(|e| e.param).as_deref(),
            Some("input")
        );
        let continued = ResponseRequest {
            previous_response_id: Some("resp_1".into()),
            ..no_input
        };
        assert!(continued.validate().is_ok());
    }
}
