"""Keys: the provider key never reaches clients or logs; the client key never reaches providers."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from gateway import CLIENT_KEY, LIMITED_KEY, PROVIDER_KEY, Gateway, MockUpstream, header

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]

# Every kind of answer the gateway gives, including upstream errors whose bodies might be relayed.
CHAT_SCENARIOS = [
    "text",
    "tools",
    "error-400",
    "error-401",
    "error-404",
    "error-429",
    "error-500",
    "error-503-html",
    "error-in-200",
    "garbage",
    "reset",
]


def test_upstream_gets_provider_key_not_client_key(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    for stream in (False, True):
        tag = f"{marker}-{stream}"
        result = client.chat.completions.create(
            model="mock/text", messages=[{"role": "user", "content": tag}], stream=stream
        )
        if stream:
            for _ in result:  # type: ignore[union-attr]
                pass
        record = mock.find_request(tag)
        assert header(record, "authorization") == f"Bearer {PROVIDER_KEY}"
        assert CLIENT_KEY not in json.dumps(record), "the client key reached the provider"


def test_embeddings_upstream_gets_provider_key(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    client.embeddings.create(model="mock/text", input=marker, encoding_format="float")
    record = mock.find_request(marker)
    assert header(record, "authorization") == f"Bearer {PROVIDER_KEY}"
    assert CLIENT_KEY not in json.dumps(record)


def _assert_clean(resp: httpx.Response, body: bytes, what: str) -> None:
    text = body.decode(errors="replace")
    assert PROVIDER_KEY not in text, f"{what}: provider key in response body: {text[:300]}"
    for name, value in resp.headers.items():
        assert PROVIDER_KEY not in value, f"{what}: provider key in header {name}"


@pytest.mark.parametrize("scenario", CHAT_SCENARIOS)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_no_provider_key_in_chat_responses(http: httpx.Client, scenario: str, stream: bool) -> None:
    body = {"model": f"mock/{scenario}", "messages": HI, "stream": stream}
    with http.stream("POST", "/v1/chat/completions", json=body) as resp:
        _assert_clean(resp, resp.read(), f"{scenario} stream={stream}")


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/v1/models", None),
        ("GET", "/v1/models/mock/text", None),
        ("GET", "/health", None),
        ("GET", "/health/ready", None),
        ("GET", "/metrics", None),
        ("POST", "/v1/embeddings", {"model": "mock/text", "input": "x"}),
        ("POST", "/v1/embeddings", {"model": "mock/missing", "input": "x"}),
    ],
)
def test_no_provider_key_in_other_responses(http: httpx.Client, method: str, path: str, body: object) -> None:
    resp = http.request(method, path, json=body)
    _assert_clean(resp, resp.content, f"{method} {path}")


def test_no_key_in_gateway_logs(gateway: Gateway, http: httpx.Client) -> None:
    # Make the gateway handle both keys and an upstream auth failure, then read everything it logged.
    for key in (CLIENT_KEY, LIMITED_KEY, "sk-wrong-key"):
        for model in ("mock/text", "mock/error-401"):
            http.post(
                "/v1/chat/completions",
                json={"model": model, "messages": HI},
                headers={"authorization": f"Bearer {key}"},
            )
    logs = gateway.logs()
    # Guard against passing vacuously: the design's one-line-per-request log must be there.
    assert "mock/error-401" in logs, "no request log line captured from the gateway's output"
    for secret in (PROVIDER_KEY, CLIENT_KEY, LIMITED_KEY):
        assert secret not in logs, f"{secret[:6]}… appears in the gateway's logs"
