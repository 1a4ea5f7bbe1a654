"""OpenAI's Responses API (`POST /v1/responses`, gRPC `CreateResponse`) through the official SDK
and grpcio, one script for every provider kind: OpenAI and Azure answer from their own Responses
API (pass-through); Anthropic, Gemini, Ollama and an OpenAI-compatible entry with
`responses_api: false` through chat (translated). What each answer must
hold is read from the recording the mock replayed for it (`responses_fixtures`)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from gateway import CLIENT_KEY, MockUpstream
from responses_fixtures import PASS_THROUGH, expected_call, expected_text
from test_errors import assert_error_shape
from test_grpc import Api, api  # noqa: F401  (the reflection-built gRPC client fixture)

# The five provider kinds, and an OpenAI-compatible entry with `responses_api: false`.
PROVIDERS = ["mock", "anthropic", "gemini", "ollama", "azure", "compat"]
TRANSLATED = [p for p in PROVIDERS if p not in PASS_THROUGH]

WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_text_not_streamed(client: openai.OpenAI, mock: MockUpstream, marker: str, provider: str) -> None:
    response = client.responses.create(model=f"{provider}/text", input=marker)
    record = mock.find_request(marker)
    want = expected_text(provider, record)
    # Own Responses API, or chat: the upstream endpoint the provider's entry says.
    assert record["path"].endswith("/responses") == (provider in PASS_THROUGH), record["path"]
    assert response.object == "response"
    assert response.status == "completed"
    assert response.id
    messages = [item for item in response.output if item.type == "message"]
    assert len(messages) == 1, response.output
    assert messages[0].role == "assistant"
    assert response.output_text == want.text
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (want.prompt_tokens, want.completion_tokens)
    assert response.usage.total_tokens == want.prompt_tokens + want.completion_tokens


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_events_in_openai_order(client: openai.OpenAI, mock: MockUpstream, marker: str, provider: str) -> None:
    events = list(client.responses.create(model=f"{provider}/text", input=marker, stream=True))
    want = expected_text(provider, mock.find_request(marker))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"], types
    assert types[-1] == "response.completed", types
    assert types.count("response.completed") == 1, types
    numbers = [e.sequence_number for e in events]
    assert numbers == sorted(set(numbers)), f"sequence numbers not strictly increasing: {numbers}"

    deltas = [(i, e) for i, e in enumerate(events) if e.type == "response.output_text.delta"]
    assert deltas, types
    for index, delta in deltas:
        added = [
            e
            for e in events[:index]
            if e.type == "response.output_item.added" and e.output_index == delta.output_index
        ]
        assert len(added) == 1 and added[0].item.id == delta.item_id, f"delta {index} before its output item: {types}"
        parts = [
            e
            for e in events[:index]
            if e.type == "response.content_part.added"
            and e.output_index == delta.output_index
            and e.content_index == delta.content_index
        ]
        assert len(parts) == 1, f"delta {index} before its content part: {types}"
    text = "".join(e.delta for _, e in deltas)
    assert text == want.text

    final = events[-1].response
    assert final.status == "completed"
    assert final.output_text == text
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (want.prompt_tokens, want.completion_tokens)
    assert events[0].response.status == "in_progress" and events[0].response.id == final.id


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_helper_final_response(client: openai.OpenAI, mock: MockUpstream, marker: str, provider: str) -> None:
    with client.responses.stream(model=f"{provider}/text", input=marker) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    want = expected_text(provider, mock.find_request(marker))
    assert text == want.text
    assert final.output_text == want.text
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (want.prompt_tokens, want.completion_tokens)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_function_call_round_trip(client: openai.OpenAI, mock: MockUpstream, marker: str, provider: str) -> None:
    question = f"weather? {marker}-call"
    first = client.responses.create(model=f"{provider}/tools", input=question, tools=[WEATHER_TOOL])
    want = expected_call(provider, mock.find_request(f"{marker}-call"))
    calls = [item for item in first.output if item.type == "function_call"]
    assert calls, first.output
    call = calls[0]
    assert call.name == want.name
    assert json.loads(call.arguments) == want.arguments
    assert call.call_id == (want.call_id or call.call_id) and call.call_id
    assert call.id

    result = f"24C and sunny {marker}-result"
    second = client.responses.create(
        model=f"{provider}/text",
        tools=[WEATHER_TOOL],
        input=[
            {"role": "user", "content": question},
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": result},
        ],
    )
    record = mock.find_request(f"{marker}-result")
    answer = expected_text(provider, record)
    assert second.status == "completed"
    assert second.output_text == answer.text
    # The history reached the provider, in its own format: the call (by name) and its output.
    upstream = json.dumps(record["body"])
    assert call.name in upstream and result in upstream, upstream


@pytest.mark.parametrize("provider", TRANSLATED)
def test_built_in_tool_on_translated_provider_is_400(client: openai.OpenAI, provider: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=f"{provider}/text", input="search the web", tools=[{"type": "web_search"}])
    assert info.value.status_code == 400
    assert info.value.code == "unsupported_by_provider"
    error = assert_error_shape(info.value.response.json())
    assert error["type"] == "invalid_request_error"


def test_invalid_body_names_the_field(http: httpx.Client) -> None:
    body = {"model": "mock/text", "input": [{"role": "user", "content": [{"type": 7, "text": "x"}]}]}
    resp = http.post("/v1/responses", json=body)
    assert resp.status_code == 400, resp.text
    error = assert_error_shape(resp.json())
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "input[0].content[0].type"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_grpc_create_response_streams_typed_events(api: Api, mock: MockUpstream, marker: str, provider: str) -> None:  # noqa: F811
    call = api.channel.unary_stream(
        "/modelgate.v1.Gateway/CreateResponse",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=api.message("ResponseEvent").FromString,
    )
    request = api.build("ResponseRequest", {"model": f"{provider}/text", "input_text": marker, "stream": True})
    events = list(call(request, metadata=(("authorization", f"Bearer {CLIENT_KEY}"),), timeout=10.0))
    want = expected_text(provider, mock.find_request(marker))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"], types
    assert types[-1] == "response.completed", types
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == want.text
    final = events[-1].response
    assert final.status == "completed"
    assert final.HasField("usage")
    assert (final.usage.input_tokens, final.usage.output_tokens) == (want.prompt_tokens, want.completion_tokens)
    assert final.usage.total_tokens == want.prompt_tokens + want.completion_tokens

