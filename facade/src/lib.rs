//! modelgate's OpenAI REST/SSE facade: OpenAI HTTP calls in, core RPCs out.
//! It holds no provider logic; every model call is an RPC.

pub mod core_client;
pub mod core_pool;
pub mod cors;
pub mod drain;
pub mod error;
pub mod forwarded;
pub mod key_check;
mod litellm;
pub mod observe;
pub mod openapi;
pub mod read_timeouts;
pub mod request;
pub mod response;
pub mod responses_route;
pub mod routes;
pub mod server;
pub mod sse;
pub mod tls;

use modelgate::error::{ErrorKind, GatewayError};

/// OpenAI's 404 for a model the catalogue does not hold.
fn not_found_model(model: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::NotFound,
        format!("The model `{model}` does not exist or you do not have access to it."),
    )
    .with_code("model_not_found")
    .with_param("model")
}
