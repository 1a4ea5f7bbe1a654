//! A provider's `headers` (also spelt `extra_headers`) and a `model_list` entry's
//! `litellm_params.extra_headers` are sent upstream with chat and embeddings requests, each
//! only to its own provider.

use crate::support;

use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-upstream-headers-test";

/// Header names and values one provider sends.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[tokio::test(flavor = "multi_thread")]
async fn configured_headers_reach_the_upstream_on_chat_and_embeddings() {
    let mock = mock().await;
    let base = mock.base_url();
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n\
         \x20 mock: {{ kind: openai, api_base: \"{base}\", api_key: sk-up-0123456789, models: [text, emb], headers: {{ x-team: blue-team, X-Tenant-Id: tenant-42 }} }}\n\
         \x20 other: {{ kind: openai, api_base: \"{base}\", models: [text, emb], extra_headers: {{ x-other: via-extra-headers }} }}\n\
         model_list:\n\
         \x20 - model_name: deploy-chat\n    litellm_params: {{ model: openai/text, api_base: \"{base}\", api_key: sk-up-0123456789, extra_headers: {{ x-deploy: eu-west-1 }} }}\n\
         \x20 - model_name: deploy-emb\n    litellm_params: {{ model: openai/emb, api_base: \"{base}\", api_key: sk-up-0123456789, extra_headers: {{ x-deploy: eu-west-1 }} }}\n"
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[]).await;
    let client = reqwest::Client::new();
    let mock_headers: Headers = &[("x-team", "blue-team"), ("x-tenant-id", "tenant-42")];
    let other_headers: Headers = &[("x-other", "via-extra-headers")];
    let deploy_headers: Headers = &[("x-deploy", "eu-west-1")];
    let cases: [(&str, &str, Headers); 6] = [
        ("/v1/chat/completions", "mock/text", mock_headers),
        ("/v1/embeddings", "mock/emb", mock_headers),
        ("/v1/chat/completions", "other/text", other_headers),
        ("/v1/embeddings", "other/emb", other_headers),
        ("/v1/chat/completions", "deploy-chat", deploy_headers),
        ("/v1/embeddings", "deploy-emb", deploy_headers),
    ];
    let every = [mock_headers, other_headers, deploy_headers].concat();
    for (route, model, wanted) in cases {
        mock.clear();
        let body = if route.ends_with("embeddings") {
            json!({"model": model, "input": "hello"})
        } else {
            json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
        };
        let resp = client
            .post(gw.url(route))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .expect("answers");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{route} {model}: {text}");
        let sent = mock.requests();
        assert_eq!(sent.len(), 1, "{route} {model}: {sent:?}");
        let headers = &sent[0].headers;
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        for (name, expected) in wanted {
            assert_eq!(value(name), Some(*expected), "{route} {model}: {headers:?}");
        }
        // Another provider's headers stay with it.
        for (name, _) in every.iter().filter(|h| !wanted.contains(h)) {
            assert_eq!(value(name), None, "{route} {model}: {headers:?}");
        }
        let _: Value = serde_json::from_str(&text).expect("json answer");
    }
}
