//! Every LiteLLM setting the README's "Coming from LiteLLM" table lists as accepted but not
//! acted on (or not applicable) gets its notice, exactly once: printed by `check-config` and
//! logged as a warning when `serve` starts. The `bedrock/` entry carrying the AWS and S3 keys is
//! skipped with its own notice, and its unset `os.environ/` variables are not an error.

use crate::check_config_cli;
use crate::support;

use check_config_cli::check_config;
use support::{Gateway, Mode, config_file, mock};

const MASTER: &str = "sk-litellm-notices-master";

/// One config holding every such setting of the README's table, in LiteLLM's own spelling.
fn config(api_base: &str) -> String {
    format!(
        "model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_base: \"{api_base}\"
      api_key: sk-litellm-notices-upstream
      temperature: 0.2
      max_tokens: 100
      input_cost_per_token: 0.000001
      tags: [eu]
      region_name: eu-west-1
      adaptive_router_config: {{ mode: cheap }}
  - model_name: batch
    litellm_params:
      model: bedrock/anthropic.claude-3-sonnet
      aws_region_name: us-east-1
      s3_bucket_name: my-bucket
      s3_region_name: us-east-1
      s3_access_key_id: os.environ/UNSET_S3_ACCESS_KEY_ID
      s3_secret_access_key: os.environ/UNSET_S3_SECRET_ACCESS_KEY
      aws_batch_role_arn: arn:aws:iam::123456789012:role/batch
general_settings:
  master_key: {MASTER}
  background_health_checks: true
  health_check_interval: 300
  database_url: postgresql://user:pass@db:5432/litellm
  store_model_in_db: true
  disable_prisma_schema_update: true
  use_redis_transaction_buffer: true
  coordination_redis: {{ host: redis }}
litellm_settings:
  drop_params: true
  set_verbose: false
  num_retries: 3
  request_timeout: 600
  context_window_fallbacks: [{{ gpt: [gpt] }}]
  cache: true
  callbacks: [prometheus]
  success_callback: [langfuse]
  failure_callback: [langfuse]
  default_team_settings: []
  websearch_interception_params: {{ enabled_providers: [] }}
  code_interpreter_interception_params: {{ enabled: false }}
  include_cost_in_streaming_usage: true
  disable_end_user_cost_tracking_prometheus_only: true
  require_auth_for_metrics_endpoint: false
router_settings:
  routing_strategy: usage-based-routing-v2
  redis_host: redis
  enable_tag_filtering: true
guardrails: []
policies: {{}}
policy_attachments: []
search_tools: []
sandbox_tools: []
files_settings: []
finetune_settings: {{}}
callback_settings: {{}}
credential_list: []
mcp_servers: {{}}
mcp_tools: []
prompts: []
vector_store_registry: []
assistant_settings: {{}}
agents: []
worker_registry: {{}}
"
    )
}

/// (what the README names, the notice it gets). One row per setting of the README's table.
fn rows() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for param in [
        "temperature",
        "max_tokens",
        "input_cost_per_token",
        "tags",
        "region_name",
        "adaptive_router_config",
    ] {
        rows.push((
            format!("litellm_params.{param}"),
            format!("model_list[0].litellm_params.{param}: accepted, not acted on yet"),
        ));
    }
    for key in [
        "background_health_checks",
        "health_check_interval",
        "database_url",
        "store_model_in_db",
        "disable_prisma_schema_update",
        "use_redis_transaction_buffer",
        "coordination_redis",
    ] {
        rows.push((
            format!("general_settings.{key}"),
            format!("general_settings.{key}: ignored"),
        ));
    }
    // litellm_settings: one notice listing every key, in file order.
    rows.push((
        "litellm_settings".into(),
        "litellm_settings: parsed, not acted on yet (drop_params, set_verbose, num_retries, \
         request_timeout, context_window_fallbacks, cache, callbacks, success_callback, \
         failure_callback, default_team_settings, websearch_interception_params, \
         code_interpreter_interception_params, include_cost_in_streaming_usage, \
         disable_end_user_cost_tracking_prometheus_only, require_auth_for_metrics_endpoint)"
            .into(),
    ));
    rows.push((
        "router_settings.routing_strategy usage-based-routing-v2".into(),
        "router_settings.routing_strategy: `usage-based-routing-v2` not supported; \
         simple-shuffle is used"
            .into(),
    ));
    for key in ["redis_host", "enable_tag_filtering"] {
        rows.push((
            format!("router_settings.{key}"),
            format!("router_settings.{key}: accepted, not acted on yet"),
        ));
    }
    for section in [
        "guardrails",
        "policies",
        "policy_attachments",
        "search_tools",
        "sandbox_tools",
        "files_settings",
        "finetune_settings",
        "callback_settings",
        "credential_list",
        "mcp_servers",
        "mcp_tools",
        "prompts",
        "vector_store_registry",
        "assistant_settings",
        "agents",
        "worker_registry",
    ] {
        rows.push((
            section.into(),
            format!("{section}: parsed, not acted on yet"),
        ));
    }
    // aws_region_name, s3_*, aws_batch_role_arn: only on bedrock/ entries, which are skipped.
    rows.push((
        "bedrock/ entry (aws_region_name, s3_*, aws_batch_role_arn)".into(),
        "provider bedrock not supported; model_list[1] skipped".into(),
    ));
    rows
}

/// The lines of `text` that end with `notice` (a log line carries fields after it, so for the
/// log the notice must be followed by a space or the end of the line).
fn lines_with<'a>(text: &'a str, notice: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.find(notice).is_some_and(|at| {
                let rest = &l[at + notice.len()..];
                rest.is_empty() || rest.starts_with(' ')
            })
        })
        .collect()
}

#[test]
fn check_config_prints_a_notice_for_every_setting_not_acted_on() {
    let out = check_config(&config("http://127.0.0.1:9/v1"), &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    for (setting, notice) in rows() {
        let lines = lines_with(&out.stdout, &notice);
        assert_eq!(
            lines,
            vec![format!("warning: {notice}")],
            "{setting}: want exactly one notice\n{}",
            out.stdout
        );
    }
    // The AWS and S3 keys themselves are never reported: their entry is skipped whole.
    for key in ["aws_region_name", "s3_", "aws_batch_role_arn", "UNSET_S3"] {
        assert!(!out.stdout.contains(key), "{key}: {}", out.stdout);
    }
    assert!(
        out.stdout.contains("  gpt -> openai/gpt-4o"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("  batch -> "), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_logs_each_notice_once_at_start_up_and_serves_the_alias() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock.base_url()));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let log = gw.log();
    for (setting, notice) in rows() {
        let lines = lines_with(&log, &notice);
        assert_eq!(lines.len(), 1, "{setting}: {lines:?}\n{log}");
        assert!(lines[0].contains("WARN"), "{setting}: {lines:?}");
    }
    // Accepted, not acted on: the request the client sent goes upstream unchanged (no
    // `temperature: 0.2` or `max_tokens: 100` added from litellm_params).
    let response = reqwest::Client::new()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(MASTER)
        .json(&serde_json::json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].body["model"], "gpt-4o");
    assert!(
        requests[0].body.get("temperature").is_none(),
        "{requests:?}"
    );
    assert!(requests[0].body.get("max_tokens").is_none(), "{requests:?}");
}
