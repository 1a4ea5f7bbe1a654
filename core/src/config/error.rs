//! The one error type of configuration loading, and how serde's messages become one.

use std::fmt;

/// A configuration problem, located by file and key path, with the way to fix it.
///
/// Displays as `<source>: <key.path[0].x>: <problem>. <how to fix>`; the path is left out for
/// whole-file problems (unreadable file, YAML syntax). Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file path as given, or `environment`.
    pub file: String,
    /// Where in the document, e.g. `providers.groq.api_base` or `model_list[2].litellm_params`;
    /// an environment variable's name for problems found in the environment.
    pub path: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(self.problem.trim_end_matches('.'))?;
        if !self.fix.is_empty() {
            write!(f, ". {}", self.fix)?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The file is filled in by the entry points, which alone know it.
    pub(super) fn at(
        path: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: String::new(),
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    pub(super) fn in_file(mut self, file: &str) -> Self {
        file.clone_into(&mut self.file);
        self
    }

    /// An unknown mapping key, with a suggestion when it looks like a typo of an expected one.
    pub(super) fn unknown_key(path: &str, key: &str, expected: &[&str]) -> Self {
        let listed = expected
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let fix = match closest(key, expected) {
            Some(near) => format!("did you mean `{near}`? expected one of {listed}"),
            None if expected.is_empty() => "remove it".to_owned(),
            None => format!("remove it or use one of {listed}"),
        };
        ConfigError::at(child(path, key), format!("unknown key `{key}`"), fix)
    }

    /// Rewrites serde's wording ("unknown field", "missing field", "invalid type: …, expected …")
    /// into problem + fix, in the vocabulary of a YAML file.
    pub(super) fn from_serde(path: String, message: &str) -> Self {
        let path = if path == "." { String::new() } else { path };
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (key, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let expected = backticked(tail);
            // serde_path_to_error already includes the offending key in the path.
            let parent = path
                .strip_suffix(key)
                .map(|p| p.trim_end_matches('.'))
                .unwrap_or(&path);
            return ConfigError::unknown_key(parent, key, &expected);
        }
        if let Some(rest) = message.strip_prefix("missing field `") {
            let key = rest.split('`').next().unwrap_or(rest);
            return ConfigError::at(path, format!("missing key `{key}`"), format!("add `{key}`"));
        }
        match message.split_once(", expected ") {
            // Derived names like `struct RawProvider` mean nothing to the reader of a YAML file.
            Some((problem, expected)) if expected.starts_with("struct ") => {
                ConfigError::at(path, problem, "expected a mapping")
            }
            Some((problem, expected)) => {
                ConfigError::at(path, problem, format!("expected {expected}"))
            }
            None => ConfigError::at(path, message, ""),
        }
    }
}

/// `a.b` + `c` → `a.b.c`; the root is the empty path.
pub(super) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `a.b` + 3 → `a.b[3]`.
pub(super) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The expected key nearest to a typo, if it is near enough to be a plausible misspelling.
fn closest<'a>(key: &str, expected: &[&'a str]) -> Option<&'a str> {
    let key = key.to_ascii_lowercase();
    expected
        .iter()
        .map(|candidate| (edit_distance(&key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
