use std::net::SocketAddr;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

pub(super) fn load(yaml: &str, env: &MapEnv) -> Result<Config, ConfigError> {
    Config::from_yaml_str(yaml, "test.yaml", env)
}

pub(super) fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

pub(super) fn secret(value: &Option<SecretString>) -> Option<&str> {
    value.as_ref().map(|s| s.expose_secret())
}

/// The example from DESIGN.md's "Configuration" section.
const DESIGN_YAML: &str = r#"
server:   { http: 0.0.0.0:8001, grpc: 0.0.0.0:50051 }
auth:
  keys:
    - { name: lobechat, key: os.environ/LOBECHAT_KEY, models: ["*"] }
cors:     { allow_origins: ["http://localhost:3210"] }
providers:                      # credentials and endpoints, by provider name
  openai:    { api_key: os.environ/OPENAI_API_KEY }
  anthropic: { api_key: os.environ/ANTHROPIC_API_KEY }
  gemini:    { api_key: os.environ/GEMINI_API_KEY }
  ollama:    { api_base: http://localhost:11434 }
  azure:     { api_key: os.environ/AZURE_API_KEY, api_base: https://NAME.openai.azure.com, api_version: "2024-10-21" }
  groq:      { kind: openai, api_base: https://api.groq.com/openai/v1, api_key: os.environ/GROQ_API_KEY }
model_list:                     # optional aliases; several entries with one model_name = a balanced group
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o }
"#;

fn design_env() -> MapEnv {
    MapEnv::from_pairs(&[
        ("LOBECHAT_KEY", "sk-lobe-1"),
        ("OPENAI_API_KEY", "sk-openai-2"),
        ("ANTHROPIC_API_KEY", "sk-ant-3"),
        ("GEMINI_API_KEY", "gem-4"),
        ("AZURE_API_KEY", "az-5"),
        ("GROQ_API_KEY", "gsk-6"),
    ])
}

#[test]
fn design_doc_example_loads() {
    let config = load(DESIGN_YAML, &design_env()).unwrap();
    assert_eq!(config.source, "test.yaml");
    assert_eq!(config.server.http, addr("0.0.0.0:8001"));
    assert_eq!(config.server.grpc, addr("0.0.0.0:50051"));
    assert_eq!(config.server.body_limit_bytes, 33_554_432);

    assert_eq!(config.auth.keys.len(), 1);
    let key = &config.auth.keys[0];
    assert_eq!(key.name, "lobechat");
    assert_eq!(key.key.expose_secret(), "sk-lobe-1");
    assert_eq!(key.models, Some(vec!["*".to_owned()]));
    assert_eq!(config.cors.allow_origins, vec!["http://localhost:3210"]);

    let names: Vec<&str> = config.providers.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["anthropic", "azure", "gemini", "groq", "ollama", "openai"]
    );
    let p = &config.providers;
    assert_eq!(p["openai"].kind, ProviderKind::OpenAi);
    assert_eq!(p["openai"].api_base, "https://api.openai.com/v1");
    assert_eq!(secret(&p["openai"].api_key), Some("sk-openai-2"));
    assert_eq!(p["anthropic"].kind, ProviderKind::Anthropic);
    assert_eq!(p["anthropic"].api_base, "https://api.anthropic.com");
    assert_eq!(secret(&p["anthropic"].api_key), Some("sk-ant-3"));
    assert_eq!(p["gemini"].kind, ProviderKind::Gemini);
    assert_eq!(
        p["gemini"].api_base,
        "https://generativelanguage.googleapis.com"
    );
    assert_eq!(secret(&p["gemini"].api_key), Some("gem-4"));
    assert_eq!(p["ollama"].kind, ProviderKind::Ollama);
    assert_eq!(p["ollama"].api_base, "http://localhost:11434");
    assert_eq!(secret(&p["ollama"].api_key), None);
    assert_eq!(p["azure"].kind, ProviderKind::Azure);
    assert_eq!(p["azure"].api_base, "https://NAME.openai.azure.com");
    assert_eq!(p["azure"].api_version.as_deref(), Some("2024-10-21"));
    assert_eq!(secret(&p["azure"].api_key), Some("az-5"));
    assert_eq!(p["groq"].kind, ProviderKind::OpenAi);
    assert_eq!(p["groq"].api_base, "https://api.groq.com/openai/v1");
    assert_eq!(secret(&p["groq"].api_key), Some("gsk-6"));

    assert_eq!(config.model_list.len(), 1);
    let d = &config.model_list[0];
    assert_eq!(d.model_name, "gpt-4o");
    assert_eq!(d.provider.name, "openai");
    assert_eq!(d.upstream_model, "gpt-4o");
    assert_eq!(secret(&d.provider.api_key), Some("sk-openai-2"));
    assert_eq!(d.model_info, None);
    assert!(config.notices.is_empty(), "{:?}", config.notices);
}

/// A LiteLLM proxy config as its docs write them.
pub(super) const LITELLM_YAML: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://my-endpoint-europe.openai.azure.com/
      api_key: "os.environ/AZURE_API_KEY_EU"
      api_version: "2024-06-01"
      rpm: 6
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 100
      tpm: 1000000
    model_info:
      id: openai-gpt-4o
      max_tokens: 128000
  - model_name: claude-sonnet
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_key: os.environ/ANTHROPIC_API_KEY
      timeout: 30
      stream_timeout: 60
      max_retries: 2
  - model_name: bedrock-claude
    litellm_params:
      model: bedrock/anthropic.claude-v2
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
  - model_name: text-embedding-3-small
    litellm_params:
      model: text-embedding-3-small

litellm_settings:
  drop_params: true
  num_retries: 3
  request_timeout: 600

router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 2

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
  alerting: ["slack"]
"#;

pub(super) fn litellm_env() -> MapEnv {
    MapEnv::from_pairs(&[
        ("AZURE_API_KEY_EU", "az-eu-key"),
        ("OPENAI_API_KEY", "sk-openai"),
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("LITELLM_MASTER_KEY", "sk-master-1234"),
        // DATABASE_URL and AWS_ACCESS_KEY_ID deliberately unset: modelgate does not use them.
    ])
}

#[test]
fn litellm_proxy_config_loads_unchanged() {
    let config = load(LITELLM_YAML, &litellm_env()).unwrap();

    let summary: Vec<(&str, &str, ProviderKind, &str)> = config
        .model_list
        .iter()
        .map(|d| {
            (
                d.model_name.as_str(),
                d.provider.name.as_str(),
                d.provider.kind,
                d.upstream_model.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("gpt-4o", "azure", ProviderKind::Azure, "gpt-4o-eu"),
            ("gpt-4o", "openai", ProviderKind::OpenAi, "gpt-4o"),
            (
                "claude-sonnet",
                "anthropic",
                ProviderKind::Anthropic,
                "claude-sonnet-4-5"
            ),
            (
                "text-embedding-3-small",
                "openai",
                ProviderKind::OpenAi,
                "text-embedding-3-small"
            ),
        ]
    );
    let azure = &config.model_list[0].provider;
    assert_eq!(
        azure.api_base,
        "https://my-endpoint-europe.openai.azure.com"
    );
    assert_eq!(secret(&azure.api_key), Some("az-eu-key"));
    assert_eq!(azure.api_version.as_deref(), Some("2024-06-01"));
    let openai = &config.model_list[1];
    assert_eq!(openai.provider.api_base, "https://api.openai.com/v1");
    assert_eq!(secret(&openai.provider.api_key), Some("sk-openai"));
    assert_eq!(
        openai.model_info,
        Some(serde_json::json!({"id": "openai-gpt-4o", "max_tokens": 128000}))
    );
    let anthropic = &config.model_list[2].provider;
    assert_eq!(anthropic.api_base, "https://api.anthropic.com");
    assert_eq!(anthropic.timeout, Some(Duration::from_secs(30)));
    // No prefix: OpenAI, key from the preset variable.
    assert_eq!(
        secret(&config.model_list[3].provider.api_key),
        Some("sk-openai")
    );

    // A LiteLLM file declares no `providers:`; only its model_list is served.
    assert!(config.providers.is_empty());
    assert_eq!(config.auth.keys.len(), 1);
    assert_eq!(config.auth.keys[0].name, "master");
    assert_eq!(config.auth.keys[0].key.expose_secret(), "sk-master-1234");
    assert_eq!(config.auth.keys[0].models, None);

    assert_eq!(
        config.notices,
        [
            "provider bedrock not supported; model_list[3] skipped",
            "litellm_settings: parsed, not acted on yet (drop_params, num_retries, request_timeout)",
            "router_settings.routing_strategy: `usage-based-routing-v2` not supported; simple-shuffle is used",
            "general_settings.database_url: ignored",
            "general_settings.alerting: ignored",
        ]
    );
}

#[test]
fn unknown_key_names_its_path_and_the_likely_key() {
    let yaml = "providers:\n  groq:\n    api_bse: https://api.groq.com/openai/v1\n";
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.file, "test.yaml");
    assert_eq!(err.path, "providers.groq.api_bse");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "test.yaml: providers.groq.api_bse: unknown key `api_bse`. did you mean `api_base`?"
        ),
        "{text}"
    );
    assert!(text.contains("`api_version`"), "{text}");
}

#[test]
fn unknown_key_on_a_model_list_entry_is_an_error() {
    let yaml = "model_list:\n  - model_name: a\n    litelm_params: { model: openai/gpt-4o }\n";
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "model_list[0].litelm_params");
    assert!(err.fix.contains("did you mean `litellm_params`"), "{err}");
}

#[test]
fn unknown_top_level_section_is_an_error() {
    let err = load("provders: {}\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "provders");
    assert!(err.fix.contains("did you mean `providers`"), "{err}");
}

#[test]
fn missing_env_var_names_the_path_and_the_variable() {
    let yaml = "providers:\n  openai: { api_key: os.environ/MY_OPENAI_KEY }\n";
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "providers.openai.api_key");
    assert_eq!(
        err.to_string(),
        "test.yaml: providers.openai.api_key: environment variable MY_OPENAI_KEY is not set. set MY_OPENAI_KEY or remove the key"
    );
}

#[test]
fn os_environ_resolves_inside_nested_lists() {
    let yaml = r#"
auth:
  keys:
    - name: team
      key: os.environ/TEAM_KEY
      models: [gpt-4o, os.environ/EXTRA_MODEL]
cors:
  allow_origins: [os.environ/UI_ORIGIN, "https://chat.example.com/"]
"#;
    let env = MapEnv::from_pairs(&[
        ("TEAM_KEY", "k-team"),
        ("EXTRA_MODEL", "openai/*"),
        ("UI_ORIGIN", "http://localhost:3210"),
    ]);
    let config = load(yaml, &env).unwrap();
    assert_eq!(
        config.auth.keys[0].models,
        Some(vec!["gpt-4o".to_owned(), "openai/*".to_owned()])
    );
    assert_eq!(
        config.cors.allow_origins,
        ["http://localhost:3210", "https://chat.example.com"]
    );

    let env = MapEnv::from_pairs(&[
        ("TEAM_KEY", "k-team"),
        ("UI_ORIGIN", "http://localhost:3210"),
    ]);
    let err = load(yaml, &env).unwrap_err();
    assert_eq!(err.path, "auth.keys[0].models[1]");
    assert!(err.problem.contains("EXTRA_MODEL"), "{err}");
}

#[test]
fn environment_variables_section_is_consulted_first() {
    let yaml = r#"
environment_variables:
  GROQ_API_KEY: from-file
  SHARED: os.environ/REAL_SHARED
model_list:
  - model_name: llama
    litellm_params: { model: groq/llama-3.3-70b-versatile }
auth:
  keys: [{ name: a, key: os.environ/SHARED }]
"#;
    let env = MapEnv::from_pairs(&[
        ("GROQ_API_KEY", "from-env"),
        ("REAL_SHARED", "shared-value"),
    ]);
    let config = load(yaml, &env).unwrap();
    assert_eq!(
        secret(&config.model_list[0].provider.api_key),
        Some("from-file")
    );
    assert_eq!(config.auth.keys[0].key.expose_secret(), "shared-value");
}

#[test]
fn preset_prefix_brings_base_and_key() {
    let yaml =
        "model_list:\n  - model_name: llama-3\n    litellm_params: { model: groq/llama-3 }\n";
    let env = MapEnv::from_pairs(&[("GROQ_API_KEY", "gsk-test")]);
    let config = load(yaml, &env).unwrap();
    let d = &config.model_list[0];
    assert_eq!(d.provider.name, "groq");
    assert_eq!(d.provider.kind, ProviderKind::OpenAi);
    assert_eq!(d.provider.api_base, "https://api.groq.com/openai/v1");
    assert_eq!(secret(&d.provider.api_key), Some("gsk-test"));
    assert_eq!(d.upstream_model, "llama-3");
}

#[test]
fn upstream_model_keeps_later_slashes_and_wildcards() {
    let yaml = r#"
model_list:
  - model_name: "openrouter/*"
    litellm_params: { model: "openrouter/*" }
  - model_name: claude
    litellm_params: { model: openrouter/anthropic/claude-3.5-sonnet }
  - model_name: llama
    litellm_params: { model: ollama_chat/llama3.1, api_base: "http://gpu:11434/" }
"#;
    let config = load(yaml, &MapEnv::default()).unwrap();
    let upstream: Vec<&str> = config
        .model_list
        .iter()
        .map(|d| d.upstream_model.as_str())
        .collect();
    assert_eq!(upstream, ["*", "anthropic/claude-3.5-sonnet", "llama3.1"]);
    assert_eq!(config.model_list[0].model_name, "openrouter/*");
    assert_eq!(config.model_list[2].provider.kind, ProviderKind::Ollama);
    assert_eq!(config.model_list[2].provider.api_base, "http://gpu:11434");
}

#[test]
fn explicit_provider_by_prefix_with_overrides() {
    let yaml = r#"
providers:
  myvllm:
    kind: openai
    api_base: http://vllm:8000/v1
    api_key: os.environ/VLLM_KEY
    timeout: 120
    models: [qwen]
    headers: { X-Team: research, X-Trace: "on" }
model_list:
  - model_name: qwen-fast
    litellm_params:
      model: myvllm/qwen
      api_base: http://vllm-fast:8000/v1/
      timeout: 7.5
      extra_headers: { x-team: fast }
  - model_name: qwen
    litellm_params: { model: myvllm/qwen }
"#;
    let env = MapEnv::from_pairs(&[
        ("VLLM_KEY", "vllm-secret"),
        ("OPENAI_API_KEY", "must-not-be-used"),
    ]);
    let config = load(yaml, &env).unwrap();
    let base = &config.providers["myvllm"];
    assert_eq!(base.kind, ProviderKind::OpenAi);
    assert_eq!(base.timeout, Some(Duration::from_secs(120)));
    assert_eq!(base.models, Some(vec!["qwen".to_owned()]));

    let fast = &config.model_list[0];
    assert_eq!(fast.provider.name, "myvllm");
    assert_eq!(fast.provider.api_base, "http://vllm-fast:8000/v1");
    assert_eq!(secret(&fast.provider.api_key), Some("vllm-secret"));
    assert_eq!(fast.provider.timeout, Some(Duration::from_millis(7500)));
    assert_eq!(
        fast.provider.headers,
        [
            ("X-Trace".to_owned(), "on".to_owned()),
            ("x-team".to_owned(), "fast".to_owned())
        ]
    );
    assert_eq!(fast.upstream_model, "qwen");
    // The second entry gets the provider unchanged.
    let plain = &config.model_list[1].provider;
    assert_eq!(plain.api_base, "http://vllm:8000/v1");
    assert_eq!(plain.headers.len(), 2);
}

#[test]
fn custom_provider_names_need_kind_and_api_base() {
    let err = load(
        "providers:\n  myproxy: { api_base: http://x:1/v1 }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "providers.myproxy.kind");
    assert!(err.fix.contains("kind: openai"), "{err}");

    let err = load(
        "providers:\n  myproxy: { kind: openai }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "providers.myproxy.api_base");

    let err = load(
        "providers:\n  myproxy: { kind: groq, api_base: http://x:1 }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "providers.myproxy.kind");
    assert!(err.fix.contains("preset"), "{err}");

    // A custom name does not pick up a key from the environment.
    let yaml = "providers:\n  myproxy: { kind: openai, api_base: http://x:1/v1 }\n";
    let config = load(yaml, &MapEnv::from_pairs(&[("OPENAI_API_KEY", "sk")])).unwrap();
    assert!(config.providers["myproxy"].api_key.is_none());
}

#[test]
fn azure_without_api_base_is_an_error() {
    let err = load("providers:\n  azure: { api_key: k }\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "providers.azure.api_base");
    assert!(err.fix.contains("AZURE_API_BASE"), "{err}");

    let yaml = "model_list:\n  - model_name: m\n    litellm_params: { model: azure/dep }\n";
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "model_list[0].litellm_params.api_base");

    let env = MapEnv::from_pairs(&[
        ("AZURE_API_BASE", "https://r.openai.azure.com"),
        ("AZURE_API_VERSION", "2025-01-01"),
    ]);
    let config = load(yaml, &env).unwrap();
    assert_eq!(
        config.model_list[0].provider.api_base,
        "https://r.openai.azure.com"
    );
    assert_eq!(
        config.model_list[0].provider.api_version.as_deref(),
        Some("2025-01-01")
    );
}

#[test]
fn unsupported_prefix_is_skipped_with_a_notice() {
    let yaml = r#"
model_list:
  - model_name: gemini-pro
    litellm_params:
      model: vertex_ai/gemini-1.5-pro
      vertex_credentials: os.environ/VERTEX_CREDS
  - model_name: gpt
    litellm_params: { model: gpt-4o-mini }
"#;
    let config = load(yaml, &MapEnv::default()).unwrap();
    assert_eq!(config.model_list.len(), 1);
    assert_eq!(config.model_list[0].model_name, "gpt");
    assert_eq!(
        config.notices,
        ["provider vertex_ai not supported; model_list[0] skipped"]
    );
}

#[test]
fn model_list_entries_need_model_name_and_model() {
    let err = load(
        "model_list:\n  - litellm_params: { model: openai/x }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "model_list[0].model_name");
    let err = load(
        "model_list:\n  - model_name: a\n    litellm_params: { api_key: k }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "model_list[0].litellm_params.model");
    let err = load(
        "model_list:\n  - model_name: a\n    litellm_params: { model: openai/ }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "model_list[0].litellm_params.model");
}

#[test]
fn from_env_reads_the_usual_variables() {
    let env = MapEnv::from_pairs(&[
        ("OPENAI_API_KEY", "sk-o"),
        ("OPENAI_BASE_URL", "https://proxy.example.com/v1/"),
        ("ANTHROPIC_API_KEY", "sk-a"),
        ("GOOGLE_API_KEY", "g-key"),
        ("OLLAMA_HOST", "0.0.0.0:11434"),
        ("AZURE_API_KEY", "az"),
        ("AZURE_API_BASE", "https://r.openai.azure.com"),
        ("GROQ_API_KEY", "gsk"),
        ("MODELGATE_API_KEYS", " k1, ,k2 ,"),
        ("LITELLM_MASTER_KEY", "sk-master"),
    ]);
    let config = Config::from_env(&env).unwrap();
    assert_eq!(config.source, "environment");
    assert_eq!(config.server, ServerConfig::default());
    let p = &config.providers;
    let names: Vec<&str> = p.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["anthropic", "azure", "gemini", "groq", "ollama", "openai"]
    );
    assert_eq!(p["openai"].api_base, "https://proxy.example.com/v1");
    assert_eq!(secret(&p["openai"].api_key), Some("sk-o"));
    assert_eq!(secret(&p["gemini"].api_key), Some("g-key"));
    assert_eq!(p["ollama"].api_base, "http://0.0.0.0:11434");
    assert_eq!(p["azure"].api_version.as_deref(), Some("2024-10-21"));
    assert_eq!(secret(&p["anthropic"].api_key), Some("sk-a"));

    let keys: Vec<(&str, &str)> = config
        .auth
        .keys
        .iter()
        .map(|k| (k.name.as_str(), k.key.expose_secret()))
        .collect();
    assert_eq!(
        keys,
        [("key-1", "k1"), ("key-2", "k2"), ("master", "sk-master")]
    );
    assert!(config.model_list.is_empty());
}

#[test]
fn from_env_without_variables_is_empty_and_incomplete_azure_is_reported() {
    let config = Config::from_env(&MapEnv::default()).unwrap();
    assert!(config.providers.is_empty());
    assert!(config.auth.keys.is_empty());

    let config = Config::from_env(&MapEnv::from_pairs(&[
        ("AZURE_API_KEY", "az"),
        ("OLLAMA_HOST", "gpu-box"),
    ]))
    .unwrap();
    assert!(!config.providers.contains_key("azure"));
    assert_eq!(config.providers["ollama"].api_base, "http://gpu-box:11434");
    assert_eq!(
        config.notices,
        ["AZURE_API_KEY is set but AZURE_API_BASE is not: provider azure not configured"]
    );

    let err =
        Config::from_env(&MapEnv::from_pairs(&[("OPENAI_BASE_URL", "not a url")])).unwrap_err();
    assert_eq!(err.file, "environment");
    assert_eq!(err.path, "OPENAI_BASE_URL");
}

#[test]
fn debug_output_never_contains_secrets() {
    let yaml = r#"
auth:
  keys: [{ name: app, key: client-secret-1 }]
providers:
  myproxy:
    kind: openai
    api_base: "https://user:url-password@proxy.example.com/v1?key=query-secret"
    api_key: provider-secret-2
    headers: { Authorization: "Bearer header-secret-3" }
model_list:
  - model_name: m
    litellm_params: { model: openai/gpt-4o, api_key: deployment-secret-4 }
general_settings:
  master_key: master-secret-5
"#;
    let env = MapEnv::from_pairs(&[("OPENAI_API_KEY", "env-secret-6")]);
    let config = load(yaml, &env).unwrap();
    let debug = format!("{config:?}");
    for secret in [
        "client-secret-1",
        "url-password",
        "query-secret",
        "provider-secret-2",
        "header-secret-3",
        "deployment-secret-4",
        "master-secret-5",
        "env-secret-6",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    // The structure is still there to debug with.
    assert!(
        debug.contains("Authorization") && debug.contains("myproxy"),
        "{debug}"
    );
    assert!(!format!("{env:?}").contains("env-secret-6"));
}

#[test]
fn bad_url_is_an_error() {
    let err = load(
        "providers:\n  openai: { api_base: api.openai.com/v1 }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "providers.openai.api_base");
    assert!(err.fix.contains("http://"), "{err}");

    let yaml = "model_list:\n  - model_name: m\n    litellm_params: { model: openai/x, api_base: \"ftp://h/v1\" }\n";
    let err = load(yaml, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "model_list[0].litellm_params.api_base");
    assert!(err.problem.contains("not an http or https URL"), "{err}");
}

#[test]
fn server_section_is_checked() {
    let config = load(
        "server: { http: 9000, grpc: \"localhost:50052\", body_limit_mb: 4 }\n",
        &MapEnv::default(),
    )
    .unwrap();
    assert_eq!(config.server.http, addr("0.0.0.0:9000"));
    assert_eq!(config.server.grpc, addr("127.0.0.1:50052"));
    assert_eq!(config.server.body_limit_bytes, 4 * 1024 * 1024);

    let err = load("server: { body_limit_mb: 0 }\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "server.body_limit_mb");
    let err = load("server: { http: \"example.com:80\" }\n", &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "server.http");
}

#[test]
fn client_keys_are_checked() {
    let dup_names = "auth:\n  keys:\n    - { name: a, key: k1 }\n    - { name: a, key: k2 }\n";
    let err = load(dup_names, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "auth.keys[1].name");
    assert!(
        err.problem.contains("already used by auth.keys[0].name"),
        "{err}"
    );

    let dup_values = "auth:\n  keys:\n    - { name: a, key: sk-dup-value }\ngeneral_settings: { master_key: sk-dup-value }\n";
    let err = load(dup_values, &MapEnv::default()).unwrap_err();
    assert_eq!(err.path, "general_settings.master_key");
    assert!(err.problem.contains("same value as key a"), "{err}");
    assert!(!err.to_string().contains("sk-dup-value"), "{err}");

    let err = load(
        "auth:\n  keys:\n    - { name: a, key: \"  \" }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "auth.keys[0].key");

    let err = load(
        "auth:\n  keys:\n    - { name: a, key: k, models: [\"open*ai\"] }\n",
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "auth.keys[0].models[0]");
}

#[test]
fn notices_are_deduplicated_in_file_order() {
    let yaml = r#"
general_settings: { master_key: mk, store_model_in_db: true }
model_list:
  - model_name: a
    litellm_params: { model: bedrock/x }
  - model_name: b
    litellm_params: { model: openai/x, rpm: 1 }
model_info: { a: 1 }
litellm_settings:
"#;
    let config = load(yaml, &MapEnv::default()).unwrap();
    assert_eq!(
        config.notices,
        [
            "general_settings.store_model_in_db: ignored",
            "provider bedrock not supported; model_list[0] skipped",
            "model_info: parsed, not acted on yet (a)",
            "litellm_settings: parsed, not acted on yet",
        ]
    );
}
