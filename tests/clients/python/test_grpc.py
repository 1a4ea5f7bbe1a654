"""The core's gRPC API through grpcio, with no generated stubs: every message type is learned from
the server's own reflection service, as grpcurl does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import json
import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from gateway import CLIENT_KEY, LIMITED_KEY, Gateway
from provider_fixtures import embedding_vector, load_json, sse_chunks, streamed_text, streamed_usage

TIMEOUT_S = 10.0
AUTH = (("authorization", f"Bearer {CLIENT_KEY}"),)
HI = [{"role": "ROLE_USER", "text": "hi"}]


@dataclass
class Api:
    channel: grpc.Channel
    pool: descriptor_pool.DescriptorPool
    services: list[str]

    def message(self, name: str) -> Any:
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(f"modelgate.v1.{name}"))

    def build(self, name: str, fields: dict[str, Any]) -> Any:
        # ParseDict takes enum names (ROLE_USER) and nested dicts, as the JSON mapping does.
        return json_format.ParseDict(fields, self.message(name)())

    def list_models(self, metadata: Any = AUTH) -> Any:
        call = self.channel.unary_unary(
            "/modelgate.v1.Gateway/ListModels",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.message("ListModelsResponse").FromString,
        )
        return call(self.build("ListModelsRequest", {}), metadata=metadata, timeout=TIMEOUT_S)

    def chat(self, fields: dict[str, Any], metadata: Any = AUTH) -> list[Any]:
        call = self.channel.unary_stream(
            "/modelgate.v1.Gateway/ChatCompletion",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.message("ChatCompletionChunk").FromString,
        )
        return list(call(self.build("ChatCompletionRequest", fields), metadata=metadata, timeout=TIMEOUT_S))

    def embed(self, fields: dict[str, Any], metadata: Any = AUTH) -> Any:
        call = self.channel.unary_unary(
            "/modelgate.v1.Gateway/Embed",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.message("EmbedResponse").FromString,
        )
        return call(self.build("EmbedRequest", fields), metadata=metadata, timeout=TIMEOUT_S)


@pytest.fixture
def api(gateway: Gateway) -> Iterator[Api]:
    # In split mode this is the `modelgate core` process's port; in serve mode the shared one.
    channel = grpc.insecure_channel(gateway.grpc_target)
    grpc.channel_ready_future(channel).result(timeout=TIMEOUT_S)
    db = ProtoReflectionDescriptorDatabase(channel)
    yield Api(channel, descriptor_pool.DescriptorPool(db), list(db.get_services()))
    channel.close()


def test_reflection_v1alpha_lists_services(api: Api) -> None:
    assert "modelgate.v1.Gateway" in api.services
    assert "grpc.health.v1.Health" in api.services


def test_reflection_v1_lists_services(api: Api) -> None:
    # v1 and v1alpha share one wire format, so v1alpha's messages can query the v1 service.
    call = api.channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    responses = list(call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT_S))
    names = [s.name for s in responses[0].list_services_response.service]
    assert "modelgate.v1.Gateway" in names
    assert "grpc.health.v1.Health" in names


@pytest.mark.parametrize("service", ["", "modelgate.v1.Gateway"])
def test_health_serving(api: Api, service: str) -> None:
    check = api.channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    response = check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT_S)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_list_models(api: Api) -> None:
    ids = [m.id for m in api.list_models().models]
    assert {"gpt-4o-alias", "mock/text", "mock/tools"} <= set(ids), ids
    assert not [i for i in ids if "*" in i]


def test_no_metadata_is_unauthenticated(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as info:
        api.list_models(metadata=())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as info:
        api.chat({"model": "mock/text", "messages": HI, "stream": True}, metadata=())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_key_is_unauthenticated(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as info:
        api.list_models(metadata=(("authorization", "Bearer sk-wrong-key"),))
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_key_not_allowed_model_is_permission_denied(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as info:
        api.chat({"model": "mock/tools", "messages": HI}, metadata=(("authorization", f"Bearer {LIMITED_KEY}"),))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_unknown_model_is_not_found_with_error_code(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as info:
        api.chat({"model": "nope/x", "messages": HI})
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    trailers = dict(info.value.trailing_metadata() or ())
    assert trailers.get("x-modelgate-error-code") == "model_not_found", trailers


def test_streaming_chat_joins_to_fixture(api: Api) -> None:
    recorded = sse_chunks("openai/chat-stream-text-include-usage.sse")
    chunks = api.chat({"model": "mock/text", "messages": HI, "stream": True, "stream_options": {"include_usage": True}})
    assert len(chunks) > 2, "a streamed answer should arrive in several chunks"
    content = "".join(c.choices[0].delta.content for c in chunks if c.choices)
    assert content == streamed_text(recorded)
    last = chunks[-1]
    assert len(last.choices) == 0 and last.HasField("usage")
    assert last.usage.total_tokens == streamed_usage(recorded)["total_tokens"]


def test_non_streaming_chat_is_one_chunk(api: Api) -> None:
    recorded = load_json("openai/chat-completion-text.json")
    chunks = api.chat({"model": "mock/text", "messages": HI, "stream": False})
    assert len(chunks) == 1
    assert chunks[0].choices[0].delta.content == recorded["choices"][0]["message"]["content"]
    assert chunks[0].choices[0].finish_reason == "stop"
    assert chunks[0].usage.prompt_tokens == recorded["usage"]["prompt_tokens"]
    assert chunks[0].usage.completion_tokens == recorded["usage"]["completion_tokens"]


def test_embed(api: Api) -> None:
    response = api.embed({"model": "mock/text", "input": ["hello"]})
    assert len(response.data) == 1
    vector = list(response.data[0].embedding)
    expected = embedding_vector()
    assert len(vector) == len(expected)
    assert max(abs(a - b) for a, b in zip(vector, expected, strict=True)) <= 1e-6


def _unary(api: Api, method: str, request: str, response: str, fields: dict[str, Any], metadata: Any) -> Any:
    call = api.channel.unary_unary(
        f"/modelgate.v1.Gateway/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=api.message(response).FromString,
    )
    return call(api.build(request, fields), metadata=metadata, timeout=TIMEOUT_S)


def test_authenticate_names_the_key_and_refuses_others(api: Api) -> None:
    assert _unary(api, "Authenticate", "AuthenticateRequest", "AuthenticateResponse", {}, AUTH).key_name
    limited = (("authorization", f"Bearer {LIMITED_KEY}"),)
    assert _unary(api, "Authenticate", "AuthenticateRequest", "AuthenticateResponse", {}, limited).key_name == "limited"
    for metadata in ((), (("authorization", "Bearer sk-wrong-key"),)):
        with pytest.raises(grpc.RpcError) as info:
            _unary(api, "Authenticate", "AuthenticateRequest", "AuthenticateResponse", {}, metadata)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_list_deployments_is_model_info_over_grpc(api: Api) -> None:
    reply = _unary(api, "ListDeployments", "ListDeploymentsRequest", "ListDeploymentsResponse", {}, AUTH)
    names = [d.model_name for d in reply.deployments]
    assert "gpt-4o-alias" in names, names
    for d in reply.deployments:
        params = json.loads(d.litellm_params_json)
        assert "api_key" not in params, params
        assert isinstance(json.loads(d.model_info_json), dict)
    with pytest.raises(grpc.RpcError) as info:
        _unary(api, "ListDeployments", "ListDeploymentsRequest", "ListDeploymentsResponse", {}, ())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_check_health_needs_a_key_allowed_the_model(api: Api) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _unary(api, "CheckHealth", "CheckHealthRequest", "CheckHealthResponse", {"model": "gpt-4o-alias"}, ())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    limited = (("authorization", f"Bearer {LIMITED_KEY}"),)
    with pytest.raises(grpc.RpcError) as info:
        _unary(api, "CheckHealth", "CheckHealthRequest", "CheckHealthResponse", {"model": "mock/tools"}, limited)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
