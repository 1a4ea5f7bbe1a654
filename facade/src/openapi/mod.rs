//! `GET /openapi.json`, generated from the routes' `#[utoipa::path]`
//! annotations and the documentation types in [`schema`], and `GET /docs`,
//! Swagger UI compiled into the binary (no network needed to view it).
//!
//! The handlers parse requests by hand (`request.rs`) and render answers
//! straight to bytes (`response.rs`), so the types here exist for the
//! document only: they mirror OpenAI's shapes as modelgate accepts and
//! returns them.

pub mod responses_schema;
pub mod schema;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the document and the UI are served.
pub const OPENAPI_PATH: &str = "/openapi.json";
pub const DOCS_PATH: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "modelgate",
        description = "OpenAI-compatible LLM gateway. Authenticate with `Authorization: Bearer <client key>`. \
                       Models are named `provider/model` or by a configured alias."
    ),
    paths(
        crate::routes::list_models,
        crate::routes::get_model,
        crate::routes::chat_completions,
        crate::routes::embeddings,
        crate::responses_route::responses,
        crate::litellm::health,
        crate::routes::ready,
        crate::litellm::model_info,
        crate::litellm::azure_chat,
        crate::litellm::azure_embeddings,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "OpenAI", description = "The OpenAI REST dialect (`/v1`)"),
        (name = "Operations", description = "Liveness and readiness"),
        (name = "LiteLLM", description = "LiteLLM proxy and Azure OpenAI paths, for clients written against them"),
    )
)]
pub struct ApiDoc;

/// The `bearer` scheme every `/v1` operation requires.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A modelgate client key"))
                    .build(),
            ),
        );
    }
}

/// The document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Routes for `/openapi.json` and `/docs`.
pub fn router() -> Router {
    let json = document().to_json().unwrap_or_else(|e| {
        // Serialising the derived document cannot fail; stay up regardless.
        tracing::error!(error = %e, "could not serialise the OpenAPI document");
        "{}".to_owned()
    });
    let swagger: Router = SwaggerUi::new(DOCS_PATH)
        // The UI reads the document from `/openapi.json` (served below).
        // No validator: its badge would call out to the internet.
        .config(
            Config::new([OPENAPI_PATH])
                .validator_url("none")
                .try_it_out_enabled(true)
                .persist_authorization(true),
        )
        .into();
    Router::new()
        .route(
            OPENAPI_PATH,
            get(move || {
                let json = json.clone();
                async move { openapi_response(json) }
            }),
        )
        .merge(swagger)
}

fn openapi_response(json: String) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}
