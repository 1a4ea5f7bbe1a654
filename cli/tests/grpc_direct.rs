//! A gRPC client calling the core directly, as internal services do: `Authenticate` answers
//! from the key table without any upstream call, and `ListModelsResponse.metadata` holds the
//! catalogue and `model_info` data keyed by model id. Both modes: `serve`'s gRPC port and
//! `modelgate core`.

use crate::grpc_client;
use crate::support;

use mock_upstream::MockUpstream;
use modelgate::v1::gateway_client::GatewayClient;
use modelgate::v1::{AuthenticateRequest, ListModelsRequest};
use support::{Gateway, Mode, config_file, mock};
use tonic::transport::Channel;

const KEY: &str = "sk-grpc-direct-client-key";

fn config(mock: &MockUpstream) -> String {
    format!(
        r#"auth:
  keys:
    - {{ name: internal-service, key: {KEY} }}
providers:
  mock: {{ kind: openai, api_base: "{base}", api_key: sk-grpc-direct-upstream, models: [gpt-4o-mini, house-model] }}
  discovered: {{ kind: openai, api_base: "{base}", api_key: sk-grpc-direct-upstream }}
model_list:
  - model_name: chat-default
    litellm_params: {{ model: mock/gpt-4o-mini }}
    model_info: {{ displayName: "Default chat", max_output_tokens: 1024 }}
"#,
        base = mock.base_url()
    )
}

fn request<T>(message: T, key: Option<&str>) -> tonic::Request<T> {
    match key {
        Some(key) => grpc_client::keyed(message, key),
        None => tonic::Request::new(message),
    }
}

async fn client(gw: &Gateway) -> GatewayClient<Channel> {
    grpc_client::connect(&gw.grpc).await
}

#[tokio::test(flavor = "multi_thread")]
async fn authenticate_never_reaches_a_provider() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let mut grpc = client(&gw).await;
        mock.clear();
        for _ in 0..3 {
            let answer = grpc
                .authenticate(request(AuthenticateRequest {}, Some(KEY)))
                .await
                .expect("the key is accepted");
            assert_eq!(answer.into_inner().key_name, "internal-service");
        }
        let refused = grpc
            .authenticate(request(
                AuthenticateRequest {},
                Some("sk-not-a-configured-key"),
            ))
            .await
            .expect_err("an unknown key is refused");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{mode:?}");
        let refused = grpc
            .authenticate(request(AuthenticateRequest {}, None))
            .await
            .expect_err("no key is refused");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{mode:?}");
        assert!(
            mock.requests().is_empty(),
            "{mode:?}: Authenticate reached the upstream: {:?}",
            mock.requests()
        );

        // The same client's ListModels does reach the provider without a `models` list (so the
        // mock would have seen a call Authenticate made).
        grpc.list_models(request(ListModelsRequest {}, Some(KEY)))
            .await
            .expect("ListModels answers");
        let requests = mock.requests();
        assert!(
            requests.iter().any(|r| r.path == "/v1/models"),
            "{mode:?}: {requests:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_models_metadata_is_keyed_by_model_id() {
    let mock = mock().await;
    let (_dir, file) = config_file(&config(&mock));
    for mode in [Mode::Serve, Mode::Split] {
        let gw = Gateway::start(mode, &file, &[]).await;
        let mut grpc = client(&gw).await;
        let list = grpc
            .list_models(request(ListModelsRequest {}, Some(KEY)))
            .await
            .expect("ListModels answers")
            .into_inner();
        let ids: Vec<&str> = list.models.iter().map(|m| m.id.as_str()).collect();
        for id in ["chat-default", "mock/gpt-4o-mini", "mock/house-model"] {
            assert!(ids.contains(&id), "{mode:?}: {id} not in {ids:?}");
        }
        // Every metadata key names a listed model.
        for id in list.metadata.keys() {
            assert!(ids.contains(&id.as_str()), "{mode:?}: {id} not listed");
        }

        let mini = list
            .metadata
            .get("mock/gpt-4o-mini")
            .unwrap_or_else(|| panic!("{mode:?}: no metadata for mock/gpt-4o-mini"));
        assert_eq!(mini.context_window_tokens, Some(128_000), "{mode:?}");
        assert_eq!(mini.max_output, Some(16_384), "{mode:?}");
        assert_eq!(mini.function_call, Some(true), "{mode:?}");
        assert_eq!(mini.vision, Some(true), "{mode:?}");
        assert_eq!(mini.r#type.as_deref(), Some("chat"), "{mode:?}");
        let pricing = mini.pricing.as_ref().expect("catalogue pricing");
        assert_eq!(pricing.input, Some(0.15), "{mode:?}");
        assert_eq!(pricing.output, Some(0.6), "{mode:?}");
        assert_eq!(mini.enabled, Some(true), "{mode:?}");

        let alias = list
            .metadata
            .get("chat-default")
            .unwrap_or_else(|| panic!("{mode:?}: no metadata for chat-default"));
        assert_eq!(alias.display_name.as_deref(), Some("Default chat"));
        assert_eq!(alias.max_output, Some(1024), "model_info overrides");
        assert_eq!(
            alias.context_window_tokens,
            Some(128_000),
            "the catalogue fills the rest"
        );

        // Unknown to the catalogue: only `enabled`, nothing made up.
        let house = list
            .metadata
            .get("mock/house-model")
            .unwrap_or_else(|| panic!("{mode:?}: no metadata for mock/house-model"));
        assert_eq!(house.context_window_tokens, None, "{mode:?}");
        assert_eq!(house.display_name, None, "{mode:?}");
        assert_eq!(house.enabled, Some(true), "{mode:?}");
    }
}
