//! Azure's error bodies → gateway errors. Azure mostly uses OpenAI's
//! envelope, so OpenAI's mapping does the work; what differs is fixed here:
//! codes that are HTTP statuses as text (`"429"`, `"401"`) or Azure names
//! (`DeploymentNotFound`, `Unauthorized`) become the OpenAI codes clients
//! switch on, and the API Management front's `{"statusCode","message"}`
//! bodies keep their message. `content_filter` (a prompt blocked by the
//! filters, HTTP 400) passes through as it is.

use modelgate::error::GatewayError;
use serde_json::{Value, json};

use crate::providers::openai;

/// The error a non-success Azure response stands for, its message kept.
pub fn upstream_error(provider: &str, status: u16, body: &[u8]) -> GatewayError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let gateway_message = parsed
        .as_ref()
        .filter(|v| v.get("error").is_none())
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str);
    let mut err = match gateway_message {
        Some(message) => {
            let envelope = json!({"error": {"message": message}}).to_string();
            openai::response::upstream_error(provider, status, envelope.as_bytes())
        }
        None => openai::response::upstream_error(provider, status, body),
    };
    normalise_code(&mut err);
    err
}

fn normalise_code(err: &mut GatewayError) {
    let replace = match err.code.as_deref() {
        None => true,
        Some("DeploymentNotFound") => {
            err.code = Some("model_not_found".into());
            return;
        }
        Some(code) => code.bytes().all(|b| b.is_ascii_digit()) || code == "Unauthorized",
    };
    if replace {
        err.code = err.kind.default_code().map(str::to_owned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::error::ErrorKind;

    // Bodies quoted from captures in public issue threads (cited per test);
    // the fixtures README lists Azure error bodies as not found.

    #[test]
    fn status_codes_as_text_become_openai_codes() {
        // microsoft/copilot-camp#551 (captured 429 body).
        let body = br#"{"error":{"code":"429","message": "Rate limit is exceeded. Try again in 2 seconds."}}"#;
        let err = upstream_error("azure", 429, body);
        assert_eq!((err.kind, err.http_status()), (ErrorKind::RateLimited, 429));
        assert_eq!(err.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(
            err.message,
            "Rate limit is exceeded. Try again in 2 seconds."
        );
        // SciSharp/BotSharp#386 (captured 401 body).
        let body = br#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#;
        let err = upstream_error("azure", 401, body);
        assert_eq!(
            (err.kind, err.code.as_deref()),
            (ErrorKind::Unauthenticated, Some("invalid_api_key"))
        );
    }

    #[test]
    fn deployment_not_found_is_model_not_found() {
        // chatboxai/chatbox#646 (captured 404 body).
        let body = br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#;
        let err = upstream_error("azure", 404, body);
        assert_eq!(
            (err.kind, err.code.as_deref()),
            (ErrorKind::NotFound, Some("model_not_found"))
        );
        assert!(
            err.message
                .contains("deployment for this resource does not exist"),
            "{}",
            err.message
        );
    }

    #[test]
    fn content_filter_keeps_code_and_param() {
        // The shape of Microsoft's content filtering docs example (message shortened).
        let body = br#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}}"#;
        let err = upstream_error("azure", 400, body);
        assert_eq!(
            (err.kind, err.http_status()),
            (ErrorKind::InvalidRequest, 400)
        );
        assert_eq!(
            (err.code.as_deref(), err.param.as_deref()),
            (Some("content_filter"), Some("prompt"))
        );
    }

    #[test]
    fn gateway_bodies_keep_their_message() {
        // Azure API Management's 401 shape for a missing or bad Entra token.
        let body = br#"{ "statusCode": 401, "message": "Unauthorized. Access token is missing or invalid." }"#;
        let err = upstream_error("azure", 401, body);
        assert_eq!(
            err.message,
            "Unauthorized. Access token is missing or invalid."
        );
        assert_eq!(err.code.as_deref(), Some("invalid_api_key"));
        let err = upstream_error("azure", 500, b"");
        assert_eq!((err.http_status(), err.code.as_deref()), (502, None));
    }
}
