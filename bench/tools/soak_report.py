#!/usr/bin/env python3
"""bench/soak's report: per run and process, the least-squares slope of RSS against requests
served after warm-up (bytes per 1,000 requests) with a verdict, fds/threads/in-flight at the
start of the measurement and at the end, request accounting (oha + gRPC callers vs the request
log and modelgate_requests_total), and the RSS-over-time plot (gnuplot, PNG)."""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path


def slope(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    if var == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in points) / var


def oha_count(path: Path) -> tuple[int, dict[str, int]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0, {}
    outcomes: dict[str, int] = {}
    for code, n in (data.get("statusCodeDistribution") or {}).items():
        outcomes[str(code)] = outcomes.get(str(code), 0) + int(n)
    for err, n in (data.get("errorDistribution") or {}).items():
        key = "client timeout" if "timeout" in err.lower() else err[:40]
        outcomes[key] = outcomes.get(key, 0) + int(n)
    return sum(outcomes.values()), outcomes


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path)
    p.add_argument("--warmup", type=float, required=True, help="seconds left out of the fit")
    p.add_argument("--max-bytes-per-1k", type=float, required=True)
    args = p.parse_args()

    rows: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with open(args.out / "samples.csv") as f:
        for r in csv.DictReader(f):
            rows[(r["run"], r["proc"])].append(r)

    print("| run | process | requests measured | RSS after warm-up → end (MiB) | slope (bytes / 1,000 req) | verdict | fds | threads | streams in flight (last scrape) |")
    print("|---|---|---:|---|---:|---|---|---|---|")
    worst_ok = True
    for (run, proc), rs in rows.items():
        during, after = rs[:-1], rs[-1]
        measured = [r for r in during if float(r["t_s"]) >= args.warmup]
        pts = [(float(r["requests"]), float(r["rss_kib"]) * 1024) for r in measured]
        s = slope(pts)
        if s is None:
            verdict, per_1k = "too few samples", "–"
            worst_ok = False
        else:
            per_1k_v = s * 1000
            per_1k = f"{per_1k_v:,.0f}"
            ok = per_1k_v <= args.max_bytes_per_1k
            worst_ok &= ok
            verdict = "flat" if ok else f"GROWS (limit {args.max_bytes_per_1k:,.0f})"
        first = measured[0] if measured else during[0]
        last = during[-1]
        gauges = [r["streams_in_flight"] for r in during if r["streams_in_flight"]]
        nreq = int(float(last["requests"]) - float(first["requests"]))
        print(
            f"| {run} | {proc} | {nreq:,} | {int(first['rss_kib']) / 1024:.1f} → {int(last['rss_kib']) / 1024:.1f}"
            f" (after load {int(after['rss_kib']) / 1024:.1f}) | {per_1k} | {verdict} |"
            f" {first['fds']} → {last['fds']} (after {after['fds']}) | {first['threads']} → {last['threads']} |"
            f" {gauges[-1] if gauges else 'not scraped'} |"
        )

    print()
    print("| run | sent (oha + gRPC) | request log lines | modelgate_requests_total | streams in flight after | reloads sent / logged | outcomes |")
    print("|---|---:|---:|---:|---:|---|---|")
    all_accounted = True
    for run_dir in sorted((args.out / "raw").iterdir()):
        sent = 0
        outcomes: dict[str, dict[str, int]] = {}
        for f in sorted(run_dir.glob("*.json")):
            if f.name == "grpc.json":
                try:
                    g = json.loads(f.read_text().strip().splitlines()[-1])
                except (OSError, ValueError, IndexError):
                    g = {"total": 0, "outcomes": {}}
                sent += g["total"]
                outcomes["grpc"] = g["outcomes"]
            else:
                n, o = oha_count(f)
                sent += n
                outcomes[f.stem] = o
        read = lambda name: (run_dir / name).read_text().strip() if (run_dir / name).exists() else "?"  # noqa: E731
        lines = read("request-lines.txt")
        metrics = (run_dir / "metrics-after.txt").read_text() if (run_dir / "metrics-after.txt").exists() else ""
        total = sum(float(m.group(1)) for m in re.finditer(r"^modelgate_requests_total\{[^}]*\} (\S+)$", metrics, re.M))
        gauge = next((m.group(1) for m in re.finditer(r"^modelgate_streams_in_flight (\S+)$", metrics, re.M)), "?")
        accounted = lines.isdigit() and int(lines) == sent and int(total) == sent
        all_accounted &= accounted
        mix = "; ".join(f"{k}: " + ", ".join(f"{c} {n:,}" for c, n in sorted(v.items())) for k, v in outcomes.items())
        mark = "" if accounted else " **MISMATCH**"
        print(f"| {run_dir.name} | {sent:,} | {lines}{mark} | {int(total):,} | {gauge} | {read('reloads-sent.txt')} / {read('reloads-logged.txt')} | {mix} |")

    plot(args.out, rows)
    print()
    print(f"verdict: {'FLAT' if worst_ok else 'GROWS'}; accounting: {'every request logged and counted' if all_accounted else 'MISMATCH (see table)'}")


def plot(out: Path, rows: dict[tuple[str, str], list[dict[str, str]]]) -> None:
    if not shutil.which("gnuplot"):
        print("(gnuplot not found: no plot)")
        return
    series = []
    for (run, proc), rs in rows.items():
        data = out / f"plot-{run}-{proc}.dat"
        data.write_text("".join(f"{r['t_s']} {int(r['rss_kib']) / 1024:.2f}\n" for r in rs))
        series.append(f"'{data}' using 1:2 with lines lw 2 title '{run} {proc}'")
    script = "\n".join([
        "set terminal pngcairo size 1000,560 noenhanced" if _has_cairo() else "set terminal png size 1000,560 noenhanced",
        f"set output '{out / 'rss.png'}'",
        "set title 'modelgate RSS under the soak load (bench/soak)'",
        "set xlabel 'seconds'",
        "set ylabel 'VmRSS (MiB)'",
        "set yrange [0:*]",
        "set key bottom right",
        "set grid",
        "plot " + ", ".join(series),
    ])
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


def _has_cairo() -> bool:
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True, check=False)
    return "pngcairo" in (r.stdout + r.stderr)


if __name__ == "__main__":
    main()
