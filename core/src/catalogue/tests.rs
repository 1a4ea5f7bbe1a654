use modelgate::v1::{ModelMetadata, ModelPricing};
use serde_json::json;

use super::*;
use crate::config::{Config, MapEnv};

fn built_in() -> &'static Catalogue {
    Catalogue::built_in()
}

fn config(yaml: &str) -> Config {
    Config::from_yaml_str(yaml, "test.yaml", &MapEnv::default()).expect("valid config")
}

#[test]
fn built_in_catalogue_parses_and_holds_well_known_models() {
    let catalogue = Catalogue::from_json(BUILT_IN_JSON).expect("catalogue.json parses");
    assert!(catalogue.len() > 500, "only {} models", catalogue.len());
    let gpt4o = built_in()
        .lookup("openai", ProviderKind::OpenAi, "gpt-4o")
        .expect("gpt-4o is known");
    assert_eq!(gpt4o.context_window_tokens, Some(128_000));
    assert_eq!(gpt4o.max_output, Some(16_384));
    assert_eq!(gpt4o.function_call, Some(true));
    assert_eq!(gpt4o.vision, Some(true));
    assert_eq!(gpt4o.r#type.as_deref(), Some("chat"));
    assert_eq!(
        gpt4o.pricing,
        Some(ModelPricing {
            input: Some(2.5),
            output: Some(10.0),
            cached_input: Some(1.25),
        })
    );
    let embed = built_in()
        .lookup("openai", ProviderKind::OpenAi, "text-embedding-3-small")
        .expect("embedding model known");
    assert_eq!(embed.r#type.as_deref(), Some("embedding"));
    let sonnet = built_in()
        .lookup("anthropic", ProviderKind::Anthropic, "claude-sonnet-4-5")
        .expect("claude known");
    assert_eq!(sonnet.reasoning, Some(true));
}

#[test]
fn lookup_tries_provider_name_kind_tagless_and_vendor_prefix() {
    let c = built_in();
    // A preset's own table.
    assert!(
        c.lookup("groq", ProviderKind::OpenAi, "openai/gpt-oss-120b")
            .is_some()
    );
    // A custom provider name falls back to its kind's table.
    assert!(
        c.lookup("my-proxy", ProviderKind::OpenAi, "gpt-4o-mini")
            .is_some()
    );
    // Azure deployments named for the OpenAI model.
    assert!(c.lookup("azure", ProviderKind::Azure, "gpt-4o").is_some());
    // An Ollama tag not in the table is dropped.
    let llama = c.lookup("ollama", ProviderKind::Ollama, "llama3.1:8b-instruct-q4");
    assert_eq!(
        llama,
        c.lookup("ollama", ProviderKind::Ollama, "llama3.1"),
        "tag stripped"
    );
    assert!(llama.is_some());
    // OpenRouter-style `vendor/model` names.
    assert_eq!(
        c.lookup(
            "openrouter",
            ProviderKind::OpenAi,
            "anthropic/claude-sonnet-4-5"
        ),
        c.lookup("anthropic", ProviderKind::Anthropic, "claude-sonnet-4-5")
    );
    assert_eq!(
        c.lookup("openai", ProviderKind::OpenAi, "no-such-model"),
        None
    );
    assert_eq!(
        c.lookup("openai", ProviderKind::OpenAi, "nobody/no-such-model"),
        None
    );
}

#[test]
fn model_info_litellm_names_override() {
    let mut meta = built_in()
        .lookup("openai", ProviderKind::OpenAi, "gpt-4o")
        .expect("known");
    let bad = apply_model_info(
        &mut meta,
        &json!({
            "id": "ignored",
            "max_input_tokens": 64000,
            "max_output_tokens": 4096,
            "input_cost_per_token": 2.5e-6,
            "output_cost_per_token": 0.00001,
            "cache_read_input_token_cost": 1.25e-7,
            "supports_function_calling": false,
            "supports_vision": false,
            "supports_reasoning": true,
            "mode": "image_generation",
        }),
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(
        meta,
        ModelMetadata {
            display_name: None,
            context_window_tokens: Some(64_000),
            max_output: Some(4096),
            function_call: Some(false),
            vision: Some(false),
            reasoning: Some(true),
            r#type: Some("image".into()),
            pricing: Some(ModelPricing {
                input: Some(2.5),
                output: Some(10.0),
                cached_input: Some(0.125),
            }),
            enabled: None,
        }
    );
}

#[test]
fn model_info_lobechat_names_and_legacy_max_tokens() {
    let mut meta = ModelMetadata::default();
    let bad = apply_model_info(
        &mut meta,
        &json!({
            "displayName": "House model",
            "max_tokens": 32768,
            "maxOutput": 2048.0,
            "functionCall": true,
            "vision": true,
            "type": "chat",
            "enabled": false,
            "pricing": {"input": 0.5, "cachedInput": 0.1},
        }),
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(meta.display_name.as_deref(), Some("House model"));
    assert_eq!(meta.context_window_tokens, Some(32_768));
    assert_eq!(meta.max_output, Some(2048));
    assert_eq!(meta.function_call, Some(true));
    assert_eq!(meta.vision, Some(true));
    assert_eq!(meta.reasoning, None);
    assert_eq!(meta.enabled, Some(false));
    assert_eq!(
        meta.pricing,
        Some(ModelPricing {
            input: Some(0.5),
            output: None,
            cached_input: Some(0.1),
        })
    );
}

#[test]
fn model_info_wrong_types_are_reported_and_ignored() {
    let mut meta = ModelMetadata {
        max_output: Some(100),
        ..ModelMetadata::default()
    };
    let bad = apply_model_info(
        &mut meta,
        &json!({"max_output_tokens": "lots", "supports_vision": "yes", "max_input_tokens": 1.5}),
    );
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(bad[0].contains("max_input_tokens"), "{bad:?}");
    assert_eq!(meta.max_output, Some(100), "kept");
    assert_eq!(meta.vision, None);
    assert_eq!(apply_model_info(&mut meta, &json!([1])).len(), 1);
}

#[test]
fn listing_resolves_aliases_provider_models_and_overrides() {
    let config = config(
        r#"
providers:
  openai: { api_key: sk-x }
  azure: { api_key: k, api_base: "https://x.openai.azure.com", api_version: "2024-10-21" }
  local: { kind: openai, api_base: "http://127.0.0.1:1/v1", models: [house] }
model_list:
  - model_name: fast
    litellm_params: { model: openai/gpt-4o-mini }
  - model_name: fast
    litellm_params: { model: openai/gpt-4o }
    model_info: { max_output_tokens: 1000 }
  - model_name: eu-4o
    litellm_params: { model: azure/my-deployment }
    model_info: { base_model: azure/gpt-4o, displayName: "GPT-4o (EU)" }
  - model_name: house
    litellm_params: { model: local/house }
    model_info: { max_input_tokens: 8192, enabled: false }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*" }
"#,
    );
    let listing = Listing::new(&config);
    let mini = built_in()
        .lookup("openai", ProviderKind::OpenAi, "gpt-4o-mini")
        .expect("known");

    let fast = listing.metadata("fast");
    assert_eq!(
        fast.context_window_tokens, mini.context_window_tokens,
        "first deployment's model"
    );
    assert_eq!(fast.pricing, mini.pricing);
    assert_eq!(fast.max_output, Some(1000), "the group's model_info");
    assert_eq!(fast.enabled, Some(true));

    let eu = listing.metadata("eu-4o");
    assert_eq!(eu.display_name.as_deref(), Some("GPT-4o (EU)"));
    assert_eq!(eu.context_window_tokens, Some(128_000), "via base_model");

    let house = listing.metadata("house");
    assert_eq!(house.context_window_tokens, Some(8192));
    assert_eq!(house.enabled, Some(false));

    // Discovered (openai lists no `models:`): described, not enabled.
    assert_eq!(listing.metadata("openai/gpt-4o-mini"), mini);
    assert_eq!(
        listing.metadata("local/house"),
        ModelMetadata {
            enabled: Some(true),
            ..ModelMetadata::default()
        },
        "in the provider's `models:`: enabled, nothing else known"
    );
    assert_eq!(
        listing.metadata("local/unknown-model"),
        ModelMetadata::default(),
        "neither named nor known: nothing"
    );
    assert_eq!(
        listing.metadata("nobody/gpt-4o").context_window_tokens,
        None,
        "no such provider"
    );
}
