//! LiteLLM's `/model/info` view of `model_list`: each deployment's `litellm_params` without
//! secrets and its `model_info`, from the built-in catalogue under LiteLLM's names, then the
//! config's own. Built once per config, filtered per caller.

use modelgate::v1::{DeploymentInfo, ModelMetadata};
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::catalogue::Catalogue;
use crate::config::{Config, Deployment, redacted_url};

/// One deployment, ready to answer with.
pub struct DeploymentRecord {
    /// The deployment's name in `x-modelgate-deployment` (what the router's targets carry).
    pub target_id: String,
    pub info: DeploymentInfo,
}

/// Every deployment of `config`, in file order.
pub fn records(config: &Config) -> Vec<DeploymentRecord> {
    config
        .model_list
        .iter()
        .map(|d| {
            let target_id = d
                .routing
                .id
                .clone()
                .unwrap_or_else(|| format!("{}/{}", d.provider.name, d.upstream_model));
            let info = DeploymentInfo {
                model_name: d.model_name.clone(),
                litellm_params_json: litellm_params(d).to_string(),
                model_info_json: model_info(d, &target_id).to_string(),
            };
            DeploymentRecord { target_id, info }
        })
        .collect()
}

/// The deployments `caller` may use.
pub fn visible(records: &[DeploymentRecord], caller: &Caller) -> Vec<DeploymentInfo> {
    records
        .iter()
        .filter(|r| caller.may_use(&r.info.model_name))
        .map(|r| r.info.clone())
        .collect()
}

/// What the deployment was configured with, minus the key and header values (secrets).
fn litellm_params(d: &Deployment) -> Value {
    let mut params = Map::new();
    params.insert(
        "model".into(),
        json!(format!("{}/{}", d.provider.name, d.upstream_model)),
    );
    params.insert("api_base".into(), json!(redacted_url(&d.provider.api_base)));
    let r = &d.routing;
    let optional = [
        (
            "api_version",
            d.provider.api_version.as_ref().map(|v| json!(v)),
        ),
        ("timeout", r.timeout.map(|t| json!(t.as_secs_f64()))),
        (
            "stream_timeout",
            r.stream_timeout.map(|t| json!(t.as_secs_f64())),
        ),
        ("rpm", r.rpm.map(|v| json!(v))),
        ("tpm", r.tpm.map(|v| json!(v))),
        ("weight", r.weight.map(|v| json!(v))),
        ("max_retries", r.max_retries.map(|v| json!(v))),
        ("order", r.order.map(|v| json!(v))),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            params.insert(key.into(), value);
        }
    }
    Value::Object(params)
}

/// Catalogue data under LiteLLM's names, then the entry's own `model_info` (which wins).
fn model_info(d: &Deployment, target_id: &str) -> Value {
    let meta = crate::catalogue::base_metadata(Catalogue::built_in(), d);
    let mut info = litellm_names(&meta);
    info.insert("id".into(), json!(target_id));
    info.insert("litellm_provider".into(), json!(d.provider.name));
    if let Some(Value::Object(own)) = &d.model_info {
        for (key, value) in own {
            info.insert(key.clone(), value.clone());
        }
    }
    Value::Object(info)
}

/// modelgate's catalogue fields under the names LiteLLM's `model_info` uses.
fn litellm_names(meta: &ModelMetadata) -> Map<String, Value> {
    let per_token = |per_million: Option<f64>| per_million.map(|p| json!(p / 1_000_000.0));
    let pricing = meta.pricing.as_ref();
    let fields = [
        (
            "max_input_tokens",
            meta.context_window_tokens.map(|v| json!(v)),
        ),
        ("max_tokens", meta.max_output.map(|v| json!(v))),
        ("max_output_tokens", meta.max_output.map(|v| json!(v))),
        ("mode", meta.r#type.as_ref().map(|v| json!(v))),
        (
            "supports_function_calling",
            meta.function_call.map(|v| json!(v)),
        ),
        ("supports_vision", meta.vision.map(|v| json!(v))),
        ("supports_reasoning", meta.reasoning.map(|v| json!(v))),
        (
            "input_cost_per_token",
            per_token(pricing.and_then(|p| p.input)),
        ),
        (
            "output_cost_per_token",
            per_token(pricing.and_then(|p| p.output)),
        ),
        (
            "cache_read_input_token_cost",
            per_token(pricing.and_then(|p| p.cached_input)),
        ),
    ];
    fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect()
}
