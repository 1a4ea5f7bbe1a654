//! Caller authentication: client keys from `authorization` metadata,
//! compared in constant time, each with a name and a model allow-list.

use modelgate::error::{ErrorKind, GatewayError};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

use crate::config::ClientKey;

/// The configured client keys.
pub struct Auth {
    keys: Vec<Entry>,
}

struct Entry {
    /// Digests have one length whatever the key's, so comparing them leaks
    /// neither content nor length.
    digest: [u8; 32],
    caller: Caller,
}

/// Who is calling, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's configured name (never the key itself).
    pub name: String,
    models: Option<Vec<String>>,
}

impl Caller {
    /// A caller with no restrictions, used when no keys are configured.
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".into(),
            models: None,
        }
    }

    /// Whether this caller may use `model` (the name the client asked for).
    pub fn may_use(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| pattern_matches(p, model)))
    }
}

/// `*` alone matches everything; a trailing `*` matches a prefix.
pub fn pattern_matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => pattern == model,
    }
}

impl Auth {
    /// Authentication over `keys`; with none, every caller is let in.
    pub fn new(keys: &[ClientKey]) -> Self {
        Self {
            keys: keys
                .iter()
                .map(|k| Entry {
                    digest: digest(k.key.expose_secret()),
                    caller: Caller {
                        name: k.name.clone(),
                        models: k.models.clone().filter(|m| !m.iter().any(|p| p == "*")),
                    },
                })
                .collect(),
        }
    }

    /// Whether any key is configured.
    pub fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    /// The caller the request's `authorization` metadata names.
    pub fn authenticate(&self, metadata: &MetadataMap) -> Result<Caller, GatewayError> {
        self.authenticate_headers(metadata.as_ref())
    }

    /// The caller the request's `authorization` header names: the same check
    /// on the HTTP/2 headers of an RPC, before its message is read.
    pub fn authenticate_headers(&self, headers: &http::HeaderMap) -> Result<Caller, GatewayError> {
        if self.keys.is_empty() {
            return Ok(Caller::anonymous());
        }
        let presented = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(bearer)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                unauthenticated(
                    "You didn't provide an API key. Provide it in the Authorization header \
                     using Bearer auth (Authorization: Bearer YOUR_KEY).",
                )
            })?;
        let wanted = digest(presented);
        let mut found = None;
        // Look at every key so the time taken does not tell which matched.
        for entry in &self.keys {
            if bool::from(entry.digest.ct_eq(&wanted)) && found.is_none() {
                found = Some(&entry.caller);
            }
        }
        found
            .cloned()
            .ok_or_else(|| unauthenticated("Incorrect API key provided."))
    }
}

fn bearer(header: &str) -> &str {
    let header = header.trim();
    match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => header,
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn unauthenticated(message: &str) -> GatewayError {
    GatewayError::new(ErrorKind::Unauthenticated, message).with_code("invalid_api_key")
}

/// 403 for a caller outside its allow-list.
pub fn not_allowed(caller: &Caller, model: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::PermissionDenied,
        format!(
            "The key `{}` is not allowed to use the model `{model}`.",
            caller.name
        ),
    )
    .with_code("model_not_allowed")
    .with_param("model")
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn keys() -> Auth {
        Auth::new(&[
            ClientKey {
                name: "all".into(),
                key: SecretString::from("sk-one"),
                models: None,
                limits: Default::default(),
            },
            ClientKey {
                name: "some".into(),
                key: SecretString::from("sk-two"),
                models: Some(vec!["openai/*".into(), "alias".into()]),
                limits: Default::default(),
            },
        ])
    }

    fn meta(value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert("authorization", value.parse().expect("ascii"));
        m
    }

    #[test]
    fn bearer_keys_resolve_to_names() {
        let auth = keys();
        assert_eq!(
            auth.authenticate(&meta("Bearer sk-one")).expect("ok").name,
            "all"
        );
        assert_eq!(
            auth.authenticate(&meta("bearer  sk-two "))
                .expect("ok")
                .name,
            "some"
        );
    }

    #[test]
    fn missing_and_wrong_keys_are_401_without_echo() {
        let auth = keys();
        let err = auth.authenticate(&MetadataMap::new()).expect_err("no key");
        assert_eq!(err.http_status(), 401);
        let err = auth
            .authenticate(&meta("Bearer sk-guess"))
            .expect_err("bad key");
        assert_eq!(err.code.as_deref(), Some("invalid_api_key"));
        assert!(!err.message.contains("sk-guess"));
    }

    #[test]
    fn allow_lists_use_patterns() {
        let auth = keys();
        let some = auth.authenticate(&meta("Bearer sk-two")).expect("ok");
        assert!(some.may_use("openai/gpt-4o") && some.may_use("alias"));
        assert!(!some.may_use("anthropic/claude") && !some.may_use("alias2"));
        assert!(
            auth.authenticate(&meta("Bearer sk-one"))
                .expect("ok")
                .may_use("anything")
        );
    }

    #[test]
    fn no_keys_means_open() {
        let auth = Auth::new(&[]);
        assert!(auth.is_open());
        assert_eq!(
            auth.authenticate(&MetadataMap::new()).expect("open").name,
            "anonymous"
        );
    }
}
