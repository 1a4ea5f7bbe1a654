//! LiteLLM's `model_list`: aliases (`model_name`) mapped to `<provider>/<model>` deployments.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::env::{Env, key_text, resolve};
use super::error::{ConfigError, child, index};
use super::providers::{Draft, check_header, find_preset, parse_api_base, parse_timeout};
use super::raw::{RawLitellmParams, RawModelEntry, Scalar};
use super::routing::{count, weight};
use super::validate::{Notices, non_empty_secret};
use super::{Deployment, DeploymentRouting, ProviderConfig};

const SECTION: &str = "model_list";

/// The `litellm_params` keys modelgate acts on; every other one gets a notice.
const USED_PARAMS: &[&str] = &[
    "model",
    "custom_llm_provider",
    "api_key",
    "api_base",
    "api_version",
    "timeout",
    "extra_headers",
    "stream_timeout",
    "rpm",
    "tpm",
    "weight",
    "max_retries",
    "order",
];

/// Splits `litellm_params.model` into (provider, upstream model) as LiteLLM does: at the first
/// '/', unless `custom_llm_provider` names the provider; no prefix means OpenAI.
pub(super) fn split_model<'a>(
    model: &'a str,
    custom_provider: Option<&'a str>,
) -> (&'a str, &'a str) {
    if let Some(provider) = custom_provider {
        let upstream = model
            .strip_prefix(provider)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(model);
        return (provider, upstream);
    }
    model.split_once('/').unwrap_or(("openai", model))
}

fn is_supported(provider: &str, provider_names: &[String]) -> bool {
    provider_names.iter().any(|name| name == provider) || find_preset(provider).is_some()
}

/// Resolves `os.environ/` only in the values modelgate uses, so variables needed only by
/// skipped entries (`bedrock/…`) or ignored parameters (`aws_region_name`) need not be set.
pub(super) fn resolve_env(
    list: &mut Value,
    provider_names: &[String],
    env: &dyn Env,
) -> Result<(), ConfigError> {
    let Value::Sequence(entries) = list else {
        return Ok(()); // serde reports the wrong type.
    };
    for (i, entry) in entries.iter_mut().enumerate() {
        let path = index(SECTION, i);
        let Value::Mapping(entry) = entry else {
            continue;
        };
        if let Some(Value::Mapping(params)) = entry.get_mut("litellm_params") {
            let params_path = child(&path, "litellm_params");
            for key in ["model", "custom_llm_provider"] {
                if let Some(value) = params.get_mut(key) {
                    resolve(value, &child(&params_path, key), env)?;
                }
            }
            if let Some(Value::String(model)) = params.get("model") {
                let custom = params.get("custom_llm_provider").and_then(Value::as_str);
                let (provider, _) = split_model(model, custom);
                if !is_supported(provider, provider_names) {
                    continue;
                }
            }
            for key in USED_PARAMS {
                if let Some(value) = params.get_mut(*key) {
                    resolve(value, &child(&params_path, key), env)?;
                }
            }
        }
        for key in ["model_name", "model_info", "tpm", "rpm"] {
            if let Some(value) = entry.get_mut(key) {
                resolve(value, &child(&path, key), env)?;
            }
        }
    }
    Ok(())
}

pub(super) fn deployments(
    entries: Vec<RawModelEntry>,
    providers: &BTreeMap<String, ProviderConfig>,
    env: &dyn Env,
    notices: &mut Notices,
) -> Result<Vec<Deployment>, ConfigError> {
    let mut deployments = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let path = index(SECTION, i);
        let model_name = entry
            .model_name
            .map(|Scalar(s)| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ConfigError::at(
                    child(&path, "model_name"),
                    "missing or empty",
                    "give the name clients will request, e.g. model_name: gpt-4o",
                )
            })?;
        let params_path = child(&path, "litellm_params");
        // LiteLLM serves an entry without `litellm_params` as the model its name says.
        let mut params = entry.litellm_params.unwrap_or_else(|| RawLitellmParams {
            model: Some(Scalar(model_name.clone())),
            ..RawLitellmParams::default()
        });
        // `tpm`/`rpm` beside `litellm_params` (LiteLLM's older placement); inside wins.
        for (key, outside, inside) in [
            ("tpm", entry.tpm, &mut params.tpm),
            ("rpm", entry.rpm, &mut params.rpm),
        ] {
            match (outside, inside.is_some()) {
                (Some(value), false) => *inside = Some(value),
                (Some(_), true) => notices.push(
                    SECTION,
                    format!(
                        "{}: ignored, litellm_params.{key} is used",
                        child(&path, key)
                    ),
                ),
                (None, _) => {}
            }
        }
        let model_path = child(&params_path, "model");
        let model_fix =
            "write <provider>/<model>, e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5";
        let model = params
            .model
            .map(|Scalar(s)| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConfigError::at(&model_path, "missing or empty", model_fix))?;
        let custom_provider = params
            .custom_llm_provider
            .as_ref()
            .map(|Scalar(s)| s.trim());
        let (provider_name, upstream) = split_model(&model, custom_provider);
        if upstream.is_empty() {
            return Err(ConfigError::at(
                model_path,
                format!("`{model}` names no model after the provider"),
                model_fix,
            ));
        }

        let mut draft = match providers.get(provider_name) {
            Some(provider) => Draft::from_config(provider),
            None => match find_preset(provider_name) {
                Some(preset) => Draft::from_preset(provider_name, preset, env)?,
                None => {
                    notices.push(
                        SECTION,
                        format!("provider {provider_name} not supported; {path} skipped"),
                    );
                    continue;
                }
            },
        };
        if let Some(base) = &params.api_base {
            draft.api_base = Some(parse_api_base(base, &child(&params_path, "api_base"))?);
        }
        if let Some(Scalar(key)) = &params.api_key {
            draft.api_key = non_empty_secret(key);
        }
        if let Some(Scalar(version)) = &params.api_version {
            draft.api_version = Some(version.trim().to_owned()).filter(|v| !v.is_empty());
        }
        if let Some(Scalar(timeout)) = &params.timeout {
            draft.timeout = Some(parse_timeout(timeout, &child(&params_path, "timeout"))?);
        }
        let at = |key: &str| child(&params_path, key);
        let mut routing = DeploymentRouting {
            timeout: draft.timeout,
            stream_timeout: params
                .stream_timeout
                .as_ref()
                .map(|Scalar(s)| parse_timeout(s, &at("stream_timeout")))
                .transpose()?,
            rpm: params
                .rpm
                .as_ref()
                .map(|Scalar(s)| count(s, &at("rpm")))
                .transpose()?,
            tpm: params
                .tpm
                .as_ref()
                .map(|Scalar(s)| count(s, &at("tpm")))
                .transpose()?,
            weight: params
                .weight
                .as_ref()
                .map(|Scalar(s)| weight(s, &at("weight")))
                .transpose()?,
            max_retries: params
                .max_retries
                .as_ref()
                .map(|Scalar(s)| count(s, &at("max_retries")))
                .transpose()?,
            order: params
                .order
                .as_ref()
                .map(|Scalar(s)| count(s, &at("order")))
                .transpose()?,
            id: None,
        };
        for (header, Scalar(value)) in params.extra_headers.map(|h| h.0).unwrap_or_default() {
            check_header(
                &header,
                &value,
                &child(&child(&params_path, "extra_headers"), &header),
            )?;
            draft.set_header(header, value);
        }
        let provider = draft.finish(&child(&params_path, "api_base"))?;

        for key in params.other.keys() {
            let key = key_text(key);
            notices.push(
                SECTION,
                format!("{}: accepted, not acted on yet", child(&params_path, &key)),
            );
        }
        let model_info = match entry.model_info {
            None | Some(Value::Null) => None,
            Some(Value::Mapping(mut info)) => {
                super::yaml11::retype_values(&mut info);
                Some(json_info(&Value::Mapping(info), &path)?)
            }
            Some(info) => Some(json_info(&info, &path)?),
        };
        routing.id = model_info
            .as_ref()
            .and_then(|info| info.get("id"))
            .and_then(|id| match id {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        deployments.push(Deployment {
            model_name,
            provider,
            upstream_model: upstream.to_owned(),
            model_info,
            routing,
        });
    }
    Ok(deployments)
}

fn json_info(info: &Value, path: &str) -> Result<serde_json::Value, ConfigError> {
    serde_json::to_value(info).map_err(|e| {
        ConfigError::at(
            child(path, "model_info"),
            format!("cannot be read as JSON ({e})"),
            "use string keys and plain values",
        )
    })
}
