//! Reading the modelled fields out of one JSON object, leaving every other key
//! (and every explicit `null`) behind for that level's `extra`; writing them
//! back with `extra` merged last.
//!
//! Why nulls stay in `extra`: OpenAI writes `"error": null`, `"summary": null`,
//! … and a typed `None` cannot say "null" apart from "absent". Kept in `extra`,
//! the null comes back where it was, and the typed field still reads `None`.

use std::fmt;

use prost_types::Struct;
use serde_json::{Map, Value};

use crate::json::{json_from_value, struct_from_map};

pub(super) type Object = Map<String, Value>;

/// A field path, built on the stack and rendered only when an error names it.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(super) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(super) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// A field of a client's request that is not what OpenAI accepts there.
#[derive(Debug)]
pub(super) struct FieldError {
    pub(super) param: String,
    pub(super) message: String,
}

pub(super) type Result<T> = std::result::Result<T, FieldError>;

pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn invalid_type(path: Path<'_>, expected: &str, got: &Value) -> FieldError {
    let param = path.to_string();
    let message = format!(
        "Invalid type for '{param}': expected {expected}, but got {} instead.",
        describe(got)
    );
    FieldError { param, message }
}

pub(super) fn missing(path: Path<'_>) -> FieldError {
    let param = path.to_string();
    let message = format!("Missing required parameter: '{param}'.");
    FieldError { param, message }
}

/// One JSON object being read.
///
/// Strict (a client's request): a modelled field of the wrong type is an
/// error naming its path. Lenient (an upstream's events and responses): it
/// stays in `extra` like any unknown key, so nothing the upstream wrote is
/// lost and a new shape never breaks a stream.
pub(super) struct Reader {
    pub(super) map: Object,
    pub(super) strict: bool,
}

impl Reader {
    pub(super) fn new(map: Object, strict: bool) -> Self {
        Self { map, strict }
    }

    /// Takes `key` when `convert` accepts its value; absent and null read `None`
    /// (a null stays behind for `extra`).
    fn take<T>(
        &mut self,
        path: Path<'_>,
        key: &str,
        expected: &str,
        convert: impl FnOnce(Value) -> std::result::Result<T, Value>,
    ) -> Result<Option<T>> {
        if matches!(self.map.get(key), None | Some(Value::Null)) {
            return Ok(None);
        }
        let Some(value) = self.map.remove(key) else {
            return Ok(None);
        };
        match convert(value) {
            Ok(v) => Ok(Some(v)),
            Err(value) if self.strict => Err(invalid_type(path.key(key), expected, &value)),
            Err(value) => {
                self.map.insert(key.to_owned(), value);
                Ok(None)
            }
        }
    }

    pub(super) fn string(&mut self, path: Path<'_>, key: &str) -> Result<Option<String>> {
        self.take(path, key, "a string", |v| match v {
            Value::String(s) => Ok(s),
            other => Err(other),
        })
    }

    pub(super) fn bool(&mut self, path: Path<'_>, key: &str) -> Result<Option<bool>> {
        self.take(path, key, "a boolean", |v| match v {
            Value::Bool(b) => Ok(b),
            other => Err(other),
        })
    }

    pub(super) fn f64(&mut self, path: Path<'_>, key: &str) -> Result<Option<f64>> {
        self.take(path, key, "a number", |v| match v.as_f64() {
            Some(n) => Ok(n),
            None => Err(v),
        })
    }

    pub(super) fn u64(&mut self, path: Path<'_>, key: &str) -> Result<Option<u64>> {
        let strict = self.strict;
        self.take(path, key, "a non-negative integer", |v| {
            integer(&v, strict)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(v)
        })
    }

    pub(super) fn u32(&mut self, path: Path<'_>, key: &str) -> Result<Option<u32>> {
        let strict = self.strict;
        self.take(path, key, "a non-negative integer", |v| {
            integer(&v, strict)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(v)
        })
    }

    pub(super) fn i64(&mut self, path: Path<'_>, key: &str) -> Result<Option<i64>> {
        let strict = self.strict;
        self.take(path, key, "an integer", |v| {
            integer(&v, strict)
                .and_then(|n| i64::try_from(n).ok())
                .ok_or(v)
        })
    }

    pub(super) fn object(&mut self, path: Path<'_>, key: &str) -> Result<Option<Object>> {
        self.take(path, key, "an object", |v| match v {
            Value::Object(m) => Ok(m),
            other => Err(other),
        })
    }

    /// A list of objects, each read by `item`. An empty list is taken only
    /// when the writer writes it back (`writes_empty`); otherwise it stays in
    /// `extra`, so `"summary": []` and an absent `summary` both come back as
    /// they were. Lenient readers leave a list holding a non-object alone.
    pub(super) fn list<T>(
        &mut self,
        path: Path<'_>,
        key: &str,
        writes_empty: bool,
        mut item: impl FnMut(Reader, Path<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self.map.get(key) {
            Some(Value::Array(items)) if items.is_empty() && !writes_empty => {
                return Ok(Vec::new());
            }
            Some(Value::Array(items)) if !self.strict && !items.iter().all(Value::is_object) => {
                return Ok(Vec::new());
            }
            _ => {}
        }
        let strict = self.strict;
        let Some(items) = self.take(path, key, "an array", |v| match v {
            Value::Array(items) => Ok(items),
            other => Err(other),
        })?
        else {
            return Ok(Vec::new());
        };
        let list_path = path.key(key);
        items
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let at = list_path.index(i);
                match value {
                    Value::Object(map) => item(Reader::new(map, strict), at),
                    other => Err(invalid_type(at, "an object", &other)),
                }
            })
            .collect()
    }

    /// What is left: the level's `extra`.
    pub(super) fn extra(self) -> Option<Struct> {
        (!self.map.is_empty()).then(|| struct_from_map(self.map))
    }
}

/// A JSON integer; strict readers (clients) also accept an integral double
/// (`2.0` from a Python client), lenient ones keep it in `extra` as written.
fn integer(value: &Value, strict: bool) -> Option<i128> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    match n.as_f64() {
        // Exact: integral and far inside i128's range.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if strict && f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30 => Some(f as i128),
        _ => None,
    }
}

/// Writes `value` under `key` when it is set.
pub(super) fn put(map: &mut Object, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value.into());
    }
}

/// Writes a string under `key` when it is set.
pub(super) fn put_str(map: &mut Object, key: &str, value: Option<&String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), Value::String(value.clone()));
    }
}

/// Merges a level's `extra` in, last: its keys (nulls included) are what the
/// JSON had there, so they win over the typed defaults written before.
pub(super) fn merge_extra(map: &mut Object, extra: Option<&Struct>) {
    if let Some(extra) = extra {
        for (key, value) in &extra.fields {
            map.insert(key.clone(), json_from_value(value));
        }
    }
}

/// A `Struct` field (JSON Schema, `parameters`) as a JSON object.
pub(super) fn object_value(s: &Struct) -> Value {
    Value::Object(crate::json::map_from_struct(s))
}
