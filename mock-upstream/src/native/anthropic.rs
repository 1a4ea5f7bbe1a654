//! The anthropic API's routes (served under `/anthropic`).

use axum::Router;

use crate::server::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
