//! The key check before a body is read: requests that may carry a body
//! (every method but GET, HEAD and OPTIONS) on the OpenAI routes are first
//! checked with the core, from their headers alone; a missing or unknown key
//! is answered 401 and the body is never read (hyper then closes the
//! connection instead of reading the rest). The core stays the one place
//! that knows the keys.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};

use crate::core_client::CoreClient;
use crate::error::ApiError;

/// The caller's credential as the core reads it: `authorization` as sent, or
/// Azure-style `api-key` / `x-api-key` as a bearer token. A value there that
/// already reads `Bearer KEY` is passed as it is: prefixing it again would make
/// the core compare `Bearer KEY` with the key.
pub fn credential(headers: &HeaderMap) -> Option<AsciiMetadataValue> {
    let auth = headers.get(header::AUTHORIZATION).cloned().or_else(|| {
        let bare = headers
            .get("api-key")
            .or_else(|| headers.get("x-api-key"))?;
        if has_bearer_scheme(bare.as_bytes()) {
            return Some(bare.clone());
        }
        HeaderValue::from_bytes(&[b"Bearer ", bare.as_bytes()].concat()).ok()
    });
    auth.and_then(|v| MetadataValue::try_from(v.as_bytes()).ok())
}

/// Whether `value` starts with the `Bearer` scheme (any case) and a space.
fn has_bearer_scheme(value: &[u8]) -> bool {
    value
        .trim_ascii_start()
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case(b"bearer "))
}

/// Middleware: asks the core about the request's credential before the
/// route's body extractor runs.
pub async fn before_body(State(core): State<CoreClient>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    match core.authenticate(credential(request.headers())).await {
        Ok(()) => next.run(request).await,
        Err(status) => {
            let unread = request.body().size_hint().exact() != Some(0);
            let mut response = ApiError::from(status).into_response();
            if unread {
                // hyper closes the connection rather than read the body; saying so keeps
                // clients from reusing it for their next request.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}

/// How long the core's "yes" to a credential is trusted without asking again:
/// short, so a key removed by a reload is refused within about this long.
pub const ACCEPTED_TTL: Duration = Duration::from_secs(1);

/// Most credentials remembered at once; past it, new ones are asked about
/// every time until older entries expire.
pub const ACCEPTED_CAPACITY: usize = 1024;

/// Credentials the core accepted lately, by SHA-256 digest (never the key
/// itself). Refusals are not remembered: each is asked again.
#[derive(Default)]
pub struct Accepted {
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Accepted {
    /// The digest a credential is remembered by; no credential has its own.
    pub fn digest(credential: Option<&AsciiMetadataValue>) -> [u8; 32] {
        let mut hash = Sha256::new();
        match credential {
            Some(value) => {
                hash.update([1]);
                hash.update(value.as_encoded_bytes());
            }
            None => hash.update([0]),
        }
        hash.finalize().into()
    }

    /// Whether the core accepted `digest` within [`ACCEPTED_TTL`].
    pub fn holds(&self, digest: &[u8; 32]) -> bool {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(digest)
            .is_some_and(|at| at.elapsed() < ACCEPTED_TTL)
    }

    /// Remembers that the core accepted `digest` just now.
    pub fn insert(&self, digest: [u8; 32]) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= ACCEPTED_CAPACITY && !entries.contains_key(&digest) {
            entries.retain(|_, at| at.elapsed() < ACCEPTED_TTL);
            if entries.len() >= ACCEPTED_CAPACITY {
                return;
            }
        }
        entries.insert(digest, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> AsciiMetadataValue {
        MetadataValue::try_from(s).expect("ascii")
    }

    #[test]
    fn header_forms_become_one_bearer_credential() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("sk-x"));
        assert_eq!(credential(&headers), Some(value("Bearer sk-x")));
        headers.insert("api-key", HeaderValue::from_static("sk-a"));
        assert_eq!(credential(&headers), Some(value("Bearer sk-a")));
        headers.insert("api-key", HeaderValue::from_static("bearer sk-c"));
        assert_eq!(credential(&headers), Some(value("bearer sk-c")));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sk-b"),
        );
        assert_eq!(credential(&headers), Some(value("Bearer sk-b")));
        assert_eq!(credential(&HeaderMap::new()), None);
    }

    #[test]
    fn accepted_entries_expire_and_stay_bounded() {
        let accepted = Accepted::default();
        let one = Accepted::digest(Some(&value("Bearer sk-one")));
        assert_ne!(one, Accepted::digest(None));
        assert!(!accepted.holds(&one));
        accepted.insert(one);
        assert!(accepted.holds(&one));
        for i in 0..ACCEPTED_CAPACITY + 10 {
            accepted.insert(Accepted::digest(Some(&value(&format!("Bearer {i}")))));
        }
        let len = accepted.entries.lock().map(|e| e.len()).unwrap_or(0);
        assert_eq!(len, ACCEPTED_CAPACITY);
        accepted
            .entries
            .lock()
            .expect("lock")
            .insert(one, Instant::now() - ACCEPTED_TTL);
        assert!(!accepted.holds(&one));
    }
}
