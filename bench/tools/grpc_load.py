#!/usr/bin/env python3
"""gRPC callers for bench/soak: N threads call modelgate.v1.Gateway directly (ChatCompletion
non-streamed and streamed, Embed) for a fixed time, then print one JSON line of counts.

Messages are encoded by hand (a few protobuf fields), so only `grpcio` is needed, no stubs.
Every call is bounded by --call-timeout; the whole run by --seconds.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import grpc


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num: int, data: bytes) -> bytes:
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num: int, n: int) -> bytes:
    return varint(num << 3) + varint(n)


ROLE_USER = 3


def chat_request(model: str, stream: bool) -> bytes:
    message = field_varint(1, ROLE_USER) + field_bytes(2, b"Say something.")
    body = field_bytes(1, model.encode()) + field_bytes(2, message)
    if stream:
        body += field_varint(3, 1)
    return body


def embed_request(model: str) -> bytes:
    return field_bytes(1, model.encode()) + field_bytes(2, b"soak")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True, help="host:port of the core's gRPC listener")
    p.add_argument("--key", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--chat-model", default="mock-json")
    p.add_argument("--stream-model", default="mock-stream")
    p.add_argument("--embed-model", default="mock-embed")
    p.add_argument("--call-timeout", type=float, default=10.0)
    p.add_argument("--pause", type=float, default=0.0, help="seconds between a thread's calls")
    args = p.parse_args()

    ident = lambda b: b  # noqa: E731 (bytes in, bytes out)
    channel = grpc.insecure_channel(args.target)
    chat = channel.unary_stream("/modelgate.v1.Gateway/ChatCompletion", request_serializer=ident, response_deserializer=ident)
    embed = channel.unary_unary("/modelgate.v1.Gateway/Embed", request_serializer=ident, response_deserializer=ident)
    metadata = (("authorization", f"Bearer {args.key}"),)
    calls = [
        ("chat", lambda: sum(1 for _ in chat(chat_request(args.chat_model, False), metadata=metadata, timeout=args.call_timeout))),
        ("stream", lambda: sum(1 for _ in chat(chat_request(args.stream_model, True), metadata=metadata, timeout=args.call_timeout))),
        ("embed", lambda: len(embed(embed_request(args.embed_model), metadata=metadata, timeout=args.call_timeout))),
    ]
    counts: dict[str, int] = {}
    lock = threading.Lock()
    end = time.monotonic() + args.seconds

    def worker(i: int) -> None:
        n = i
        local: dict[str, int] = {}
        while time.monotonic() < end:
            name, call = calls[n % len(calls)]
            n += 1
            try:
                call()
                outcome = f"{name}:OK"
            except grpc.RpcError as e:
                outcome = f"{name}:{e.code().name}"
            local[outcome] = local.get(outcome, 0) + 1
            if args.pause:
                time.sleep(args.pause)
        with lock:
            for k, v in local.items():
                counts[k] = counts.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    channel.close()
    print(json.dumps({"total": sum(counts.values()), "outcomes": counts}))


if __name__ == "__main__":
    main()
