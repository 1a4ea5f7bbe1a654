"""Tool calls, streamed and not: what the client reassembles equals what the provider sent."""

from __future__ import annotations

import json
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from gateway import MockUpstream
from provider_fixtures import assemble_tool_calls, fixture_tool_calls, load_json

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def stream_deltas(
    client: openai.OpenAI, model: str, content: str = "weather?"
) -> tuple[list[dict[str, Any]], list[str]]:
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], tools=[WEATHER_TOOL], stream=True
    )
    deltas: list[dict[str, Any]] = []
    finish: list[str] = []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        for call in delta.tool_calls or []:
            # LobeChat reads `function` on every tool-call delta: it must never be null.
            assert call.function is not None, f"tool-call delta without function: {call}"
        deltas.append(delta.model_dump())
        if chunk.choices[0].finish_reason:
            finish.append(chunk.choices[0].finish_reason)
    return deltas, finish


def test_streamed_tool_call_reassembles_to_fixture(client: openai.OpenAI) -> None:
    expected = fixture_tool_calls("openai/chat-stream-tool-call-args-usage.sse")
    deltas, finish = stream_deltas(client, "mock/tools")
    calls = assemble_tool_calls(deltas)
    assert sorted(calls) == sorted(expected) == [0]
    assert calls[0].id == expected[0].id
    assert calls[0].name == expected[0].name
    assert json.loads(calls[0].arguments) == json.loads(expected[0].arguments)
    assert finish == ["tool_calls"]


def test_streamed_parallel_tool_calls(client: openai.OpenAI) -> None:
    expected = fixture_tool_calls("openai/chat-stream-parallel-tool-calls.sse")
    deltas, finish = stream_deltas(client, "mock/parallel-tools")
    calls = assemble_tool_calls(deltas)
    assert sorted(calls) == [0, 1]
    for index in (0, 1):
        assert calls[index].id == expected[index].id
        assert calls[index].name == expected[index].name
        assert json.loads(calls[index].arguments) == json.loads(expected[index].arguments)
    assert finish == ["tool_calls"]


def test_non_streamed_tool_call_equals_fixture(client: openai.OpenAI) -> None:
    recorded = load_json("openai/chat-completion-tool-calls.json")["choices"][0]
    completion = client.chat.completions.create(
        model="mock/tools", messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == recorded["finish_reason"]
    got = [
        (c.id, c.type, c.function.name, json.loads(c.function.arguments))
        for c in choice.message.tool_calls or []
        if isinstance(c, ChatCompletionMessageFunctionToolCall)
    ]
    want = [
        (c["id"], c["type"], c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in recorded["message"]["tool_calls"]
    ]
    assert got == want


def test_tools_reach_upstream_unchanged(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    deltas, _ = stream_deltas(client, "mock/tools", marker)
    assert deltas
    upstream = mock.find_request(marker)["body"]
    assert upstream["tools"] == [WEATHER_TOOL]
