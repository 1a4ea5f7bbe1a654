"""Session fixtures: one mock upstream, and the gateway in both deployment shapes.

`gateway` is parametrized over `serve` (facade and core in one process, in-process channel) and
`split` (`modelgate core` + `modelgate facade` over a socket): the design promises the same code
paths either way, so every test that uses it runs against both.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gateway import (  # noqa: E402
    CLIENT_KEY,
    HTTP_TIMEOUT_S,
    Gateway,
    MockUpstream,
    fixtures_dir,
    start_mock,
    start_serve,
    start_split,
    write_config,
)
from sdk import make_client  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _fixtures_present() -> None:
    if not (fixtures_dir() / "openai").is_dir():
        pytest.exit(f"provider fixtures not found at {fixtures_dir()} (set MODELGATE_FIXTURES)", returncode=2)


@pytest.fixture(scope="session")
def mock() -> Iterator[MockUpstream]:
    upstream = start_mock()
    yield upstream
    upstream.process.stop()


@pytest.fixture(scope="session")
def config_path(mock: MockUpstream, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("modelgate"), mock)


@pytest.fixture(scope="session")
def serve_gateway(config_path: Path) -> Iterator[Gateway]:
    gw = start_serve(config_path)
    yield gw
    gw.stop()


@pytest.fixture(scope="session")
def split_gateway(config_path: Path) -> Iterator[Gateway]:
    gw = start_split(config_path)
    yield gw
    gw.stop()


@pytest.fixture(params=["serve", "split"])
def gateway(request: pytest.FixtureRequest) -> Gateway:
    # Resolved lazily so a run of one mode only starts that mode's processes.
    return request.getfixturevalue(f"{request.param}_gateway")


@pytest.fixture
def client(gateway: Gateway) -> Iterator[openai.OpenAI]:
    c = make_client(gateway)
    yield c
    c.close()


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    """A raw HTTP client, for what the SDK hides (status lines, SSE bytes, malformed bodies)."""
    with httpx.Client(
        base_url=gateway.http_url, timeout=HTTP_TIMEOUT_S, headers={"authorization": f"Bearer {CLIENT_KEY}"}
    ) as c:
        yield c


@pytest.fixture
def marker() -> str:
    """A unique string to tag a request with, to find it again in the mock's request log."""
    return f"marker-{uuid.uuid4().hex}"
