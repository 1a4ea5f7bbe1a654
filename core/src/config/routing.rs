//! Routing and failure handling settings: LiteLLM's `router_settings`, the per-deployment
//! `litellm_params` that steer routing (`rpm`, `weight`, `stream_timeout`, …), and per-key
//! limits under `auth.keys[]`.

use std::collections::HashMap;
use std::time::Duration;

use serde_yaml_ng::{Mapping, Value};

use super::env::{Env, key_text, resolve};
use super::error::{ConfigError, child, index};
use super::providers::parse_timeout;
use super::validate::Notices;

const SECTION: &str = "router_settings";

/// LiteLLM's default for `max_fallbacks`.
pub const DEFAULT_MAX_FALLBACKS: usize = 5;
/// Highest `max_fallbacks` accepted: each fallback is up to `num_retries + 1` upstream calls.
const MAX_MAX_FALLBACKS: usize = 50;

/// How a request picks among the deployments of one model group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutingStrategy {
    /// Random order, weighted by `weight`, else `rpm`, else `tpm` (LiteLLM's default).
    #[default]
    SimpleShuffle,
    /// Fewest requests in flight first.
    LeastBusy,
    /// Lowest moving average of time to first token first.
    LatencyBased,
}

/// `router_settings`, typed; defaults are LiteLLM's.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterSettings {
    pub routing_strategy: RoutingStrategy,
    /// Retries per model group after the first attempt.
    pub num_retries: u32,
    /// Whole-attempt limit (and time to first token of non-streamed calls).
    pub timeout: Option<Duration>,
    /// Streamed calls: time to first token and longest gap between chunks.
    pub stream_timeout: Option<Duration>,
    /// TCP/TLS connect limit (modelgate's own key).
    pub connect_timeout: Option<Duration>,
    /// Shortest wait before retrying the same deployment.
    pub retry_after: Duration,
    /// First backoff step when retrying the same deployment; doubles each time (modelgate's own).
    pub retry_backoff: Duration,
    /// Failures a deployment may have within a minute before it is cooled down.
    pub allowed_fails: u32,
    pub cooldown_time: Duration,
    /// `(model, alternatives)` in file order; the model `*` applies to every model.
    pub fallbacks: Vec<(String, Vec<String>)>,
    pub context_window_fallbacks: Vec<(String, Vec<String>)>,
    pub content_policy_fallbacks: Vec<(String, Vec<String>)>,
    /// Most fallback groups tried for one request, and most a request's own `fallbacks` may
    /// name (LiteLLM's `max_fallbacks`).
    pub max_fallbacks: usize,
    /// Another name for a model group.
    pub model_group_alias: HashMap<String, String>,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            routing_strategy: RoutingStrategy::SimpleShuffle,
            num_retries: 0,
            timeout: None,
            stream_timeout: None,
            connect_timeout: None,
            retry_after: Duration::ZERO,
            retry_backoff: Duration::from_millis(500),
            allowed_fails: 3,
            cooldown_time: Duration::from_secs(5),
            fallbacks: Vec::new(),
            context_window_fallbacks: Vec::new(),
            content_policy_fallbacks: Vec::new(),
            max_fallbacks: DEFAULT_MAX_FALLBACKS,
            model_group_alias: HashMap::new(),
        }
    }
}

/// The routing part of one `model_list` entry's `litellm_params` (and `model_info.id`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentRouting {
    /// `model_info.id`: the deployment's name in `x-modelgate-deployment`.
    pub id: Option<String>,
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub weight: Option<f64>,
    /// Overrides `num_retries` for groups this deployment serves first.
    pub max_retries: Option<u32>,
    /// Lower orders are tried first; unset comes after every set one.
    pub order: Option<u32>,
}

/// Per-client-key limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyLimits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub max_parallel_requests: Option<u64>,
}

impl KeyLimits {
    pub fn is_unlimited(&self) -> bool {
        self.rpm.is_none() && self.tpm.is_none() && self.max_parallel_requests.is_none()
    }
}

/// Keys of `router_settings` modelgate acts on; others are accepted with a notice.
const USED: &[&str] = &[
    "routing_strategy",
    "num_retries",
    "timeout",
    "stream_timeout",
    "connect_timeout",
    "retry_after",
    "retry_backoff",
    "allowed_fails",
    "cooldown_time",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "max_fallbacks",
    "model_group_alias",
];

pub(super) fn router_settings(
    section: Option<Value>,
    env: &dyn Env,
    notices: &mut Notices,
) -> Result<RouterSettings, ConfigError> {
    let mut settings = RouterSettings::default();
    let mapping = match section {
        None | Some(Value::Null) => return Ok(settings),
        Some(Value::Mapping(mapping)) => mapping,
        Some(_) => {
            return Err(ConfigError::at(
                SECTION,
                "expected a mapping",
                "write the section's settings as `key: value` lines under it",
            ));
        }
    };
    for (key, mut value) in mapping {
        let name = key_text(&key);
        let path = child(SECTION, &name);
        if !USED.contains(&name.as_str()) {
            notices.push(SECTION, format!("{path}: accepted, not acted on yet"));
            continue;
        }
        // Only the keys used are resolved: LiteLLM files often hold `redis_password:
        // os.environ/…` here, which need not be set for modelgate.
        resolve(&mut value, &path, env)?;
        if value.is_null() {
            continue;
        }
        match name.as_str() {
            "routing_strategy" => {
                let text = scalar(&value, &path)?;
                settings.routing_strategy = match text.trim() {
                    "simple-shuffle" => RoutingStrategy::SimpleShuffle,
                    "least-busy" => RoutingStrategy::LeastBusy,
                    "latency-based-routing" => RoutingStrategy::LatencyBased,
                    other => {
                        notices.push(
                            SECTION,
                            format!("{path}: `{other}` not supported; simple-shuffle is used"),
                        );
                        RoutingStrategy::SimpleShuffle
                    }
                }
            }
            "num_retries" => settings.num_retries = count(&scalar(&value, &path)?, &path)?,
            "allowed_fails" => settings.allowed_fails = count(&scalar(&value, &path)?, &path)?,
            "timeout" => settings.timeout = Some(parse_timeout(&scalar(&value, &path)?, &path)?),
            "stream_timeout" => {
                settings.stream_timeout = Some(parse_timeout(&scalar(&value, &path)?, &path)?);
            }
            "connect_timeout" => {
                settings.connect_timeout = Some(parse_timeout(&scalar(&value, &path)?, &path)?);
            }
            "retry_after" => settings.retry_after = seconds(&scalar(&value, &path)?, &path)?,
            "retry_backoff" => settings.retry_backoff = seconds(&scalar(&value, &path)?, &path)?,
            "cooldown_time" => settings.cooldown_time = seconds(&scalar(&value, &path)?, &path)?,
            "fallbacks" => settings.fallbacks = fallback_list(value, &path)?,
            "context_window_fallbacks" => {
                settings.context_window_fallbacks = fallback_list(value, &path)?;
            }
            "content_policy_fallbacks" => {
                settings.content_policy_fallbacks = fallback_list(value, &path)?;
            }
            "max_fallbacks" => {
                let max: usize = count(&scalar(&value, &path)?, &path)?;
                if max > MAX_MAX_FALLBACKS {
                    return Err(ConfigError::at(
                        path,
                        format!("{max} is more than {MAX_MAX_FALLBACKS}"),
                        format!("write a whole number from 0 to {MAX_MAX_FALLBACKS}, e.g. 5"),
                    ));
                }
                settings.max_fallbacks = max;
            }
            "model_group_alias" => settings.model_group_alias = group_aliases(value, &path)?,
            _ => {}
        }
    }
    Ok(settings)
}

fn scalar(value: &Value, path: &str) -> Result<String, ConfigError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ConfigError::at(
            path,
            "expected a single value",
            "write a number or a name",
        )),
    }
}

/// A whole number, at least 0.
pub(super) fn count<T: std::str::FromStr>(raw: &str, path: &str) -> Result<T, ConfigError> {
    let value = raw.trim().parse().ok().or_else(|| {
        let n = super::yaml11::int(raw)?;
        n.to_string().parse().ok()
    });
    value.ok_or_else(|| {
        ConfigError::at(
            path,
            format!("`{raw}` is not a whole number"),
            "write a whole number, at least 0, e.g. 3",
        )
    })
}

/// Seconds, 0 allowed.
fn seconds(raw: &str, path: &str) -> Result<Duration, ConfigError> {
    let fix = "give the time in seconds, e.g. 5 or 0.5";
    let value: f64 = super::yaml11::float(raw)
        .ok_or_else(|| ConfigError::at(path, format!("`{raw}` is not a number of seconds"), fix))?;
    if value < 0.0 {
        return Err(ConfigError::at(path, "the time must not be negative", fix));
    }
    Duration::try_from_secs_f64(value)
        .map_err(|_| ConfigError::at(path, format!("`{raw}` seconds is out of range"), fix))
}

/// A weight: a number, at least 0.
pub(super) fn weight(raw: &str, path: &str) -> Result<f64, ConfigError> {
    let fix = "write a number, at least 0, e.g. 2";
    let value: f64 = super::yaml11::float(raw)
        .ok_or_else(|| ConfigError::at(path, format!("`{raw}` is not a number"), fix))?;
    if !value.is_finite() || value < 0.0 {
        return Err(ConfigError::at(path, "the weight must be 0 or more", fix));
    }
    Ok(value)
}

/// LiteLLM writes `[{model: [alternatives]}, …]`; one mapping with several models is accepted too.
fn fallback_list(value: Value, path: &str) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let fix = "write e.g. fallbacks: [{gpt-4o: [claude-sonnet, gpt-4o-mini]}]";
    let maps: Vec<(String, Mapping)> = match value {
        Value::Sequence(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Mapping(m) => Ok((index(path, i), m)),
                _ => Err(ConfigError::at(index(path, i), "expected a mapping", fix)),
            })
            .collect::<Result<_, _>>()?,
        Value::Mapping(m) => vec![(path.to_owned(), m)],
        _ => return Err(ConfigError::at(path, "expected a list", fix)),
    };
    let mut out = Vec::new();
    for (map_path, map) in maps {
        for (model, alternatives) in map {
            let model = key_text(&model);
            let at = child(&map_path, &model);
            let list = match alternatives {
                Value::String(s) => vec![s],
                Value::Sequence(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scalar(v, &index(&at, i)))
                    .collect::<Result<_, _>>()?,
                _ => return Err(ConfigError::at(at, "expected a list of model names", fix)),
            };
            let list: Vec<String> = list
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            out.push((model, list));
        }
    }
    Ok(out)
}

/// `{alias: group}` or LiteLLM's `{alias: {model: group, hidden: true}}`.
fn group_aliases(value: Value, path: &str) -> Result<HashMap<String, String>, ConfigError> {
    let fix = "write e.g. model_group_alias: {gpt-4: gpt-4o}";
    let Value::Mapping(map) = value else {
        return Err(ConfigError::at(path, "expected a mapping", fix));
    };
    let mut out = HashMap::new();
    for (alias, target) in map {
        let alias = key_text(&alias);
        let at = child(path, &alias);
        let target = match &target {
            Value::Mapping(m) => m
                .get("model")
                .ok_or_else(|| ConfigError::at(child(&at, "model"), "missing", fix))
                .and_then(|v| scalar(v, &child(&at, "model")))?,
            other => scalar(other, &at)?,
        };
        out.insert(alias, target.trim().to_owned());
    }
    Ok(out)
}

/// The alternatives configured for `model` in `list`: its own entry, else the `*` entry.
pub fn alternatives_for<'a>(list: &'a [(String, Vec<String>)], model: &str) -> &'a [String] {
    list.iter()
        .find(|(m, _)| m == model)
        .or_else(|| list.iter().find(|(m, _)| m == "*"))
        .map_or(&[], |(_, alts)| alts.as_slice())
}
