//! Where configuration reads environment variables, and `os.environ/NAME` resolution.
//!
//! Loading never reads `std::env` directly: it goes through [`Env`], so tests use a [`MapEnv`]
//! and never mutate the process environment (which is shared by every test thread).

use std::collections::HashMap;
use std::fmt;

use serde_yaml_ng::{Mapping, Value};

use super::error::{ConfigError, child, index};

/// A source of environment variables.
pub trait Env: Send + Sync {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables, for tests and embedding.
#[derive(Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        MapEnv(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

// Values are often keys: show names only.
impl fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("MapEnv").field(&names).finish()
    }
}

/// LiteLLM's top-level `environment_variables`, consulted before the real environment (LiteLLM
/// exports them into its process at start-up, so they also feed provider defaults).
pub(super) struct Layered<'a> {
    pub first: HashMap<String, String>,
    pub then: &'a dyn Env,
}

impl Env for Layered<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.first
            .get(name)
            .cloned()
            .or_else(|| self.then.var(name))
    }
}

impl<'a> Layered<'a> {
    /// Reads the `environment_variables` section; its own `os.environ/` values come from `then`.
    pub fn from_section(section: Option<Value>, then: &'a dyn Env) -> Result<Self, ConfigError> {
        const PATH: &str = "environment_variables";
        let mut first = HashMap::new();
        let mapping = match section {
            None | Some(Value::Null) => Mapping::new(),
            Some(Value::Mapping(m)) => m,
            Some(_) => {
                return Err(ConfigError::at(
                    PATH,
                    "expected a mapping of NAME: value",
                    "write e.g. `environment_variables: { REDIS_HOST: localhost }`",
                ));
            }
        };
        for (key, mut value) in mapping {
            let Some(name) = key.as_str().map(str::to_owned) else {
                return Err(ConfigError::at(
                    PATH,
                    "variable names must be strings",
                    "quote the name",
                ));
            };
            let path = child(PATH, &name);
            resolve(&mut value, &path, then)?;
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(ConfigError::at(
                        path,
                        "expected a string, number or boolean",
                        "give the variable a single value",
                    ));
                }
            };
            first.insert(name, text);
        }
        Ok(Layered { first, then })
    }
}

/// A variable's value, with empty or blank treated as unset: `FOO=` in a compose file or
/// `.env` means "not configured", not "the empty key".
pub(super) fn non_empty(env: &dyn Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The first of `names` that is set (non-empty), with its name.
pub(super) fn first_set(env: &dyn Env, names: &[&'static str]) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|name| non_empty(env, name).map(|value| (*name, value)))
}

const REFERENCE: &str = "os.environ/";

/// Replaces every string `os.environ/NAME` under `value` by that variable's value.
/// `path` is the location of `value`, for error messages.
pub(super) fn resolve(value: &mut Value, path: &str, env: &dyn Env) -> Result<(), ConfigError> {
    match value {
        Value::String(text) => {
            if let Some(name) = text.strip_prefix(REFERENCE) {
                let name = name.trim();
                if name.is_empty() {
                    return Err(ConfigError::at(
                        path,
                        "`os.environ/` names no variable",
                        "write os.environ/VARIABLE_NAME",
                    ));
                }
                match env.var(name) {
                    Some(found) => *text = found,
                    None => {
                        return Err(ConfigError::at(
                            path,
                            format!("environment variable {name} is not set"),
                            format!("set {name} or remove the key"),
                        ));
                    }
                }
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve(item, &index(path, i), env)?;
            }
        }
        Value::Mapping(mapping) => {
            for (key, item) in mapping.iter_mut() {
                resolve(item, &child(path, &key_text(key)), env)?;
            }
        }
        Value::Tagged(tagged) => resolve(&mut tagged.value, path, env)?,
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// A mapping key as it should appear in a key path.
pub(super) fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}
