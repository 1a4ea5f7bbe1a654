//! The one table pairing OpenAI HTTP errors with gRPC statuses.
//!
//! The core turns every failure into a [`GatewayError`] and sends it as a
//! `tonic::Status`; the facade rebuilds the same error from the status and
//! renders OpenAI's `{"error":{…}}` body. Both directions read this table.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

const META_TYPE: &str = "x-modelgate-error-type";
const META_CODE: &str = "x-modelgate-error-code";
const META_PARAM: &str = "x-modelgate-error-param";
const META_HTTP: &str = "x-modelgate-http-status";
const META_RETRY_AFTER: &str = "retry-after";
const META_RETRY_AFTER_MS: &str = "retry-after-ms";

/// The OpenAI `code` of [`ErrorKind::UnsupportedByProvider`].
pub const UNSUPPORTED_BY_PROVIDER: &str = "unsupported_by_provider";

/// Whether a metadata key is a response header the facade passes on to HTTP clients
/// (`x-ratelimit-*`, and `x-modelgate-*` other than the error fields above).
pub fn is_forwarded_header(key: &str) -> bool {
    key.starts_with("x-ratelimit-")
        || (key.starts_with("x-modelgate-")
            && ![META_TYPE, META_CODE, META_PARAM, META_HTTP].contains(&key))
}

/// Failure classes of DESIGN.md's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed or invalid request.
    InvalidRequest,
    /// A valid request its provider cannot serve (embeddings from Anthropic): told apart from
    /// [`ErrorKind::InvalidRequest`], whose gRPC code it shares, by its `code`.
    UnsupportedByProvider,
    /// Missing or unknown client key.
    Unauthenticated,
    /// The key may not use this model.
    PermissionDenied,
    /// Unknown model or route.
    NotFound,
    /// Request body over the size limit.
    PayloadTooLarge,
    /// A rate, budget or upstream quota limit.
    RateLimited,
    /// The upstream is unreachable, overloaded or failed.
    Unavailable,
    /// The upstream did not answer in time.
    Timeout,
    /// The request needs something this build cannot do.
    Unimplemented,
    /// A fault inside modelgate.
    Internal,
}

struct Row {
    kind: ErrorKind,
    http: u16,
    grpc: Code,
    openai_type: &'static str,
}

/// The table itself: one row per kind.
const TABLE: [Row; 11] = [
    row(
        ErrorKind::InvalidRequest,
        400,
        Code::InvalidArgument,
        "invalid_request_error",
    ),
    // After `InvalidRequest`: a bare INVALID_ARGUMENT from another server is an invalid request.
    row(
        ErrorKind::UnsupportedByProvider,
        400,
        Code::InvalidArgument,
        "invalid_request_error",
    ),
    row(
        ErrorKind::Unauthenticated,
        401,
        Code::Unauthenticated,
        "invalid_request_error",
    ),
    row(
        ErrorKind::PermissionDenied,
        403,
        Code::PermissionDenied,
        "permission_error",
    ),
    row(
        ErrorKind::NotFound,
        404,
        Code::NotFound,
        "invalid_request_error",
    ),
    row(
        ErrorKind::PayloadTooLarge,
        413,
        Code::OutOfRange,
        "invalid_request_error",
    ),
    row(
        ErrorKind::RateLimited,
        429,
        Code::ResourceExhausted,
        "rate_limit_error",
    ),
    row(ErrorKind::Unavailable, 503, Code::Unavailable, "api_error"),
    row(
        ErrorKind::Timeout,
        504,
        Code::DeadlineExceeded,
        "timeout_error",
    ),
    row(
        ErrorKind::Unimplemented,
        501,
        Code::Unimplemented,
        "invalid_request_error",
    ),
    row(ErrorKind::Internal, 500, Code::Internal, "api_error"),
];

const fn row(kind: ErrorKind, http: u16, grpc: Code, openai_type: &'static str) -> Row {
    Row {
        kind,
        http,
        grpc,
        openai_type,
    }
}

impl ErrorKind {
    fn row(self) -> &'static Row {
        // Every kind has exactly one row; the fallback (`Internal`) is never reached.
        TABLE
            .iter()
            .find(|r| r.kind == self)
            .unwrap_or(&TABLE[TABLE.len() - 1])
    }

    /// Default HTTP status of this kind.
    pub fn http_status(self) -> u16 {
        self.row().http
    }

    /// gRPC status code of this kind.
    pub fn grpc_code(self) -> Code {
        self.row().grpc
    }

    /// Default OpenAI error `type` of this kind.
    pub fn openai_type(self) -> &'static str {
        self.row().openai_type
    }

    /// The OpenAI `code` clients switch on for this kind, when there is one.
    pub fn default_code(self) -> Option<&'static str> {
        match self {
            ErrorKind::NotFound => Some("model_not_found"),
            ErrorKind::RateLimited => Some("rate_limit_exceeded"),
            ErrorKind::Unauthenticated => Some("invalid_api_key"),
            ErrorKind::UnsupportedByProvider => Some(UNSUPPORTED_BY_PROVIDER),
            _ => None,
        }
    }

    /// The kind of a status with gRPC code `code` and OpenAI code `openai_code`: kinds that
    /// share a gRPC code are told apart by their OpenAI code.
    fn from_status_codes(code: Code, openai_code: Option<&str>) -> Self {
        match (Self::from_grpc_code(code), openai_code) {
            (ErrorKind::InvalidRequest, Some(UNSUPPORTED_BY_PROVIDER)) => {
                ErrorKind::UnsupportedByProvider
            }
            (kind, _) => kind,
        }
    }

    /// The kind a gRPC code stands for.
    pub fn from_grpc_code(code: Code) -> Self {
        match code {
            Code::DeadlineExceeded => ErrorKind::Timeout,
            Code::Cancelled | Code::Unknown | Code::Aborted | Code::DataLoss => ErrorKind::Internal,
            Code::FailedPrecondition | Code::AlreadyExists => ErrorKind::InvalidRequest,
            other => TABLE
                .iter()
                .find(|r| r.grpc == other)
                .map_or(ErrorKind::Internal, |r| r.kind),
        }
    }

    /// The kind an upstream HTTP status stands for.
    pub fn from_upstream_http(status: u16) -> Self {
        match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            413 => ErrorKind::PayloadTooLarge,
            429 => ErrorKind::RateLimited,
            400..=499 => ErrorKind::InvalidRequest,
            _ => ErrorKind::Unavailable,
        }
    }
}

/// A failure with everything needed to render it as OpenAI does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    /// The class of failure.
    pub kind: ErrorKind,
    /// Human-readable message.
    pub message: String,
    /// OpenAI `code`, such as `model_not_found` or `invalid_api_key`.
    pub code: Option<String>,
    /// OpenAI `param`: the request field at fault.
    pub param: Option<String>,
    /// OpenAI `type` when it differs from the kind's default.
    pub openai_type: Option<String>,
    /// HTTP status when it differs from the kind's default (502 for an
    /// upstream 5xx, 529 never leaves modelgate).
    pub http_status: Option<u16>,
    /// `Retry-After` and response headers; boxed because most errors have none and every
    /// `Result` carrying this error pays for its size.
    pub hints: Option<Box<Hints>>,
}

/// What an error tells the caller besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// How long the caller should wait before trying again (`retry-after`).
    pub retry_after: Option<std::time::Duration>,
    /// Response headers sent with the error (`x-ratelimit-*`, `x-modelgate-*`).
    pub headers: Vec<(String, String)>,
}

impl GatewayError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
            param: None,
            openai_type: None,
            http_status: None,
            hints: None,
        }
    }

    /// Sets how long the caller should wait before trying again.
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.hints.get_or_insert_default().retry_after = Some(wait);
        self
    }

    /// How long the caller should wait before trying again, if said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.hints.as_ref().and_then(|h| h.retry_after)
    }

    /// Response headers to send with the error.
    pub fn headers(&self) -> &[(String, String)] {
        self.hints.as_ref().map_or(&[], |h| h.headers.as_slice())
    }

    /// Adds response headers to send with the error.
    pub fn add_headers(&mut self, headers: impl IntoIterator<Item = (String, String)>) {
        let mut headers = headers.into_iter().peekable();
        if headers.peek().is_some() {
            self.hints.get_or_insert_default().headers.extend(headers);
        }
    }

    /// 400 naming the field at fault.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message).with_param(param)
    }

    /// Sets the OpenAI `code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the OpenAI `param`.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets the OpenAI `type`.
    pub fn with_type(mut self, openai_type: impl Into<String>) -> Self {
        self.openai_type = Some(openai_type.into());
        self
    }

    /// Overrides the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        self.http_status.unwrap_or_else(|| self.kind.http_status())
    }

    /// OpenAI error `type`.
    pub fn openai_type(&self) -> &str {
        self.openai_type
            .as_deref()
            .unwrap_or_else(|| self.kind.openai_type())
    }

    /// The status sent over gRPC, with the OpenAI fields in metadata.
    pub fn to_status(&self) -> Status {
        let mut meta = MetadataMap::new();
        insert(&mut meta, META_TYPE, Some(self.openai_type()));
        insert(&mut meta, META_CODE, self.code.as_deref());
        insert(&mut meta, META_PARAM, self.param.as_deref());
        insert(&mut meta, META_HTTP, Some(&self.http_status().to_string()));
        if let Some(wait) = self.retry_after() {
            // Whole seconds for HTTP's `Retry-After`; milliseconds as OpenAI's SDKs read them.
            let secs = wait.as_millis().div_ceil(1000).to_string();
            insert(&mut meta, META_RETRY_AFTER, Some(&secs));
            insert(
                &mut meta,
                META_RETRY_AFTER_MS,
                Some(&wait.as_millis().to_string()),
            );
        }
        for (key, value) in self.headers() {
            if let (Ok(key), Ok(value)) = (
                tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
                MetadataValue::try_from(value.as_str()),
            ) {
                meta.insert(key, value);
            }
        }
        Status::with_metadata(self.kind.grpc_code(), self.message.clone(), meta)
    }

    /// Rebuilds the error from a status, whoever sent it.
    pub fn from_status(status: &Status) -> Self {
        let meta = status.metadata();
        let text = |key: &str| {
            meta.get(key)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let code = text(META_CODE);
        let kind = ErrorKind::from_status_codes(status.code(), code.as_deref());
        let http = text(META_HTTP)
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (400..=599).contains(s) && *s != kind.http_status());
        let mut err = Self {
            kind,
            message: status.message().to_owned(),
            code,
            param: text(META_PARAM),
            openai_type: text(META_TYPE).filter(|t| t != kind.openai_type()),
            http_status: http,
            hints: None,
        };
        let retry_after = text(META_RETRY_AFTER_MS)
            .and_then(|ms| ms.parse().ok())
            .map(std::time::Duration::from_millis)
            .or_else(|| {
                text(META_RETRY_AFTER)
                    .and_then(|s| s.parse().ok())
                    .map(std::time::Duration::from_secs)
            });
        if let Some(wait) = retry_after {
            err = err.with_retry_after(wait);
        }
        err.add_headers(forwarded_headers(meta));
        err
    }
}

/// The response headers in `meta` meant for HTTP clients, in a stable order.
pub fn forwarded_headers(meta: &MetadataMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = meta
        .iter()
        .filter_map(|entry| match entry {
            tonic::metadata::KeyAndValueRef::Ascii(key, value) => Some((key, value)),
            tonic::metadata::KeyAndValueRef::Binary(..) => None,
        })
        .filter(|(key, _)| is_forwarded_header(key.as_str()))
        .filter_map(|(key, value)| Some((key.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    out.sort();
    out
}

fn insert(meta: &mut MetadataMap, key: &'static str, value: Option<&str>) {
    // Values that are not valid header text are dropped: they are hints only.
    if let Some(value) = value.and_then(|v| MetadataValue::try_from(v).ok()) {
        meta.insert(key, value);
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GatewayError {}

impl From<GatewayError> for Status {
    fn from(err: GatewayError) -> Self {
        err.to_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_a_status() {
        for row in &TABLE {
            // A kind sharing its gRPC code with another travels with its own code.
            let err = GatewayError::new(row.kind, "boom")
                .with_code(row.kind.default_code().unwrap_or("some_code"))
                .with_param("messages[0].role");
            let back = GatewayError::from_status(&err.to_status());
            assert_eq!(back, err, "{:?}", row.kind);
            assert_eq!(back.http_status(), row.http);
        }
    }

    #[test]
    fn unsupported_by_provider_keeps_its_kind_through_a_status() {
        let err = GatewayError::new(ErrorKind::UnsupportedByProvider, "no embeddings")
            .with_code(UNSUPPORTED_BY_PROVIDER)
            .with_param("model");
        let status = err.to_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        let back = GatewayError::from_status(&status);
        assert_eq!(back, err);
        assert_eq!(back.http_status(), 400);
        assert_eq!(back.openai_type(), "invalid_request_error");
        // A bare INVALID_ARGUMENT stays an invalid request.
        let plain = GatewayError::from_status(&Status::invalid_argument("bad"));
        assert_eq!(plain.kind, ErrorKind::InvalidRequest);
    }

    #[test]
    fn overrides_survive_the_hop() {
        let err = GatewayError::new(ErrorKind::Unavailable, "upstream 500")
            .with_http_status(502)
            .with_type("server_error");
        let back = GatewayError::from_status(&err.to_status());
        assert_eq!(back.http_status(), 502);
        assert_eq!(back.openai_type(), "server_error");
    }

    #[test]
    fn retry_after_and_headers_survive_the_hop() {
        let err = GatewayError::new(ErrorKind::RateLimited, "slow down")
            .with_retry_after(std::time::Duration::from_millis(1500));
        let mut err = err;
        err.add_headers([
            ("x-modelgate-attempts".into(), "3".into()),
            ("x-ratelimit-limit-requests".into(), "2".into()),
        ]);
        let status = err.to_status();
        assert_eq!(
            status
                .metadata()
                .get("retry-after")
                .map(|v| v.to_str().ok()),
            Some(Some("2"))
        );
        let back = GatewayError::from_status(&status);
        assert_eq!(back, err);
    }

    #[test]
    fn upstream_statuses_map_to_kinds() {
        assert_eq!(
            ErrorKind::from_upstream_http(400),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            ErrorKind::from_upstream_http(422),
            ErrorKind::InvalidRequest
        );
        assert_eq!(ErrorKind::from_upstream_http(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_upstream_http(529), ErrorKind::Unavailable);
        assert_eq!(ErrorKind::from_upstream_http(504), ErrorKind::Timeout);
    }

    #[test]
    fn plain_statuses_from_other_servers_still_map() {
        let back = GatewayError::from_status(&Status::unauthenticated("no key"));
        assert_eq!(back.http_status(), 401);
        assert_eq!(back.message, "no key");
    }
}
