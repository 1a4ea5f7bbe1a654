#!/usr/bin/env python3
"""Table of bench/responses/run's results: median req/s and latency per target and
concurrency, and each modelgate target's ratio to the upstream it calls, called directly
(stdlib only).   report.py RESULTS_DIR
"""
import glob
import json
import os
import re
import statistics
import sys

RUN = re.compile(r"^(.+)_c(\d+)_r(\d+)\.json$")
PAIRS = {
    "modelgate-pass": "direct-responses",
    "modelgate-translated": "direct-chat",
    "modelgate-chat": "direct-chat",
}
ORDER = [
    "direct-responses",
    "modelgate-pass",
    "direct-chat",
    "modelgate-translated",
    "modelgate-chat",
]


def measure(path):
    d = json.load(open(path))
    codes = d.get("statusCodeDistribution") or {}
    ok = sum(v for k, v in codes.items() if str(k).startswith("2"))
    errs = dict(d.get("errorDistribution") or {})
    errs.pop("aborted due to deadline", None)
    bad = sum(v for k, v in codes.items() if not str(k).startswith("2")) + sum(errs.values())
    pct = d.get("latencyPercentiles") or {}
    return ok / (d["summary"]["total"] or 1e-9), bad, pct.get("p50"), pct.get("p99")


def main():
    out = sys.argv[1]
    runs = {}
    for p in glob.glob(os.path.join(out, "raw", "*.json")):
        m = RUN.match(os.path.basename(p))
        if m:
            runs.setdefault((m[1], int(m[2])), []).append(measure(p))
    print("## Streamed `/v1/responses`: modelgate vs the same upstream called directly\n")
    print("| c | target | req/s | p50 ms | p99 ms | errors | ratio to direct |")
    print("|---|---|---|---|---|---|---|")
    for c in sorted({c for _, c in runs}):
        med = {}
        for name in ORDER:
            rs = runs.get((name, c))
            if not rs:
                continue
            rps = statistics.median(r[0] for r in rs)
            med[name] = rps
            p50 = statistics.median(r[2] for r in rs if r[2] is not None) * 1000
            p99 = statistics.median(r[3] for r in rs if r[3] is not None) * 1000
            errors = sum(r[1] for r in rs)
            base = PAIRS.get(name)
            ratio = f"{rps / med[base]:.2f}" if base in med and med[base] else ""
            print(f"| {c} | {name} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {errors} | {ratio} |")
    print("\nratio = modelgate req/s over the direct target's (pass-through: the Responses "
          "upstream; translated and chat: the chat stream upstream). Medians over repetitions.")


if __name__ == "__main__":
    main()
