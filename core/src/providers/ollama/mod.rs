//! The ollama adapter.

use std::sync::Arc;

use super::Provider;
use super::unsupported::Unsupported;
use crate::config::ProviderConfig;

/// The adapter for a `ollama` provider entry.
pub fn build(config: &ProviderConfig, _client: &reqwest::Client) -> Arc<dyn Provider> {
    Arc::new(Unsupported::new(config))
}
