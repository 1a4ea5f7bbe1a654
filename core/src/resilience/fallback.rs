//! Which other model groups to try once a group has failed: the request's own `fallbacks`
//! (its typed `routing`, which the HTTP facade fills from LiteLLM's body fields), else by the
//! kind of failure `context_window_fallbacks`, `content_policy_fallbacks`, then `fallbacks`.

use std::collections::HashSet;

use modelgate::error::GatewayError;
use modelgate::json::json_from_value;
use modelgate::model_name::check_length;
use modelgate::routing::{retries_out_of_range, routing_from_json};
use modelgate::v1::RoutingOptions;
use prost_types::value::Kind;

use super::retry::Failure;
use crate::config::{RouterSettings, alternatives_for};

pub use modelgate::routing::MAX_REQUEST_RETRIES;

/// A request's own routing options, checked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestOptions {
    /// Distinct, without the requested model, at most `max_fallbacks` of them. `Some` (even
    /// empty) replaces the configured fallbacks.
    pub fallbacks: Option<Vec<String>>,
    /// At most [`MAX_REQUEST_RETRIES`].
    pub num_retries: Option<u32>,
}

/// The request's routing options, checked: `routing` when set, else `fallbacks` /
/// `num_retries` found in `extra`. Those two keys are removed from `extra` either way, so
/// that they never reach an upstream.
///
/// Why `extra` is still read: before `routing` existed, the contract carried these options
/// in `extra` (the facade put them there), and gRPC callers written against it still do.
pub fn take_options(
    routing: Option<RoutingOptions>,
    extra: &mut Option<prost_types::Struct>,
    model: &str,
    max_fallbacks: usize,
) -> Result<RequestOptions, GatewayError> {
    let legacy = take_from_extra(extra);
    // With `routing` set, whatever `extra` held is dropped unread.
    match routing.map_or(legacy, |typed| Ok(Some(typed)))? {
        Some(routing) => options(&routing, model, max_fallbacks),
        None => Ok(RequestOptions::default()),
    }
}

/// Checks `routing`: more than `max_fallbacks` distinct fallbacks (repeats, empty names and
/// `model` itself not counted), a name longer than a model name may be, or `num_retries`
/// above [`MAX_REQUEST_RETRIES`] is a 400 naming the field. One pass over the list, stopping
/// at the first name past the maximum.
pub fn options(
    routing: &RoutingOptions,
    model: &str,
    max_fallbacks: usize,
) -> Result<RequestOptions, GatewayError> {
    let fallbacks = if !routing.fallbacks.is_empty() {
        Some(names(&routing.fallbacks, model, max_fallbacks)?)
    } else if routing.no_fallbacks {
        Some(Vec::new())
    } else {
        None
    };
    let num_retries = match routing.num_retries {
        Some(n) if n > MAX_REQUEST_RETRIES => return Err(retries_out_of_range()),
        n => n,
    };
    Ok(RequestOptions {
        fallbacks,
        num_retries,
    })
}

/// Removes `fallbacks` and `num_retries` from `extra` and reads them as the HTTP body's are
/// read (same shapes, same 400s).
fn take_from_extra(
    extra: &mut Option<prost_types::Struct>,
) -> Result<Option<RoutingOptions>, GatewayError> {
    let Some(fields) = extra.as_mut().map(|s| &mut s.fields) else {
        return Ok(None);
    };
    let mut body = serde_json::Map::new();
    for key in ["fallbacks", "num_retries"] {
        let Some(value) = fields.remove(key) else {
            continue;
        };
        let json = match value.kind {
            // JSON has no NaN or infinity: read as null it would pass as absent, but it is a
            // wrong shape.
            Some(Kind::NumberValue(n)) if !n.is_finite() => serde_json::Value::Bool(false),
            _ => json_from_value(&value),
        };
        body.insert(key.to_owned(), json);
    }
    if fields.is_empty() {
        *extra = None;
    }
    routing_from_json(&mut body)
}

fn names(list: &[String], model: &str, max: usize) -> Result<Vec<String>, GatewayError> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for name in list {
        check_length(name, "fallbacks")?;
        // The requested model was tried already; a repeated name would only repeat a failure.
        if name.is_empty() || name == model || !seen.insert(name) {
            continue;
        }
        if out.len() == max {
            return Err(GatewayError::invalid(
                "fallbacks",
                format!(
                    "'fallbacks' names more than {max} distinct models; at most {max} are \
                     allowed (router_settings.max_fallbacks)."
                ),
            ));
        }
        out.push(name.clone());
    }
    Ok(out)
}

/// The groups to try after `model` failed with `failure`, in order.
pub fn alternatives(
    settings: &RouterSettings,
    options: &RequestOptions,
    model: &str,
    failure: Failure,
) -> Vec<String> {
    if let Some(own) = &options.fallbacks {
        return own.clone();
    }
    // The configured lists are the operator's, but bounded the same way.
    let max = settings.max_fallbacks;
    let specific = match failure {
        Failure::ContextWindow => alternatives_for(&settings.context_window_fallbacks, model),
        Failure::ContentPolicy => alternatives_for(&settings.content_policy_fallbacks, model),
        Failure::Transient | Failure::Other => &[],
    };
    let list = if specific.is_empty() {
        alternatives_for(&settings.fallbacks, model)
    } else {
        specific
    };
    list.iter().take(max).cloned().collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prost_types::{ListValue, Struct, Value};

    use super::*;

    fn routing(names: &[&str], num_retries: Option<u32>) -> RoutingOptions {
        RoutingOptions {
            fallbacks: names.iter().map(|n| (*n).to_owned()).collect(),
            num_retries,
            no_fallbacks: false,
        }
    }

    fn s(text: &str) -> Value {
        Value {
            kind: Some(Kind::StringValue(text.into())),
        }
    }

    fn number(n: f64) -> Value {
        Value {
            kind: Some(Kind::NumberValue(n)),
        }
    }

    fn extra_with(fields: Vec<(&str, Value)>) -> Option<Struct> {
        Some(Struct {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<BTreeMap<_, _>>(),
        })
    }

    #[test]
    fn typed_fallbacks_are_deduplicated_and_bounded() {
        let opts = options(
            &routing(&["b", "a", "", "b", "c", "c", "b"], Some(2)),
            "a",
            2,
        )
        .expect("two distinct");
        assert_eq!(opts.fallbacks, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert_eq!(opts.num_retries, Some(2));
        let err = options(&routing(&["b", "c", "d"], None), "a", 2).expect_err("three");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param.as_deref(), Some("fallbacks"));
        let long = "x".repeat(300);
        let err = options(&routing(&[&long], None), "a", 2).expect_err("too long");
        assert_eq!(err.param.as_deref(), Some("fallbacks"));
        // Only the requested model: nothing left, and still the request's own (empty) list.
        let opts = options(&routing(&["a"], None), "a", 2).expect("valid");
        assert_eq!(opts.fallbacks, Some(Vec::new()));
    }

    #[test]
    fn typed_retries_are_bounded() {
        let opts = options(&routing(&[], Some(MAX_REQUEST_RETRIES)), "a", 5).expect("max");
        assert_eq!(opts.num_retries, Some(MAX_REQUEST_RETRIES));
        assert_eq!(opts.fallbacks, None, "no list: the configured ones apply");
        let err = options(&routing(&[], Some(MAX_REQUEST_RETRIES + 1)), "a", 5).expect_err("11");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param.as_deref(), Some("num_retries"));
    }

    #[test]
    fn no_fallbacks_turns_the_configured_ones_off() {
        let off = RoutingOptions {
            no_fallbacks: true,
            ..RoutingOptions::default()
        };
        let opts = options(&off, "a", 5).expect("valid");
        assert_eq!(opts.fallbacks, Some(Vec::new()));
        let settings = RouterSettings {
            fallbacks: vec![("a".into(), vec!["general".into()])],
            ..Default::default()
        };
        assert!(alternatives(&settings, &opts, "a", Failure::Transient).is_empty());
    }

    #[test]
    fn typed_routing_wins_and_extra_loses_its_routing_keys() {
        let mut extra = extra_with(vec![
            ("fallbacks", s("x")),
            ("num_retries", number(1.0)),
            (
                "logprobs",
                Value {
                    kind: Some(Kind::BoolValue(true)),
                },
            ),
        ]);
        let opts = take_options(Some(routing(&["b"], None)), &mut extra, "a", 5).expect("valid");
        assert_eq!(opts.fallbacks, Some(vec!["b".to_owned()]));
        assert_eq!(opts.num_retries, None);
        let left: Vec<&String> = extra.as_ref().expect("kept").fields.keys().collect();
        assert_eq!(left, ["logprobs"]);
        // A wrong shape in `extra` does not matter next to typed options.
        let mut extra = extra_with(vec![("num_retries", s("many"))]);
        let opts = take_options(Some(routing(&[], Some(1))), &mut extra, "a", 5).expect("valid");
        assert_eq!(opts.num_retries, Some(1));
        assert!(extra.is_none());
    }

    #[test]
    fn old_clients_fallbacks_in_extra_are_still_read() {
        let obj = Value {
            kind: Some(Kind::StructValue(Struct {
                fields: BTreeMap::from([("model".to_owned(), s("c"))]),
            })),
        };
        let list = Value {
            kind: Some(Kind::ListValue(ListValue {
                values: vec![s("b"), obj, s("b")],
            })),
        };
        let mut extra = extra_with(vec![("fallbacks", list), ("num_retries", number(2.0))]);
        let opts = take_options(None, &mut extra, "a", 5).expect("valid");
        assert_eq!(opts.fallbacks, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert_eq!(opts.num_retries, Some(2));
        assert!(extra.is_none());
        for bad in [
            ("fallbacks", number(1.0)),
            ("num_retries", number(11.0)),
            ("num_retries", number(f64::NAN)),
            ("num_retries", number(1.5)),
        ] {
            let param = bad.0;
            let err = take_options(None, &mut extra_with(vec![bad]), "a", 5).expect_err("bad");
            assert_eq!(err.param.as_deref(), Some(param));
        }
        let mut none = None;
        assert_eq!(
            take_options(None, &mut none, "a", 5).expect("nothing"),
            RequestOptions::default()
        );
    }

    #[test]
    fn picks_the_list_for_the_failure() {
        let settings = RouterSettings {
            fallbacks: vec![
                ("a".into(), vec!["general".into()]),
                ("*".into(), vec!["any".into()]),
            ],
            context_window_fallbacks: vec![("a".into(), vec!["long".into()])],
            ..Default::default()
        };
        let none = RequestOptions::default();
        assert_eq!(
            alternatives(&settings, &none, "a", Failure::ContextWindow),
            ["long"]
        );
        assert_eq!(
            alternatives(&settings, &none, "a", Failure::ContentPolicy),
            ["general"]
        );
        assert_eq!(
            alternatives(&settings, &none, "a", Failure::Transient),
            ["general"]
        );
        assert_eq!(
            alternatives(&settings, &none, "zzz", Failure::Other),
            ["any"]
        );
        let own = RequestOptions {
            fallbacks: Some(vec!["mine".into()]),
            num_retries: None,
        };
        assert_eq!(
            alternatives(&settings, &own, "a", Failure::Transient),
            ["mine"]
        );
    }
}
