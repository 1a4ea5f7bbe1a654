//! The streamed RPCs (`ChatCompletion`, `CreateResponse`) as one shape: what differs per
//! operation is what makes a request valid (this trait) and how the pipeline routes and calls
//! it (`resilience::Streamed`); admission, the request log, the allow-list, the pipeline, the
//! relay and the drain guard are written once, in `GatewayService::streamed`.

use modelgate::error::GatewayError;
use modelgate::v1::{ChatCompletionRequest, ResponseRequest, Role};

use crate::relay::Relayed;
use crate::resilience::Streamed;

/// A request of a server-streaming RPC: the pipeline's view of it ([`Streamed`]: model, routing,
/// the adapter call) plus the request's own checks (the allow-list is checked by the caller).
pub(crate) trait StreamedRpc: Streamed<Item: Relayed> {
    fn validate(&self) -> Result<(), GatewayError>;
}

impl StreamedRpc for ChatCompletionRequest {
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
}

impl StreamedRpc for ResponseRequest {
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
