//! Property tests of what a request controls about routing: its own `fallbacks` and
//! `num_retries` (in `extra` in any JSON shape, or typed in `routing`; any names) and the
//! model name an adapter puts into an upstream URL path. Properties: no panic, output
//! bounded (at most `max_fallbacks` distinct names of bounded length, retries within the
//! cap), and a checked name stays exactly one path segment however a URL parser reads it.

use std::collections::{BTreeMap, HashSet};

use modelgate::model_name::MAX_MODEL_NAME_BYTES;
use modelgate::v1::RoutingOptions;
use modelgate_core::providers::path_segment::PathSegment;
use modelgate_core::resilience::fallback::{MAX_REQUEST_RETRIES, RequestOptions, take_options};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Names as clients could send them: short ones that repeat, path tricks, control
/// characters, and anything at all, some longer than the bound.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "c",
            "mock/text",
            "..",
            ".",
            ".\t.",
            "%2e%2e",
            "a?b",
            "a#b",
            "a/b",
            "",
        ])
        .prop_map(str::to_owned),
        "[a-c]{1,2}",
        any::<String>(),
        "[\\PC\\t\\n\\r]{250,300}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        name().prop_map(|s| Value {
            kind: Some(Kind::StringValue(s)),
        }),
        name().prop_map(|s| Value {
            kind: Some(Kind::StructValue(Struct {
                fields: BTreeMap::from([(
                    "model".to_owned(),
                    Value {
                        kind: Some(Kind::StringValue(s)),
                    },
                )]),
            })),
        }),
        any::<f64>().prop_map(|n| Value {
            kind: Some(Kind::NumberValue(n)),
        }),
        any::<bool>().prop_map(|b| Value {
            kind: Some(Kind::BoolValue(b)),
        }),
        Just(Value {
            kind: Some(Kind::NullValue(0)),
        }),
        Just(Value { kind: None }),
    ]
}

fn fallbacks_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        leaf(),
        prop::collection::vec(leaf(), 0..64).prop_map(|values| Value {
            kind: Some(Kind::ListValue(ListValue { values })),
        }),
    ]
}

/// Checked options are bounded; a refusal is a 400 naming one of the two fields.
fn check(
    result: Result<RequestOptions, modelgate::error::GatewayError>,
    model: &str,
    max: usize,
) -> Result<(), TestCaseError> {
    match result {
        Ok(options) => {
            if let Some(list) = &options.fallbacks {
                prop_assert!(list.len() <= max, "{} > {max}", list.len());
                let distinct: HashSet<&String> = list.iter().collect();
                prop_assert_eq!(distinct.len(), list.len());
                for name in list {
                    prop_assert!(!name.is_empty() && name != model);
                    prop_assert!(name.len() <= MAX_MODEL_NAME_BYTES);
                }
            }
            prop_assert!(options.num_retries.is_none_or(|n| n <= MAX_REQUEST_RETRIES));
        }
        Err(err) => {
            prop_assert_eq!(err.http_status(), 400);
            let param = err.param.as_deref().unwrap_or_default();
            prop_assert!(param == "fallbacks" || param == "num_retries", "{param}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn request_options_are_bounded_whatever_is_sent(
        fallbacks in fallbacks_value(),
        retries in leaf(),
        model in name(),
        max in 0usize..8,
    ) {
        let mut extra = Some(Struct {
            fields: BTreeMap::from([
                ("fallbacks".to_owned(), fallbacks),
                ("num_retries".to_owned(), retries),
            ]),
        });
        let result = take_options(None, &mut extra, &model, max);
        prop_assert!(extra.is_none(), "routing fields left in the body");
        check(result, &model, max)?;
    }

    #[test]
    fn typed_routing_options_are_bounded_whatever_is_sent(
        fallbacks in prop::collection::vec(name(), 0..64),
        num_retries in any::<Option<u32>>(),
        no_fallbacks in any::<bool>(),
        model in name(),
        max in 0usize..8,
    ) {
        let routing = RoutingOptions { fallbacks, num_retries, no_fallbacks };
        check(take_options(Some(routing), &mut None, &model, max), &model, max)?;
    }

    #[test]
    fn a_checked_model_name_stays_one_path_segment(model in name()) {
        let Ok(segment) = PathSegment::new(&model) else {
            return Ok(());
        };
        prop_assert!(model.len() <= MAX_MODEL_NAME_BYTES);
        // Azure: pushed as a segment of a parsed URL.
        let mut url = reqwest::Url::parse("https://r.example/openai/deployments").expect("url");
        url.path_segments_mut().expect("base").push(segment.as_str()).push("chat");
        let parts: Vec<&str> = url.path_segments().expect("path").collect();
        prop_assert_eq!(parts.len(), 4, "{}", url);
        prop_assert_eq!(&parts[..2], &["openai", "deployments"]);
        prop_assert_eq!(parts[3], "chat");
        prop_assert!(url.query().is_none() && url.fragment().is_none());
        // Gemini: written into the text of a URL and parsed.
        let text = format!("https://g.example/v1beta/models/{segment}:generateContent");
        let url = reqwest::Url::parse(&text).expect("url");
        let parts: Vec<&str> = url.path_segments().expect("path").collect();
        prop_assert_eq!(parts.len(), 3, "{}", url);
        prop_assert_eq!(&parts[..2], &["v1beta", "models"]);
        prop_assert!(url.query().is_none() && url.fragment().is_none());
    }
}
