//! The model catalogue for `ListModels`: aliases, explicit provider lists,
//! and what each other provider's upstream reports, cached with a TTL. One
//! provider being down never fails the whole list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modelgate::v1::{Model, ModelMetadata};

use crate::catalogue::Listing;
use crate::config::Config;
use crate::providers::Provider;
use crate::router::Router;

/// How long an upstream's model list is reused.
pub const TTL: Duration = Duration::from_secs(300);
/// How long one upstream may take to list its models.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Models kept per upstream listing: the cache holds one listing per
/// configured provider, and this bounds each (real catalogues have hundreds).
pub const MAX_LISTED_MODELS: usize = 4096;

enum Source {
    Fixed(Vec<String>),
    Upstream(Arc<dyn Provider>),
}

/// Builds and caches the catalogue.
pub struct Discovery {
    aliases: Vec<String>,
    sources: Vec<(String, Source)>,
    cache: Mutex<HashMap<String, (Instant, Vec<Model>)>>,
    metadata: Listing,
}

impl Discovery {
    /// The catalogue of `config`, using the router's adapters.
    pub fn new(config: &Config, router: &Router) -> Self {
        let sources = config
            .providers
            .iter()
            .filter_map(|(name, p)| {
                let source = match &p.models {
                    Some(list) => Source::Fixed(list.clone()),
                    None => Source::Upstream(router.providers().get(name)?.clone()),
                };
                Some((name.clone(), source))
            })
            .collect();
        Self {
            aliases: router.alias_names(),
            sources,
            cache: Mutex::new(HashMap::new()),
            metadata: Listing::new(config),
        }
    }

    /// What `/v1/models` shows about a listed model beyond its id.
    pub fn metadata(&self, id: &str) -> ModelMetadata {
        self.metadata.metadata(id)
    }

    /// Every model: aliases first, then `provider/model` entries.
    pub async fn list(&self) -> Vec<Model> {
        let mut out: Vec<Model> = self
            .aliases
            .iter()
            .map(|id| Model {
                id: id.clone(),
                created: 0,
                owned_by: "modelgate".into(),
            })
            .collect();
        let fetches = self
            .sources
            .iter()
            .map(|(name, source)| self.provider_models(name, source));
        for models in futures::future::join_all(fetches).await {
            out.extend(models);
        }
        out
    }

    async fn provider_models(&self, name: &str, source: &Source) -> Vec<Model> {
        let provider = match source {
            Source::Fixed(list) => {
                return list
                    .iter()
                    .map(|m| Model {
                        id: format!("{name}/{m}"),
                        created: 0,
                        owned_by: name.to_owned(),
                    })
                    .collect();
            }
            Source::Upstream(provider) => provider,
        };
        let cached = self.cached(name);
        if let Some((at, models)) = &cached
            && at.elapsed() < TTL
        {
            return models.clone();
        }
        match tokio::time::timeout(FETCH_TIMEOUT, provider.list_models()).await {
            Ok(Ok(models)) => {
                let models: Vec<Model> = models
                    .into_iter()
                    .filter(|m| !m.id.contains('*'))
                    .take(MAX_LISTED_MODELS)
                    .map(|m| Model {
                        id: format!("{name}/{}", m.id),
                        created: m.created,
                        owned_by: if m.owned_by.is_empty() {
                            name.to_owned()
                        } else {
                            m.owned_by
                        },
                    })
                    .collect();
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(name.to_owned(), (Instant::now(), models.clone()));
                }
                models
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.message,
                    _ => "timed out".into(),
                };
                tracing::warn!(provider = name, error = %why, "could not list the provider's models; listing what is cached");
                cached.map(|(_, m)| m).unwrap_or_default()
            }
        }
    }

    fn cached(&self, name: &str) -> Option<(Instant, Vec<Model>)> {
        self.cache.lock().ok()?.get(name).cloned()
    }
}
