//! `GET /health?model=NAME` (LiteLLM's per-deployment report) checks at most 8 deployments of
//! the model, and gives each check 10 s.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Gateway, Mode, config_file, mock};

// One health check per key every 10 s: each check below uses its own key.
const MANY_KEY: &str = "sk-health-limits-many";
const STUCK_KEY: &str = "sk-health-limits-stuck";

async fn health(gw: &Gateway, key: &str, model: &str) -> Value {
    let response = reqwest::Client::new()
        .get(gw.url(&format!("/health?model={model}")))
        .bearer_auth(key)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{model}");
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_8_deployments_are_checked_and_each_for_at_most_10_s() {
    let mock = mock().await;
    // Ten deployments that answer, each under its own upstream name; one that never answers.
    let many: String = (0..10)
        .map(|i| {
            format!(
                "  - model_name: many\n    litellm_params: {{ model: mock/slow-first-1-d{i} }}\n"
            )
        })
        .collect();
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: many, key: {MANY_KEY} }}\n    - {{ name: stuck, key: {STUCK_KEY} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789 }}\n\
         model_list:\n{many}  - model_name: stuck\n    litellm_params: {{ model: mock/hang }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;

    mock.clear();
    let report = health(&gw, MANY_KEY, "many").await;
    let checked: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| r.body["model"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(checked.len(), 8, "{checked:?}");
    let distinct: std::collections::HashSet<&String> = checked.iter().collect();
    assert_eq!(distinct.len(), 8, "one request per deployment: {checked:?}");
    assert_eq!(report["healthy_count"], 8, "{report}");

    mock.clear();
    let started = Instant::now();
    let report = health(&gw, STUCK_KEY, "stuck").await;
    let took = started.elapsed();
    assert_eq!(report["healthy_count"], 0, "{report}");
    assert_eq!(report["unhealthy_count"], 1, "{report}");
    assert_eq!(mock.requests().len(), 1);
    assert!(
        took >= Duration::from_millis(9_500) && took < Duration::from_secs(15),
        "the stuck deployment's check ended after {took:?}, not about 10 s"
    );
}
