//! LiteLLM config forms that PyYAML and LiteLLM accept: YAML 1.1 scalars, older key
//! placements, entries with only `model_name`, newer top-level sections.

use secrecy::ExposeSecret;

use super::*;

fn load(yaml: &str) -> Result<Config, ConfigError> {
    Config::from_yaml_str(yaml, "test.yaml", &MapEnv::default())
}

#[test]
fn underscored_and_radix_numbers_read_as_pyyaml_reads_them() {
    let yaml = r#"
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, tpm: 20_000, rpm: 0x10, timeout: 1_0, stream_timeout: 0.5, max_retries: 017, order: 1:30 }
"#;
    let config = load(yaml).unwrap();
    let r = &config.model_list[0].routing;
    assert_eq!(r.tpm, Some(20_000));
    assert_eq!(r.rpm, Some(16));
    assert_eq!(r.timeout, Some(Duration::from_secs(10)));
    assert_eq!(r.stream_timeout, Some(Duration::from_millis(500)));
    assert_eq!(r.order, Some(90));
    // PyYAML reads `017` as octal 15; the YAML 1.2 parser hands over a number already.
    assert!(
        matches!(r.max_retries, Some(15 | 17)),
        "{:?}",
        r.max_retries
    );
}

#[test]
fn tpm_and_rpm_beside_litellm_params_are_used_and_inside_wins() {
    let yaml = r#"
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o }
    tpm: 20000
    rpm: 3
  - model_name: a
    litellm_params: { model: openai/gpt-4o-mini, rpm: 7 }
    rpm: 9
"#;
    let config = load(yaml).unwrap();
    assert_eq!(config.model_list[0].routing.tpm, Some(20_000));
    assert_eq!(config.model_list[0].routing.rpm, Some(3));
    assert_eq!(config.model_list[1].routing.rpm, Some(7));
    assert!(
        config
            .notices
            .contains(&"model_list[1].rpm: ignored, litellm_params.rpm is used".to_owned()),
        "{:?}",
        config.notices
    );
}

#[test]
fn an_entry_with_only_model_name_serves_that_model() {
    let config = load("model_list:\n  - model_name: gpt-3.5-turbo\n").unwrap();
    let d = &config.model_list[0];
    assert_eq!(d.model_name, "gpt-3.5-turbo");
    assert_eq!(d.provider.name, "openai");
    assert_eq!(d.upstream_model, "gpt-3.5-turbo");
}

#[test]
fn model_info_flags_and_numbers_read_as_pyyaml_reads_them() {
    let yaml = r#"
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o }
    model_info: { supports_vision: yes, supports_function_calling: Off, max_tokens: 128_000, id: "1", base_model: ~ }
"#;
    let config = load(yaml).unwrap();
    let info = config.model_list[0].model_info.as_ref().unwrap();
    assert_eq!(info["supports_vision"], serde_json::json!(true));
    assert_eq!(info["supports_function_calling"], serde_json::json!(false));
    assert_eq!(info["max_tokens"], serde_json::json!(128_000));
    assert_eq!(info["id"], serde_json::json!("1"));
    assert_eq!(info["base_model"], serde_json::Value::Null);
    assert_eq!(config.model_list[0].routing.id.as_deref(), Some("1"));
}

#[test]
fn tilde_is_empty_and_a_quoted_key_stays_as_written() {
    let yaml = r#"
general_settings: { master_key: "12_345" }
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, timeout: ~, rpm: ~ }
"#;
    let config = load(yaml).unwrap();
    assert_eq!(config.auth.keys[0].key.expose_secret(), "12_345");
    assert_eq!(config.model_list[0].routing.timeout, None);
    assert_eq!(config.model_list[0].routing.rpm, None);
}

#[test]
fn newer_litellm_sections_are_reported_and_typos_are_still_errors() {
    let yaml = r#"
model_list: [{ model_name: a, litellm_params: { model: openai/gpt-4o } }]
sandbox_tools: [{ sandbox_tool_name: e2b }]
policies: { strict: { description: x } }
policy_attachments: [{ policy: strict }]
"#;
    let config = load(yaml).unwrap();
    for notice in [
        "sandbox_tools: parsed, not acted on yet",
        "policies: parsed, not acted on yet (strict)",
        "policy_attachments: parsed, not acted on yet",
    ] {
        assert!(
            config.notices.contains(&notice.to_owned()),
            "{:?}",
            config.notices
        );
    }
    let err = load("sandbox_tool: []\n").unwrap_err();
    assert!(err.fix.contains("did you mean `sandbox_tools`"), "{err}");
}
