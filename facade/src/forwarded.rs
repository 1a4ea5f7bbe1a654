//! Response headers the core sends as gRPC metadata (`x-modelgate-*` debugging headers,
//! OpenAI's `x-ratelimit-*`) passed on to HTTP clients.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use tonic::metadata::MetadataMap;

/// Appends `headers` to `map`; names or values that are not valid HTTP are skipped.
pub fn append(map: &mut HeaderMap, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(name, value);
        }
    }
}

/// The forwarded headers of a successful RPC's response metadata.
pub fn from_metadata(meta: &MetadataMap) -> HeaderMap {
    let mut map = HeaderMap::new();
    append(&mut map, &modelgate::error::forwarded_headers(meta));
    map
}
