//! The YAML document's shape, as serde checks it: unknown keys and wrong types are rejected here
//! with their key path; meaning (URLs, addresses, defaults) is checked in `validate`.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::{Mapping, Value};

/// modelgate's own sections plus `model_list`; LiteLLM's other sections are taken out before.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub server: Option<RawServer>,
    pub auth: Option<RawAuth>,
    pub cors: Option<RawCors>,
    pub providers: Option<OrderedMap<Option<RawProvider>>>,
    pub model_list: Option<Vec<RawModelEntry>>,
    pub image_fetch: Option<RawImageFetch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImageFetch {
    pub enabled: Option<Scalar>,
    pub allow: Option<Strings>,
    pub max_images: Option<Scalar>,
    pub max_total_mb: Option<Scalar>,
    pub max_image_mb: Option<Scalar>,
    pub max_concurrent: Option<Scalar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub http: Option<Scalar>,
    pub grpc: Option<Scalar>,
    pub body_limit_mb: Option<Scalar>,
    pub shutdown_grace_seconds: Option<Scalar>,
    pub header_timeout_seconds: Option<Scalar>,
    pub body_timeout_seconds: Option<Scalar>,
    pub idle_timeout_seconds: Option<Scalar>,
    pub max_concurrent_streams: Option<Scalar>,
    pub max_connections: Option<Scalar>,
    pub tls: Option<RawTls>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    pub cert: Option<Scalar>,
    pub key: Option<Scalar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    pub keys: Option<Vec<RawClientKey>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClientKey {
    pub name: Option<Scalar>,
    pub key: Option<Scalar>,
    pub models: Option<Strings>,
    pub rpm: Option<Scalar>,
    pub tpm: Option<Scalar>,
    pub max_parallel_requests: Option<Scalar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCors {
    pub allow_origins: Option<Strings>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    pub kind: Option<String>,
    pub api_base: Option<String>,
    pub api_key: Option<Scalar>,
    pub api_version: Option<Scalar>,
    pub models: Option<Strings>,
    pub timeout: Option<Scalar>,
    #[serde(alias = "extra_headers")]
    pub headers: Option<OrderedMap<Scalar>>,
    pub responses_api: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModelEntry {
    pub model_name: Option<Scalar>,
    pub litellm_params: Option<RawLitellmParams>,
    pub model_info: Option<Value>,
    /// LiteLLM's older placement of a deployment's limits, beside `litellm_params`.
    pub tpm: Option<Scalar>,
    pub rpm: Option<Scalar>,
}

/// LiteLLM accepts any `litellm.completion()` argument here; the ones modelgate does not act on
/// are kept in `other` so each can be reported once.
#[derive(Deserialize, Default)]
pub(super) struct RawLitellmParams {
    pub model: Option<Scalar>,
    pub custom_llm_provider: Option<Scalar>,
    pub api_key: Option<Scalar>,
    pub api_base: Option<String>,
    pub api_version: Option<Scalar>,
    pub timeout: Option<Scalar>,
    pub extra_headers: Option<OrderedMap<Scalar>>,
    pub stream_timeout: Option<Scalar>,
    pub rpm: Option<Scalar>,
    pub tpm: Option<Scalar>,
    pub weight: Option<Scalar>,
    pub max_retries: Option<Scalar>,
    pub order: Option<Scalar>,
    #[serde(flatten)]
    pub other: Mapping,
}

/// A string, also written as a bare number or boolean (`api_version: 2024-10-21`, `key: 1234`,
/// or a value that came from an environment variable).
pub(super) struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor).map(Scalar)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A list of strings; a single string stands for a list of one (`models: "*"`).
pub(super) struct Strings(pub Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;
        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(vec![v.to_owned()])
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(Scalar(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        deserializer.deserialize_any(StringsVisitor).map(Strings)
    }
}

/// A string-keyed mapping that keeps file order (for error order and header order).
pub(super) struct OrderedMap<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = Vec<(String, T)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((Scalar(key), value)) = map.next_entry()? {
                    entries.push((key, value));
                }
                Ok(entries)
            }
        }
        deserializer
            .deserialize_map(MapVisitor(PhantomData))
            .map(OrderedMap)
    }
}
