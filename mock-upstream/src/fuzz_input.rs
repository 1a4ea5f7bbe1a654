//! Inputs for the parser property tests: fixture files of one provider, byte
//! mutations of them, and a JSON value with one of its parts replaced.
//!
//! Plain functions over plain data, so each crate's proptest strategies only
//! have to generate the numbers.

use std::path::Path;

use serde_json::Value;

/// One edit of a byte string; positions wrap around the current length.
#[derive(Clone, Copy, Debug)]
pub enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    Insert {
        at: usize,
        byte: u8,
    },
    Delete {
        at: usize,
    },
    Truncate {
        at: usize,
    },
    /// Repeats a run of bytes, as a proxy that replays a buffer might.
    Duplicate {
        at: usize,
        len: usize,
    },
}

/// `bytes` with every mutation applied in order.
pub fn mutate(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        let len = out.len();
        match *m {
            Mutation::FlipBit { at, bit } if len > 0 => out[at % len] ^= 1 << (bit % 8),
            Mutation::Insert { at, byte } => out.insert(at % (len + 1), byte),
            Mutation::Delete { at } if len > 0 => {
                out.remove(at % len);
            }
            Mutation::Truncate { at } => out.truncate(at % (len + 1)),
            Mutation::Duplicate { at, len: run } if len > 0 => {
                let start = at % len;
                let end = (start + run % 64 + 1).min(len);
                let piece = out[start..end].to_vec();
                out.splice(end..end, piece);
            }
            _ => {}
        }
    }
    out
}

/// `bytes` cut at the given positions (taken modulo the length, sorted).
pub fn split_at(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        out.push(bytes[start..cut].to_vec());
        start = cut;
    }
    out.push(bytes[start..].to_vec());
    out
}

/// Replaces the `n`-th node (pre-order, modulo the node count) of `value`
/// with `with`, so a recorded payload keeps its shape but one field gets a
/// value of any type.
pub fn replace_node(value: &mut Value, n: usize, with: Value) {
    let count = count_nodes(value);
    let mut target = n % count;
    replace_walk(value, &mut target, with);
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn replace_walk(value: &mut Value, target: &mut usize, with: Value) -> Option<Value> {
    if *target == 0 {
        *value = with;
        return None;
    }
    *target -= 1;
    let children: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(map) => map.values_mut().collect(),
        _ => Vec::new(),
    };
    let mut with = Some(with);
    for child in children {
        let size = count_nodes(child);
        if *target < size {
            return replace_walk(child, target, with.take()?);
        }
        *target -= size;
    }
    with
}

/// Every file under `dir` (recursively) whose name ends with one of `exts`,
/// sorted, with its contents.
pub fn fixture_files(dir: &Path, exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    collect(dir, exts, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn collect(dir: &Path, exts: &[&str], out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, exts, out);
            continue;
        }
        let name = path.to_string_lossy().into_owned();
        if exts.iter().any(|e| name.ends_with(e))
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((name, bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_node_reaches_every_node() {
        let base: Value = serde_json::json!({"a": [1, {"b": 2}], "c": 3});
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..count_nodes(&base) {
            let mut v = base.clone();
            replace_node(&mut v, n, Value::Null);
            seen.insert(v.to_string());
        }
        assert_eq!(seen.len(), count_nodes(&base));
    }

    #[test]
    fn splits_rejoin_to_the_input() {
        let bytes = b"data: x\n\ndata: y\n\n";
        let parts = split_at(bytes, &[5, 100, 0, 7]);
        assert_eq!(parts.concat(), bytes);
    }
}
