//! Config files as YAML (anchors, empty documents, syntax errors, wrong types) and the routing
//! settings LiteLLM users write.

use std::time::Duration;

use super::tests::*;
use super::*;

#[test]
fn yaml_anchors_and_merges_are_honoured() {
    let yaml = r#"
x-common: &common
  api_base: http://vllm:8000/v1
  api_key: shared
model_list:
  - model_name: a
    litellm_params:
      <<: *common
      model: openai/a
"#;
    // `x-common` is not a section: unknown top-level keys are errors, even for anchors.
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "x-common");

    let yaml = r#"
model_list:
  - model_name: a
    litellm_params: &common
      model: openai/a
      api_base: http://vllm:8000/v1
  - model_name: b
    litellm_params:
      <<: *common
      model: openai/b
"#;
    let config = load(yaml, &MapEnv::default()).unwrap();
    assert_eq!(
        config.model_list[1].provider.api_base,
        "http://vllm:8000/v1"
    );
    assert_eq!(config.model_list[1].upstream_model, "b");
}

#[test]
fn empty_document_gives_defaults() {
    let config = load("", &MapEnv::default()).unwrap();
    assert_eq!(config.server, ServerConfig::default());
    assert!(
        config.providers.is_empty() && config.model_list.is_empty() && config.notices.is_empty()
    );
}

#[test]
fn load_file_names_the_file() {
    let path = std::path::Path::new("/nonexistent/modelgate-config-test.yaml");
    let err = Config::load_file(path, &MapEnv::default()).unwrap_err();
    assert_eq!(err.file, "/nonexistent/modelgate-config-test.yaml");
    assert!(
        err.to_string()
            .starts_with("/nonexistent/modelgate-config-test.yaml: cannot read"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("modelgate-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(&file, "server: { htp: 1 }\n").unwrap();
    let err = Config::load_file(&file, &MapEnv::default()).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(err.file, file.display().to_string());
    assert_eq!(err.path, "server.htp");
}

#[test]
fn yaml_syntax_error_has_no_path() {
    let err = load("model_list: [\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "");
    assert!(
        err.to_string().starts_with("test.yaml: invalid YAML"),
        "{err}"
    );
}

#[test]
fn wrong_types_name_their_path() {
    let err = load("providers:\n  groq: [1]\n", &MapEnv::default()).unwrap_err();
    assert_eq!(
        (err.path.as_str(), err.fix.as_str()),
        ("providers.groq", "expected a mapping")
    );
    let err = load(
        "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, timeout: soon }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "model_list[0].litellm_params.timeout");
    let err = load("router_settings: fast\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "router_settings");
}

#[test]
fn litellm_routing_params_are_acted_on() {
    let config = load(LITELLM_YAML, &litellm_env()).unwrap();
    assert_eq!(config.model_list[0].routing.rpm, Some(6));
    assert_eq!(config.model_list[1].routing.tpm, Some(1_000_000));
    assert_eq!(
        config.model_list[1].routing.id.as_deref(),
        Some("openai-gpt-4o")
    );
    let claude = &config.model_list[2].routing;
    assert_eq!(claude.timeout, Some(Duration::from_secs(30)));
    assert_eq!(claude.stream_timeout, Some(Duration::from_secs(60)));
    assert_eq!(claude.max_retries, Some(2));
    assert_eq!(config.router.num_retries, 2);
    assert_eq!(
        config.router.routing_strategy,
        crate::config::RoutingStrategy::SimpleShuffle
    );
}

#[test]
fn router_settings_are_typed() {
    let yaml = r#"
auth:
  keys:
    - { name: a, key: k1, rpm: 10, tpm: "2000", max_parallel_requests: 3 }
model_list:
  - model_name: g
    litellm_params: { model: openai/x, weight: 2.5, order: 1 }
router_settings:
  routing_strategy: latency-based-routing
  num_retries: 3
  timeout: 30
  stream_timeout: 5
  connect_timeout: 2
  retry_after: 1
  allowed_fails: 2
  cooldown_time: 0.5
  fallbacks: [{g: [h, i]}, {"*": [j]}]
  context_window_fallbacks: [{g: long}]
  content_policy_fallbacks: [{g: [safe]}]
  model_group_alias: {gpt-4: g, old: {model: g, hidden: true}}
  redis_host: os.environ/REDIS_HOST_NOT_SET
"#;
    let config = load(yaml, &MapEnv::default()).unwrap();
    let r = &config.router;
    assert_eq!(
        r.routing_strategy,
        crate::config::RoutingStrategy::LatencyBased
    );
    assert_eq!(r.num_retries, 3);
    assert_eq!(r.timeout, Some(Duration::from_secs(30)));
    assert_eq!(r.stream_timeout, Some(Duration::from_secs(5)));
    assert_eq!(r.connect_timeout, Some(Duration::from_secs(2)));
    assert_eq!(r.retry_after, Duration::from_secs(1));
    assert_eq!(r.allowed_fails, 2);
    assert_eq!(r.cooldown_time, Duration::from_millis(500));
    assert_eq!(
        crate::config::alternatives_for(&r.fallbacks, "g"),
        ["h", "i"]
    );
    assert_eq!(
        crate::config::alternatives_for(&r.fallbacks, "other"),
        ["j"]
    );
    assert_eq!(
        crate::config::alternatives_for(&r.context_window_fallbacks, "g"),
        ["long"]
    );
    assert_eq!(
        crate::config::alternatives_for(&r.content_policy_fallbacks, "g"),
        ["safe"]
    );
    assert_eq!(
        r.model_group_alias.get("gpt-4").map(String::as_str),
        Some("g")
    );
    assert_eq!(
        r.model_group_alias.get("old").map(String::as_str),
        Some("g")
    );
    let limits = config.auth.keys[0].limits;
    assert_eq!(
        (limits.rpm, limits.tpm, limits.max_parallel_requests),
        (Some(10), Some(2000), Some(3))
    );
    assert_eq!(config.model_list[0].routing.weight, Some(2.5));
    assert_eq!(config.model_list[0].routing.order, Some(1));
    // Unused LiteLLM keys are reported, and their variables need not be set.
    assert_eq!(
        config.notices,
        ["router_settings.redis_host: accepted, not acted on yet"]
    );
}

#[test]
fn bad_routing_values_name_their_path() {
    let cases = [
        (
            "router_settings: { num_retries: -1 }\n",
            "router_settings.num_retries",
        ),
        (
            "router_settings: { cooldown_time: soon }\n",
            "router_settings.cooldown_time",
        ),
        (
            "router_settings: { fallbacks: [a] }\n",
            "router_settings.fallbacks[0]",
        ),
        (
            "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, weight: -2 }\n",
            "model_list[0].litellm_params.weight",
        ),
        (
            "auth:\n  keys:\n    - { name: a, key: k, rpm: lots }\n",
            "auth.keys[0].rpm",
        ),
    ];
    for (yaml, path) in cases {
        let err = load(yaml, &MapEnv::default()).unwrap_err();
        assert_eq!(err.path, path, "{yaml}");
    }
}
