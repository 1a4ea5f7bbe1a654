"""Process helpers: start mock-upstream and modelgate, wait for readiness, stop them.

Everything here waits with a deadline: a binary that never prints its listening line or never
becomes ready fails the session in <= 30 s instead of hanging CI.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 10.0

CLIENT_KEY = "sk-client-test"
LIMITED_KEY = "sk-limited"
PROVIDER_KEY = "sk-provider-secret-123"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))


def modelgate_bin() -> Path:
    return Path(os.environ.get("MODELGATE_BIN", target_dir() / "debug" / "modelgate"))


def mock_upstream_bin() -> Path:
    return Path(os.environ.get("MOCK_UPSTREAM_BIN", target_dir() / "debug" / "mock-upstream"))


def fixtures_dir() -> Path:
    default = REPO_ROOT.parent / "shared" / "fixtures" / "providers"
    return Path(os.environ.get("MODELGATE_FIXTURES", default)).resolve()


class Process:
    """A child process whose stdout is drained by a thread (so it can never block on a full
    pipe) and whose stderr goes to a log file we can show when a test fails."""

    def __init__(self, name: str, argv: list[str]) -> None:
        if not Path(argv[0]).is_file():
            raise RuntimeError(f"{name}: binary {argv[0]} not found (cargo build --workspace --bins?)")
        self.name = name
        self.argv = argv
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.stdout_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
        )
        threading.Thread(target=self._drain, daemon=True).start()
        # Belt and braces: even if pytest dies before fixture teardown, no child outlives it.
        atexit.register(self.stop)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_line(self, pattern: str, timeout: float = STARTUP_TIMEOUT_S) -> re.Match[str]:
        """Block until a stdout line matches `pattern`; fail on exit or deadline."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"{self.name}: no line matching {pattern!r} within {timeout}s\n{self.describe()}")
            try:
                line = self._lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"{self.name} exited before printing {pattern!r}\n{self.describe()}")
            match = regex.search(line)
            if match:
                return match

    def stderr_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def describe(self) -> str:
        code = self.proc.poll()
        return (
            f"argv: {' '.join(self.argv)}\nexit code: {code}\n"
            f"stdout:\n{''.join(self.stdout_lines)[-4000:]}\nstderr:\n{self.stderr_text()[-4000:]}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@dataclass
class MockUpstream:
    process: Process
    url: str  # http://127.0.0.1:PORT

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def requests(self) -> list[dict[str, Any]]:
        resp = httpx.get(f"{self.url}/__mock/requests", timeout=HTTP_TIMEOUT_S)
        resp.raise_for_status()
        return resp.json()

    def stats(self) -> dict[str, int]:
        resp = httpx.get(f"{self.url}/__mock/stats", timeout=HTTP_TIMEOUT_S)
        resp.raise_for_status()
        return resp.json()

    def find_request(self, marker: str) -> dict[str, Any]:
        """The single recorded request whose body mentions `marker` (tests tag their requests with
        a unique string so that they never depend on what other tests sent)."""
        hits = [r for r in self.requests() if marker in json.dumps(r.get("body"))]
        assert len(hits) == 1, f"expected one upstream request tagged {marker!r}, got {len(hits)}"
        return hits[0]


def header(record: dict[str, Any], name: str) -> str | None:
    """A header of a recorded request, whatever shape the mock stores headers in (a map with
    string or list values, or a list of [name, value] pairs)."""
    headers = record.get("headers") or {}
    items = headers.items() if isinstance(headers, dict) else [tuple(pair) for pair in headers]
    for key, value in items:
        if key.lower() == name.lower():
            return ", ".join(value) if isinstance(value, list) else str(value)
    return None


@dataclass
class Gateway:
    mode: str  # "serve" or "split"
    http_url: str  # http://127.0.0.1:PORT
    grpc_target: str  # 127.0.0.1:PORT
    processes: list[Process] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"{self.http_url}/v1"

    def logs(self) -> str:
        return "\n".join(p.stderr_text() + "".join(p.stdout_lines) for p in self.processes)

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()


def start_mock() -> MockUpstream:
    proc = Process(
        "mock-upstream",
        [str(mock_upstream_bin()), "--fixtures", str(fixtures_dir()), "--listen", "127.0.0.1:0"],
    )
    match = proc.wait_for_line(r"mock-upstream listening on (\S+:\d+)")
    return MockUpstream(proc, f"http://{match.group(1)}")


def write_config(directory: Path, mock: MockUpstream) -> Path:
    # JSON is valid YAML, so the contract's YAML config is written without a YAML library.
    config = {
        "auth": {
            "keys": [
                {"name": "tests", "key": CLIENT_KEY, "models": ["*"]},
                {"name": "limited", "key": LIMITED_KEY, "models": ["mock/text"]},
            ]
        },
        "providers": {
            "mock": {
                "kind": "openai",
                "api_base": f"{mock.url}/v1",
                "api_key": PROVIDER_KEY,
                "models": ["text", "tools"],
            },
            # Native provider APIs, replayed by the mock under their own path prefixes.
            "anthropic": {"kind": "anthropic", "api_base": f"{mock.url}/anthropic", "api_key": PROVIDER_KEY, "models": ["text"]},
            "gemini": {"kind": "gemini", "api_base": f"{mock.url}/gemini", "api_key": PROVIDER_KEY, "models": ["text"]},
            "ollama": {"kind": "ollama", "api_base": f"{mock.url}/ollama", "api_key": PROVIDER_KEY, "models": ["text"]},
            "azure": {"kind": "azure", "api_base": f"{mock.url}/azure", "api_key": PROVIDER_KEY, "models": ["text"]},
            # An OpenAI-compatible server without a Responses API: /v1/responses goes through its chat API.
            "compat": {
                "kind": "openai",
                "api_base": f"{mock.url}/v1",
                "api_key": PROVIDER_KEY,
                "models": ["text"],
                "responses_api": False,
            },
        },
        "model_list": [{"model_name": "gpt-4o-alias", "litellm_params": {"model": "mock/text"}}],
    }
    path = directory / "modelgate.yaml"
    path.write_text(json.dumps(config, indent=2))
    return path


def wait_ready(http_url: str, processes: list[Process]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        for p in processes:
            if p.proc.poll() is not None:
                raise RuntimeError(f"{p.name} exited while waiting for readiness\n{p.describe()}")
        try:
            resp = httpx.get(f"{http_url}/health/ready", timeout=2)
            if resp.status_code == 200:
                return
            last = f"{resp.status_code} {resp.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{http_url}/health/ready not 200 within {STARTUP_TIMEOUT_S}s (last: {last})")


HTTP_LINE = r"modelgate: http listening on (\S+:\d+)"
GRPC_LINE = r"modelgate: grpc listening on (\S+:\d+)"


def start_serve(config: Path) -> Gateway:
    proc = Process(
        "modelgate-serve",
        [str(modelgate_bin()), "serve", "--config", str(config), "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"],
    )
    try:
        # The two lines may come in either order.
        found: dict[str, str] = {}
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while len(found) < 2:
            remaining = max(0.1, deadline - time.monotonic())
            match = proc.wait_for_line(r"modelgate: (http|grpc) listening on (\S+:\d+)", remaining)
            found[match.group(1)] = match.group(2)
        gateway = Gateway("serve", f"http://{found['http']}", found["grpc"], [proc])
        wait_ready(gateway.http_url, [proc])
        return gateway
    except Exception:
        proc.stop()
        raise


def start_split(config: Path) -> Gateway:
    core = Process("modelgate-core", [str(modelgate_bin()), "core", "--config", str(config), "--grpc", "127.0.0.1:0"])
    processes = [core]
    try:
        grpc_addr = core.wait_for_line(GRPC_LINE).group(1)
        facade = Process(
            "modelgate-facade",
            [str(modelgate_bin()), "facade", "--core-url", f"http://{grpc_addr}", "--http", "127.0.0.1:0"],
        )
        processes.append(facade)
        http_addr = facade.wait_for_line(HTTP_LINE).group(1)
        gateway = Gateway("split", f"http://{http_addr}", grpc_addr, processes)
        wait_ready(gateway.http_url, processes)
        return gateway
    except Exception:
        for p in reversed(processes):
            p.stop()
        raise
