"""Readers for the recorded provider wire data that mock-upstream replays.

Expected values are always derived from these files, never typed into the tests, so a test fails
when the gateway alters what the provider sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gateway import fixtures_dir


def load_json(relative: str) -> Any:
    return json.loads((fixtures_dir() / relative).read_text())


def sse_chunks(relative: str) -> list[dict[str, Any]]:
    """The JSON payloads of a recorded SSE stream's `data:` events, `[DONE]` and comments left out."""
    chunks: list[dict[str, Any]] = []
    for line in (fixtures_dir() / relative).read_text().splitlines():
        if line.startswith("data:"):
            payload = line[len("data:") :].strip()
            if payload and payload != "[DONE]":
                chunks.append(json.loads(payload))
    return chunks


def streamed_text(chunks: list[dict[str, Any]], key: str = "content") -> str:
    """Concatenation of `choices[0].delta[key]` over the chunks."""
    return "".join(c["choices"][0]["delta"].get(key) or "" for c in chunks if c.get("choices"))


def streamed_usage(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    usages = [c["usage"] for c in chunks if c.get("usage")]
    assert usages, "fixture has no usage chunk"
    return usages[-1]


@dataclass
class AssembledCall:
    id: str | None = None
    name: str | None = None
    arguments: str = ""


def assemble_tool_calls(deltas: list[dict[str, Any]]) -> dict[int, AssembledCall]:
    """Rebuild tool calls from streamed fragments the way OpenAI clients do: by `index`."""
    calls: dict[int, AssembledCall] = {}
    for delta in deltas:
        for fragment in delta.get("tool_calls") or []:
            call = calls.setdefault(fragment["index"], AssembledCall())
            if fragment.get("id"):
                call.id = fragment["id"]
            function = fragment.get("function") or {}
            if function.get("name"):
                call.name = function["name"]
            call.arguments += function.get("arguments") or ""
    return calls


def fixture_tool_calls(relative: str) -> dict[int, AssembledCall]:
    return assemble_tool_calls([c["choices"][0]["delta"] for c in sse_chunks(relative) if c.get("choices")])


def embedding_vector() -> list[float]:
    return load_json("openai/embeddings.json")["data"][0]["embedding"]
