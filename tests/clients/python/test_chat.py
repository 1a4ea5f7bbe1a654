"""Non-streamed chat completions: the answer equals the provider's recorded answer."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from gateway import LIMITED_KEY, Gateway, MockUpstream
from provider_fixtures import load_json
from sdk import make_client

TEXT = load_json("openai/chat-completion-text.json")


@pytest.mark.parametrize("model", ["mock/text", "gpt-4o-alias"])
def test_text_content_and_usage_equal_fixture(client: openai.OpenAI, model: str) -> None:
    completion = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == TEXT["choices"][0]["message"]["content"]
    assert completion.choices[0].finish_reason == TEXT["choices"][0]["finish_reason"]
    assert completion.usage is not None
    expected = TEXT["usage"]
    assert completion.usage.prompt_tokens == expected["prompt_tokens"]
    assert completion.usage.completion_tokens == expected["completion_tokens"]
    assert completion.usage.total_tokens == expected["total_tokens"]


def test_alias_reaches_upstream_as_its_deployment(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    client.chat.completions.create(model="gpt-4o-alias", messages=[{"role": "user", "content": marker}])
    assert mock.find_request(marker)["body"]["model"] == "text"


def test_limited_key_may_use_its_model(gateway: Gateway) -> None:
    # Positive control for the 403 test: the `limited` key works on the model it is granted.
    with make_client(gateway, LIMITED_KEY) as limited:
        completion = limited.chat.completions.create(model="mock/text", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == TEXT["choices"][0]["message"]["content"]


def test_reasoning_content_non_streamed(client: openai.OpenAI) -> None:
    recorded = load_json("openai-compatible/deepseek-chat-completion-reasoning-content.json")["choices"][0]["message"]
    completion = client.chat.completions.create(
        model="mock/deepseek-reasoner", messages=[{"role": "user", "content": "hi"}]
    )
    message = completion.choices[0].message
    assert message.content == recorded["content"]
    assert (message.model_extra or {}).get("reasoning_content") == recorded["reasoning_content"]


# A 1x1 PNG as LobeChat sends uploaded images: a data URI inside an image_url part.
PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="  # noqa: E501


def test_request_reaches_upstream_unchanged(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    content: Any = [
        {"type": "text", "text": marker},
        {"type": "image_url", "image_url": {"url": PNG_DATA_URI}},
    ]
    thinking = {"type": "enabled", "budget_tokens": 1024}
    client.chat.completions.create(
        model="mock/text",
        messages=[{"role": "user", "content": content}],
        temperature=0.3,
        max_tokens=64,
        user="user-42",
        extra_body={"thinking": thinking, "prompt_cache_key": "x"},
    )
    body = mock.find_request(marker)["body"]
    assert body["model"] == "text"
    assert body["messages"][0]["role"] == "user"
    assert body["messages"][0]["content"] == content
    # Fields the gateway does not model must pass through as sent (LobeChat sends several).
    assert body["thinking"] == thinking
    assert body["prompt_cache_key"] == "x"
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 64
    assert body["user"] == "user-42"


def test_history_roles_reach_upstream(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    messages: Any = [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": marker},
        {"role": "assistant", "content": "ok", "reasoning_content": "thought"},
        {"role": "user", "content": "again"},
    ]
    client.chat.completions.create(model="mock/text", messages=messages)
    sent = mock.find_request(marker)["body"]["messages"]
    assert [m["role"] for m in sent] == ["developer", "user", "assistant", "user"]
    assert [m["content"] for m in sent] == ["be brief", marker, "ok", "again"]
