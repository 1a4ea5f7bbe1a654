//! `/openapi.json` served by the binary is an OpenAPI 3.1 document (what Swagger UI and the
//! README's "generated from the route definitions" promise), in both modes.

use crate::support;

use support::{Gateway, Mode, config_file, mock};

#[tokio::test(flavor = "multi_thread")]
async fn openapi_json_is_version_3_1() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: sk-openapi-version-key }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text] }}\n",
        mock.base_url()
    ));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let response = reqwest::get(gw.url("/openapi.json"))
            .await
            .expect("answers");
        assert_eq!(response.status(), 200, "{mode:?}");
        let doc: serde_json::Value = response.json().await.expect("JSON");
        let version = doc["openapi"].as_str().unwrap_or_default();
        let parts: Vec<&str> = version.split('.').collect();
        assert!(
            parts.len() == 3
                && parts[0] == "3"
                && parts[1] == "1"
                && parts[2].parse::<u32>().is_ok(),
            "{mode:?}: openapi is {version:?}, not 3.1.x"
        );
        for path in ["/v1/chat/completions", "/v1/models", "/v1/embeddings"] {
            assert!(doc["paths"][path].is_object(), "{mode:?}: {path} missing");
        }
    }
}
