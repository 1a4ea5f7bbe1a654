#!/usr/bin/env python3
"""The second table of bench/run: modelgate's start-up, idle memory and C10K paced
streams, from RESULTS_DIR/extras/{startup.json, c10k-MODE.meta.json, c10k-MODE-oha.json}
and the C10K processes' logs
(stdlib only). Prints markdown.

  extras_report.py RESULTS_DIR
"""
import json
import os
import re
import sys

ABORT = "aborted due to deadline"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def ms(s):
    return "-" if s is None else f"{s * 1000:,.0f} ms"



STATUS_RE = re.compile(r" status=(\d+)")
ERROR_RE = re.compile(r' error="(.*)"')


def gateway_errors(out_dir, meta):
    """Non-200 request log lines of the C10K processes, by status and error message."""
    kinds = {}
    for p in meta["procs"]:
        try:
            f = open(os.path.join(out_dir, p["log"]), errors="replace")
        except OSError:
            continue
        with f:
            for line in f:
                if "modelgate::request:" not in line:
                    continue
                m = STATUS_RE.search(line)
                if m and m[1] != "200":
                    e = ERROR_RE.search(line)
                    k = f"{m[1]} {e[1] if e else ''}".strip()
                    kinds[k] = kinds.get(k, 0) + 1
    return kinds


def c10k_rows(w, out_dir, meta, oha):
    c = meta["c"]
    procs = meta["procs"]
    split = len(procs) > 1
    what = "`core` + `facade`" if split else "`serve`"
    title = f"{c:,} paced streams, {what}"
    total = lambda key: sum(p[key] for p in procs)  # noqa: E731
    each = lambda key, fmt: " + ".join(f"{p['name']} {fmt(p[key])}" for p in procs)  # noqa: E731
    if oha:
        codes = oha.get("statusCodeDistribution") or {}
        errs = dict(oha.get("errorDistribution") or {})
        errs.pop(ABORT, None)
        ok = sum(v for k, v in codes.items() if str(k).startswith("2"))
        kinds = {**errs, **{f"HTTP {k}": v for k, v in codes.items() if not str(k).startswith("2")}}
        bad = sum(kinds.values())
        missing = meta["n"] - ok - bad
        lp = oha.get("latencyPercentiles") or {}
        fb = oha.get("firstBytePercentiles") or {}
        summ = oha.get("summary") or {}
        per = (summ.get("totalData") or 0) / ok if ok else 0
        kinds_s = "; ".join(f"{k}: {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])) or "none"
        gw = gateway_errors(out_dir, meta)
        gw_s = "; ".join(f"{k}: {v}" for k, v in sorted(gw.items(), key=lambda kv: -kv[1]))
        w(f"| {title}: completed 200 | {ok:,} of {meta['n']:,} | `oha -n {meta['n']} -c {c}` (one request per "
          f"connection, each capped at -t {meta['timeout_s']}s){f'; {missing:,} not reported by oha' if missing else ''} |")
        w(f"| {title}: errors | {bad:,} | oha: {kinds_s}" + (f"; modelgate's request log: {gw_s}" if gw_s else "") + " |")
        w(f"| {title}: latency | p50 {ms(lp.get('p50'))}, p99 {ms(lp.get('p99'))} | whole stream "
          "(ideal ~1,000 ms: 50 chunks 20 ms apart); first byte "
          f"p50 {ms(fb.get('p50'))}, p99 {ms(fb.get('p99'))}; all done in {meta['wall_s']:.1f} s |")
        complete = ("all whole" if per >= meta["ref_bytes"] - 0.5 else
                    "SHORT: some 200 streams ended early, e.g. with an error event inside the stream")
        w(f"| {title}: bytes per 200 response | {per:,.0f} | one stream alone before the load: {meta['ref_bytes']:,} ({complete}) |")
    else:
        w(f"| {title} | no oha result | oha exited {meta['oha_rc']} (see extras/c10k-{meta['mode']}-oha.err) |")
    w(f"| {title}: modelgate peak RSS (VmHWM) | {mib(total('hwm_kb'))} | "
      + (f"{each('hwm_kb', mib)}; " if split else "")
      + f"before the load {mib(total('rss_before_kb'))}, after it {mib(total('rss_after_kb'))} (VmRSS) |")
    w(f"| {title}: modelgate CPU | {meta['cpu_s']:.1f} s | user+system over the {meta['wall_s']:.1f} s run "
      f"({meta['cpu_s'] / max(meta['wall_s'], 1e-9) * 100:.0f} %, 100 % = one core); the mock nginx used "
      f"{meta['mock_cpu_s']:.1f} s, oha {meta.get('oha_cpu_s', 0):.1f} s |")
    fds = each("peak_fds", "{:,}".format) if split else f"{total('peak_fds'):,}"
    w(f"| {title}: modelgate open fds, peak | {fds} | "
      f"sampled every 0.25 s; per process limit {meta['nofile']:,} |")
    w(f"| {title}: modelgate after the load | "
      f"{'running' if all(p['alive_after'] for p in procs) else 'DIED: ' + ', '.join(p['name'] for p in procs if not p['alive_after'])} | "
      + "logs: " + ", ".join(f"`{p['log']}`" for p in procs) + " |")


def main():
    out_dir = sys.argv[1]
    ex = os.path.join(out_dir, "extras")
    rows = []
    w = rows.append
    env = ""
    if os.path.exists(os.path.join(out_dir, "modelgate-env.txt")):
        env = open(os.path.join(out_dir, "modelgate-env.txt")).read().strip()

    st = load(os.path.join(ex, "startup.json"))
    if st:
        s = st["summary"]
        n = s["n"]
        w(f"| start-up to ready | {s['ready_ms']:.1f} ms | median of {n} fresh `serve` starts "
          f"(min {s['ready_ms_min']:.1f}, max {s['ready_ms_max']:.1f}): spawn → first 200 from GET /health/ready |")
        w(f"| start-up to first completion | {s['first_ms']:.1f} ms | spawn → first 200 from POST /v1/chat/completions "
          "(mock-json, sent right after ready; includes the first upstream connection) |")
        w(f"| idle VmRSS, ready | {mib(s['rss_ready'])} | median of {n}, right after ready, no request served yet |")
        w(f"| idle VmRSS, after 1 request | {mib(s['rss_1req'])} | after one non-streaming completion |")
        w(f"| idle VmRSS, after 1 stream | {mib(s['rss_stream'])} | after one more, streaming completion (mock-stream) |")
        w(f"| VmHWM after those | {mib(s['hwm'])} | peak RSS of the process so far |")

    metas = []
    for mode in ("serve", "split"):
        meta = load(os.path.join(ex, f"c10k-{mode}.meta.json"))
        if meta:
            metas.append(meta)
            c10k_rows(w, out_dir, meta, load(os.path.join(ex, f"c10k-{mode}-oha.json")))
    meta = metas[0] if metas else None

    print("## modelgate: start-up, idle memory, concurrent paced streams\n")
    if env:
        print("```\n" + env + "\n```\n")
    if not rows:
        print("(no extra measurements in this run)")
        return
    if meta:
        print(f"The {meta['c']:,}-stream test runs against a private nginx rendered from the shared "
              f"mock's template (same bodies and pacing) with {meta['mock_workers']} workers × "
              f"{meta['mock_worker_connections']:,} connections, because the shared mock (1 worker × 8,192 "
              "connections) cannot hold that many upstream connections. Each mode is a fresh modelgate "
              "with the same config pointed at that nginx. oha, nginx and modelgate share the machine's "
              "cores: the CPU rows say how much of the run was modelgate's.")
        if meta["nofile"] < 2 * meta["c"] + 256:
            print(f"\n**Open-files limit: {meta['nofile']:,} per process** (the hard limit here; raising it "
                  "needs CAP_SYS_RESOURCE). `serve` holds ~2 descriptors per stream (client connection + "
                  f"upstream connection), so {meta['c']:,} streams take it to (or past) that limit; when it is reached, "
                  "streams fail with 'Too many open files' (502 in the errors row). Split mode holds ~1 per stream "
                  "in each process.")
        print()
    print("| measurement | value | how |")
    print("|---|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
