"""LiteLLM's other routes, as its users' clients, probes and scripts call them: health probes,
`GET /health?model=`, `GET /model/info`, routes without `/v1`, and Azure OpenAI's
`/openai/deployments/{model}/…` paths through the SDK's `AzureOpenAI` client.

The gateway here has its own config (a group with one live and one unreachable deployment, a
header with a secret value, keys of their own), so the per-key health check limit never meets
another test's requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gateway import HTTP_TIMEOUT_S, PROVIDER_KEY, Gateway, MockUpstream, start_serve, start_split

KEY = "sk-litellm-routes"
LIMITED = "sk-litellm-limited"
PROBER = "sk-litellm-prober"
HEADER_SECRET = "hdr-secret-value-4321"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module", params=["serve", "split"])
def gw(request: pytest.FixtureRequest, mock: MockUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = {
        "auth": {
            "keys": [
                {"name": "routes", "key": KEY, "models": ["*"]},
                {"name": "limited", "key": LIMITED, "models": ["chat-alias", "mock/text"]},
                {"name": "prober", "key": PROBER, "models": ["*"]},
            ]
        },
        "providers": {
            "mock": {"kind": "openai", "api_base": f"{mock.url}/v1", "api_key": PROVIDER_KEY, "models": ["text"]},
        },
        "model_list": [
            {"model_name": "chat-alias", "litellm_params": {"model": "mock/text"}},
            {"model_name": "embed-alias", "litellm_params": {"model": "mock/text"}, "model_info": {"mode": "embedding"}},
            {
                "model_name": "checked",
                "litellm_params": {
                    "model": "mock/text",
                    "rpm": 60,
                    "extra_headers": {"x-team-token": HEADER_SECRET},
                },
                "model_info": {"id": "live"},
            },
            {
                "model_name": "checked",
                "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1", "api_key": PROVIDER_KEY},
                "model_info": {"id": "dead"},
            },
        ],
    }
    path = tmp_path_factory.mktemp(f"litellm-{request.param}") / "modelgate.yaml"
    path.write_text(json.dumps(config))
    gateway = start_serve(path) if request.param == "serve" else start_split(path)
    yield gateway
    gateway.stop()


def client(gw: Gateway, key: str | None = KEY) -> httpx.Client:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=gw.http_url, timeout=HTTP_TIMEOUT_S, headers=headers)


def upstream_calls(mock: MockUpstream) -> int:
    return len(mock.requests())


# ---- probes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health/liveliness", "/health/liveness", "/health"])
def test_liveness_probes_answer_without_a_key_or_an_upstream_call(gw: Gateway, mock: MockUpstream, path: str) -> None:
    before = upstream_calls(mock)
    with client(gw, None) as http:
        resp = http.get(path)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ok"}
    assert upstream_calls(mock) == before


def test_keyed_health_without_model_stays_cheap(gw: Gateway, mock: MockUpstream) -> None:
    before = upstream_calls(mock)
    with client(gw) as http:
        resp = http.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert upstream_calls(mock) == before


def test_readiness_probe_is_health_ready(gw: Gateway) -> None:
    with client(gw, None) as http:
        resp = http.get("/health/readiness")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ready"}


def test_health_of_a_model_reports_each_deployment_and_is_limited_per_key(gw: Gateway, mock: MockUpstream) -> None:
    before = upstream_calls(mock)
    with client(gw, PROBER) as http:
        resp = http.get("/health", params={"model": "checked"})
        assert resp.status_code == 200, resp.text
        report = resp.json()
        assert report["healthy_count"] == 1 and report["unhealthy_count"] == 1, report
        [live] = report["healthy_endpoints"]
        [dead] = report["unhealthy_endpoints"]
        assert live["model"] == "mock/text" and live["model_name"] == "checked"
        assert dead["model"] == "openai/gpt-4o-mini" and dead["error"]
        assert PROVIDER_KEY not in resp.text and HEADER_SECRET not in resp.text
        assert "api_key" not in resp.text
        # One small request reached the live deployment, and no more.
        assert upstream_calls(mock) == before + 1

        again = http.get("/health", params={"model": "checked"})
        assert again.status_code == 429, again.text
        assert again.json()["error"]["code"] == "rate_limit_exceeded"
        assert int(again.headers["retry-after"]) >= 1
        assert upstream_calls(mock) == before + 1


def test_health_of_a_model_needs_a_key_allowed_that_model(gw: Gateway, mock: MockUpstream) -> None:
    before = upstream_calls(mock)
    with client(gw, None) as http:
        resp = http.get("/health", params={"model": "checked"})
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"]["code"] == "invalid_api_key"
    with client(gw, LIMITED) as http:
        resp = http.get("/health", params={"model": "checked"})
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["code"] == "model_not_allowed"
    assert upstream_calls(mock) == before


# ---- /model/info ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/model/info", "/v1/model/info"])
def test_model_info_lists_deployments_without_secrets(gw: Gateway, path: str) -> None:
    with client(gw) as http:
        resp = http.get(path)
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert [d["model_name"] for d in data] == ["chat-alias", "embed-alias", "checked", "checked"]
    live, dead = data[2], data[3]
    assert live["litellm_params"]["model"] == "mock/text"
    assert live["litellm_params"]["rpm"] == 60
    assert live["model_info"]["id"] == "live"
    # From the built-in catalogue, under LiteLLM's names.
    assert dead["litellm_params"]["api_base"] == "http://127.0.0.1:9/v1"
    assert dead["model_info"]["max_input_tokens"] > 0
    assert dead["model_info"]["input_cost_per_token"] > 0
    assert data[1]["model_info"]["mode"] == "embedding"
    for secret in (PROVIDER_KEY, HEADER_SECRET, "api_key"):
        assert secret not in resp.text


def test_model_info_shows_a_key_only_its_models(gw: Gateway) -> None:
    with client(gw, LIMITED) as http:
        resp = http.get("/model/info")
    assert resp.status_code == 200, resp.text
    assert [d["model_name"] for d in resp.json()["data"]] == ["chat-alias"]
    with client(gw, None) as http:
        resp = http.get("/model/info")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_api_key"


# ---- routes without /v1 ---------------------------------------------------------------------


def test_sdk_with_a_base_url_without_v1(gw: Gateway, mock: MockUpstream) -> None:
    with openai.OpenAI(base_url=gw.http_url, api_key=KEY, max_retries=0, timeout=HTTP_TIMEOUT_S) as sdk:
        assert "chat-alias" in [m.id for m in sdk.models.list()]
        assert sdk.models.retrieve("mock/text").id == "mock/text"
        marker = f"no-v1-chat-marker-{gw.mode}"
        answer = sdk.chat.completions.create(model="chat-alias", messages=[{"role": "user", "content": marker}])
        assert answer.choices[0].message.content
        assert mock.find_request(marker)["body"]["model"] == "text"
        vectors = sdk.embeddings.create(model="mock/text", input="hello", encoding_format="float")
        assert len(vectors.data[0].embedding) > 0


# ---- Azure OpenAI paths ---------------------------------------------------------------------


def azure(gw: Gateway, key: str = KEY) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=gw.http_url, api_key=key, api_version="2024-10-21", max_retries=0, timeout=HTTP_TIMEOUT_S
    )


def test_azure_sdk_chat_and_embeddings(gw: Gateway, mock: MockUpstream) -> None:
    with azure(gw) as sdk:
        for stream in (False, True):
            marker = f"azure-chat-marker-{gw.mode}-{stream}"
            result = sdk.chat.completions.create(
                model="chat-alias", messages=[{"role": "user", "content": marker}], stream=stream
            )
            if stream:
                text = "".join(c.choices[0].delta.content or "" for c in result if c.choices)  # type: ignore[union-attr]
            else:
                text = result.choices[0].message.content  # type: ignore[union-attr]
            assert text
            assert mock.find_request(marker)["body"]["model"] == "text"
        marker = f"azure-embed-marker-{gw.mode}"
        vectors = sdk.embeddings.create(model="embed-alias", input=[marker], encoding_format="float")
        assert len(vectors.data[0].embedding) > 0
        assert mock.find_request(marker)["body"]["model"] == "text"


def test_azure_path_model_wins_over_the_body(gw: Gateway, mock: MockUpstream) -> None:
    marker = f"azure-path-wins-{gw.mode}"
    with client(gw, None) as http:
        resp = http.post(
            "/openai/deployments/chat-alias/chat/completions",
            params={"api-version": "2024-10-21"},
            headers={"api-key": KEY},
            json={"model": "nope/not-a-model", "messages": [{"role": "user", "content": marker}]},
        )
    assert resp.status_code == 200, resp.text
    assert mock.find_request(marker)["body"]["model"] == "text"


def test_azure_paths_run_the_same_checks(gw: Gateway, mock: MockUpstream) -> None:
    before = upstream_calls(mock)
    body = {"messages": HI}
    with client(gw, None) as http:
        # No key: refused before the body is read.
        resp = http.post("/openai/deployments/chat-alias/chat/completions", json=body)
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"]["code"] == "invalid_api_key"
        # A model this key may not use.
        resp = http.post("/openai/deployments/checked/chat/completions", headers={"api-key": LIMITED}, json=body)
        assert resp.status_code == 403, resp.text
        assert resp.json()["error"]["code"] == "model_not_allowed"
        # An unknown model, OpenAI-shaped.
        resp = http.post("/openai/deployments/no-such-model/embeddings", headers={"api-key": KEY}, json={"input": "x"})
        assert resp.status_code == 404, resp.text
        assert resp.json()["error"]["code"] == "model_not_found"
        # A model name over the length limit.
        resp = http.post(f"/openai/deployments/{'a' * 5000}/chat/completions", headers={"api-key": KEY}, json=body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["param"] == "model"
        # A deployment name whose percent-encoding is not UTF-8: OpenAI-shaped too.
        resp = http.post("/openai/deployments/%FF/chat/completions", headers={"api-key": KEY}, json=body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["param"] == "model"
    assert upstream_calls(mock) == before


def test_routes_are_in_the_key_check_before_the_body(gw: Gateway) -> None:
    # A large body without a key is answered 401 from the headers alone.
    big = b"x" * (8 * 1024 * 1024)
    with client(gw, None) as http:
        for path in ("/chat/completions", "/embeddings", "/openai/deployments/chat-alias/chat/completions"):
            resp = http.post(path, content=big, headers={"content-type": "application/json"})
            assert resp.status_code == 401, (path, resp.text)
            assert resp.json()["error"]["code"] == "invalid_api_key"
