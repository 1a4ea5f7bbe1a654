//! LiteLLM `general_settings` modelgate does not act on (`custom_auth`, the team-metadata
//! hooks, `pass_through_endpoints`, `otel`) are accepted and each is reported once: at
//! start-up in the log and by `check-config`, never silently dropped. `master_key` beside
//! them still works.

use crate::chat_client;
use crate::check_config_cli;
use crate::support;

use chat_client::get_status;
use check_config_cli::check_config;
use support::{Gateway, Mode, config_file, mock};

const MASTER: &str = "sk-notices-master-key";

const NOTICED: &[&str] = &[
    "custom_auth",
    "custom_team_metadata_validate",
    "team_metadata_validation_timeout",
    "team_metadata_validation_error_message",
    "reject_clientside_metadata_tags",
    "pass_through_endpoints",
    "otel",
];

fn config(api_base: &str) -> String {
    format!(
        "general_settings:
  master_key: {MASTER}
  custom_auth: custom_auth.user_api_key_auth
  custom_team_metadata_validate: custom_hooks.validate_team_metadata
  team_metadata_validation_timeout: 5
  team_metadata_validation_error_message: Team metadata is not valid
  reject_clientside_metadata_tags: true
  pass_through_endpoints:
    - path: /v1/rerank
      target: https://api.cohere.com/v1/rerank
      headers: {{ content-type: application/json }}
  otel: true
providers:
  mock: {{ kind: openai, api_base: \"{api_base}\", api_key: sk-up, models: [text] }}
"
    )
}

/// The lines of `text` that name `general_settings.KEY` (and not a longer key).
fn lines_naming<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let name = format!("general_settings.{key}:");
    text.lines().filter(|l| l.contains(&name)).collect()
}

#[test]
fn check_config_reports_each_unused_general_setting() {
    let out = check_config(&config("http://127.0.0.1:9/v1"), &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    for key in NOTICED {
        let lines = lines_naming(&out.stdout, key);
        assert_eq!(lines.len(), 1, "{key}: {lines:?}\n{}", out.stdout);
        assert!(lines[0].starts_with("warning: "), "{key}: {lines:?}");
    }
    assert!(
        lines_naming(&out.stdout, "master_key").is_empty(),
        "master_key is acted on: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  master: all models"),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_reports_each_unused_general_setting_once_at_start_up() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock.base_url()));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let log = gw.log();
    for key in NOTICED {
        let lines = lines_naming(&log, key);
        assert_eq!(lines.len(), 1, "{key}: {lines:?}\n{log}");
        assert!(lines[0].contains("WARN"), "{key}: {lines:?}");
    }
    // The settings it acts on still apply: the master key is the only client key.
    assert_eq!(get_status(&gw.http, "/v1/models").await, 401);
    let response = reqwest::Client::new()
        .get(gw.url("/v1/models"))
        .bearer_auth(MASTER)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
}
