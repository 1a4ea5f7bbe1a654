//! Where a model name goes: `model_list` aliases (a group of several
//! entries is spread round-robin), `provider/model` straight to a configured
//! provider, then wildcard aliases.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use modelgate::error::{ErrorKind, GatewayError};

use crate::auth::pattern_matches;
use crate::config::Config;
use crate::providers::{self, Provider};

/// One place a request can be sent.
#[derive(Clone)]
pub struct Target {
    /// Provider name, for logs and errors.
    pub provider_name: String,
    /// The adapter.
    pub provider: Arc<dyn Provider>,
    /// The model name the upstream knows.
    pub upstream_model: String,
}

struct Group {
    members: Vec<Target>,
    next: AtomicUsize,
}

impl Group {
    fn pick(&self) -> Option<&Target> {
        let n = self.members.len();
        (n > 0).then(|| &self.members[self.next.fetch_add(1, Ordering::Relaxed) % n])
    }
}

/// Resolves model names to targets.
pub struct Router {
    providers: HashMap<String, Arc<dyn Provider>>,
    aliases: HashMap<String, Group>,
    /// `(pattern, group)` in config order; members' upstream model may hold `*`.
    wildcards: Vec<(String, Group)>,
}

impl Router {
    /// Builds every adapter the config names, sharing one HTTP client.
    pub fn new(config: &Config, client: &reqwest::Client) -> Self {
        let providers = config
            .providers
            .iter()
            .map(|(name, p)| (name.clone(), providers::build(p, client)))
            .collect();
        let mut aliases: HashMap<String, Group> = HashMap::new();
        let mut wildcards: Vec<(String, Group)> = Vec::new();
        for d in &config.model_list {
            let target = Target {
                provider_name: d.provider.name.clone(),
                provider: providers::build(&d.provider, client),
                upstream_model: d.upstream_model.clone(),
            };
            let group = if d.model_name.contains('*') {
                match wildcards.iter().position(|(p, _)| *p == d.model_name) {
                    Some(i) => &mut wildcards[i].1,
                    None => {
                        wildcards.push((
                            d.model_name.clone(),
                            Group {
                                members: Vec::new(),
                                next: AtomicUsize::new(0),
                            },
                        ));
                        let last = wildcards.len() - 1;
                        &mut wildcards[last].1
                    }
                }
            } else {
                aliases
                    .entry(d.model_name.clone())
                    .or_insert_with(|| Group {
                        members: Vec::new(),
                        next: AtomicUsize::new(0),
                    })
            };
            group.members.push(target);
        }
        Self {
            providers,
            aliases,
            wildcards,
        }
    }

    /// The target for `model`, or 404 naming it.
    pub fn resolve(&self, model: &str) -> Result<Target, GatewayError> {
        if let Some(target) = self.aliases.get(model).and_then(Group::pick) {
            return Ok(target.clone());
        }
        if let Some((provider_name, upstream)) = model.split_once('/')
            && let Some(provider) = self.providers.get(provider_name)
            && !upstream.is_empty()
        {
            return Ok(Target {
                provider_name: provider_name.to_owned(),
                provider: provider.clone(),
                upstream_model: upstream.to_owned(),
            });
        }
        for (pattern, group) in &self.wildcards {
            if pattern_matches(pattern, model)
                && let Some(target) = group.pick()
            {
                let captured = &model[pattern.trim_end_matches('*').len()..];
                let mut target = target.clone();
                target.upstream_model = target.upstream_model.replace('*', captured);
                return Ok(target);
            }
        }
        Err(model_not_found(model))
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
