//! The debugging headers (`x-modelgate-provider`, `-deployment`, `-attempts`) on embeddings
//! answers and errors, as on chat, over HTTP in both modes (in split mode they cross from the
//! core as gRPC metadata) and as gRPC response metadata of `Embed`.

use crate::grpc_client;
use crate::support;

use modelgate::v1::EmbedRequest;
use serde_json::{Value, json};
use support::{Gateway, Mode, config_file, mock};

const KEY: &str = "sk-debug-headers-test";

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn debug_headers(headers: &reqwest::header::HeaderMap) -> [Option<&str>; 3] {
    [
        header(headers, "x-modelgate-provider"),
        header(headers, "x-modelgate-deployment"),
        header(headers, "x-modelgate-attempts"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn embeddings_answers_and_errors_carry_the_debug_headers() {
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: tests, key: {KEY} }}\n\
         providers:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up-0123456789, models: [text, emb, missing] }}\n\
         model_list:\n  - model_name: embed-eu\n    litellm_params: {{ model: mock/emb }}\n    model_info: {{ id: emb-eu-1 }}\n",
        mock.base_url()
    ));
    let client = reqwest::Client::new();
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let post = |route: &str, body: Value| {
            client
                .post(gw.url(route))
                .bearer_auth(KEY)
                .json(&body)
                .send()
        };

        let resp = post(
            "/v1/embeddings",
            json!({"model": "embed-eu", "input": "hello"}),
        )
        .await
        .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(
            debug_headers(resp.headers()),
            [Some("mock"), Some("emb-eu-1"), Some("1")],
            "{mode:?}: {:?}",
            resp.headers()
        );
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["object"], "list", "{mode:?}: {body}");

        // The mock answers the `missing` embeddings model with its recorded 404.
        let resp = post(
            "/v1/embeddings",
            json!({"model": "mock/missing", "input": "hello"}),
        )
        .await
        .expect("answers");
        assert_eq!(resp.status(), 404, "{mode:?}");
        assert_eq!(
            debug_headers(resp.headers()),
            [Some("mock"), Some("mock/missing"), Some("1")],
            "{mode:?}: {:?}",
            resp.headers()
        );

        // The same headers as on chat.
        let resp = post(
            "/v1/chat/completions",
            json!({"model": "mock/text", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
        .expect("answers");
        assert_eq!(resp.status(), 200, "{mode:?}");
        assert_eq!(
            debug_headers(resp.headers()),
            [Some("mock"), Some("mock/text"), Some("1")],
            "{mode:?}: {:?}",
            resp.headers()
        );

        // gRPC: the same values as response metadata.
        let mut grpc = grpc_client::connect(&gw.grpc).await;
        let request = grpc_client::keyed(
            EmbedRequest {
                model: "embed-eu".to_owned(),
                input: vec!["hello".to_owned()],
                ..Default::default()
            },
            KEY,
        );
        let response = grpc.embed(request).await.expect("embed over grpc");
        let meta = response.metadata();
        let value = |name: &str| meta.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(
            [
                value("x-modelgate-provider"),
                value("x-modelgate-deployment"),
                value("x-modelgate-attempts"),
            ],
            [Some("mock"), Some("emb-eu-1"), Some("1")],
            "{mode:?}: {meta:?}"
        );
    }
}
