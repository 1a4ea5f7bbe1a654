#!/usr/bin/env python3
"""Two modelgate builds side by side: median req/s of build B over build A per scenario,
concurrency and shape (serve, split), from a run.sh results dir (stdlib only).

  ab_report.py RESULTS_DIR A_TARGET B_TARGET

A_TARGET and B_TARGET name the `serve` targets; their split twins are `<name>-split`.
req/s counts 2xx responses over oha's elapsed time, as run.sh's report does.
"""
import glob
import json
import os
import re
import statistics
import sys

ABORT = "aborted due to deadline"
RUN = re.compile(r"^(json|stream|paced)_c(\d+)_r(\d+)_(.+)\.json$")


def rps(path):
    d = json.load(open(path))
    codes = d.get("statusCodeDistribution") or {}
    ok = sum(v for k, v in codes.items() if str(k).startswith("2"))
    errs = dict(d.get("errorDistribution") or {})
    errs.pop(ABORT, None)
    bad = sum(v for k, v in codes.items() if not str(k).startswith("2")) + sum(errs.values())
    return ok / (d["summary"]["total"] or 1e-9), bad


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, a, b = sys.argv[1:]
    runs = {}
    for p in glob.glob(os.path.join(out, "raw", "*.json")):
        m = RUN.match(os.path.basename(p))
        if not m or p.endswith((".meta.json", ".ttft.json")):
            continue
        runs.setdefault((m[1], int(m[2]), m[4]), []).append(rps(p))
    order = {"json": 0, "stream": 1, "paced": 2}
    keys = sorted({(s, c) for s, c, _ in runs}, key=lambda k: (order[k[0]], k[1]))
    print(f"### {b} vs {a} (median req/s; B/A)\n")
    print(f"| scenario | c | shape | {a} req/s | {b} req/s | B/A | errors A/B |")
    print("|---|---:|---|---:|---:|---:|---|")
    for s, c in keys:
        for shape, sa, sb in (("serve", a, b), ("split", f"{a}-split", f"{b}-split")):
            ra, rb = runs.get((s, c, sa)), runs.get((s, c, sb))
            if not ra or not rb:
                continue
            ma = statistics.median(r for r, _ in ra)
            mb = statistics.median(r for r, _ in rb)
            ratio = f"{mb / ma:.3f}" if ma else "-"
            ea, eb = sum(e for _, e in ra), sum(e for _, e in rb)
            print(f"| {s} | {c} | {shape} | {ma:,.1f} | {mb:,.1f} | {ratio} | {ea}/{eb} |")


if __name__ == "__main__":
    main()
