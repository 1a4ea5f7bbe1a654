"""What a `/v1/responses` answer must hold, read from the recording the mock replayed for it.

Which recording that is depends on the upstream request modelgate made (found in the mock's log
by the test's marker): OpenAI and Azure get their Responses recordings (the files the mock's
source table, `mock-upstream/SOURCES.md`, names on its `openai-responses` and `azure-responses`
routes); the other providers
get their chat recordings, streamed or not as modelgate asked for them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gateway import REPO_ROOT
from native_fixtures import TEXT, Expected, _read, _sse_json

# Providers whose own Responses API answers (the others are translated onto chat), and the
# mock's source-table route for that API.
PASS_THROUGH = {"mock": "openai-responses", "azure": "azure-responses"}
# The mock's source-table name for a Responses request.
RESPONSES_REQUEST = "responses"
# Providers translated onto another's chat recordings: `compat` (kind openai, `responses_api:
# false`) is answered by the mock's OpenAI chat route.
CHAT_AS = {"compat": "mock"}


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]
    call_id: str | None  # None: the recording has no id (Gemini), modelgate makes one


def upstream_streamed(provider: str, record: dict[str, Any]) -> bool:
    body = record.get("body") or {}
    if provider == "gemini":
        return "streamGenerateContent" in record.get("path", "")
    if provider == "ollama":
        return body.get("stream", True) is not False  # Ollama streams unless told not to
    return body.get("stream") is True


def source_files(route: str, request: str, model: str, stream: bool) -> list[str]:
    """The files the mock's source table names for this answer (its `lookup`: an unlisted model
    falls back to `text`)."""
    rows = []
    for line in (REPO_ROOT / "mock-upstream" / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] == route and cells[1] == request:
            rows.append(cells)

    def find(m: str) -> list[str] | None:
        for cells in rows:
            if cells[2] == f"`{m}`" and cells[3] in ("either", "yes" if stream else "no"):
                return re.findall(r"`([^`]+)`", cells[6].split(";")[0])
        return None

    files = find(model)
    if files is None:
        files = find("text")
    assert files, f"mock-upstream/SOURCES.md names no file for {route} {request} {model} stream={stream}"
    return files


# --- OpenAI's Responses format (the pass-through providers' recordings) ---


def _recording(path: str) -> str:
    # The Responses recordings live in the mock's crate (`mock-upstream/recordings/…`, named from
    # the repository root); the rest in the shared fixtures folder.
    return (REPO_ROOT / path).read_text() if path.startswith("mock-upstream/") else _read(path)


def _responses_events(path: str) -> list[dict[str, Any]]:
    text = _recording(path).replace("\r\n", "\n")
    if path.endswith(".jsonl"):  # one event's `data:` per line
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        events = _sse_json(path)
    return [e for e in events if isinstance(e, dict) and "type" in e]


def _responses_final(relative: str, streamed: bool) -> dict[str, Any]:
    if not streamed:
        return json.loads(_recording(relative))
    done = [e["response"] for e in _responses_events(relative) if e["type"] in ("response.completed", "response.incomplete")]
    assert done, f"{relative} has no response.completed event"
    return done[-1]


def _responses_text(relative: str, streamed: bool) -> Expected:
    final = _responses_final(relative, streamed)
    if streamed:
        text = "".join(e["delta"] for e in _responses_events(relative) if e["type"] == "response.output_text.delta")
    else:
        text = "".join(
            part.get("text", "")
            for item in final["output"]
            if item["type"] == "message"
            for part in item["content"]
            if part["type"] == "output_text"
        )
    return Expected(text, final["usage"]["input_tokens"], final["usage"]["output_tokens"])


def _responses_call(relative: str, streamed: bool) -> Call:
    item = next(i for i in _responses_final(relative, streamed)["output"] if i["type"] == "function_call")
    return Call(item["name"], json.loads(item["arguments"]), item["call_id"])


# --- chat recordings, not streamed (the streamed ones are native_fixtures.TEXT) ---


def _ollama_docs_answer() -> dict[str, Any]:
    # The mock's non-streamed Ollama text is a docs example kept in its source (no capture exists).
    source = (REPO_ROOT / "mock-upstream" / "src" / "native" / "ollama.rs").read_text()
    match = re.search(r'DOCS_CHAT_NO_STREAM: &str = r#"(.*?)"#;', source, re.S)
    assert match, "DOCS_CHAT_NO_STREAM not found in mock-upstream/src/native/ollama.rs"
    return json.loads(match.group(1))


def _openai_completion_text(relative: str) -> Expected:
    body = json.loads(_read(relative))
    usage = body["usage"]
    return Expected(body["choices"][0]["message"]["content"], usage["prompt_tokens"], usage["completion_tokens"])


def _chat_text_not_streamed(provider: str) -> Expected:
    if provider == "mock":
        return _openai_completion_text("openai/chat-completion-text.json")
    if provider == "azure":
        return _openai_completion_text("azure/chat-completion-content-filter-results.json")
    if provider == "anthropic":
        body = json.loads(_read("anthropic/messages-text.json"))
        usage = body["usage"]
        prompt = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"))
        text = "".join(b.get("text", "") for b in body["content"] if b["type"] == "text")
        return Expected(text, prompt, usage["output_tokens"])
    if provider == "gemini":
        body = json.loads(_read("gemini/generate-content-text.json"))
        usage = body["usageMetadata"]
        text = "".join(p.get("text", "") for p in body["candidates"][0]["content"]["parts"] if not p.get("thought"))
        output = usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)
        return Expected(text, usage["promptTokenCount"], output)
    body = _ollama_docs_answer()
    return Expected(body["message"]["content"], body["prompt_eval_count"], body["eval_count"])


def _chat_call(provider: str, streamed: bool) -> Call:
    if provider in ("mock", "azure"):  # Azure's tool answers are OpenAI's recordings (SOURCES.md)
        if streamed:
            frags = [
                t
                for c in _sse_json("openai/chat-stream-tool-call-args-usage.sse")
                if c.get("choices")
                for t in c["choices"][0]["delta"].get("tool_calls") or []
            ]
            first = next(t for t in frags if t.get("id"))
            args = "".join(t["function"].get("arguments") or "" for t in frags if t["index"] == first["index"])
            return Call(first["function"]["name"], json.loads(args), first["id"])
        call = json.loads(_read("openai/chat-completion-tool-calls.json"))["choices"][0]["message"]["tool_calls"][0]
        return Call(call["function"]["name"], json.loads(call["function"]["arguments"]), call["id"])
    if provider == "anthropic":
        if streamed:
            events = _sse_json("anthropic/messages-stream-tool-use.sse")
            start = next(e for e in events if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use")
            parts = "".join(
                e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == start["index"]
            )
            block = start["content_block"]
            return Call(block["name"], json.loads(parts or "{}"), block["id"])
        block = next(b for b in json.loads(_read("anthropic/messages-parallel-tool-use.json"))["content"] if b["type"] == "tool_use")
        return Call(block["name"], block["input"], block["id"])
    if provider == "gemini":
        if streamed:
            events = _sse_json("gemini/stream-function-call-single-chunk.sse")
            parts = [p for e in events for c in e["candidates"] for p in c["content"]["parts"]]
        else:
            parts = json.loads(_read("gemini/generate-content-function-call.json"))["candidates"][0]["content"]["parts"]
        call = next(p["functionCall"] for p in parts if "functionCall" in p)
        return Call(call["name"], call["args"], call.get("id"))
    if streamed:
        message = json.loads(_read("ollama/chat-stream-tool-calls.docs.chunk.json"))["message"]
    else:
        message = json.loads(_read("ollama/chat-tool-calls-thinking.json"))["message"]
    call = message["tool_calls"][0]
    return Call(call["function"]["name"], call["function"]["arguments"], call.get("id"))


# --- what the tests ask for ---


def expected_text(provider: str, record: dict[str, Any]) -> Expected:
    """The text and token counts of the answer the mock gave to `record` (a text model)."""
    streamed = upstream_streamed(provider, record)
    if provider in PASS_THROUGH:
        files = source_files(PASS_THROUGH[provider], RESPONSES_REQUEST, "text", streamed)
        return _responses_text(files[0], streamed)
    provider = CHAT_AS.get(provider, provider)
    return TEXT[provider]() if streamed else _chat_text_not_streamed(provider)


def expected_call(provider: str, record: dict[str, Any]) -> Call:
    """The function call the mock's answer to `record` (a tools model) holds."""
    streamed = upstream_streamed(provider, record)
    if provider in PASS_THROUGH:
        files = source_files(PASS_THROUGH[provider], RESPONSES_REQUEST, "tools", streamed)
        return _responses_call(files[0], streamed)
    return _chat_call(CHAT_AS.get(provider, provider), streamed)
