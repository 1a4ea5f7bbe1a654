//! Image parts for providers that want the bytes inline: `data:` URIs are
//! split, http(s) URLs are fetched with a size cap and a timeout.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::ChatCompletionRequest;
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;

/// Largest image fetched from a URL.
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Longest an image fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// An image as a MIME type and base64 data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// `image/png`, `image/jpeg`, …
    pub mime: String,
    /// Standard base64, no line breaks.
    pub base64: String,
}

/// Splits `data:<mime>;base64,<data>`; `None` for anything else.
pub fn parse_data_uri(url: &str) -> Option<InlineImage> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some(InlineImage {
        mime: if mime.is_empty() {
            "application/octet-stream".into()
        } else {
            mime.to_owned()
        },
        base64: data.to_owned(),
    })
}

/// Every http(s) image URL in the request's messages, each once: providers
/// that only read inline bytes fetch these before building their body.
pub fn http_image_urls(req: &ChatCompletionRequest) -> Vec<String> {
    let mut urls: Vec<String> = req
        .messages
        .iter()
        .filter_map(|m| match &m.content {
            Some(Content::Parts(parts)) => Some(parts.parts.iter()),
            _ => None,
        })
        .flatten()
        .filter_map(|p| match &p.part {
            Some(Part::ImageUrl(image))
                if image.url.starts_with("http://") || image.url.starts_with("https://") =>
            {
                Some(image.url.clone())
            }
            _ => None,
        })
        .collect();
    urls.sort_unstable();
    urls.dedup();
    urls
}

/// Fetches every http(s) image the request refers to, all at once, keyed by URL.
pub async fn fetch_all(
    client: &reqwest::Client,
    req: &ChatCompletionRequest,
) -> Result<HashMap<String, InlineImage>, GatewayError> {
    let urls = http_image_urls(req);
    let fetched = futures::future::try_join_all(urls.iter().map(|url| inline(client, url))).await?;
    Ok(urls.into_iter().zip(fetched).collect())
}

/// The image behind `url`: decoded from a `data:` URI or fetched over http(s).
pub async fn inline(client: &reqwest::Client, url: &str) -> Result<InlineImage, GatewayError> {
    if let Some(image) = parse_data_uri(url) {
        return Ok(image);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad(format!(
            "image_url must be a data: URI or an http(s) URL, got `{}`",
            short(url)
        )));
    }
    let response = client
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| bad(format!("could not fetch the image at {}: {e}", short(url))))?;
    if !response.status().is_success() {
        return Err(bad(format!(
            "fetching the image at {} gave HTTP {}",
            short(url),
            response.status().as_u16()
        )));
    }
    let mime = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|m| m.starts_with("image/"))
        .unwrap_or_else(|| "image/jpeg".into());
    let mut bytes = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(piece) = body.next().await {
        let piece =
            piece.map_err(|e| bad(format!("could not read the image at {}: {e}", short(url))))?;
        if bytes.len() + piece.len() > MAX_IMAGE_BYTES {
            return Err(bad(format!(
                "the image at {} is larger than {MAX_IMAGE_BYTES} bytes",
                short(url)
            )));
        }
        bytes.extend_from_slice(&piece);
    }
    Ok(InlineImage {
        mime,
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

fn short(url: &str) -> String {
    url.chars().take(100).collect()
}

fn bad(message: String) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidRequest, message).with_param("messages")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uris_split() {
        let img = parse_data_uri("data:image/png;base64,iVBORw0KGgo=").expect("data uri");
        assert_eq!(
            (img.mime.as_str(), img.base64.as_str()),
            ("image/png", "iVBORw0KGgo=")
        );
        assert_eq!(parse_data_uri("https://example.com/a.png"), None);
        assert_eq!(parse_data_uri("data:text/plain,hello"), None);
    }
}
