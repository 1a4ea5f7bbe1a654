//! A config `model_info` object applied over catalogue metadata. Both
//! LiteLLM's names (`max_input_tokens`, `input_cost_per_token`,
//! `supports_vision`, `mode`, …) and LobeChat's (`contextWindowTokens`,
//! `pricing.input` per million, `vision`, `type`, …) are read; other keys
//! (LiteLLM's `id`, `base_model`, …) are left alone here.

use modelgate::v1::{ModelMetadata, ModelPricing};
use serde_json::{Map, Value};

/// Applies `info` over `meta`. Returns one line per key whose value has the
/// wrong type (it is ignored).
pub fn apply_model_info(meta: &mut ModelMetadata, info: &Value) -> Vec<String> {
    let Some(info) = info.as_object() else {
        return vec!["model_info: not a mapping; ignored".to_owned()];
    };
    let mut bad = Vec::new();
    let mut read = Reader {
        info,
        bad: &mut bad,
    };

    if let Some(v) = read.text(&["display_name", "displayName"]) {
        meta.display_name = Some(v);
    }
    // LiteLLM's legacy `max_tokens` means the context window when
    // `max_input_tokens` is not given (as the catalogue generator reads it).
    if let Some(v) = read.int(&[
        "max_input_tokens",
        "contextWindowTokens",
        "context_window_tokens",
    ]) {
        meta.context_window_tokens = Some(v);
    } else if let Some(v) = read.int(&["max_tokens"]) {
        meta.context_window_tokens = Some(v);
    }
    if let Some(v) = read.int(&["max_output_tokens", "maxOutput", "max_output"]) {
        meta.max_output = Some(v);
    }
    if let Some(v) = read.flag(&["supports_function_calling", "functionCall", "function_call"]) {
        meta.function_call = Some(v);
    }
    if let Some(v) = read.flag(&["supports_vision", "vision"]) {
        meta.vision = Some(v);
    }
    if let Some(v) = read.flag(&["supports_reasoning", "reasoning"]) {
        meta.reasoning = Some(v);
    }
    if let Some(v) = read.text(&["mode"]) {
        meta.r#type = Some(lobechat_type(&v).to_owned());
    }
    if let Some(v) = read.text(&["type"]) {
        meta.r#type = Some(v);
    }
    if let Some(v) = read.flag(&["enabled"]) {
        meta.enabled = Some(v);
    }

    let per_token = [
        ("input_cost_per_token", Price::Input),
        ("output_cost_per_token", Price::Output),
        ("cache_read_input_token_cost", Price::CachedInput),
    ];
    for (key, price) in per_token {
        if let Some(v) = read.number(key) {
            price.set(meta, v * 1_000_000.0);
        }
    }
    match info.get("pricing") {
        None => {}
        Some(Value::Object(pricing)) => {
            let mut nested = Reader {
                info: pricing,
                bad: read.bad,
            };
            let per_million = [
                ("input", Price::Input),
                ("output", Price::Output),
                ("cachedInput", Price::CachedInput),
                ("cached_input", Price::CachedInput),
            ];
            for (key, price) in per_million {
                if let Some(v) = nested.number(key) {
                    price.set(meta, v);
                }
            }
        }
        Some(_) => bad.push("model_info.pricing: not a mapping; ignored".to_owned()),
    }
    bad
}

/// LiteLLM `mode` → LobeChat model `type`.
fn lobechat_type(mode: &str) -> &str {
    match mode {
        "completion" | "responses" => "chat",
        "image_generation" | "image_edit" => "image",
        "audio_speech" => "tts",
        "audio_transcription" => "stt",
        "video_generation" => "video",
        other => other,
    }
}

#[derive(Clone, Copy)]
enum Price {
    Input,
    Output,
    CachedInput,
}

impl Price {
    fn set(self, meta: &mut ModelMetadata, per_million: f64) {
        let pricing = meta.pricing.get_or_insert_with(ModelPricing::default);
        // Rounded so per-token floats (2.5e-6 × 1e6 = 2.4999999999999996) read as written.
        let value = Some((per_million * 1e6).round() / 1e6);
        match self {
            Price::Input => pricing.input = value,
            Price::Output => pricing.output = value,
            Price::CachedInput => pricing.cached_input = value,
        }
    }
}

struct Reader<'a> {
    info: &'a Map<String, Value>,
    bad: &'a mut Vec<String>,
}

impl Reader<'_> {
    /// The first of `keys` present, if it holds what `get` accepts; a
    /// present value of the wrong type is reported and skipped.
    fn first<T>(
        &mut self,
        keys: &[&str],
        what: &str,
        get: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        for key in keys {
            match self.info.get(*key) {
                None | Some(Value::Null) => continue,
                Some(value) => match get(value) {
                    Some(v) => return Some(v),
                    None => self.bad.push(format!(
                        "model_info.{key}: expected {what}, found {value}; ignored"
                    )),
                },
            }
        }
        None
    }

    fn text(&mut self, keys: &[&str]) -> Option<String> {
        self.first(keys, "a string", |v| v.as_str().map(str::to_owned))
    }

    fn flag(&mut self, keys: &[&str]) -> Option<bool> {
        self.first(keys, "true or false", Value::as_bool)
    }

    fn int(&mut self, keys: &[&str]) -> Option<i64> {
        self.first(keys, "a whole number", |v| {
            v.as_i64().or_else(|| {
                let f = v.as_f64()?;
                // YAML `1e6` arrives as a float.
                (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
            })
        })
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        self.first(&[key], "a number", Value::as_f64)
    }
}
