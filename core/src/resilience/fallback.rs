//! Which other model groups to try once a group has failed: the request's own `fallbacks`
//! (sent as LiteLLM clients send it, in the body; it arrives in `extra`), else by the kind of
//! failure `context_window_fallbacks`, `content_policy_fallbacks`, then `fallbacks`.

use prost_types::value::Kind;

use super::retry::Failure;
use crate::config::{RouterSettings, alternatives_for};

/// Routing fields a request may carry (LiteLLM names), taken out before it goes upstream.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestOptions {
    pub fallbacks: Option<Vec<String>>,
    pub num_retries: Option<u32>,
}

/// Removes `fallbacks` and `num_retries` from `extra` and returns them.
pub fn take_options(extra: &mut Option<prost_types::Struct>) -> RequestOptions {
    let Some(fields) = extra.as_mut().map(|s| &mut s.fields) else {
        return RequestOptions::default();
    };
    let fallbacks = fields.remove("fallbacks").map(|v| models(&v));
    let num_retries = fields.remove("num_retries").and_then(|v| match v.kind {
        Some(Kind::NumberValue(n)) if n >= 0.0 && n.is_finite() => Some(n.min(10.0) as u32),
        _ => None,
    });
    if fields.is_empty() {
        *extra = None;
    }
    RequestOptions {
        fallbacks,
        num_retries,
    }
}

/// `["a", "b"]`, or LiteLLM's `[{"model": "a"}, …]`.
fn models(value: &prost_types::Value) -> Vec<String> {
    let Some(Kind::ListValue(list)) = &value.kind else {
        return match &value.kind {
            Some(Kind::StringValue(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
    };
    list.values
        .iter()
        .filter_map(|v| match &v.kind {
            Some(Kind::StringValue(s)) => Some(s.clone()),
            Some(Kind::StructValue(s)) => match s.fields.get("model").and_then(|m| m.kind.as_ref())
            {
                Some(Kind::StringValue(m)) => Some(m.clone()),
                _ => None,
            },
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect()
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
    let specific = match failure {
        Failure::ContextWindow => alternatives_for(&settings.context_window_fallbacks, model),
        Failure::ContentPolicy => alternatives_for(&settings.content_policy_fallbacks, model),
        Failure::Transient | Failure::Other => &[],
    };
    if specific.is_empty() {
        alternatives_for(&settings.fallbacks, model).to_vec()
    } else {
        specific.to_vec()
    }
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
        let opts = take_options(&mut extra);
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
}
