//! The one bound every model name a client sends must respect before it is logged, looked
//! up or sent anywhere: its length. (What may go into an upstream URL path is checked by the
//! core's provider adapters, which know whether the name ends up there.)

use crate::error::GatewayError;

/// Longest model name accepted, in bytes. Provider model and deployment names are far
/// shorter (Azure: 64 characters); the bound keeps log lines and lookups small.
pub const MAX_MODEL_NAME_BYTES: usize = 256;

/// 400 `invalid_request_error` naming `param` when `name` is longer than
/// [`MAX_MODEL_NAME_BYTES`].
pub fn check_length(name: &str, param: &str) -> Result<(), GatewayError> {
    if name.len() > MAX_MODEL_NAME_BYTES {
        return Err(GatewayError::invalid(
            param,
            format!(
                "'{param}' is {} bytes long; model names are at most {MAX_MODEL_NAME_BYTES} bytes.",
                name.len()
            ),
        ));
    }
    Ok(())
}

/// `name` cut to at most [`MAX_MODEL_NAME_BYTES`] (on a character boundary), for logs and
/// metrics of requests refused for their name.
pub fn bounded(name: &str) -> &str {
    if name.len() <= MAX_MODEL_NAME_BYTES {
        return name;
    }
    let mut end = MAX_MODEL_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_refused_and_cut_on_a_character_boundary() {
        assert!(check_length(&"a".repeat(256), "model").is_ok());
        let err = check_length(&"a".repeat(257), "model").expect_err("too long");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param.as_deref(), Some("model"));
        let name = format!("{}é", "a".repeat(255));
        assert_eq!(bounded(&name), "a".repeat(255));
        assert_eq!(bounded("gpt-4o"), "gpt-4o");
    }
}
