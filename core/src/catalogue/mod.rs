//! Model metadata for `/v1/models`: a built-in catalogue of well-known models
//! (context window, capabilities, prices), looked up by the upstream model
//! name and provider, and overridden per model by the config's `model_info`.
//!
//! The data, `core/data/catalogue.json`, is generated from LiteLLM's model
//! list by `scripts/catalogue_from_litellm.py` (which says what is kept).

mod listing;
mod model_info;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::LazyLock;

use modelgate::v1::{ModelMetadata, ModelPricing};
use serde::Deserialize;

use crate::config::ProviderKind;

pub use listing::Listing;
pub(crate) use listing::base_metadata;
pub use model_info::apply_model_info;

const BUILT_IN_JSON: &str = include_str!("../../data/catalogue.json");

static BUILT_IN: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::from_json(BUILT_IN_JSON).unwrap_or_else(|e| {
        // A unit test parses the file, so this is unreachable in a tested build.
        tracing::error!(error = %e, "the built-in model catalogue is unreadable; listing models without metadata");
        Catalogue::default()
    })
});

/// Known models by provider (LiteLLM's provider names), then by the name the
/// provider's API uses.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Catalogue {
    providers: HashMap<String, HashMap<String, Entry>>,
}

/// One model as `catalogue.json` stores it; absent fields are unknown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(rename = "type")]
    kind: Option<String>,
    context_window_tokens: Option<i64>,
    max_output: Option<i64>,
    function_call: Option<bool>,
    vision: Option<bool>,
    reasoning: Option<bool>,
    pricing: Option<Pricing>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pricing {
    input: Option<f64>,
    output: Option<f64>,
    cached_input: Option<f64>,
}

impl Catalogue {
    /// The catalogue compiled into the binary.
    pub fn built_in() -> &'static Catalogue {
        &BUILT_IN
    }

    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Number of models held.
    pub fn len(&self) -> usize {
        self.providers.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What is known about `model` as provider `provider` (a config name such
    /// as `groq`, or a custom one) of `kind` serves it.
    ///
    /// Tried in order: the provider's own name, then its kind's (Azure
    /// deployments are usually named for the OpenAI model), then a
    /// `vendor/model` name's vendor (OpenRouter, Together), each with the
    /// model name as given and without an Ollama `:tag`.
    pub fn lookup(&self, provider: &str, kind: ProviderKind, model: &str) -> Option<ModelMetadata> {
        let mut tables: Vec<&str> = vec![provider, kind.as_str()];
        if kind == ProviderKind::Azure {
            tables.push("openai");
        }
        let untagged = model.split_once(':').map(|(name, _)| name);
        let names = std::iter::once(model).chain(untagged);
        for name in names {
            for table in &tables {
                if let Some(entry) = self.providers.get(*table).and_then(|t| t.get(name)) {
                    return Some(entry.to_metadata());
                }
            }
        }
        let (vendor, rest) = model.split_once('/')?;
        self.providers
            .get(vendor)
            .and_then(|t| t.get(rest))
            .map(Entry::to_metadata)
    }
}

impl Entry {
    fn to_metadata(&self) -> ModelMetadata {
        ModelMetadata {
            display_name: None,
            context_window_tokens: self.context_window_tokens,
            max_output: self.max_output,
            function_call: self.function_call,
            vision: self.vision,
            reasoning: self.reasoning,
            r#type: self.kind.clone(),
            pricing: self.pricing.as_ref().map(|p| ModelPricing {
                input: p.input,
                output: p.output,
                cached_input: p.cached_input,
            }),
            enabled: None,
        }
    }
}
