//! JSON Schema (as OpenAI clients write it) → the OpenAPI 3.0 subset Gemini's
//! `Schema` accepts. Gemini answers 400 to keywords it does not know
//! (`$schema`, `additionalProperties`, `$ref`, …), to `type` arrays and to
//! string formats other than `enum`/`date-time`, so everything is rebuilt
//! from an allow-list rather than copied.

use serde_json::{Map, Value};

/// Nesting beyond this is cut: it guards against `$ref` cycles and hostile depth.
const MAX_DEPTH: usize = 32;
/// Schema nodes written at most: `$ref`s used twice per level would otherwise
/// grow the output exponentially before the depth cap stops them.
const MAX_NODES: usize = 5_000;

/// Keywords copied as they are (after the checks in [`clean_node`]).
const PLAIN_KEYS: &[&str] = &[
    "description",
    "title",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
    "propertyOrdering",
];

/// The Gemini form of a JSON Schema; local `$ref`s (`#/$defs/…`,
/// `#/definitions/…`) are inlined, anything else Gemini rejects is dropped.
pub fn clean(schema: &Value) -> Value {
    let empty = Map::new();
    let defs = [schema.get("$defs"), schema.get("definitions")];
    let defs: Vec<&Map<String, Value>> = defs
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let ctx = Ctx {
        defs: if defs.is_empty() { vec![&empty] } else { defs },
        nodes: std::cell::Cell::new(0),
    };
    Value::Object(ctx.node(schema, 0))
}

struct Ctx<'a> {
    defs: Vec<&'a Map<String, Value>>,
    nodes: std::cell::Cell<usize>,
}

impl Ctx<'_> {
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let name = reference
            .strip_prefix("#/$defs/")
            .or_else(|| reference.strip_prefix("#/definitions/"))?;
        self.defs.iter().find_map(|d| d.get(name))
    }

    fn node(&self, schema: &Value, depth: usize) -> Map<String, Value> {
        let Some(obj) = schema.as_object() else {
            // `true`/`false` schemas and junk: "anything".
            return Map::new();
        };
        self.nodes.set(self.nodes.get() + 1);
        if depth > MAX_DEPTH || self.nodes.get() > MAX_NODES {
            tracing::debug!(
                "gemini schema: cut at depth {depth} ({} nodes)",
                self.nodes.get()
            );
            return Map::new();
        }
        // A `$ref` stands for its target; sibling keys (description) refine it.
        if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
            let mut base = match self.resolve(target) {
                Some(resolved) => self.node(resolved, depth + 1),
                None => {
                    tracing::debug!(
                        reference = target,
                        "gemini schema: unresolvable $ref dropped"
                    );
                    Map::new()
                }
            };
            let mut rest = obj.clone();
            rest.remove("$ref");
            for (k, v) in self.clean_node(&rest, depth) {
                base.insert(k, v);
            }
            return base;
        }
        self.clean_node(obj, depth)
    }

    fn clean_node(&self, obj: &Map<String, Value>, depth: usize) -> Map<String, Value> {
        let mut out = Map::new();
        let mut nullable = obj
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);

        // anyOf/oneOf: null variants become `nullable`; one remaining variant is inlined.
        let variants: Vec<&Value> = ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| obj.get(*k).and_then(Value::as_array))
            .flatten()
            .collect();
        if !variants.is_empty() {
            let (nulls, others): (Vec<&Value>, Vec<&Value>) =
                variants.into_iter().partition(|v| is_null_schema(v));
            nullable |= !nulls.is_empty();
            match others.as_slice() {
                [] => {}
                [one] => out.extend(self.node(one, depth + 1)),
                many => {
                    let cleaned: Vec<Value> = many
                        .iter()
                        .map(|v| Value::Object(self.node(v, depth + 1)))
                        .collect();
                    out.insert("anyOf".into(), cleaned.into());
                }
            }
        }
        // allOf: the parts' keywords merged (later parts win), properties unioned.
        if let Some(parts) = obj.get("allOf").and_then(Value::as_array) {
            for part in parts {
                merge(&mut out, self.node(part, depth + 1));
            }
        }

        match obj.get("type") {
            Some(Value::String(t)) => match gemini_type(t) {
                Some(t) => {
                    out.insert("type".into(), t.into());
                }
                None => nullable |= t == "null",
            },
            Some(Value::Array(types)) => {
                let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
                nullable |= names.contains(&"null");
                let kept: Vec<&'static str> = names.iter().filter_map(|t| gemini_type(t)).collect();
                match kept.as_slice() {
                    [] => {}
                    [one] => {
                        out.insert("type".into(), (*one).into());
                    }
                    many => {
                        // Several types: one variant per type, keywords kept on each.
                        let variants = many
                            .iter()
                            .map(|t| {
                                let mut single = obj.clone();
                                single.insert("type".into(), t.to_lowercase().into());
                                single.remove("anyOf");
                                single.remove("oneOf");
                                Value::Object(self.clean_node(&single, depth + 1))
                            })
                            .collect::<Vec<_>>();
                        out.insert("anyOf".into(), variants.into());
                    }
                }
            }
            _ => {}
        }

        for key in PLAIN_KEYS {
            if let Some(v) = obj.get(*key) {
                out.insert((*key).into(), v.clone());
            }
        }

        // Gemini's enum is a list of strings; `null` in it means nullable.
        let enum_values = obj
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| obj.get("const").map(|c| vec![c.clone()]));
        if let Some(values) = enum_values {
            nullable |= values.iter().any(Value::is_null);
            let strings: Vec<Value> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Value::String(s.clone()),
                    other => Value::String(other.to_string()),
                })
                .collect();
            if !strings.is_empty() {
                if out.get("type").and_then(Value::as_str) != Some("STRING") {
                    tracing::debug!("gemini schema: non-string enum sent as a string enum");
                }
                out.insert("type".into(), "STRING".into());
                out.insert("format".into(), "enum".into());
                out.insert("enum".into(), strings.into());
            }
        }

        if let Some(format) = obj.get("format").and_then(Value::as_str)
            && !out.contains_key("format")
            && format_allowed(out.get("type").and_then(Value::as_str), format)
        {
            out.insert("format".into(), format.into());
        }

        match obj.get("items") {
            Some(items @ Value::Object(_)) => {
                out.insert("items".into(), Value::Object(self.node(items, depth + 1)));
            }
            // Tuple form: Gemini has one item schema; the first is the best guess.
            Some(Value::Array(items)) => {
                if let Some(first) = items.first() {
                    out.insert("items".into(), Value::Object(self.node(first, depth + 1)));
                }
            }
            _ => {}
        }

        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            let cleaned: Map<String, Value> = props
                .iter()
                .map(|(name, s)| (name.clone(), Value::Object(self.node(s, depth + 1))))
                .collect();
            let mut merged = out
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            merged.extend(cleaned);
            out.insert("properties".into(), merged.into());
        }
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            let mut names: Vec<Value> = out
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            names.extend(required.iter().filter(|r| r.is_string()).cloned());
            out.insert("required".into(), names.into());
        }
        // Gemini rejects a required name with no property behind it.
        if let Some(Value::Array(required)) = out.get("required").cloned() {
            let props = out.get("properties").and_then(Value::as_object);
            let mut kept: Vec<Value> = Vec::new();
            for name in required {
                let known = name
                    .as_str()
                    .is_some_and(|n| props.is_some_and(|p| p.contains_key(n)));
                if known && !kept.contains(&name) {
                    kept.push(name);
                }
            }
            if kept.is_empty() {
                out.remove("required");
            } else {
                out.insert("required".into(), kept.into());
            }
        }
        if out.contains_key("properties") && !out.contains_key("type") && !out.contains_key("anyOf")
        {
            out.insert("type".into(), "OBJECT".into());
        }
        if nullable {
            out.insert("nullable".into(), true.into());
        }
        out
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn gemini_type(t: &str) -> Option<&'static str> {
    Some(match t {
        "string" | "STRING" => "STRING",
        "number" | "NUMBER" => "NUMBER",
        "integer" | "INTEGER" => "INTEGER",
        "boolean" | "BOOLEAN" => "BOOLEAN",
        "array" | "ARRAY" => "ARRAY",
        "object" | "OBJECT" => "OBJECT",
        _ => return None,
    })
}

/// The Gemini API accepts only these formats; others (`uri`, `email`, …) are 400s.
fn format_allowed(ty: Option<&str>, format: &str) -> bool {
    match ty {
        Some("STRING") => matches!(format, "enum" | "date-time"),
        Some("NUMBER") => matches!(format, "float" | "double"),
        Some("INTEGER") => matches!(format, "int32" | "int64"),
        _ => false,
    }
}

fn merge(into: &mut Map<String, Value>, part: Map<String, Value>) {
    for (k, v) in part {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
            ("required", Some(Value::Array(have)), Value::Array(more)) => have.extend(more),
            (_, _, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys_anywhere(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys_anywhere(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys_anywhere(v, out)),
            _ => {}
        }
    }

    #[test]
    fn openai_style_tool_schema_is_cleaned() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name", "default": "Paris", "examples": ["Lyon"]}},
            "required": ["city"],
            "additionalProperties": false
        });
        assert_eq!(
            clean(&schema),
            json!({"type": "OBJECT", "properties": {"city": {"type": "STRING", "description": "City name"}}, "required": ["city"]})
        );
    }

    #[test]
    fn nullable_forms() {
        let any_of = json!({"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "description": "d"});
        assert_eq!(
            clean(&any_of),
            json!({"type": "STRING", "maxLength": 5, "description": "d", "nullable": true})
        );
        let type_array = json!({"type": ["integer", "null"], "minimum": 0});
        assert_eq!(
            clean(&type_array),
            json!({"type": "INTEGER", "minimum": 0, "nullable": true})
        );
        let one_of = json!({"oneOf": [{"type": "null"}, {"type": "boolean"}]});
        assert_eq!(clean(&one_of), json!({"type": "BOOLEAN", "nullable": true}));
        let enum_null = json!({"type": ["string", "null"], "enum": ["a", "b", null]});
        assert_eq!(
            clean(&enum_null),
            json!({"type": "STRING", "format": "enum", "enum": ["a", "b"], "nullable": true})
        );
    }

    #[test]
    fn real_unions_stay_any_of() {
        let schema = json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]});
        assert_eq!(
            clean(&schema),
            json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}], "nullable": true})
        );
        let multi = json!({"type": ["string", "number"], "description": "x"});
        assert_eq!(
            clean(&multi),
            json!({"anyOf": [{"type": "STRING", "description": "x"}, {"type": "NUMBER", "description": "x"}], "description": "x"})
        );
    }

    #[test]
    fn refs_are_inlined_and_defs_dropped() {
        let schema = json!({
            "type": "object",
            "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number", "format": "double"}}, "required": ["x"]}},
            "properties": {
                "at": {"$ref": "#/$defs/Point", "description": "where"},
                "path": {"type": "array", "items": {"$ref": "#/definitions/Missing"}, "minItems": 1, "maxItems": 9}
            }
        });
        assert_eq!(
            clean(&schema),
            json!({"type": "OBJECT", "properties": {
                "at": {"type": "OBJECT", "properties": {"x": {"type": "NUMBER", "format": "double"}}, "required": ["x"], "description": "where"},
                "path": {"type": "ARRAY", "items": {}, "minItems": 1, "maxItems": 9}
            }})
        );
    }

    #[test]
    fn recursive_refs_stop() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
            "$ref": "#/$defs/Node"
        });
        let cleaned = clean(&schema);
        let mut keys = Vec::new();
        keys_anywhere(&cleaned, &mut keys);
        assert!(!keys.iter().any(|k| k.starts_with('$')), "{cleaned}");
        assert_eq!(cleaned["type"], "OBJECT");
        assert_eq!(
            cleaned["properties"]["next"]["properties"]["next"]["type"],
            "OBJECT"
        );
    }

    #[test]
    fn formats_enums_and_required_are_checked() {
        let schema = json!({
            "type": "object",
            "properties": {
                "site": {"type": "string", "format": "uri"},
                "when": {"type": "string", "format": "date-time"},
                "n": {"type": "integer", "format": "int64", "exclusiveMinimum": 0},
                "level": {"type": "integer", "enum": [1, 2, 3]},
                "kind": {"const": "fixed"}
            },
            "required": ["site", "ghost", "site"]
        });
        assert_eq!(
            clean(&schema),
            json!({"type": "OBJECT", "properties": {
                "site": {"type": "STRING"},
                "when": {"type": "STRING", "format": "date-time"},
                "n": {"type": "INTEGER", "format": "int64"},
                "level": {"type": "STRING", "format": "enum", "enum": ["1", "2", "3"]},
                "kind": {"type": "STRING", "format": "enum", "enum": ["fixed"]}
            }, "required": ["site"]})
        );
    }

    #[test]
    fn all_of_merges_and_nested_arrays_recurse() {
        let schema = json!({
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"},
                    "properties": {"c": {"type": ["number", "null"]}}}}}, "required": ["b"]}
            ]
        });
        assert_eq!(
            clean(&schema),
            json!({"type": "OBJECT", "properties": {
                "a": {"type": "STRING"},
                "b": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {"c": {"type": "NUMBER", "nullable": true}}}}
            }, "required": ["a", "b"]})
        );
    }

    #[test]
    fn doubly_recursive_refs_stay_bounded() {
        let schema = json!({
            "$defs": {"Tree": {"type": "object", "properties": {"l": {"$ref": "#/$defs/Tree"}, "r": {"$ref": "#/$defs/Tree"}}}},
            "$ref": "#/$defs/Tree"
        });
        let text = clean(&schema).to_string();
        assert!(text.len() < 2_000_000, "{} bytes", text.len());
    }

    #[test]
    fn junk_never_panics() {
        for junk in [
            json!(null),
            json!(true),
            json!([1, 2]),
            json!({"type": 5, "properties": [], "items": "x", "enum": "y"}),
        ] {
            let _ = clean(&junk);
        }
        let mut deep = json!({"type": "string"});
        for _ in 0..200 {
            deep = json!({"type": "array", "items": deep});
        }
        let _ = clean(&deep);
    }

    #[test]
    fn empty_object_parameters_are_kept() {
        // As in the captured request-generate-content-function-response.json.
        let schema = json!({"additionalProperties": false, "properties": {}, "type": "object"});
        assert_eq!(clean(&schema), json!({"type": "OBJECT", "properties": {}}));
    }
}
