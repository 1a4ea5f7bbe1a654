"""Errors: real HTTP statuses, OpenAI's error shape, and the SDK's matching exception classes."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from gateway import LIMITED_KEY, Gateway
from provider_fixtures import load_json
from sdk import make_client

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def assert_error_shape(body: Any) -> dict[str, Any]:
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error = body["error"]
    assert isinstance(error.get("message"), str) and error["message"], error
    for key in ("type", "param", "code"):
        assert key in error, f"error lacks {key!r}: {error}"
    return error


def chat(c: openai.OpenAI, model: str, stream: bool = False) -> None:
    result = c.chat.completions.create(model=model, messages=HI, stream=stream)
    if isinstance(result, openai.Stream):
        for _ in result:
            pass


@pytest.mark.parametrize("api_key", [None, "sk-wrong-key"], ids=["no-key", "wrong-key"])
def test_bad_key_is_401(gateway: Gateway, api_key: str | None) -> None:
    with make_client(gateway, api_key) as c, pytest.raises(openai.AuthenticationError) as info:
        chat(c, "mock/text")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert_error_shape(info.value.response.json())


def test_bad_key_on_models_is_401(gateway: Gateway) -> None:
    with make_client(gateway, "sk-wrong-key") as c, pytest.raises(openai.AuthenticationError):
        c.models.list()


def test_key_not_allowed_model_is_403(gateway: Gateway) -> None:
    with make_client(gateway, LIMITED_KEY) as c, pytest.raises(openai.PermissionDeniedError) as info:
        chat(c, "mock/tools")
    assert info.value.status_code == 403
    assert_error_shape(info.value.response.json())


@pytest.mark.parametrize("model", ["nope/x", "unknown-alias"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_unknown_model_is_404(client: openai.OpenAI, model: str, stream: bool) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        chat(client, model, stream)
    assert info.value.status_code == 404
    assert info.value.code == "model_not_found"
    assert_error_shape(info.value.response.json())


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_upstream_429_is_429(client: openai.OpenAI, stream: bool) -> None:
    # Before the first byte the gateway can still answer with the real status, streaming or not.
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, "mock/error-429", stream)
    assert info.value.status_code == 429
    assert_error_shape(info.value.response.json())


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_upstream_500_is_502_or_503(client: openai.OpenAI, stream: bool) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        chat(client, "mock/error-500", stream)
    assert info.value.status_code in (502, 503), info.value.status_code
    assert_error_shape(info.value.response.json())


def test_upstream_400_passes_through(client: openai.OpenAI) -> None:
    recorded = load_json("openai/error-400-unsupported-parameter.json")["error"]
    with pytest.raises(openai.BadRequestError) as info:
        chat(client, "mock/error-400")
    assert info.value.status_code == 400
    error = assert_error_shape(info.value.response.json())
    assert error["type"] == recorded["type"]
    assert error["code"] == recorded["code"]
    assert error["param"] == recorded["param"]


def test_upstream_404_is_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        chat(client, "mock/error-404")
    assert info.value.code == "model_not_found"


def test_malformed_json_is_400(http: httpx.Client) -> None:
    resp = http.post(
        "/v1/chat/completions",
        content=b'{"model": "mock/text", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 400, resp.text
    error = assert_error_shape(resp.json())
    assert error["type"] == "invalid_request_error"


def test_missing_messages_is_400_with_param(http: httpx.Client) -> None:
    resp = http.post("/v1/chat/completions", json={"model": "mock/text"})
    assert resp.status_code == 400, resp.text
    error = assert_error_shape(resp.json())
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "messages"


def test_unknown_role_is_400_with_param(http: httpx.Client) -> None:
    resp = http.post(
        "/v1/chat/completions", json={"model": "mock/text", "messages": [{"role": "robot", "content": "x"}]}
    )
    assert resp.status_code == 400, resp.text
    error = assert_error_shape(resp.json())
    assert error["param"] == "messages[0].role"


def test_unknown_route_is_404(http: httpx.Client) -> None:
    resp = http.get("/v1/definitely-not-a-route")
    assert resp.status_code == 404
