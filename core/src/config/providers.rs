//! Provider kinds (wire dialects), the named presets LiteLLM users know (`groq/…`, `ollama/…`),
//! and the checks every provider setting goes through.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

use super::ProviderConfig;
use super::env::{Env, first_set, non_empty};
use super::error::ConfigError;

/// The API dialect a provider speaks; every OpenAI-compatible server is `OpenAi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    OpenAi,
    Azure,
    Anthropic,
    Gemini,
    Ollama,
}

impl ProviderKind {
    /// The spelling used for `kind:` in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
        }
    }

    /// `ollama_chat` is LiteLLM's name for the same Ollama server.
    pub(super) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "openai" => ProviderKind::OpenAi,
            "azure" => ProviderKind::Azure,
            "anthropic" => ProviderKind::Anthropic,
            "gemini" => ProviderKind::Gemini,
            "ollama" | "ollama_chat" => ProviderKind::Ollama,
            _ => return None,
        })
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) const KIND_NAMES: &str = "openai, azure, anthropic, gemini or ollama";

pub(super) const AZURE_DEFAULT_API_VERSION: &str = "2024-10-21";

/// A provider name with built-in defaults, usable as a `model_list` prefix or a `providers:` key.
pub(super) struct Preset {
    pub name: &'static str,
    pub kind: ProviderKind,
    pub api_base: Option<&'static str>,
    /// Variables overriding `api_base`, first set wins.
    pub base_env: &'static [&'static str],
    /// Variables holding the API key, first set wins.
    pub key_env: &'static [&'static str],
}

const fn preset(
    name: &'static str,
    kind: ProviderKind,
    api_base: Option<&'static str>,
    base_env: &'static [&'static str],
    key_env: &'static [&'static str],
) -> Preset {
    Preset {
        name,
        kind,
        api_base,
        base_env,
        key_env,
    }
}

use ProviderKind::{Anthropic, Azure, Gemini, Ollama, OpenAi};

// One line per preset: name, kind, default api_base, api_base variables, key variables.
#[rustfmt::skip]
pub(super) const PRESETS: &[Preset] = &[
    preset("openai",       OpenAi,    Some("https://api.openai.com/v1"),                 &["OPENAI_BASE_URL", "OPENAI_API_BASE"],       &["OPENAI_API_KEY"]),
    preset("anthropic",    Anthropic, Some("https://api.anthropic.com"),                 &["ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE"], &["ANTHROPIC_API_KEY"]),
    preset("gemini",       Gemini,    Some("https://generativelanguage.googleapis.com"), &[],                                           &["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
    preset("ollama",       Ollama,    Some("http://localhost:11434"),                    &["OLLAMA_HOST"],                              &[]),
    preset("ollama_chat",  Ollama,    Some("http://localhost:11434"),                    &["OLLAMA_HOST"],                              &[]),
    preset("azure",        Azure,     None,                                              &["AZURE_API_BASE"],                           &["AZURE_API_KEY"]),
    preset("groq",         OpenAi,    Some("https://api.groq.com/openai/v1"),            &[],                                           &["GROQ_API_KEY"]),
    preset("deepseek",     OpenAi,    Some("https://api.deepseek.com/v1"),               &[],                                           &["DEEPSEEK_API_KEY"]),
    preset("mistral",      OpenAi,    Some("https://api.mistral.ai/v1"),                 &[],                                           &["MISTRAL_API_KEY"]),
    preset("openrouter",   OpenAi,    Some("https://openrouter.ai/api/v1"),              &[],                                           &["OPENROUTER_API_KEY"]),
    preset("together_ai",  OpenAi,    Some("https://api.together.xyz/v1"),               &[],                                           &["TOGETHERAI_API_KEY"]),
    preset("xai",          OpenAi,    Some("https://api.x.ai/v1"),                       &[],                                           &["XAI_API_KEY"]),
    preset("fireworks_ai", OpenAi,    Some("https://api.fireworks.ai/inference/v1"),     &[],                                           &["FIREWORKS_AI_API_KEY"]),
    preset("perplexity",   OpenAi,    Some("https://api.perplexity.ai"),                 &[],                                           &["PERPLEXITYAI_API_KEY"]),
    preset("cerebras",     OpenAi,    Some("https://api.cerebras.ai/v1"),                &[],                                           &["CEREBRAS_API_KEY"]),
    preset("deepinfra",    OpenAi,    Some("https://api.deepinfra.com/v1/openai"),       &[],                                           &["DEEPINFRA_API_KEY"]),
    // Self-hosted servers; LiteLLM reads their base from these variables too.
    preset("hosted_vllm",  OpenAi,    None,                                              &["HOSTED_VLLM_API_BASE"],                     &["HOSTED_VLLM_API_KEY"]),
    preset("lm_studio",    OpenAi,    Some("http://localhost:1234/v1"),                  &["LM_STUDIO_API_BASE"],                       &["LM_STUDIO_API_KEY"]),
];

pub(super) fn find_preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// A provider being assembled from defaults and overrides; `api_base` may still be missing.
pub(super) struct Draft {
    pub name: String,
    pub kind: ProviderKind,
    pub api_base: Option<String>,
    pub api_key: Option<SecretString>,
    pub api_version: Option<String>,
    pub models: Option<Vec<String>>,
    pub timeout: Option<Duration>,
    pub headers: Vec<(String, String)>,
    /// `None`: the kind's default (see [`Draft::finish`]).
    pub responses_api: Option<bool>,
    /// A preset other than `openai` and `azure`: a hosted OpenAI-compatible API, assumed to
    /// have no Responses API unless the entry says `responses_api: true`.
    pub compatible_preset: bool,
    /// Says where a missing `api_base` can come from, for the error message.
    pub base_hint: String,
}

impl Draft {
    /// A preset's defaults, with its variables read from `env`.
    pub fn from_preset(name: &str, preset: &Preset, env: &dyn Env) -> Result<Draft, ConfigError> {
        let api_base = match first_set(env, preset.base_env) {
            Some((var, value)) => {
                let value = if preset.kind == ProviderKind::Ollama {
                    ollama_host(&value)
                } else {
                    value
                };
                Some(parse_api_base(&value, var)?)
            }
            None => preset.api_base.map(str::to_owned),
        };
        let api_key = first_set(env, preset.key_env).map(|(_, key)| SecretString::from(key));
        let api_version = match preset.kind {
            ProviderKind::Azure => non_empty(env, "AZURE_API_VERSION"),
            _ => None,
        };
        let base_hint = match preset.base_env.first() {
            Some(var) => format!("set api_base or {var}"),
            None => "set api_base".to_owned(),
        };
        Ok(Draft {
            name: name.to_owned(),
            kind: preset.kind,
            api_base,
            api_key,
            api_version,
            models: None,
            timeout: None,
            headers: Vec::new(),
            responses_api: None,
            compatible_preset: preset.kind == ProviderKind::OpenAi && preset.name != "openai",
            base_hint,
        })
    }

    pub fn from_config(provider: &ProviderConfig) -> Draft {
        Draft {
            name: provider.name.clone(),
            kind: provider.kind,
            api_base: Some(provider.api_base.clone()),
            api_key: provider.api_key.clone(),
            api_version: provider.api_version.clone(),
            models: provider.models.clone(),
            timeout: provider.timeout,
            headers: provider.headers.clone(),
            responses_api: Some(provider.responses_api),
            compatible_preset: false,
            base_hint: "set api_base".to_owned(),
        }
    }

    /// Adds a header, replacing one of the same name (header names are case-insensitive).
    pub fn set_header(&mut self, name: String, value: String) {
        self.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        self.headers.push((name, value));
    }

    /// `base_path` is where `api_base` would go, named when it is missing.
    pub fn finish(self, base_path: &str) -> Result<ProviderConfig, ConfigError> {
        let Some(api_base) = self.api_base else {
            return Err(ConfigError::at(
                base_path,
                format!(
                    "provider {} ({}) has no default api_base",
                    self.name, self.kind
                ),
                format!("{} (an http:// or https:// URL)", self.base_hint),
            ));
        };
        let api_version = match (self.kind, self.api_version) {
            (ProviderKind::Azure, None) => Some(AZURE_DEFAULT_API_VERSION.to_owned()),
            (_, version) => version,
        };
        let own_api = matches!(self.kind, ProviderKind::OpenAi | ProviderKind::Azure);
        let responses_api = self
            .responses_api
            .unwrap_or(own_api && !self.compatible_preset);
        Ok(ProviderConfig {
            name: self.name,
            kind: self.kind,
            api_base,
            api_key: self.api_key,
            api_version,
            models: self.models,
            timeout: self.timeout,
            headers: self.headers,
            responses_api,
        })
    }
}

/// Checks an http(s) URL and returns it without trailing slashes, so paths can be appended.
pub(super) fn parse_api_base(raw: &str, path: &str) -> Result<String, ConfigError> {
    let text = raw.trim();
    let fix = "write a full http:// or https:// URL, e.g. https://api.openai.com/v1";
    let url = reqwest::Url::parse(text)
        .map_err(|e| ConfigError::at(path, format!("`{text}` is not a URL ({e})"), fix))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::at(
            path,
            format!("`{text}` is not an http or https URL"),
            fix,
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::at(path, format!("`{text}` has no host"), fix));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// `OLLAMA_HOST` as Ollama itself reads it: the scheme and the port (11434) may be left out.
pub(super) fn ollama_host(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains("://") {
        return raw.to_owned();
    }
    let (hostport, rest) = match raw.find('/') {
        Some(i) => raw.split_at(i),
        None => (raw, ""),
    };
    let has_port = match hostport.rsplit_once(':') {
        // `[::1]` alone has colons but no port.
        Some((host, port)) => {
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.starts_with('[') || host.ends_with(']'))
        }
        None => false,
    };
    let hostport = match (hostport.is_empty(), has_port) {
        (true, _) => "127.0.0.1:11434".to_owned(),
        (false, true) => hostport.to_owned(),
        (false, false) => format!("{hostport}:11434"),
    };
    format!("http://{hostport}{rest}")
}

/// A timeout in seconds (integer or fractional).
pub(super) fn parse_timeout(raw: &str, path: &str) -> Result<Duration, ConfigError> {
    let fix = "give the timeout in seconds, e.g. 600";
    let seconds: f64 = super::yaml11::float(raw)
        .ok_or_else(|| ConfigError::at(path, format!("`{raw}` is not a number of seconds"), fix))?;
    if seconds <= 0.0 {
        return Err(ConfigError::at(
            path,
            "the timeout must be more than 0 seconds",
            fix,
        ));
    }
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| ConfigError::at(path, format!("`{raw}` seconds is out of range"), fix))
}

/// Checks that a header can be sent as written. The value is never echoed: it may be a key.
pub(super) fn check_header(name: &str, value: &str, path: &str) -> Result<(), ConfigError> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(ConfigError::at(
            path,
            format!("`{name}` is not a valid HTTP header name"),
            "use letters, digits and '-' only",
        ));
    }
    if http::HeaderValue::from_str(value).is_err() {
        return Err(ConfigError::at(
            path,
            "the header value contains characters HTTP does not allow",
            "remove control characters and non-ASCII text from the value",
        ));
    }
    Ok(())
}
