//! `scripts/catalogue_from_litellm.py`, which generates the built-in catalogue
//! (`core/data/catalogue.json`) from LiteLLM's model list: run on a small LiteLLM-shaped file
//! (no network needed), in a copy of the repository layout so the real catalogue is untouched.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_owned()
}

/// Runs the script on `source` inside a temporary copy of `scripts/` + `core/data/`, and
/// returns the catalogue text it wrote.
fn generate(source: &Value) -> String {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("scripts")).expect("scripts dir");
    std::fs::create_dir_all(dir.path().join("core/data")).expect("data dir");
    let script = dir.path().join("scripts/catalogue_from_litellm.py");
    std::fs::copy(repo().join("scripts/catalogue_from_litellm.py"), &script).expect("copy script");
    let input = dir.path().join("model_prices_and_context_window.json");
    std::fs::write(&input, source.to_string()).expect("write source");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&input)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3 models from 2 providers"),
        "summary line: {stdout}"
    );
    std::fs::read_to_string(dir.path().join("core/data/catalogue.json")).expect("catalogue written")
}

#[test]
fn the_script_keeps_reachable_chat_and_embedding_models_in_the_catalogue_format() {
    let source = json!({
        "sample_spec": {"note": "LiteLLM's own template entry, not a model"},
        "gpt-4o": {
            "litellm_provider": "openai", "mode": "chat",
            "max_input_tokens": 128000, "max_tokens": 16384, "max_output_tokens": 16384,
            "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
            "cache_read_input_token_cost": 1.25e-06,
            "supports_function_calling": true, "supports_vision": true,
        },
        "text-embedding-3-small": {
            "litellm_provider": "openai", "mode": "embedding",
            "max_tokens": 8191, "input_cost_per_token": 2e-08,
        },
        "anthropic/claude-x": {
            "litellm_provider": "anthropic", "mode": "chat",
            "max_input_tokens": 200000, "supports_reasoning": false,
        },
        // Dropped: a provider modelgate cannot reach, a mode /v1/models does not serve, and an
        // Azure regional duplicate.
        "bedrock/some-model": {"litellm_provider": "bedrock", "mode": "chat", "max_tokens": 1},
        "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation"},
        "azure/eu/gpt-4o": {"litellm_provider": "azure", "mode": "chat", "max_tokens": 1},
    });
    let text = generate(&source);
    let catalogue: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(
        catalogue,
        json!({
            "anthropic": {
                // Keyed without LiteLLM's `anthropic/` prefix; a stated `false` flag is kept.
                "claude-x": {"type": "chat", "context_window_tokens": 200000, "reasoning": false},
            },
            "openai": {
                "gpt-4o": {
                    "type": "chat", "context_window_tokens": 128000, "max_output": 16384,
                    "function_call": true, "vision": true,
                    // USD per token -> USD per million tokens, without float noise.
                    "pricing": {"input": 2.5, "output": 10.0, "cached_input": 1.25},
                },
                // No max_input_tokens: the context window falls back to max_tokens.
                "text-embedding-3-small": {
                    "type": "embedding", "context_window_tokens": 8191,
                    "pricing": {"input": 0.02},
                },
            },
        })
    );
    // One model per line, sorted, so regenerations diff cleanly.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9, "{text}");
    assert!(
        lines[2].trim_start().starts_with("\"claude-x\": {"),
        "{text}"
    );
    assert!(lines[5].trim_start().starts_with("\"gpt-4o\": {"), "{text}");
    assert!(
        lines[6]
            .trim_start()
            .starts_with("\"text-embedding-3-small\": {"),
        "{text}"
    );
}

#[test]
fn the_built_in_catalogue_is_in_the_scripts_format_and_holds_about_a_thousand_models() {
    let text = std::fs::read_to_string(repo().join("core/data/catalogue.json")).expect("catalogue");
    let catalogue: Value = serde_json::from_str(&text).expect("valid JSON");
    let providers = catalogue.as_object().expect("providers object");
    let models: usize = providers
        .values()
        .map(|m| m.as_object().expect("models object").len())
        .sum();
    assert!((900..=1100).contains(&models), "{models} models");
    // As the script writes it: two header/footer lines per provider, one line per model.
    assert_eq!(text.lines().count(), 2 + 2 * providers.len() + models);
    for (provider, models) in providers {
        for (name, spec) in models.as_object().expect("models") {
            let kind = spec["type"].as_str().unwrap_or_default();
            assert!(
                kind == "chat" || kind == "embedding",
                "{provider}/{name}: type {kind:?} is neither chat nor embedding"
            );
            assert!(
                !name.starts_with(&format!("{provider}/")),
                "{provider}/{name} kept LiteLLM's provider prefix"
            );
        }
    }
}
