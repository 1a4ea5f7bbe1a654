"""The official SDK clients the tests talk to the gateway with."""

from __future__ import annotations

import httpx
import openai

from gateway import CLIENT_KEY, HTTP_TIMEOUT_S, PROVIDER_KEY, Gateway


def _no_secret_in_headers(response: httpx.Response) -> None:
    # Every SDK call made by any test also checks that the provider key never leaks in headers.
    for name, value in response.headers.items():
        assert PROVIDER_KEY not in value, f"provider key leaked in response header {name}"


def _drop_authorization(request: httpx.Request) -> None:
    del request.headers["authorization"]


def make_client(gw: Gateway, api_key: str | None = CLIENT_KEY) -> openai.OpenAI:
    """An SDK client for `gw`; `api_key=None` sends no Authorization header at all (the SDK
    refuses to run without a key, so the header it adds is removed on the way out)."""
    request_hooks = [] if api_key is not None else [_drop_authorization]
    http_client = httpx.Client(
        timeout=HTTP_TIMEOUT_S, event_hooks={"request": request_hooks, "response": [_no_secret_in_headers]}
    )
    # max_retries=0: a retried 429/5xx would hide the gateway's first answer and slow the suite.
    return openai.OpenAI(
        base_url=gw.base_url,
        api_key=api_key or "unused",
        max_retries=0,
        timeout=HTTP_TIMEOUT_S,
        http_client=http_client,
    )
