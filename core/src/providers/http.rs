//! What every HTTP-based adapter shares: the client, transport error
//! mapping, bounded error bodies, secret scrubbing, and SSE event streams.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use modelgate::error::{ErrorKind, GatewayError};
use secrecy::SecretString;

use crate::secrets::Secrets;
use crate::sse::{SseDecoder, SseEvent};

/// Longest wait for a TCP (and TLS) connection to an upstream.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence between two reads of an upstream response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(600);
/// Error bodies past this size are cut: only the message matters.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The upstream client: pooled keep-alive connections, no Nagle delay.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    client_builder().build()
}

/// How every upstream client is built. Redirects are never followed: the request carries the
/// provider key, the configured headers and the prompt, and a `Location` may point anywhere.
/// A 3xx answer is an error ([`redirected`]).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("modelgate/", env!("CARGO_PKG_VERSION")))
}

/// A 3xx from an upstream. The message names the provider, never the `Location` (it may
/// name internal hosts).
pub fn redirected(provider: &str, status: u16) -> GatewayError {
    GatewayError::new(
        ErrorKind::Unavailable,
        format!(
            "upstream `{provider}` answered with a redirect (HTTP {status}), which modelgate does not follow; set the provider's api_base to the URL that answers"
        ),
    )
    .with_http_status(502)
    .with_code("upstream_redirect")
}

/// The message of an error body that is not the provider's JSON envelope: its text as the
/// upstream wrote it (first 500 characters); an empty or HTML body (a proxy's page) carries no
/// words for a caller, so the message then says which upstream answered which status.
pub fn bare_error_text(provider: &str, status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        format!("upstream `{provider}` returned an error: HTTP {status}")
    } else {
        text.chars().take(500).collect()
    }
}

/// A failure to talk to the upstream at all, or mid-body.
pub fn transport_error(provider: &str, err: &reqwest::Error) -> GatewayError {
    if err.is_timeout() {
        return GatewayError::new(
            ErrorKind::Timeout,
            format!("upstream `{provider}` timed out"),
        )
        .with_code("upstream_timeout");
    }
    let what = if err.is_connect() {
        "could not be reached"
    } else if err.is_body() || err.is_decode() {
        "broke off its response"
    } else {
        "failed"
    };
    // The error's own text may hold the URL (never a key: keys travel in headers).
    GatewayError::new(
        ErrorKind::Unavailable,
        format!("upstream `{provider}` {what}: {}", root_cause(err)),
    )
    .with_http_status(502)
    .with_code("upstream_unavailable")
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of an error response.
pub async fn error_body(response: reqwest::Response) -> (u16, Bytes) {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(piece)) = stream.next().await {
        let room = MAX_ERROR_BODY.saturating_sub(body.len());
        body.extend_from_slice(&piece[..piece.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    (status, Bytes::from(body))
}

/// Largest non-streamed body read from an upstream.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Sends a request and turns any non-success answer into the error the
/// provider's own `parse_error` reads from it, scrubbed of `secrets` (the
/// upstream may echo the key and headers it was sent) and carrying the
/// upstream's `Retry-After`. A redirect is an error of its own, its body unread.
pub async fn send(
    provider: &str,
    secrets: &Secrets,
    builder: reqwest::RequestBuilder,
    parse_error: fn(&str, u16, &[u8]) -> GatewayError,
) -> Result<reqwest::Response, GatewayError> {
    let response = builder
        .send()
        .await
        .map_err(|e| secrets.scrub(transport_error(provider, &e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status.is_redirection() {
        return Err(redirected(provider, status.as_u16()));
    }
    let wait = retry_after(response.headers());
    let (status, body) = error_body(response).await;
    let mut err = secrets.scrub(parse_error(provider, status, &body));
    if let Some(wait) = wait {
        err = err.with_retry_after(wait);
    }
    Err(err)
}

/// The whole body of a non-streamed answer, refusing one past [`MAX_BODY_BYTES`].
pub async fn read_body(provider: &str, response: reqwest::Response) -> Result<Bytes, GatewayError> {
    let mut body = Vec::new();
    let mut pieces = response.bytes_stream();
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|e| transport_error(provider, &e))?;
        if body.len() + piece.len() > MAX_BODY_BYTES {
            return Err(GatewayError::new(
                ErrorKind::Unavailable,
                format!("upstream `{provider}` sent a body larger than {MAX_BODY_BYTES} bytes"),
            )
            .with_http_status(502));
        }
        body.extend_from_slice(&piece);
    }
    Ok(Bytes::from(body))
}

/// How long the upstream asks us to wait: OpenAI's `retry-after-ms`, else
/// `retry-after` in seconds (HTTP dates are rare from APIs and are ignored).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    text("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
}

/// What every HTTP adapter keeps about its upstream: where it is, the key,
/// extra headers, the whole-call timeout, the shared client, and how its
/// error bodies read.
pub(crate) struct Endpoint {
    pub name: String,
    pub base: String,
    pub key: Option<SecretString>,
    pub headers: Vec<(String, String)>,
    /// The key and header values, to scrub from what the upstream echoes.
    pub secrets: Secrets,
    pub timeout: Option<std::time::Duration>,
    pub client: reqwest::Client,
    parse_error: fn(&str, u16, &[u8]) -> GatewayError,
    /// Parsed request URLs by path: parsing one costs more than the rest of
    /// building the request.
    urls: std::sync::Mutex<std::collections::HashMap<String, reqwest::Url>>,
}

/// Distinct paths whose parsed URL is kept (Gemini's carry the model name).
const MAX_CACHED_URLS: usize = 64;

impl Endpoint {
    /// The endpoint of `config` at `base` (each adapter normalises its own).
    pub fn new(
        config: &crate::config::ProviderConfig,
        base: String,
        client: reqwest::Client,
        parse_error: fn(&str, u16, &[u8]) -> GatewayError,
    ) -> Self {
        Self {
            name: config.name.clone(),
            base,
            key: config.api_key.clone(),
            headers: config.headers.clone(),
            secrets: Secrets::of_provider(config),
            timeout: config.timeout,
            client,
            parse_error,
            urls: Default::default(),
        }
    }

    /// A POST to `base` + `path`.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        match self.url(path) {
            Some(url) => self.client.post(url),
            // Unparseable: reqwest reports it when the request is sent.
            None => self.client.post(format!("{}{path}", self.base)),
        }
    }

    fn url(&self, path: &str) -> Option<reqwest::Url> {
        let mut urls = self.urls.lock().ok()?;
        if let Some(url) = urls.get(path) {
            return Some(url.clone());
        }
        let url = reqwest::Url::parse(&format!("{}{path}", self.base)).ok()?;
        if urls.len() < MAX_CACHED_URLS {
            urls.insert(path.to_owned(), url.clone());
        }
        Some(url)
    }

    /// The configured extra headers on `builder`.
    pub fn with_headers(&self, mut builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
    }
}

impl Transport for Endpoint {
    fn name(&self) -> &str {
        &self.name
    }

    fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    fn parse_error(&self) -> fn(&str, u16, &[u8]) -> GatewayError {
        self.parse_error
    }
}

/// What an adapter tells about its upstream; sending, scrubbing and body
/// reading then come for free, the same for every adapter.
pub(crate) trait Transport {
    /// The provider's configured name, for messages.
    fn name(&self) -> &str;
    /// The provider key and header values, to scrub from anything the upstream echoes.
    fn secrets(&self) -> &Secrets;
    /// How this provider's error bodies read.
    fn parse_error(&self) -> fn(&str, u16, &[u8]) -> GatewayError;

    /// Sends and turns any non-success answer into the matching error.
    async fn send(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, GatewayError> {
        send(self.name(), self.secrets(), builder, self.parse_error()).await
    }

    fn scrub(&self, err: GatewayError) -> GatewayError {
        self.secrets().scrub(err)
    }

    async fn body(&self, response: reqwest::Response) -> Result<Bytes, GatewayError> {
        read_body(self.name(), response).await
    }
}

/// The response body as SSE events; transport and framing failures become
/// errors, and the stream ends after the first error.
pub fn sse_events(
    response: reqwest::Response,
    provider: String,
) -> impl Stream<Item = Result<SseEvent, GatewayError>> + Send {
    struct State<S> {
        body: S,
        decoder: SseDecoder,
        ready: std::collections::VecDeque<SseEvent>,
        provider: String,
        done: bool,
    }
    let state = State {
        body: Box::pin(response.bytes_stream()),
        decoder: SseDecoder::new(),
        ready: Default::default(),
        provider,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(event) = st.ready.pop_front() {
                return Some((Ok(event), st));
            }
            if st.done {
                return None;
            }
            let framing = |st: &State<_>, e: crate::sse::SseError| {
                GatewayError::new(
                    ErrorKind::Unavailable,
                    format!("upstream `{}` sent a malformed stream: {e}", st.provider),
                )
                .with_http_status(502)
            };
            match st.body.next().await {
                Some(Ok(bytes)) => match st.decoder.push(&bytes) {
                    Ok(events) => st.ready.extend(events),
                    Err(e) => {
                        st.done = true;
                        let err = framing(&st, e);
                        return Some((Err(err), st));
                    }
                },
                Some(Err(e)) => {
                    st.done = true;
                    let err = transport_error(&st.provider, &e);
                    return Some((Err(err), st));
                }
                None => {
                    st.done = true;
                    match st.decoder.finish() {
                        Ok(Some(event)) => st.ready.push_back(event),
                        Ok(None) => {}
                        Err(e) => {
                            let err = framing(&st, e);
                            return Some((Err(err), st));
                        }
                    }
                }
            }
        }
    })
}
