//! The opt-in debug log of request and response bodies
//! (`MODELGATE_LOG_BODIES=1` or `--log-bodies`). Bodies are logged at debug
//! under the `modelgate::body` target, with credentials redacted and inline
//! images (data URIs, base64 payloads) replaced by a short placeholder.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

/// The target of body records.
pub const TARGET: &str = "modelgate::body";
/// The filter directive that lets body records through.
pub const TARGET_DIRECTIVE: &str = "modelgate::body=debug";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns body logging on or off for the process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether a body would be logged now.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed) && tracing::enabled!(target: TARGET, tracing::Level::DEBUG)
}

/// Logs a JSON (or other) body travelling in `direction` ("request",
/// "response", "chunk") on `route`.
pub fn log(direction: &'static str, route: &str, body: &[u8]) {
    if !enabled() {
        return;
    }
    let shown = redact_body(body);
    tracing::debug!(target: TARGET, direction, route, body = %shown, "body");
}

/// Logs each `data:` event of an SSE frame.
pub fn log_sse(route: &str, frame: &[u8]) {
    if !enabled() {
        return;
    }
    for line in String::from_utf8_lossy(frame).lines() {
        if let Some(data) = line.strip_prefix("data: ") {
            log("chunk", route, data.as_bytes());
        }
    }
}

/// The body as it may be logged.
pub fn redact_body(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact(&mut value);
            value.to_string()
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            if looks_secret(&text) {
                REDACTED.to_owned()
            } else {
                text.into_owned()
            }
        }
    }
}

const REDACTED: &str = "[REDACTED]";

/// Field names whose values are credentials wherever they appear.
fn secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    matches!(
        name.as_str(),
        "api_key"
            | "apikey"
            | "x_api_key"
            | "key"
            | "authorization"
            | "access_token"
            | "refresh_token"
            | "token"
            | "secret"
            | "client_secret"
            | "password"
    )
}

/// Strings that are credentials whatever field holds them.
fn looks_secret(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("Bearer ") || t.starts_with("sk-") || t.starts_with("sk_")
}

/// Image data is large and may be personal: only its type and size remain.
fn image_placeholder(text: &str) -> Option<String> {
    let rest = text.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    Some(format!(
        "[data URI {}, {} bytes]",
        meta.trim_end_matches(";base64"),
        data.len()
    ))
}

/// Redacts `value` in place.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, field) in map.iter_mut() {
                if secret_field(name) && !field.is_null() {
                    *field = Value::String(REDACTED.to_owned());
                } else if name == "data" && is_long_base64(field) {
                    // Gemini/Anthropic-style inline image bytes.
                    *field = Value::String(format!(
                        "[base64, {} bytes]",
                        field.as_str().map_or(0, str::len)
                    ));
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(text) => {
            if let Some(placeholder) = image_placeholder(text) {
                *text = placeholder;
            } else if looks_secret(text) {
                *text = REDACTED.to_owned();
            }
        }
        _ => {}
    }
}

fn is_long_base64(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() > 256
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_images_are_replaced_but_token_counts_stay() {
        let body = json!({
            "model": "openai/gpt-4o",
            "api_key": "sk-live-123",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "describe"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}}
            ]}],
            "extra_headers": {"Authorization": "Bearer sk-abc"},
            "note": "sk-proj-xyz"
        });
        let shown = redact_body(body.to_string().as_bytes());
        assert!(!shown.contains("sk-live-123"), "{shown}");
        assert!(!shown.contains("sk-abc"), "{shown}");
        assert!(!shown.contains("sk-proj-xyz"), "{shown}");
        assert!(!shown.contains("iVBORw0KGgo"), "{shown}");
        assert!(shown.contains("[data URI image/png, 24 bytes]"), "{shown}");
        assert!(shown.contains(r#""max_tokens":10"#), "{shown}");
        assert!(shown.contains("describe"), "{shown}");
    }

    #[test]
    fn raw_base64_image_bytes_are_replaced() {
        let data = "A".repeat(400);
        let mut body = json!({"inline_data": {"mime_type": "image/png", "data": data}});
        redact(&mut body);
        assert_eq!(body["inline_data"]["data"], "[base64, 400 bytes]");
    }
}
