//! Image parts for providers that want the bytes inline: `data:` URIs are
//! split, http(s) URLs are fetched by a [`Fetcher`] that reaches only public
//! addresses (or ones the operator allows) within per-request bounds.

mod address;
mod destination;
mod fetcher;
mod resolver;

use modelgate::v1::ChatCompletionRequest;
use modelgate::v1::content_part::Part;
use modelgate::v1::message::Content;

pub use address::is_public;
pub use destination::{Destinations, Refusal};
pub use fetcher::{Fetcher, NOT_FETCHABLE};

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
