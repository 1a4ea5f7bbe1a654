//! A model or deployment name that goes into an upstream URL path (Azure's
//! `deployments/{name}/…`, Gemini's `models/{name}:…`) must stay exactly one path segment:
//! URL parsers drop tabs and newlines and resolve `.`/`..`, so `.<TAB>.` would climb out of
//! `deployments/`. Every adapter that builds such a path takes a [`PathSegment`].

use std::fmt;

use modelgate::error::GatewayError;
use modelgate::model_name::{MAX_MODEL_NAME_BYTES, bounded};

/// A name checked to be one URL path segment: not empty, at most
/// [`MAX_MODEL_NAME_BYTES`], no control characters (tab, CR and LF included), not `.` or
/// `..`, and no `/`, `\`, `?`, `#` or `%` (so no percent-encoded dot or slash either).
/// Anything else is legal and percent-encoded when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathSegment<'a>(&'a str);

impl<'a> PathSegment<'a> {
    /// `name` as a path segment, or 400 `invalid_request_error` with `param: model`.
    pub fn new(name: &'a str) -> Result<Self, GatewayError> {
        let refuse = |why: &str| {
            Err(GatewayError::invalid(
                "model",
                format!(
                    "The model name \"{}\" cannot be sent upstream: {why}.",
                    bounded(name).escape_debug()
                ),
            ))
        };
        if name.is_empty() {
            return refuse("it is empty");
        }
        if name.len() > MAX_MODEL_NAME_BYTES {
            return refuse(&format!("it is longer than {MAX_MODEL_NAME_BYTES} bytes"));
        }
        if name == "." || name == ".." {
            return refuse("`.` and `..` are not names");
        }
        if name.chars().any(char::is_control) {
            return refuse("it holds a control character");
        }
        if name.contains(['/', '\\', '?', '#', '%']) {
            return refuse("it holds one of / \\ ? # %");
        }
        Ok(PathSegment(name))
    }

    /// The name as given (for `Url::path_segments_mut().push`, which encodes it).
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// The percent-encoded segment: RFC 3986 unreserved characters as they are, every other
/// byte as `%XX`.
impl fmt::Display for PathSegment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                write!(f, "{}", char::from(byte))?;
            } else {
                write!(f, "%{byte:02X}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_could_leave_the_segment() {
        for bad in [
            "", ".", "..", ".\t.", "a\nb", "a\rb", "%2e%2e", "a%2Fb", "a/b", "a\\b", "a?b", "a#b",
            "\u{7f}", "\u{85}",
        ] {
            let err = PathSegment::new(bad).expect_err(bad);
            assert_eq!(err.http_status(), 400, "{bad:?}");
            assert_eq!(err.param.as_deref(), Some("model"), "{bad:?}");
            assert!(!err.message.contains('\n'), "{:?}", err.message);
        }
        assert!(PathSegment::new(&"a".repeat(MAX_MODEL_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn encodes_what_is_legal() {
        let seg = PathSegment::new("gpt-4o.mini_v2~x").expect("plain");
        assert_eq!(seg.to_string(), "gpt-4o.mini_v2~x");
        assert_eq!(
            PathSegment::new("a b:é").expect("legal").to_string(),
            "a%20b%3A%C3%A9"
        );
        assert_eq!(PathSegment::new("...").expect("three dots").as_str(), "...");
    }
}
