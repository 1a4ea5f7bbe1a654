//! Which other model groups to try once a group has failed: the request's own `fallbacks`
//! (sent as LiteLLM clients send it, in the body; it arrives in `extra`), else by the kind of
//! failure `context_window_fallbacks`, `content_policy_fallbacks`, then `fallbacks`.

use std::collections::HashSet;

use modelgate::error::GatewayError;
use modelgate::model_name::check_length;
use prost_types::value::Kind;

use super::retry::Failure;
use crate::config::{RouterSettings, alternatives_for};

/// Most retries a request may ask for with its own `num_retries`.
pub const MAX_REQUEST_RETRIES: u32 = 10;

/// Routing fields a request may carry (LiteLLM names), taken out before it goes upstream.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestOptions {
    /// Distinct, without the requested model, at most `max_fallbacks` of them.
    pub fallbacks: Option<Vec<String>>,
    /// At most [`MAX_REQUEST_RETRIES`].
    pub num_retries: Option<u32>,
}

/// Removes `fallbacks` and `num_retries` from `extra` and returns them, checked: more than
/// `max_fallbacks` distinct fallbacks, a name that is not a string (or `{"model": …}`) or
/// is too long, or `num_retries` outside 0..=[`MAX_REQUEST_RETRIES`] is a 400 naming the
/// field. One pass over the list, stopping at the first name past the maximum.
pub fn take_options(
    extra: &mut Option<prost_types::Struct>,
    model: &str,
    max_fallbacks: usize,
) -> Result<RequestOptions, GatewayError> {
    let Some(fields) = extra.as_mut().map(|s| &mut s.fields) else {
        return Ok(RequestOptions::default());
    };
    let fallbacks = fields.remove("fallbacks");
    let num_retries = fields.remove("num_retries");
    if fields.is_empty() {
        *extra = None;
    }
    let fallbacks = match fallbacks {
        None => None,
        Some(v) if matches!(v.kind, None | Some(Kind::NullValue(_))) => None,
        Some(v) => Some(models(&v, model, max_fallbacks)?),
    };
    let num_retries = match num_retries.and_then(|v| v.kind) {
        None | Some(Kind::NullValue(_)) => None,
        Some(Kind::NumberValue(n))
            if n.fract() == 0.0 && (0.0..=f64::from(MAX_REQUEST_RETRIES)).contains(&n) =>
        {
            Some(n as u32)
        }
        Some(_) => {
            return Err(GatewayError::invalid(
                "num_retries",
                format!("'num_retries' must be a whole number from 0 to {MAX_REQUEST_RETRIES}."),
            ));
        }
    };
    Ok(RequestOptions {
        fallbacks,
        num_retries,
    })
}

/// `["a", "b"]`, LiteLLM's `[{"model": "a"}, …]`, or one name.
fn models(
    value: &prost_types::Value,
    model: &str,
    max: usize,
) -> Result<Vec<String>, GatewayError> {
    let not_names = || {
        GatewayError::invalid(
            "fallbacks",
            "'fallbacks' must be a list of model names (or of {\"model\": name} objects).",
        )
    };
    let items = match &value.kind {
        Some(Kind::ListValue(list)) => list.values.as_slice(),
        Some(Kind::StringValue(_)) => std::slice::from_ref(value),
        _ => return Err(not_names()),
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let name = match &item.kind {
            Some(Kind::StringValue(s)) => s.as_str(),
            Some(Kind::StructValue(s)) => match s.fields.get("model").and_then(|m| m.kind.as_ref())
            {
                Some(Kind::StringValue(m)) => m.as_str(),
                _ => return Err(not_names()),
            },
            _ => return Err(not_names()),
        };
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
        out.push(name.to_owned());
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

    fn s(text: &str) -> Value {
        Value {
            kind: Some(Kind::StringValue(text.into())),
        }
    }

    #[test]
    fn takes_fallbacks_and_num_retries_out_of_extra() {
        let mut fields = BTreeMap::new();
        let obj = Value {
            kind: Some(Kind::StructValue(Struct {
                fields: BTreeMap::from([("model".to_owned(), s("c"))]),
            })),
        };
        fields.insert(
            "fallbacks".to_owned(),
            Value {
                kind: Some(Kind::ListValue(ListValue {
                    values: vec![s("b"), obj],
                })),
            },
        );
        fields.insert(
            "num_retries".to_owned(),
            Value {
                kind: Some(Kind::NumberValue(2.0)),
            },
        );
        fields.insert(
            "logprobs".to_owned(),
            Value {
                kind: Some(Kind::BoolValue(true)),
            },
        );
        let mut extra = Some(Struct { fields });
        let opts = take_options(&mut extra, "a", 5).expect("valid");
        assert_eq!(opts.fallbacks, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert_eq!(opts.num_retries, Some(2));
        let left: Vec<&String> = extra.as_ref().expect("kept").fields.keys().collect();
        assert_eq!(left, ["logprobs"]);
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

    fn extra_with(key: &str, value: Value) -> Option<Struct> {
        Some(Struct {
            fields: BTreeMap::from([(key.to_owned(), value)]),
        })
    }

    fn list(names: &[&str]) -> Value {
        Value {
            kind: Some(Kind::ListValue(ListValue {
                values: names.iter().map(|n| s(n)).collect(),
            })),
        }
    }

    #[test]
    fn fallbacks_are_deduplicated_and_bounded() {
        let mut extra = extra_with("fallbacks", list(&["b", "a", "b", "c", "c", "b"]));
        let opts = take_options(&mut extra, "a", 2).expect("two distinct");
        assert_eq!(opts.fallbacks, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert!(extra.is_none());
        let mut extra = extra_with("fallbacks", list(&["b", "c", "d"]));
        let err = take_options(&mut extra, "a", 2).expect_err("three distinct");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.param.as_deref(), Some("fallbacks"));
        let long = "x".repeat(300);
        let mut extra = extra_with("fallbacks", list(&[&long]));
        let err = take_options(&mut extra, "a", 2).expect_err("too long");
        assert_eq!(err.param.as_deref(), Some("fallbacks"));
        let mut extra = extra_with(
            "fallbacks",
            Value {
                kind: Some(Kind::NumberValue(1.0)),
            },
        );
        assert!(take_options(&mut extra, "a", 2).is_err());
    }

    #[test]
    fn request_retries_are_bounded() {
        let n = |v: f64| {
            extra_with(
                "num_retries",
                Value {
                    kind: Some(Kind::NumberValue(v)),
                },
            )
        };
        let max = f64::from(MAX_REQUEST_RETRIES);
        let opts = take_options(&mut n(max), "a", 5).expect("at the maximum");
        assert_eq!(opts.num_retries, Some(MAX_REQUEST_RETRIES));
        for bad in [max + 1.0, -1.0, 1.5, f64::NAN] {
            let err = take_options(&mut n(bad), "a", 5).expect_err("out of range");
            assert_eq!(err.param.as_deref(), Some("num_retries"), "{bad}");
        }
    }
}
