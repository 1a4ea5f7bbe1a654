"""One OpenAI SDK script, every provider type: the same calls through the facade must yield the
text, tool calls, reasoning and usage each provider's recorded stream holds."""

from __future__ import annotations

import json

import openai
import pytest

from test_grpc import HI, Api, api  # noqa: F401  (the reflection-built gRPC client fixture)
from native_fixtures import REASONING_MODELS, TEXT, TOOLS

PROVIDERS = ["mock", "anthropic", "gemini", "ollama", "azure"]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a place",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_text_and_usage(client: openai.OpenAI, provider: str) -> None:
    want = TEXT[provider]()
    stream = client.chat.completions.create(
        model=f"{provider}/text",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
    assert text == want.text
    assert finish == "stop"
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (want.prompt_tokens, want.completion_tokens)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_tool_call(client: openai.OpenAI, provider: str) -> None:
    want = TOOLS[provider]()
    stream = client.chat.completions.create(
        model=f"{provider}/tools",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            assert delta.function is not None, "every tool-call delta carries `function`"
            call["id"] += delta.id or ""
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""
    assert finish == "tool_calls"
    first = calls[min(calls)]
    assert first["id"], "a tool call id"
    assert first["name"] == want.name
    assert json.loads(first["arguments"]) == want.arguments


@pytest.mark.parametrize("provider", sorted(REASONING_MODELS))
def test_reasoning_comes_apart_from_content(client: openai.OpenAI, provider: str) -> None:
    stream = client.chat.completions.create(
        model=f"{provider}/{REASONING_MODELS[provider]}",
        messages=[{"role": "user", "content": "think first"}],
        stream=True,
    )
    reasoning, content = "", ""
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        r = (delta.model_extra or {}).get("reasoning_content") or ""
        assert not (r and delta.content), "a delta mixes reasoning and content"
        reasoning += r
        content += delta.content or ""
    assert reasoning
    assert content


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_grpc_stream_per_provider(api: Api, provider: str) -> None:
    want = TEXT[provider]()
    chunks = api.chat({"model": f"{provider}/text", "messages": HI, "stream": True})
    text = "".join(c.choices[0].delta.content for c in chunks if c.choices)
    assert text == want.text
