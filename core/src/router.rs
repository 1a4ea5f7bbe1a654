//! Where a model name goes: `model_list` aliases (a group of deployments), `provider/model`
//! straight to a configured provider, `router_settings.model_group_alias`, then wildcard
//! aliases. [`Router::resolve`] returns every candidate deployment; the order in which they
//! are tried is the balancer's choice (`resilience::balance`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use modelgate::error::{ErrorKind, GatewayError};

use crate::auth::pattern_matches;
use crate::config::{Config, DeploymentRouting, KeyLimits, RouterSettings};
use crate::providers::{self, Provider};
use crate::resilience::cooldown::Health;
use crate::resilience::limits::RateLimiter;
use crate::resilience::process_state::{DeploymentKey, ProcessState};
use crate::secrets::Secrets;

/// One deployment a request can be sent to.
#[derive(Clone)]
pub struct Target {
    /// Name in `x-modelgate-deployment`: `model_info.id`, else `provider/upstream-model`.
    pub id: String,
    /// Provider name, for logs and errors.
    pub provider_name: String,
    /// The adapter.
    pub provider: Arc<dyn Provider>,
    /// The model name the upstream knows.
    pub upstream_model: String,
    /// Timeouts, weights and retries of this deployment.
    pub routing: Arc<DeploymentRouting>,
    /// Load and failure state, shared by every request.
    pub health: Arc<Health>,
}

/// The deployments that can serve one model name.
pub struct Route {
    /// The model group (alias) or `provider/model` name.
    pub model: String,
    pub candidates: Vec<Target>,
    /// Cooldowns apply only where another deployment can take over (as in LiteLLM).
    pub pooled: bool,
    /// This request's turn in the group: unweighted shuffles rotate by it.
    pub turn: usize,
}

/// One model group's deployments and its request counter.
#[derive(Default)]
struct Group {
    members: Vec<Target>,
    turns: AtomicUsize,
}

/// Resolves model names to deployments and holds the routing state.
pub struct Router {
    providers: HashMap<String, Arc<dyn Provider>>,
    aliases: HashMap<String, Group>,
    /// `(pattern, group)` in config order; members' upstream model may hold `*`.
    wildcards: Vec<(String, Group)>,
    settings: RouterSettings,
    key_limits: HashMap<String, KeyLimits>,
    limiter: Arc<dyn RateLimiter>,
}

impl Router {
    /// Builds every adapter the config names, sharing one HTTP client; their errors are
    /// scrubbed of `secrets`. Rate-limit counters and deployment health come from `process`,
    /// so what they hold for deployments and keys that stay survives a reload.
    pub fn new(
        config: &Config,
        client: &reqwest::Client,
        secrets: &Secrets,
        process: &ProcessState,
    ) -> Self {
        let client = match config.router.connect_timeout {
            Some(limit) => crate::resilience::timeouts::client_with_connect_timeout(limit)
                .unwrap_or_else(|e| {
                    tracing::warn!("router_settings.connect_timeout not applied: {e}");
                    client.clone()
                }),
            None => client.clone(),
        };
        let images = Arc::new(providers::images::Fetcher::new(&config.image_fetch));
        let providers = config
            .providers
            .iter()
            .map(|(name, p)| (name.clone(), providers::build(p, &client, &images, secrets)))
            .collect();
        let mut aliases: HashMap<String, Group> = HashMap::new();
        let mut wildcards: Vec<(String, Group)> = Vec::new();
        let ids: Vec<String> = config
            .model_list
            .iter()
            .map(|d| {
                d.routing
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("{}/{}", d.provider.name, d.upstream_model))
            })
            .collect();
        let health = process.deployments(&deployment_keys(config, &ids));
        for ((d, id), health) in config.model_list.iter().zip(ids).zip(health) {
            let target = Target {
                id,
                provider_name: d.provider.name.clone(),
                provider: providers::build(&d.provider, &client, &images, secrets),
                upstream_model: d.upstream_model.clone(),
                routing: Arc::new(d.routing.clone()),
                health,
            };
            let group = if d.model_name.contains('*') {
                match wildcards.iter().position(|(p, _)| *p == d.model_name) {
                    Some(i) => &mut wildcards[i].1,
                    None => {
                        wildcards.push((d.model_name.clone(), Group::default()));
                        let last = wildcards.len() - 1;
                        &mut wildcards[last].1
                    }
                }
            } else {
                aliases.entry(d.model_name.clone()).or_default()
            };
            group.members.push(target);
        }
        let key_limits: HashMap<String, KeyLimits> = config
            .auth
            .keys
            .iter()
            .filter(|k| !k.limits.is_unlimited())
            .map(|k| (k.name.clone(), k.limits))
            .collect();
        process.retain_keys(&key_limits.keys().cloned().collect());
        Self {
            providers,
            aliases,
            wildcards,
            settings: config.router.clone(),
            key_limits,
            limiter: process.limiter().clone(),
        }
    }

    /// The deployments for `model`, or 404 naming it.
    pub fn resolve(&self, model: &str) -> Result<Route, GatewayError> {
        self.resolve_name(model)
            .or_else(|| {
                let aliased = self.settings.model_group_alias.get(model)?;
                self.resolve_name(aliased)
            })
            .ok_or_else(|| model_not_found(model))
    }

    fn resolve_name(&self, model: &str) -> Option<Route> {
        let route = |candidates: Vec<Target>, turn: usize| Route {
            model: model.to_owned(),
            pooled: candidates.len() > 1,
            candidates,
            turn,
        };
        if let Some(group) = self.aliases.get(model).filter(|g| !g.members.is_empty()) {
            return Some(route(group.members.clone(), group.next_turn()));
        }
        if let Some((provider_name, upstream)) = model.split_once('/')
            && let Some(provider) = self.providers.get(provider_name)
            && !upstream.is_empty()
        {
            return Some(route(
                vec![Target {
                    id: model.to_owned(),
                    provider_name: provider_name.to_owned(),
                    provider: provider.clone(),
                    upstream_model: upstream.to_owned(),
                    routing: Arc::default(),
                    health: Arc::new(Health::default()),
                }],
                0,
            ));
        }
        for (pattern, group) in &self.wildcards {
            if pattern_matches(pattern, model) && !group.members.is_empty() {
                let captured = &model[pattern.trim_end_matches('*').len()..];
                let members = group
                    .members
                    .iter()
                    .map(|t| {
                        let mut t = t.clone();
                        t.upstream_model = t.upstream_model.replace('*', captured);
                        t
                    })
                    .collect();
                return Some(route(members, group.next_turn()));
            }
        }
        None
    }

    /// Alias names clients may send (wildcards excluded), in name order.
    pub fn alias_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.aliases.keys().cloned().collect();
        names.sort();
        names
    }

    /// Configured providers by name.
    pub fn providers(&self) -> &HashMap<String, Arc<dyn Provider>> {
        &self.providers
    }

    /// `router_settings`.
    pub fn settings(&self) -> &RouterSettings {
        &self.settings
    }

    /// The limits of the client key named `key`, if it has any.
    pub fn key_limits(&self, key: &str) -> Option<KeyLimits> {
        self.key_limits.get(key).copied()
    }

    /// The per-key limiter (the process's, kept across reloads).
    pub fn limiter(&self) -> &Arc<dyn RateLimiter> {
        &self.limiter
    }
}

/// Each `model_list` entry's identity across reloads (`ids[i]` is entry `i`'s id).
fn deployment_keys(config: &Config, ids: &[String]) -> Vec<DeploymentKey> {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    config
        .model_list
        .iter()
        .zip(ids)
        .map(|(d, id)| {
            let nth = seen
                .entry((d.model_name.as_str(), id.as_str()))
                .or_default();
            let key = DeploymentKey {
                group: d.model_name.clone(),
                id: id.clone(),
                nth: *nth,
            };
            *nth += 1;
            key
        })
        .collect()
}

impl Group {
    fn next_turn(&self) -> usize {
        self.turns.fetch_add(1, Ordering::Relaxed)
    }
}

/// OpenAI's 404 for an unknown model.
pub fn model_not_found(model: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::NotFound,
        format!("The model `{model}` does not exist or you do not have access to it."),
    )
    .with_code("model_not_found")
    .with_param("model")
}
