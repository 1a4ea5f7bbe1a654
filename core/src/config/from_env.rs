//! The configuration without a file: providers and client keys from the usual variables,
//! so `modelgate serve` alone works.

use std::collections::BTreeMap;

use super::env::{Env, first_set, non_empty};
use super::error::ConfigError;
use super::providers::{Draft, PRESETS};
use super::validate::{KeySite, check_unique_keys, client_key};
use super::{AuthConfig, Config, CorsConfig, ENVIRONMENT, ServerConfig};

pub(super) fn build(env: &dyn Env) -> Result<Config, ConfigError> {
    let mut providers = BTreeMap::new();
    let mut notices = Vec::new();
    for preset in PRESETS {
        // `ollama_chat` is the same server as `ollama`; one entry is enough.
        if preset.name == "ollama_chat" {
            continue;
        }
        let key = first_set(env, preset.key_env);
        let base = first_set(env, preset.base_env);
        let Some((var, _)) = key.as_ref().or(base.as_ref()) else {
            continue;
        };
        // Azure has no default endpoint, and a key for it is useless without one.
        let needs_key = preset.name == "azure";
        if base.is_none() && preset.api_base.is_none() || needs_key && key.is_none() {
            let missing = if key.is_none() {
                preset.key_env
            } else {
                preset.base_env
            };
            notices.push(format!(
                "{var} is set but {} is not: provider {} not configured",
                missing.join(" / "),
                preset.name
            ));
            continue;
        }
        let provider = Draft::from_preset(preset.name, preset, env)?
            .finish(preset.base_env.first().copied().unwrap_or(preset.name))?;
        providers.insert(preset.name.to_owned(), provider);
    }

    let mut keys = Vec::new();
    if let Some(list) = non_empty(env, "MODELGATE_API_KEYS") {
        let values = list.split(',').map(str::trim).filter(|k| !k.is_empty());
        for (i, value) in values.enumerate() {
            let name = format!("key-{}", i + 1);
            keys.push((
                KeySite::single("MODELGATE_API_KEYS"),
                client_key(name, value, None, "MODELGATE_API_KEYS")?,
            ));
        }
    }
    if let Some(master) = non_empty(env, "LITELLM_MASTER_KEY") {
        keys.push((
            KeySite::single("LITELLM_MASTER_KEY"),
            client_key("master".to_owned(), &master, None, "LITELLM_MASTER_KEY")?,
        ));
    }
    check_unique_keys(&keys)?;

    Ok(Config {
        source: ENVIRONMENT.to_owned(),
        server: ServerConfig::default(),
        auth: AuthConfig {
            keys: keys.into_iter().map(|(_, key)| key).collect(),
        },
        cors: CorsConfig::default(),
        providers,
        model_list: Vec::new(),
        router: Default::default(),
        image_fetch: super::image_fetch::from_env(env)?,
        notices,
    })
}
