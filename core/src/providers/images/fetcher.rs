//! Fetching the http(s) images of one request: its own client (checked DNS, checked redirect
//! hops, no proxy), and per-request bounds on count, bytes and concurrency. Every refusal is the
//! same client error, so the answers tell nothing about what lies behind the gateway.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use futures::{StreamExt, TryStreamExt};
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::ChatCompletionRequest;

use super::destination::{Destinations, Refusal};
use super::resolver::CheckedResolver;
use super::{InlineImage, http_image_urls};
use crate::config::ImageFetchConfig;

/// The `code` of every refused image URL.
pub const NOT_FETCHABLE: &str = "image_url_not_fetchable";
/// The one message for every refusal while fetching is on.
const REFUSED: &str = "An image_url could not be fetched. The gateway fetches only images at \
                       public http(s) addresses, within its count and size limits; send the \
                       image as a base64 data: URI instead.";
/// The message while fetching is off.
const OFF: &str = "This gateway does not fetch image URLs (image_fetch is off); send the image \
                   as a base64 data: URI instead.";
/// Longest one image fetch may take, redirects and body included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirect hops followed at most, each checked like the first URL.
const MAX_REDIRECTS: usize = 3;

/// Fetches the http(s) images of requests as `image_fetch` allows.
pub struct Fetcher {
    settings: ImageFetchConfig,
    destinations: Arc<Destinations>,
    /// `None` when fetching is off (or the client could not be built).
    client: Option<reqwest::Client>,
}

impl Fetcher {
    /// A fetcher for `settings`; a client that cannot be built leaves fetching off.
    pub fn new(settings: &ImageFetchConfig) -> Self {
        let destinations = Arc::new(Destinations::new(settings.allow.clone()));
        let client = if settings.enabled {
            client(&destinations)
                .inspect_err(|e| tracing::warn!("image fetching is off: no client: {e}"))
                .ok()
        } else {
            None
        };
        Self {
            settings: settings.clone(),
            destinations,
            client,
        }
    }

    /// Every http(s) image of `req`, keyed by URL; one refused image refuses the request.
    pub async fn fetch_all(
        &self,
        req: &ChatCompletionRequest,
    ) -> Result<HashMap<String, InlineImage>, GatewayError> {
        let urls = http_image_urls(req);
        if urls.is_empty() {
            return Ok(HashMap::new());
        }
        let Some(client) = &self.client else {
            return Err(refused(OFF));
        };
        if urls.len() > self.settings.max_images {
            tracing::debug!(reason = %Refusal::TooManyImages(urls.len()), "image URLs not fetched");
            return Err(refused(REFUSED));
        }
        let total = AtomicUsize::new(0);
        // The first refusal ends the collection and drops (cancels) the fetches still running.
        futures::stream::iter(urls)
            .map(|url| {
                let total = &total;
                async move {
                    match self.fetch_one(client, &url, total).await {
                        Ok(image) => Ok((url, image)),
                        Err(why) => {
                            let host = reqwest::Url::parse(&url)
                                .ok()
                                .and_then(|u| u.host_str().map(str::to_owned))
                                .unwrap_or_default();
                            tracing::debug!(%host, reason = %why, "image URL not fetched");
                            Err(refused(REFUSED))
                        }
                    }
                }
            })
            .buffer_unordered(self.settings.max_concurrent)
            .try_collect()
            .await
    }

    async fn fetch_one(
        &self,
        client: &reqwest::Client,
        url: &str,
        total: &AtomicUsize,
    ) -> Result<InlineImage, Refusal> {
        let url = reqwest::Url::parse(url).map_err(|_| Refusal::NotAUrl)?;
        self.destinations.check_url(&url)?;
        let mut response = client
            .get(url)
            .header(reqwest::header::ACCEPT, "image/*")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(Refusal::Status(response.status().as_u16()));
        }
        let (max_image, max_total) = (self.settings.max_image_bytes, self.settings.max_total_bytes);
        if let Some(length) = response.content_length() {
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            if length > max_image {
                return Err(Refusal::TooLarge);
            }
            if total.load(Ordering::Relaxed).saturating_add(length) > max_total {
                return Err(Refusal::TotalTooLarge);
            }
        }
        let mime = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
            .filter(|m| m.starts_with("image/"))
            .unwrap_or_else(|| "image/jpeg".into());
        let mut bytes = Vec::new();
        while let Some(piece) = response.chunk().await.map_err(transport)? {
            if bytes.len() + piece.len() > max_image {
                return Err(Refusal::TooLarge);
            }
            let before = total.fetch_add(piece.len(), Ordering::Relaxed);
            if before.saturating_add(piece.len()) > max_total {
                return Err(Refusal::TotalTooLarge);
            }
            bytes.extend_from_slice(&piece);
        }
        Ok(InlineImage {
            mime,
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}

/// The image client: checked DNS answers, checked redirect hops, and no proxy (a proxy would
/// resolve and connect where the checks cannot see).
fn client(destinations: &Arc<Destinations>) -> Result<reqwest::Client, reqwest::Error> {
    let hops = destinations.clone();
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(Refusal::TooManyRedirects);
        }
        match hops.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(why),
        }
    });
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver {
            destinations: destinations.clone(),
        }))
        .redirect(redirects)
        .no_proxy()
        .referer(false)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("modelgate/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The whole cause chain, for the debug line (without the URL, whose query may hold a token).
fn transport(err: reqwest::Error) -> Refusal {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    Refusal::Transport(text)
}

fn refused(message: &str) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidRequest, message)
        .with_param("messages")
        .with_code(NOT_FETCHABLE)
}

#[cfg(test)]
impl Fetcher {
    /// Fetching on, with every address allowed: for adapter tests against a loopback mock.
    pub fn allowing_everything() -> Self {
        let mut settings = ImageFetchConfig::default();
        for net in ["0.0.0.0/0", "::/0"] {
            settings.allow.push(crate::config::AllowEntry {
                target: crate::config::AllowTarget::Net(
                    crate::config::IpNet::new(
                        net.split('/')
                            .next()
                            .and_then(|a| a.parse().ok())
                            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()),
                        0,
                    )
                    .unwrap_or_else(|| panic!("{net} is a network")),
                ),
                port: None,
            });
        }
        Self::new(&settings)
    }
}
