"""Streamed chat completions: SSE framing, include_usage, reasoning, mid-stream errors, disconnects."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from gateway import MockUpstream
from provider_fixtures import sse_chunks, streamed_text, streamed_usage

TEXT_STREAM = sse_chunks("openai/chat-stream-text-include-usage.sse")
REASONING_STREAM = sse_chunks("openai-compatible/deepseek-chat-stream-reasoning-content.sse")
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


def sse_payloads(body: str) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    return [line[len("data:") :].strip() for line in body.splitlines() if line.startswith("data:")]


def test_include_usage_content_and_final_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="mock/text", messages=HI, stream=True, stream_options={"include_usage": True}
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == streamed_text(TEXT_STREAM)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    last = chunks[-1]
    assert last.choices == [], "usage must come in a final chunk with empty choices"
    assert last.usage is not None
    expected = streamed_usage(TEXT_STREAM)
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
        expected["total_tokens"],
    )
    assert sum(1 for c in chunks if c.usage is not None) == 1, "exactly one chunk carries usage"
    assert len({c.id for c in chunks}) == 1, "every chunk of one answer has the same id"


def test_without_include_usage_no_usage_chunk(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    chunks = list(
        client.chat.completions.create(model="mock/text", messages=[{"role": "user", "content": marker}], stream=True)
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == streamed_text(TEXT_STREAM)
    assert all(c.choices for c in chunks), "a chunk with empty choices was sent without include_usage"
    assert all(c.usage is None for c in chunks), "usage was sent without include_usage"
    # The gateway still asks the provider for usage (it accounts tokens), whatever the client asked.
    upstream = mock.find_request(marker)["body"]
    assert upstream["stream"] is True
    assert upstream.get("stream_options", {}).get("include_usage") is True, upstream.get("stream_options")


def test_sse_framing(http: httpx.Client) -> None:
    body = {"model": "mock/text", "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    with http.stream("POST", "/v1/chat/completions", json=body) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        text = resp.read().decode()
    # LobeChat parses unnamed `data:` events only: a named `event:` breaks it.
    lines = [line for line in text.split("\n") if line and not line.startswith(":")]
    assert all(line.startswith("data: ") for line in lines), [ln for ln in lines if not ln.startswith("data: ")]
    assert text.rstrip("\n").endswith("data: [DONE]")
    assert "\n\n" in text, "events must be separated by a blank line"
    for payload in sse_payloads(text)[:-1]:
        chunk = json.loads(payload)
        assert chunk["object"] == "chat.completion.chunk"


def _reasoning(delta: Any) -> str:
    value = getattr(delta, "reasoning_content", None)
    if value is None:
        value = (delta.model_extra or {}).get("reasoning_content")
    return value or ""


def test_reasoning_content_separate_from_content(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="mock/deepseek-reasoner", messages=HI, stream=True))
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = "".join(_reasoning(d) for d in deltas)
    content = "".join(d.content or "" for d in deltas)
    assert reasoning, "no reasoning_content reached the client"
    assert reasoning == streamed_text(REASONING_STREAM, "reasoning_content")
    assert content == streamed_text(REASONING_STREAM, "content")
    # LobeChat drops the content of a delta that has both.
    both = [d for d in deltas if _reasoning(d) and d.content]
    assert not both, f"{len(both)} deltas carry both reasoning_content and content"


@pytest.mark.parametrize("scenario", ["reset", "openrouter-midstream-error"])
def test_midstream_error_is_one_error_event(http: httpx.Client, scenario: str) -> None:
    body = {"model": f"mock/{scenario}", "messages": HI, "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as resp:
        # The first bytes were fine, so the status is already 200: the error must come in-band.
        assert resp.status_code == 200
        payloads = sse_payloads(resp.read().decode())
    errors = [i for i, p in enumerate(payloads) if p != "[DONE]" and "error" in json.loads(p)]
    assert errors, f'no data: {{"error":…}} event in {payloads[-3:]}'
    first = errors[0]
    assert first > 0, "the error should follow the chunks sent before it"
    assert payloads[first].startswith('{"error":'), payloads[first][:200]
    error = json.loads(payloads[first])["error"]
    assert isinstance(error.get("message"), str) and error["message"]
    # The README: an error after the stream started is one event, "then the stream ends": no [DONE].
    assert payloads[first + 1 :] == [], f"the stream must end after the error event: {payloads[first + 1 :]}"


def test_midstream_error_raises_in_sdk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="mock/reset", messages=HI, stream=True)
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_client_disconnect_cancels_upstream(http: httpx.Client, mock: MockUpstream) -> None:
    before = mock.stats()["dropped_streams"]
    body = {"model": "mock/slow", "messages": HI, "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if line.startswith("data:"):
                break
    # Leaving the block closed the connection. The slow stream lasts ~3 s in all, so only a
    # gateway that cancels its upstream call makes the mock count a dropped stream within 2 s.
    deadline = time.monotonic() + 2.0
    stats = mock.stats()
    while stats["dropped_streams"] <= before and time.monotonic() < deadline:
        time.sleep(0.05)
        stats = mock.stats()
    assert stats["dropped_streams"] > before, f"upstream stream not dropped after client disconnect: {stats}"
