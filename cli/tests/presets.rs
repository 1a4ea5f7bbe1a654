//! Known OpenAI-compatible presets need only a key: in `providers` or as a `model_list`
//! prefix, each resolves to kind `openai` and its provider's documented base URL, as
//! `check-config` prints it. `hosted_vllm` has no default base URL: without `api_base` the
//! config is refused, naming the key to set.

use crate::check_config_cli;

use check_config_cli::check_config;

/// Each preset and the OpenAI-compatible base URL its provider documents (not read from
/// modelgate's own table, so a wrong entry there shows here).
const PRESETS: &[(&str, &str)] = &[
    ("groq", "https://api.groq.com/openai/v1"),
    ("deepseek", "https://api.deepseek.com/v1"),
    ("mistral", "https://api.mistral.ai/v1"),
    ("openrouter", "https://openrouter.ai/api/v1"),
    ("together_ai", "https://api.together.xyz/v1"),
    ("xai", "https://api.x.ai/v1"),
    ("fireworks_ai", "https://api.fireworks.ai/inference/v1"),
    ("perplexity", "https://api.perplexity.ai"),
    ("cerebras", "https://api.cerebras.ai/v1"),
    ("deepinfra", "https://api.deepinfra.com/v1/openai"),
    ("lm_studio", "http://localhost:1234/v1"),
];

/// The lines `check-config` prints under `providers:` for `name`, up to the next provider.
fn provider_block<'a>(stdout: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("  {name}:");
    stdout
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(str::trim)
        .collect()
}

#[test]
fn presets_in_providers_need_only_a_key() {
    let mut yaml = String::from("providers:\n");
    for (name, _) in PRESETS {
        yaml.push_str(&format!("  {name}: {{ api_key: sk-preset-key-{name} }}\n"));
    }
    let out = check_config(&yaml, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    for (name, base) in PRESETS {
        let block = provider_block(&out.stdout, name);
        assert!(block.contains(&"kind: openai"), "{name}: {block:?}");
        let expected = format!("api_base: {base}");
        assert!(
            block.contains(&expected.as_str()),
            "{name}: {block:?}\n{}",
            out.stdout
        );
        assert!(block.contains(&"api_key: set"), "{name}: {block:?}");
    }
    assert!(!out.stdout.contains("sk-preset-key"), "{}", out.stdout);
}

#[test]
fn presets_as_model_list_prefixes_reach_the_documented_base_url() {
    let mut yaml = String::from("model_list:\n");
    for (name, _) in PRESETS {
        yaml.push_str(&format!(
            "  - model_name: via-{name}\n    litellm_params: {{ model: {name}/some-model, api_key: sk-preset-key-{name} }}\n"
        ));
    }
    let out = check_config(&yaml, &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().map(str::trim).collect();
    for (name, base) in PRESETS {
        let expected = format!("via-{name} -> {name}/some-model ({base})");
        assert!(
            lines.contains(&expected.as_str()),
            "{expected}\n{}",
            out.stdout
        );
    }
}

#[test]
fn hosted_vllm_without_api_base_is_refused_naming_the_key() {
    let out = check_config("providers:\n  hosted_vllm: { api_key: sk-vllm-key }\n", &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("providers.hosted_vllm.api_base"),
        "{}",
        out.stderr
    );

    let out = check_config(
        "model_list:\n  - model_name: mine\n    litellm_params: { model: hosted_vllm/qwen3-8b }\n",
        &[],
    );
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("model_list[0].litellm_params.api_base"),
        "{}",
        out.stderr
    );

    // With one, it is an OpenAI-compatible provider at that address.
    let out = check_config(
        "providers:\n  hosted_vllm: { api_base: \"http://vllm.internal:8000/v1\" }\n",
        &[],
    );
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let block = provider_block(&out.stdout, "hosted_vllm");
    assert!(block.contains(&"kind: openai"), "{block:?}");
    assert!(
        block.contains(&"api_base: http://vllm.internal:8000/v1"),
        "{block:?}"
    );
}
