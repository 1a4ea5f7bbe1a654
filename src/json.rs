//! Lossless-enough conversion between JSON and `google.protobuf.Struct`.
//!
//! Protobuf numbers are doubles; integral values within ±2^53 come back as
//! JSON integers so that `"max_tokens": 5` is not re-sent as `5.0`.

use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value};
use serde_json::{Map, Number, Value as Json};

const MAX_SAFE_INT: f64 = 9_007_199_254_740_992.0;

/// A JSON object as a `Struct`.
pub fn struct_from_map(map: Map<String, Json>) -> Struct {
    Struct {
        fields: map
            .into_iter()
            .map(|(k, v)| (k, value_from_json(v)))
            .collect(),
    }
}

/// A `Struct` as a JSON object.
pub fn map_from_struct(s: &Struct) -> Map<String, Json> {
    s.fields
        .iter()
        .map(|(k, v)| (k.clone(), json_from_value(v)))
        .collect()
}

/// A JSON value as a protobuf `Value`.
pub fn value_from_json(v: Json) -> Value {
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => Kind::StringValue(s),
        Json::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(value_from_json).collect(),
        }),
        Json::Object(map) => Kind::StructValue(struct_from_map(map)),
    };
    Value { kind: Some(kind) }
}

/// A protobuf `Value` as JSON.
pub fn json_from_value(v: &Value) -> Json {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::NumberValue(n)) => json_number(*n),
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::ListValue(list)) => {
            Json::Array(list.values.iter().map(json_from_value).collect())
        }
        Some(Kind::StructValue(s)) => Json::Object(map_from_struct(s)),
    }
}

/// A double as a JSON number: an integer when it is one (within ±2^53).
///
/// A `Struct` holds every number as a double, so a JSON `1.0` and a JSON `1`
/// arrive here alike and both come back as `1` (the same number to every JSON
/// reader); non-integral numbers come back as written.
pub fn json_number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < MAX_SAFE_INT {
        // Exact: |n| < 2^53 and integral.
        #[allow(clippy::cast_possible_truncation)]
        return Json::Number(Number::from(n as i64));
    }
    Number::from_f64(n).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_nested_json() {
        let original = json!({
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "service_tier": "auto",
            "ratio": 0.25,
            "flags": [true, null, -3, "x"],
        });
        let Json::Object(map) = original.clone() else {
            panic!("object")
        };
        let back = Json::Object(map_from_struct(&struct_from_map(map)));
        assert_eq!(back, original);
    }

    /// What OpenAI's response objects echo: integers must not come back as
    /// `0.0` / `16384.0`, decimals must stay decimals.
    #[test]
    fn integers_come_back_as_integers_and_decimals_as_decimals() {
        let original = json!({
            "top_logprobs": 0,
            "temperature": 1,
            "max_output_tokens": 16384,
            "created_at": 1_757_513_676_i64,
            "offset": -3,
            "top_p": 0.98,
            "tiny": 1e-7,
        });
        let Json::Object(map) = original.clone() else {
            panic!("object")
        };
        let back = Json::Object(map_from_struct(&struct_from_map(map)));
        assert_eq!(back, original);
        assert!(back["top_logprobs"].is_u64());
        assert!(back["temperature"].is_u64());
        assert!(back["offset"].is_i64());
        assert!(back["top_p"].is_f64());
        assert_eq!(
            serde_json::to_string(&back["temperature"]).ok().as_deref(),
            Some("1")
        );
    }
}
