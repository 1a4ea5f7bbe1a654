//! Every credential a configuration holds, and scrubbing it out of what leaves the core.
//!
//! Upstreams echo what they were sent (request headers, masked keys, the body) into their
//! error messages and codes. Whatever a caller, a log line, a metric or a span can see of an
//! error passes through [`Secrets::scrub`] first: at the adapter that parsed it (with that
//! provider's secrets), around every adapter and at the service boundary (with the whole
//! configuration's), and in the request log line.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use modelgate::error::GatewayError;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, ProviderConfig};

/// Values shorter than this are not scrubbed by value: a header such as `x-flag: 1` or
/// `x-env: prod` would otherwise blank ordinary words out of every message. Provider and
/// client keys that short are reported at start-up ([`Secrets::short_keys`]). Key-shaped
/// words (`sk-…`) are scrubbed whatever their length.
pub const MIN_SCRUBBED_LEN: usize = 8;

/// What a scrubbed value is replaced with.
pub const MARK: &str = "[redacted]";

/// The values to scrub, longest first (a secret holding another is removed whole). Cheap to
/// clone; `Debug` shows only how many there are.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Arc<[SecretString]>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// Every provider's `api_key` and `headers:` values, every `model_list` entry's key and
    /// `extra_headers`, and every client key of `auth.keys`.
    pub fn of_config(config: &Config) -> Self {
        let mut values = Vec::new();
        for provider in config.providers.values() {
            collect_provider(&mut values, provider);
        }
        for deployment in &config.model_list {
            collect_provider(&mut values, &deployment.provider);
        }
        for key in &config.auth.keys {
            collect(&mut values, key.key.expose_secret());
        }
        Self::from_values(values)
    }

    /// One provider's `api_key` and header values: what its upstream is sent.
    pub fn of_provider(provider: &ProviderConfig) -> Self {
        let mut values = Vec::new();
        collect_provider(&mut values, provider);
        Self::from_values(values)
    }

    fn from_values(mut values: Vec<String>) -> Self {
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Self {
            values: values.into_iter().map(SecretString::from).collect(),
        }
    }

    /// How many values are scrubbed.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is scrubbed by value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` without any of the secrets, nor any word that looks like an API key (`sk-…`,
    /// even masked). Borrowed when there was nothing to remove.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in self.values.iter() {
            let secret = secret.expose_secret();
            if out.contains(secret) {
                out = Cow::Owned(out.replace(secret, MARK));
            }
        }
        if out.contains("sk-") || out.contains("sk_") {
            out = Cow::Owned(redact_key_shaped(&out));
        }
        out
    }

    /// `text` redacted in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text) {
            *text = clean;
        }
    }

    /// The error with every field a caller sees redacted: message, code, param, type and the
    /// values of the headers it carries.
    pub fn scrub(&self, mut err: GatewayError) -> GatewayError {
        self.redact_in_place(&mut err.message);
        for field in [&mut err.code, &mut err.param, &mut err.openai_type]
            .into_iter()
            .flatten()
        {
            self.redact_in_place(field);
        }
        if let Some(hints) = err.hints.as_mut() {
            for (_, value) in &mut hints.headers {
                self.redact_in_place(value);
            }
        }
        err
    }

    /// Where `config` holds a provider or client key too short to be scrubbed, by name.
    pub fn short_keys(config: &Config) -> Vec<String> {
        let short = |key: &SecretString| {
            let key = key.expose_secret();
            let key = key.strip_prefix("Bearer ").unwrap_or(key).trim();
            !key.is_empty() && key.len() < MIN_SCRUBBED_LEN
        };
        let providers = config
            .providers
            .values()
            .filter(|p| p.api_key.as_ref().is_some_and(short))
            .map(|p| format!("providers.{}.api_key", p.name));
        let clients = config
            .auth
            .keys
            .iter()
            .filter(|k| short(&k.key))
            .map(|k| format!("auth.keys[{}].key", k.name));
        providers.chain(clients).collect()
    }
}

fn collect_provider(values: &mut Vec<String>, provider: &ProviderConfig) {
    if let Some(key) = &provider.api_key {
        collect(values, key.expose_secret());
    }
    for (_, value) in &provider.headers {
        collect(values, value);
    }
}

/// The value as configured, trimmed, and without a `Bearer ` scheme (Azure sends such a key
/// as the token alone; an upstream may echo either).
fn collect(values: &mut Vec<String>, value: &str) {
    let trimmed = value.trim();
    let token = trimmed.strip_prefix("Bearer ").map(str::trim);
    for candidate in [Some(value), Some(trimmed), token].into_iter().flatten() {
        if candidate.len() >= MIN_SCRUBBED_LEN && !values.iter().any(|v| v == candidate) {
            values.push(candidate.to_owned());
        }
    }
}

/// Words holding `sk-…` or `sk_…` (at their start or after punctuation, as in `key=sk-…`)
/// with that part replaced by [`MARK`], keeping the punctuation that ends them.
fn redact_key_shaped(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| match key_start(word) {
            Some(start) => {
                let end = word
                    .trim_end_matches(|c: char| c.is_whitespace() || ".,;:)]}\"'".contains(c))
                    .len()
                    .max(start);
                format!("{}{MARK}{}", &word[..start], &word[end..])
            }
            None => word.to_owned(),
        })
        .collect()
}

fn key_start(word: &str) -> Option<usize> {
    word.match_indices("sk").map(|(i, _)| i).find(|&i| {
        let after = word.as_bytes().get(i + 2);
        let before = i.checked_sub(1).map(|b| word.as_bytes()[b]);
        matches!(after, Some(b'-' | b'_')) && before.is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate::error::ErrorKind;

    fn secrets(values: &[&str]) -> Secrets {
        let mut out = Vec::new();
        for v in values {
            collect(&mut out, v);
        }
        Secrets::from_values(out)
    }

    #[test]
    fn removes_exact_and_key_shaped_words() {
        let s = secrets(&["sk-provider-secret"]);
        let out =
            s.redact("Incorrect API key provided: sk-prov**********cret. You can find it at x.");
        assert!(!out.contains("sk-prov"), "{out}");
        assert!(out.contains("[redacted]."), "{out}");
        assert!(out.ends_with("at x."));
        let s = secrets(&["abcdef123"]);
        assert_eq!(s.redact("key abcdef123 leaked"), "key [redacted] leaked");
        assert!(matches!(s.redact("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            s.redact("(key=sk-abc, \"sk_def\") task-force risk-free"),
            "(key=[redacted], \"[redacted]\") task-force risk-free"
        );
    }

    #[test]
    fn longest_first_and_bearer_token_alone() {
        let s = secrets(&["Bearer tok-12345678", "hdr-value-1", "hdr-value-1-longer"]);
        assert_eq!(
            s.redact("a tok-12345678 b hdr-value-1-longer c hdr-value-1"),
            "a [redacted] b [redacted] c [redacted]"
        );
    }

    #[test]
    fn short_values_are_left_alone() {
        let s = secrets(&["1", "prod", "seven77"]);
        assert!(s.is_empty());
        assert_eq!(s.redact("prod 1 seven77"), "prod 1 seven77");
    }

    #[test]
    fn scrub_covers_every_field() {
        let s = secrets(&["hdr-secret-value"]);
        let mut err = GatewayError::new(ErrorKind::InvalidRequest, "got hdr-secret-value")
            .with_code("x-hdr-secret-value")
            .with_param("hdr-secret-value")
            .with_type("t_hdr-secret-value");
        err.add_headers([("x-modelgate-a".to_owned(), "hdr-secret-value".to_owned())]);
        let err = s.scrub(err);
        let all = format!(
            "{} {:?} {:?} {:?} {:?}",
            err.message,
            err.code,
            err.param,
            err.openai_type,
            err.headers()
        );
        assert!(!all.contains("hdr-secret"), "{all}");
        assert_eq!(err.code.as_deref(), Some("x-[redacted]"));
    }

    #[test]
    fn a_config_yields_every_key_and_header_value() {
        let yaml = "auth:\n  keys:\n    - { name: weak, key: short1 }\n    - { name: good, key: client-key-0123456789 }\n\
            providers:\n  local: { kind: ollama, api_base: \"http://127.0.0.1:9\", api_key: ollama }\n\
            \x20 up: { kind: openai, api_base: \"http://127.0.0.1:9/v1\", api_key: prov-key-0123456789, headers: { x-a: hdr-value-0123456789, x-b: \"1\" } }\n\
            model_list:\n  - model_name: m\n    litellm_params: { model: up/m, extra_headers: { x-c: deploy-value-0123456789 } }\n";
        let config = Config::from_yaml_str(yaml, "t.yaml", &crate::config::MapEnv::from_pairs(&[]))
            .expect("config");
        let s = Secrets::of_config(&config);
        let text = "client-key-0123456789 prov-key-0123456789 hdr-value-0123456789 deploy-value-0123456789 ollama 1";
        assert_eq!(
            s.redact(text),
            "[redacted] [redacted] [redacted] [redacted] ollama 1"
        );
        assert_eq!(
            Secrets::short_keys(&config),
            ["providers.local.api_key", "auth.keys[weak].key"]
        );
        assert_eq!(format!("{s:?}"), format!("Secrets({} values)", s.len()));
    }
}
