"""POST /v1/embeddings: LobeChat's knowledge base needs it; the SDK asks for base64 by default."""

from __future__ import annotations

import base64
import struct

import httpx
import openai
import pytest

from gateway import MockUpstream
from provider_fixtures import embedding_vector, load_json

EXPECTED = embedding_vector()


def assert_close(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want)
    worst = max(abs(a - b) for a, b in zip(got, want, strict=True))
    assert worst <= 1e-6, f"vectors differ by up to {worst}"


@pytest.mark.parametrize("encoding", [None, "float", "base64"], ids=["sdk-default", "float", "base64"])
def test_vector_equals_fixture(client: openai.OpenAI, encoding: str | None) -> None:
    kwargs = {} if encoding is None else {"encoding_format": encoding}
    result = client.embeddings.create(model="mock/text", input="hello", **kwargs)  # type: ignore[arg-type]
    assert len(result.data) == 1
    vector = result.data[0].embedding
    if isinstance(vector, str):  # the SDK leaves base64 undecoded when it was asked for explicitly
        raw = base64.b64decode(vector)
        vector = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert_close(vector, EXPECTED)
    assert result.usage.prompt_tokens == load_json("openai/embeddings.json")["usage"]["prompt_tokens"]


def test_base64_is_returned_as_base64(http: httpx.Client) -> None:
    # What the SDK asked for (base64: 4-byte little-endian floats) is what it must get back.
    resp = http.post("/v1/embeddings", json={"model": "mock/text", "input": "hello", "encoding_format": "base64"})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"][0]["embedding"]
    assert isinstance(data, str), f"asked for base64, got {type(data).__name__}"
    raw = base64.b64decode(data)
    assert_close(list(struct.unpack(f"<{len(raw) // 4}f", raw)), EXPECTED)


def test_missing_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.embeddings.create(model="mock/missing", input="hello")
    assert info.value.status_code == 404


def test_embeddings_input_list_reaches_upstream(client: openai.OpenAI, mock: MockUpstream, marker: str) -> None:
    client.embeddings.create(model="mock/text", input=[marker, "second"], encoding_format="float")
    upstream = mock.find_request(marker)
    assert upstream["path"].endswith("/embeddings")
    assert upstream["body"]["input"] == [marker, "second"]
    assert upstream["body"]["model"] == "text"
