//! The metadata of each id `ListModels` returns: aliases from `model_list`
//! (their first deployment's model in the catalogue, then the entry's
//! `model_info`) and `provider/model` ids (the catalogue).

use std::collections::{HashMap, HashSet};

use modelgate::v1::ModelMetadata;
use serde_json::Value;

use super::{Catalogue, apply_model_info};
use crate::config::{Config, Deployment, ProviderKind};

/// Metadata by listed model id, resolved against one config.
pub struct Listing {
    catalogue: &'static Catalogue,
    kinds: HashMap<String, ProviderKind>,
    aliases: HashMap<String, ModelMetadata>,
    /// `provider/model` ids of providers' `models:` lists: named by the operator, so offered
    /// (`enabled`) like aliases; models an upstream merely reports are not.
    listed: HashSet<String>,
}

impl Listing {
    /// For `config`, with the built-in catalogue.
    pub fn new(config: &Config) -> Self {
        Self::with_catalogue(config, Catalogue::built_in())
    }

    pub fn with_catalogue(config: &Config, catalogue: &'static Catalogue) -> Self {
        let kinds = config
            .providers
            .iter()
            .map(|(name, p)| (name.clone(), p.kind))
            .collect();
        let mut aliases: HashMap<String, ModelMetadata> = HashMap::new();
        let mut with_info: Vec<&str> = Vec::new();
        for d in &config.model_list {
            if d.model_name.contains('*') {
                continue;
            }
            // The group's first deployment names the model; the first
            // `model_info` among its deployments describes it.
            let meta = aliases
                .entry(d.model_name.clone())
                .or_insert_with(|| base_metadata(catalogue, d));
            if let Some(info) = &d.model_info
                && !with_info.contains(&d.model_name.as_str())
            {
                with_info.push(&d.model_name);
                for problem in apply_model_info(meta, info) {
                    tracing::warn!(model = %d.model_name, "{problem}");
                }
            }
        }
        let listed = config
            .providers
            .iter()
            .flat_map(|(name, p)| {
                p.models
                    .iter()
                    .flatten()
                    .map(move |model| format!("{name}/{model}"))
            })
            .collect();
        Self {
            catalogue,
            kinds,
            aliases,
            listed,
        }
    }

    /// What `/v1/models` shows for `id`: everything known, and `enabled: true` for the models
    /// the operator named (aliases, unless their `model_info` says otherwise, and entries of a
    /// provider's `models:` list). Discovered models carry no `enabled`, so a client's picker
    /// offers only the named ones by default.
    pub fn metadata(&self, id: &str) -> ModelMetadata {
        let (mut meta, named) = match self.aliases.get(id) {
            Some(meta) => (meta.clone(), true),
            None => (
                id.split_once('/')
                    .and_then(|(provider, model)| {
                        let kind = *self.kinds.get(provider)?;
                        self.catalogue.lookup(provider, kind, model)
                    })
                    .unwrap_or_default(),
                self.listed.contains(id),
            ),
        };
        if named {
            meta.enabled.get_or_insert(true);
        }
        meta
    }
}

/// The catalogue's entry for a deployment's model: LiteLLM's
/// `model_info.base_model` when given (Azure deployments carry custom names),
/// else the upstream model.
pub(crate) fn base_metadata(catalogue: &Catalogue, d: &Deployment) -> ModelMetadata {
    let base_model = d
        .model_info
        .as_ref()
        .and_then(|info| info.get("base_model"))
        .and_then(Value::as_str)
        .map(|m| {
            // LiteLLM writes it with its provider prefix (`azure/gpt-4o`).
            m.strip_prefix(&format!("{}/", d.provider.kind.as_str()))
                .unwrap_or(m)
        });
    let model = base_model.unwrap_or(&d.upstream_model);
    if model == "*" {
        return ModelMetadata::default();
    }
    catalogue
        .lookup(&d.provider.name, d.provider.kind, model)
        .unwrap_or_default()
}
