//! A request's own routing options as LiteLLM clients send them in a JSON body
//! (`"fallbacks": ["a", {"model": "b"}]`, `"num_retries": 2`), read into the
//! typed [`RoutingOptions`] and taken out of the body, so that they never reach
//! an upstream. Only their shapes are checked here: how many distinct fallbacks
//! a request may name is router configuration, which only the core knows, so
//! the core checks the names and their count (for gRPC callers too).

use serde_json::{Map, Value};

use crate::error::GatewayError;
use crate::v1::RoutingOptions;

/// Most retries a request may ask for with its own `num_retries`.
pub const MAX_REQUEST_RETRIES: u32 = 10;

/// Removes `fallbacks` and `num_retries` from `body` and returns them, or `None`
/// when neither is there (JSON `null` counts as absent). `fallbacks` is a list of
/// names, of LiteLLM's `{"model": name}` objects (other keys ignored), or one
/// name; an empty list is [`RoutingOptions::no_fallbacks`]. `num_retries` is a
/// whole number from 0 to [`MAX_REQUEST_RETRIES`]. Anything else is a 400
/// naming the field.
pub fn routing_from_json(
    body: &mut Map<String, Value>,
) -> Result<Option<RoutingOptions>, GatewayError> {
    let fallbacks = body.remove("fallbacks").filter(|v| !v.is_null());
    let num_retries = body.remove("num_retries").filter(|v| !v.is_null());
    if fallbacks.is_none() && num_retries.is_none() {
        return Ok(None);
    }
    let mut options = RoutingOptions::default();
    match fallbacks {
        None => {}
        Some(Value::String(name)) => options.fallbacks.push(name),
        Some(Value::Array(items)) => {
            options.no_fallbacks = items.is_empty();
            options.fallbacks = items
                .into_iter()
                .map(fallback_name)
                .collect::<Result<_, _>>()?;
        }
        Some(_) => return Err(not_names()),
    }
    options.num_retries = num_retries.as_ref().map(retries).transpose()?;
    Ok(Some(options))
}

fn fallback_name(item: Value) -> Result<String, GatewayError> {
    match item {
        Value::String(name) => Ok(name),
        Value::Object(mut obj) => match obj.remove("model") {
            Some(Value::String(name)) => Ok(name),
            _ => Err(not_names()),
        },
        _ => Err(not_names()),
    }
}

fn not_names() -> GatewayError {
    GatewayError::invalid(
        "fallbacks",
        "'fallbacks' must be a list of model names (or of {\"model\": name} objects).",
    )
}

/// A JSON integer, or an integral double (`2.0` from a JavaScript client).
fn retries(value: &Value) -> Result<u32, GatewayError> {
    let n = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(MAX_REQUEST_RETRIES)).contains(f))
                .map(|f| f as u64)
        }),
        _ => None,
    };
    match n.and_then(|n| u32::try_from(n).ok()) {
        Some(n) if n <= MAX_REQUEST_RETRIES => Ok(n),
        _ => Err(retries_out_of_range()),
    }
}

/// The 400 for a `num_retries` that is not a whole number from 0 to
/// [`MAX_REQUEST_RETRIES`].
pub fn retries_out_of_range() -> GatewayError {
    GatewayError::invalid(
        "num_retries",
        format!("'num_retries' must be a whole number from 0 to {MAX_REQUEST_RETRIES}."),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(body: Value) -> Result<Option<RoutingOptions>, GatewayError> {
        let Value::Object(mut map) = body else {
            panic!("not an object");
        };
        let options = routing_from_json(&mut map);
        assert!(!map.contains_key("fallbacks") && !map.contains_key("num_retries"));
        options
    }

    #[test]
    fn both_litellm_forms_of_fallbacks_and_num_retries() {
        let options =
            read(json!({"fallbacks": ["a", {"model": "b", "messages": []}], "num_retries": 2}))
                .expect("valid")
                .expect("set");
        assert_eq!(options.fallbacks, ["a", "b"]);
        assert_eq!(options.num_retries, Some(2));
        assert!(!options.no_fallbacks);
        let one = read(json!({"fallbacks": "c"}))
            .expect("valid")
            .expect("set");
        assert_eq!(one.fallbacks, ["c"]);
        assert_eq!(one.num_retries, None);
        let retries = read(json!({"num_retries": 3.0}))
            .expect("valid")
            .expect("set");
        assert_eq!(retries.num_retries, Some(3));
        assert!(retries.fallbacks.is_empty() && !retries.no_fallbacks);
    }

    #[test]
    fn an_empty_list_turns_fallbacks_off_and_null_is_absent() {
        let none = read(json!({"fallbacks": []})).expect("valid").expect("set");
        assert!(none.no_fallbacks && none.fallbacks.is_empty());
        assert_eq!(
            read(json!({"fallbacks": null, "num_retries": null})).expect("valid"),
            None
        );
        assert_eq!(read(json!({"model": "m"})).expect("valid"), None);
    }

    #[test]
    fn wrong_shapes_are_400s_naming_the_field() {
        for bad in [
            json!({"fallbacks": 1}),
            json!({"fallbacks": {"model": "a"}}),
            json!({"fallbacks": ["a", 2]}),
            json!({"fallbacks": [{"name": "a"}]}),
            json!({"fallbacks": [{"model": 3}]}),
            json!({"fallbacks": [null]}),
        ] {
            let err = read(bad.clone()).expect_err("refused");
            assert_eq!(err.http_status(), 400, "{bad}");
            assert_eq!(err.param.as_deref(), Some("fallbacks"), "{bad}");
        }
        for bad in [
            json!({"num_retries": -1}),
            json!({"num_retries": 1.5}),
            json!({"num_retries": 11}),
            json!({"num_retries": 1e12}),
            json!({"num_retries": "2"}),
            json!({"num_retries": true}),
        ] {
            let err = read(bad.clone()).expect_err("refused");
            assert_eq!(err.http_status(), 400, "{bad}");
            assert_eq!(err.param.as_deref(), Some("num_retries"), "{bad}");
        }
        let at_max = read(json!({"num_retries": MAX_REQUEST_RETRIES})).expect("valid");
        assert_eq!(
            at_max.and_then(|o| o.num_retries),
            Some(MAX_REQUEST_RETRIES)
        );
    }
}
