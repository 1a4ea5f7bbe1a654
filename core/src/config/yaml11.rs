//! YAML 1.1 scalars as PyYAML reads them. LiteLLM loads its config with PyYAML, so its configs
//! write `tpm: 20_000`, `supports_vision: yes` or `timeout: 1:30`; the YAML 1.2 parser hands
//! those over as text, and the places that expect a number or a flag read them here.
//!
//! Only where a number or flag is expected: a quoted string and a plain one look the same after
//! parsing, and a key written `"12_345"` must stay that key.

/// A YAML 1.1 integer: decimal with `_` separators, `0b…`, `0x…`, `0…` (octal) and
/// sexagesimal (`1:30` is 90), each with an optional sign.
pub(super) fn int(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let value = if let Some(digits) = body.strip_prefix("0b") {
        radix(digits, 2)?
    } else if let Some(digits) = body.strip_prefix("0x") {
        radix(digits, 16)?
    } else if body.contains(':') {
        sexagesimal(body)?
    } else if body.len() > 1 && body.starts_with('0') {
        radix(&body[1..], 8)?
    } else {
        radix(body, 10)?
    };
    Some(if negative { -value } else { value })
}

/// A YAML 1.1 float: what Rust reads, plus `_` separators, a sexagesimal whole part
/// (`1:30.5`) and every integer form above.
pub(super) fn float(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(value) = text.parse::<f64>() {
        return Some(value);
    }
    if let Some(value) = int(text) {
        return Some(value as f64);
    }
    let plain = text
        .chars()
        .all(|c| c.is_ascii_digit() || "_.eE+-:".contains(c));
    if !plain || !text.contains('.') || text.starts_with('_') {
        return None;
    }
    let (whole, fraction) = text.split_once('.')?;
    let fraction: String = fraction.chars().filter(|c| *c != '_').collect();
    let fraction: f64 = format!("0.{fraction}").parse().ok()?;
    let whole = match whole {
        "" | "+" | "-" => 0,
        _ => int(whole)?,
    };
    let sign = if whole < 0 || text.starts_with('-') {
        -1.0
    } else {
        1.0
    };
    Some(sign * (whole.unsigned_abs() as f64 + fraction))
}

/// A YAML 1.1 boolean: `yes`/`no`, `on`/`off`, `true`/`false`, each lower, capitalised or
/// upper case (PyYAML does not take `y`/`n`).
pub(super) fn boolean(text: &str) -> Option<bool> {
    match text.trim() {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => Some(true),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Digits of one radix with `_` separators; at least one digit, no sign.
fn radix(digits: &str, base: u32) -> Option<i128> {
    if digits.starts_with('_') && base == 10 {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() || clean.starts_with(['+', '-']) {
        return None;
    }
    i128::from_str_radix(&clean, base).ok()
}

/// `1:30` = 90, `1:00:00` = 3600: a first part, then parts of 0..=59.
fn sexagesimal(body: &str) -> Option<i128> {
    let mut parts = body.split(':');
    let first = parts.next()?;
    if first.starts_with('0') || first.starts_with('_') {
        return None;
    }
    let mut value = radix(first, 10)?;
    for part in parts {
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digit: i128 = part.parse().ok()?;
        if digit > 59 {
            return None;
        }
        value = value.checked_mul(60)?.checked_add(digit)?;
    }
    Some(value)
}

/// Values of a free-form mapping (`model_info`) that PyYAML reads as numbers or booleans but
/// YAML 1.2 left as text: `supports_vision: yes`, `max_tokens: 128_000`.
pub(super) fn retype_values(mapping: &mut serde_yaml_ng::Mapping) {
    use serde_yaml_ng::Value;
    for (_, value) in mapping.iter_mut() {
        let Value::String(text) = value else {
            continue;
        };
        if let Some(flag) = boolean(text) {
            *value = Value::Bool(flag);
        } else if text.contains(['_', ':']) || text.starts_with("0b") {
            if let Some(n) = int(text).and_then(|n| i64::try_from(n).ok()) {
                *value = Value::Number(n.into());
            } else if let Some(f) = float(text).filter(|_| text.contains('.')) {
                *value = Value::Number(f.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_pyyaml_reads_them() {
        for (text, want) in [
            ("20_000", 20_000),
            ("100_000", 100_000),
            ("+1_0", 10),
            ("-3", -3),
            ("0", 0),
            ("0b1_01", 5),
            ("0x1_f", 31),
            ("017", 15),
            ("1:30", 90),
            ("1:00:00", 3600),
        ] {
            assert_eq!(int(text), Some(want), "{text}");
        }
        for text in [
            "", "_1", "1_000x", "1:60", "0:30", "abc", "1.5", "--1", "0b", "0x",
        ] {
            assert_eq!(int(text), None, "{text}");
        }
    }

    #[test]
    fn floats_read_as_pyyaml_reads_them() {
        for (text, want) in [
            ("0.5", 0.5),
            ("1_000.25", 1000.25),
            ("1_0", 10.0),
            ("1:30.5", 90.5),
            ("-1_0.5", -10.5),
            ("1e3", 1000.0),
        ] {
            assert_eq!(float(text), Some(want), "{text}");
        }
        for text in ["", "1.2.3", "abc", "_1.0"] {
            assert_eq!(float(text), None, "{text}");
        }
    }

    #[test]
    fn booleans_read_as_pyyaml_reads_them() {
        assert_eq!(boolean("yes"), Some(true));
        assert_eq!(boolean("OFF"), Some(false));
        assert_eq!(boolean("True"), Some(true));
        assert_eq!(boolean("y"), None);
        assert_eq!(boolean("yES"), None);
    }
}
