//! OpenAI-shaped error responses: `{"error":{"message","type","param","code"}}`
//! with the status from the shared error table.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use modelgate::error::{ErrorKind, GatewayError};
use serde::Serialize;

/// An error on its way to an HTTP client.
#[derive(Debug)]
pub struct ApiError(pub GatewayError);

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// The JSON bytes of `err`'s envelope.
pub fn error_json(err: &GatewayError) -> Vec<u8> {
    let envelope = Envelope {
        error: Body {
            message: &err.message,
            kind: err.openai_type(),
            param: err.param.as_deref(),
            code: err.code.as_deref(),
        },
    };
    // Serialising plain strings cannot fail; fall back to a fixed body anyway.
    serde_json::to_vec(&envelope).unwrap_or_else(|_| {
        br#"{"error":{"message":"internal error","type":"api_error","param":null,"code":null}}"#
            .to_vec()
    })
}

impl From<GatewayError> for ApiError {
    fn from(err: GatewayError) -> Self {
        Self(err)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self(GatewayError::from_status(&status))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, error_json(&self.0)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(wait) = self.0.retry_after() {
            let secs = wait.as_millis().div_ceil(1000);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs as u64));
            response.headers_mut().insert(
                header::HeaderName::from_static("retry-after-ms"),
                HeaderValue::from(wait.as_millis() as u64),
            );
        }
        crate::forwarded::append(response.headers_mut(), self.0.headers());
        response
    }
}

/// 404 for a route the facade does not serve.
pub fn unknown_route(method: &axum::http::Method, path: &str) -> ApiError {
    ApiError(
        GatewayError::new(
            ErrorKind::NotFound,
            format!("Invalid URL ({method} {path})"),
        )
        .with_code("unknown_url"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_all_four_fields() {
        let err = GatewayError::invalid("messages[0].role", "bad role");
        let v: serde_json::Value = serde_json::from_slice(&error_json(&err)).expect("json");
        assert_eq!(v["error"]["message"], "bad role");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "messages[0].role");
        assert!(v["error"]["code"].is_null());
    }
}
