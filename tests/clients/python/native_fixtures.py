"""What each provider's recorded stream says, read in that provider's own wire format.

The per-provider SDK test compares what the OpenAI SDK sees through modelgate with these values,
so a translation that loses or alters text, tool arguments, reasoning or usage fails the test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gateway import fixtures_dir


@dataclass(frozen=True)
class Expected:
    text: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class ExpectedTool:
    name: str
    arguments: dict[str, Any]


def _read(relative: str) -> str:
    return (fixtures_dir() / relative).read_text()


def _sse_json(relative: str) -> list[dict[str, Any]]:
    out = []
    for line in _read(relative).replace("\r\n", "\n").splitlines():
        if line.startswith("data:"):
            payload = line[len("data:") :].strip()
            if payload and payload != "[DONE]":
                out.append(json.loads(payload))
    return out


def _jsonl(relative: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _read(relative).splitlines() if line.strip()]


def openai_text(relative: str = "openai/chat-stream-text-include-usage.sse", chunks: list[dict[str, Any]] | None = None) -> Expected:
    chunks = chunks if chunks is not None else _sse_json(relative)
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))
    usage = [c["usage"] for c in chunks if c.get("usage")][-1]
    return Expected(text, usage["prompt_tokens"], usage["completion_tokens"])


def anthropic_text() -> Expected:
    events = _sse_json("anthropic/messages-stream-text.sse")
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta")
    start = next(e for e in events if e["type"] == "message_start")["message"]["usage"]
    prompt = start["input_tokens"] + start.get("cache_read_input_tokens", 0) + start.get("cache_creation_input_tokens", 0)
    output = [e["usage"]["output_tokens"] for e in events if e["type"] == "message_delta"][-1]
    return Expected(text, prompt, output)


def gemini_text() -> Expected:
    events = _sse_json("gemini/stream-text.sse")
    text = "".join(
        p.get("text", "") for e in events for c in e.get("candidates", []) for p in c["content"]["parts"] if not p.get("thought")
    )
    usage = events[-1]["usageMetadata"]
    return Expected(text, usage["promptTokenCount"], usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0))


def ollama_text() -> Expected:
    lines = _jsonl("ollama/chat-stream.ndjson")
    text = "".join(line["message"]["content"] for line in lines if "message" in line)
    return Expected(text, lines[-1]["prompt_eval_count"], lines[-1]["eval_count"])


def azure_text() -> Expected:
    return openai_text(chunks=_jsonl("azure/chat-stream-model-router.chunks.jsonl"))


TEXT = {
    "mock": openai_text,
    "anthropic": anthropic_text,
    "gemini": gemini_text,
    "ollama": ollama_text,
    "azure": azure_text,
}


def openai_tool() -> ExpectedTool:
    calls = [t for c in _sse_json("openai/chat-stream-tool-call-args-usage.sse") if c.get("choices") for t in c["choices"][0]["delta"].get("tool_calls") or []]
    name = next(t["function"]["name"] for t in calls if t["function"].get("name"))
    return ExpectedTool(name, json.loads("".join(t["function"].get("arguments") or "" for t in calls)))


def anthropic_tool() -> ExpectedTool:
    events = _sse_json("anthropic/messages-stream-tool-use.sse")
    start = next(e for e in events if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use")
    index = start["index"]
    parts = "".join(e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == index)
    return ExpectedTool(start["content_block"]["name"], json.loads(parts or "{}"))


def gemini_tool() -> ExpectedTool:
    call = next(p["functionCall"] for e in _sse_json("gemini/stream-function-call-single-chunk.sse") for c in e["candidates"] for p in c["content"]["parts"] if "functionCall" in p)
    return ExpectedTool(call["name"], call["args"])


def ollama_tool() -> ExpectedTool:
    call = json.loads(_read("ollama/chat-stream-tool-calls.docs.chunk.json"))["message"]["tool_calls"][0]["function"]
    return ExpectedTool(call["name"], call["arguments"])


TOOLS = {
    "mock": openai_tool,
    "anthropic": anthropic_tool,
    "gemini": gemini_tool,
    "ollama": ollama_tool,
    "azure": openai_tool,  # Azure's tool stream is OpenAI's format; the mock replays OpenAI's recording.
}

# Streams whose recording holds reasoning before the answer (Ollama has no such recording).
REASONING_MODELS = {
    "mock": "deepseek-reasoner",
    "anthropic": "thinking",
    "gemini": "thinking",
    "azure": "thinking",
}
