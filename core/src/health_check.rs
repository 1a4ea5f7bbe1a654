//! LiteLLM's `GET /health?model=`: one small request to each deployment of one model, asked
//! for by a client key. Bounded so it cannot be turned on the upstreams: at most
//! [`MAX_DEPLOYMENTS`] deployments, [`CHECK_TIMEOUT`] each, and one check per key every
//! [`CHECK_INTERVAL`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionRequest, DeploymentHealth, EmbedRequest, Message, Role, message::Content,
};
use serde_json::json;

use crate::auth::{self, Caller};
use crate::providers::Operation;
use crate::router::Target;
use crate::service::CoreState;

/// Most deployments one check calls.
pub const MAX_DEPLOYMENTS: usize = 8;
/// How long one deployment gets to answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest time between two checks by one key.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// When each key last started a check. Key names come from the config, so the map is bounded
/// by the number of configured keys.
#[derive(Default)]
pub struct CheckTimes {
    last: Mutex<HashMap<String, Instant>>,
}

impl CheckTimes {
    /// Claims `key`'s turn, or says how long until it has one.
    fn claim(&self, key: &str) -> Result<(), Duration> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(at) = last.get(key) {
            let since = now.saturating_duration_since(*at);
            if since < CHECK_INTERVAL {
                return Err(CHECK_INTERVAL - since);
            }
        }
        last.insert(key.to_owned(), now);
        Ok(())
    }
}

/// Checks the deployments of `model` for `caller`.
pub async fn check(
    state: &CoreState,
    times: &CheckTimes,
    caller: &Caller,
    model: &str,
) -> Result<Vec<DeploymentHealth>, GatewayError> {
    if model.is_empty() {
        return Err(GatewayError::invalid(
            "model",
            "Name the model to check: /health?model=NAME.",
        ));
    }
    modelgate::model_name::check_length(model, "model")?;
    if !caller.may_use(model) {
        return Err(auth::not_allowed(caller, model));
    }
    let route = state.router.resolve(model)?;
    if let Err(wait) = times.claim(&caller.name) {
        return Err(GatewayError::new(
            ErrorKind::RateLimited,
            format!(
                "One health check per key every {} s; try again in {} s.",
                CHECK_INTERVAL.as_secs(),
                wait.as_secs().max(1)
            ),
        )
        .with_code("rate_limit_exceeded")
        .with_retry_after(wait));
    }
    let operation = match state.discovery.metadata(model).r#type.as_deref() {
        Some("embedding") => Operation::Embeddings,
        _ => Operation::Chat,
    };
    let checks = route
        .candidates
        .iter()
        .take(MAX_DEPLOYMENTS)
        .map(|target| async move {
            let outcome = tokio::time::timeout(CHECK_TIMEOUT, call(model, target, operation)).await;
            let error = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(err)) => Some(state.secrets.scrub(err).message),
                Err(_) => Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
            };
            DeploymentHealth {
                model_name: model.to_owned(),
                litellm_params_json: params_of(state, target),
                healthy: error.is_none(),
                error: error.unwrap_or_default(),
            }
        });
    let results = futures::future::join_all(checks).await;
    tracing::info!(
        key = %caller.name,
        model = %modelgate::model_name::bounded(model),
        healthy = results.iter().filter(|r| r.healthy).count(),
        unhealthy = results.iter().filter(|r| !r.healthy).count(),
        "health check"
    );
    Ok(results)
}

/// The smallest request of the deployment's kind: one token of chat, or one embedding. A
/// deployment whose provider does not support that operation is unhealthy without a call.
async fn call(model: &str, target: &Target, operation: Operation) -> Result<(), GatewayError> {
    crate::resilience::supported::check(model, target, operation)?;
    if operation == Operation::Embeddings {
        let request = EmbedRequest {
            model: target.upstream_model.clone(),
            input: vec!["ping".to_owned()],
            ..Default::default()
        };
        return target.provider.embed(request).await.map(drop);
    }
    let request = ChatCompletionRequest {
        model: target.upstream_model.clone(),
        messages: vec![Message {
            role: Role::User as i32,
            content: Some(Content::Text("ping".to_owned())),
            ..Default::default()
        }],
        max_tokens: Some(1),
        ..Default::default()
    };
    let mut chunks = target.provider.chat(request).await?;
    match chunks.next().await {
        Some(Err(err)) => Err(err),
        _ => Ok(()),
    }
}

/// The deployment's configured `litellm_params` (without secrets), or its model alone for a
/// `provider/model` name that no `model_list` entry names.
fn params_of(state: &CoreState, target: &Target) -> String {
    state
        .deployments
        .iter()
        .find(|r| r.target_id == target.id)
        .map(|r| r.info.litellm_params_json.clone())
        .unwrap_or_else(|| {
            json!({ "model": format!("{}/{}", target.provider_name, target.upstream_model) })
                .to_string()
        })
}
