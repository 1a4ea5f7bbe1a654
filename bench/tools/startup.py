#!/usr/bin/env python3
"""Start-up time and idle memory of `modelgate serve` (stdlib only).

Starts `BIN serve --config CONFIG --http 127.0.0.1:HTTP --grpc 127.0.0.1:GRPC` N times
in a row. For each start, measured from just before the process is spawned:

  ready_ms     first 200 from GET /health/ready (polled every 2 ms on a new
               connection; refused connections are retried)
  first_ms     first 200 from POST /v1/chat/completions (mock-json), sent right
               after ready_ms; includes the first connection to the upstream
  rss_ready    VmRSS (KiB) right after ready_ms
  rss_1req     VmRSS after that one non-streaming request
  rss_stream   VmRSS after one more, streaming request (mock-stream)
  hwm          VmHWM (peak RSS) after those requests

Then SIGTERM, bounded wait, SIGKILL if needed. stdout/stderr of every start go
to LOG_DIR/startup-N.log (RUST_LOG untouched). Writes all records and the
medians as JSON to --json and prints a one-line summary.

  startup.py --bin target/profiling/modelgate --config bench/modelgate.yaml \
      --http 18220 --grpc 18221 -n 5 --log-dir /tmp/x --json /tmp/x/startup.json
"""
import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time

DEADLINE_S = 30.0  # per start: give up if not ready by then


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def request(port, method, path, key=None, body=None, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def chat_body(model, stream):
    extra = ',"stream":true,"stream_options":{"include_usage":true}' if stream else ""
    return ('{"model":"%s","messages":[{"role":"user","content":"Say something."}],"max_tokens":64%s}'
            % (model, extra)).encode()


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def one_start(a, i):
    log = open(os.path.join(a.log_dir, f"startup-{i}.log"), "wb")
    cmd = [a.bin, "serve", "--config", a.config,
           "--http", f"127.0.0.1:{a.http}", "--grpc", f"127.0.0.1:{a.grpc}"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    rec = {"start": i, "pid": proc.pid}
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"modelgate exited with {proc.returncode} before ready "
                                   f"(see {log.name})")
            if time.perf_counter() - t0 > DEADLINE_S:
                raise RuntimeError(f"not ready after {DEADLINE_S:.0f} s (see {log.name})")
            try:
                if request(a.http, "GET", "/health/ready", timeout=2.0) == 200:
                    break
            except OSError:
                pass
            time.sleep(0.002)
        rec["ready_ms"] = (time.perf_counter() - t0) * 1000
        rec["rss_ready"] = status_kb(proc.pid, "VmRSS")
        code = request(a.http, "POST", "/v1/chat/completions", a.key, chat_body("mock-json", False))
        rec["first_ms"] = (time.perf_counter() - t0) * 1000
        if code != 200:
            raise RuntimeError(f"first chat completion answered HTTP {code} (see {log.name})")
        rec["rss_1req"] = status_kb(proc.pid, "VmRSS")
        code = request(a.http, "POST", "/v1/chat/completions", a.key, chat_body("mock-stream", True))
        if code != 200:
            raise RuntimeError(f"streaming chat completion answered HTTP {code} (see {log.name})")
        rec["rss_stream"] = status_kb(proc.pid, "VmRSS")
        rec["hwm"] = status_kb(proc.pid, "VmHWM")
        return rec
    finally:
        stop(proc)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--http", type=int, required=True)
    ap.add_argument("--grpc", type=int, required=True)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--key", default=os.environ.get("BENCH_API_KEY", ""))
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    os.makedirs(a.log_dir, exist_ok=True)
    # SIGTERM from the driver (its cleanup) unwinds through the finally blocks above.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    runs = [one_start(a, i) for i in range(1, a.n + 1)]
    keys = ("ready_ms", "first_ms", "rss_ready", "rss_1req", "rss_stream", "hwm")
    summary = {k: statistics.median(r[k] for r in runs) for k in keys}
    summary.update(n=len(runs), ready_ms_min=min(r["ready_ms"] for r in runs),
                   ready_ms_max=max(r["ready_ms"] for r in runs))
    with open(a.json, "w") as f:
        json.dump({"summary": summary, "runs": runs}, f, indent=1)
    print(f"  start-up x{len(runs)}: ready p50 {summary['ready_ms']:.1f} ms "
          f"(min {summary['ready_ms_min']:.1f}, max {summary['ready_ms_max']:.1f}), "
          f"first chat p50 {summary['first_ms']:.1f} ms; VmRSS ready {summary['rss_ready'] / 1024:.1f} MiB, "
          f"after 1 request {summary['rss_1req'] / 1024:.1f} MiB, after 1 stream {summary['rss_stream'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
