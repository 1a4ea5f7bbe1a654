//! modelgate's OpenAI REST/SSE facade: OpenAI HTTP calls in, core RPCs out.
//! It holds no provider logic; every model call is an RPC.
//!
//! - `server`, `read_timeouts`, `tls`, `drain`, `cors`, `forwarded`, `observe`: the axum
//!   server and the layers every route shares (timeouts, shutdown, CORS, client address,
//!   metrics and request ids).
//! - `routes`: the route table; `key_check` asks the core about the key before a body is read.
//! - `request` (chat, embeddings) and `modelgate::responses` (Responses): OpenAI JSON in, typed
//!   RPC messages out, 400s naming the field; `response`, `sse`, `responses_route`: RPC answers
//!   out as OpenAI JSON or SSE.
//! - `core_client` / `core_pool`: the RPCs, in process (`serve`) or over gRPC (`facade`).
//! - `error`: the shared error table as HTTP; `openapi`: the document behind `/docs`;
//!   `litellm`: LiteLLM's probe and model-info routes.

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
