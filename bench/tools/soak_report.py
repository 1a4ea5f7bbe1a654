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
    p.add_argument("--seconds", type=float, help="length of the load: later samples (ramp-down) are left out of the fit")
    args = p.parse_args()

    rows: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    skipped: dict[tuple[str, str], int] = defaultdict(int)
    with open(args.out / "samples.csv") as f:
        for r in csv.DictReader(f):
            # A sample with no RSS is a failed read of /proc (the process is alive: later
            # samples have it), not a process at 0 bytes: leave it out of the fit.
            if int(r["rss_kib"] or 0) == 0:
                skipped[(r["run"], r["proc"])] += 1
                continue
            rows[(r["run"], r["proc"])].append(r)

    accounting = {d.name: account(d) for d in sorted((args.out / "raw").iterdir()) if d.is_dir()}
    limit_mib = args.max_bytes_per_1k * 1000 / MIB

    print(f"RSS slope: least squares of RSS against requests logged, after {args.warmup:.0f} s of warm-up;"
          f" limit {args.max_bytes_per_1k:,.0f} bytes per 1,000 requests ({limit_mib:.2f} MiB per million).")
    print()
    print("| mode | /metrics scraped | process | minutes | requests (all / after warm-up) | RSS start → after warm-up → end (MiB) | RSS peak (MiB) | slope (bytes / 1,000 req) | slope (MiB / million req) | verdict | slope, second half only (MiB / million) | heap (RssAnon) after warm-up → end (MiB), slope (MiB / million) | fds after warm-up → end (after load) | threads after warm-up → end | accounting |")
    print("|---|---|---|---:|---:|---|---:|---:|---:|---|---:|---|---|---|---|")
    worst_ok = True
    for (run, proc), rs in rows.items():
        mode, _, scrape = run.partition("-")
        during, after = rs[:-1], rs[-1]
        if args.seconds:
            during = [r for r in during if float(r["t_s"]) < args.seconds] or during
        measured = [r for r in during if float(r["t_s"]) >= args.warmup]
        pts = [(float(r["requests"]), float(r["rss_kib"]) * 1024) for r in measured]
        s = slope(pts)
        if s is None:
            verdict, per_1k, per_m = "too few samples", "–", "–"
            worst_ok = False
        else:
            per_1k_v = s * 1000
            per_1k, per_m = f"{per_1k_v:,.0f}", f"{per_1k_v * 1000 / MIB:.2f}"
            ok = per_1k_v <= args.max_bytes_per_1k
            worst_ok &= ok
            verdict = "flat" if ok else "**GROWS**"
        # The same fit over the second half alone: a warm-up that lasts longer than the
        # default shows as a slope that falls here, a leak as one that does not.
        half = float(during[-1]["t_s"]) / 2
        s2 = slope([(float(r["requests"]), float(r["rss_kib"]) * 1024) for r in during if float(r["t_s"]) >= half])
        per_m2 = "–" if s2 is None else f"{s2 * 1e6 / MIB:.2f}"
        first, warm, last = during[0], (measured[0] if measured else during[0]), during[-1]
        # The heap apart from the binary's pages (file-backed, touched as code first runs).
        if measured and measured[0].get("rss_anon_kib"):
            sa = slope([(float(r["requests"]), float(r["rss_anon_kib"]) * 1024) for r in measured])
            anon = (f"{int(warm['rss_anon_kib']) / 1024:.1f} → {int(last['rss_anon_kib']) / 1024:.1f}, "
                    + ("–" if sa is None else f"{sa * 1e6 / MIB:.2f}"))
        else:
            anon = "not sampled"
        peak = max(int(r["rss_kib"]) for r in rs)
        nreq = int(float(last["requests"]) - float(warm["requests"]))
        acc = accounting.get(run)
        print(
            f"| {mode} | {'yes' if scrape == 'scrape' else 'no'} | {proc} | {(args.seconds or float(last['t_s'])) / 60:.1f} |"
            f" {acc['sent'] if acc else 0:,} / {nreq:,} |"
            f" {mib(first)} → {mib(warm)} → {mib(last)} | {peak / 1024:.1f} | {per_1k} | {per_m} | {verdict} | {per_m2} | {anon} |"
            f" {warm['fds']} → {last['fds']} ({after['fds']}) | {warm['threads']} → {last['threads']} |"
            f" {acc['summary'] if acc else '?'} |"
        )

    print()
    print("| run | sent (oha + gRPC) | request log lines | modelgate_requests_total | streams in flight after | reloads sent / logged | outcomes |")
    print("|---|---:|---:|---:|---:|---|---|")
    all_accounted = True
    for name, a in accounting.items():
        all_accounted &= a["ok"]
        mark = "" if a["ok"] else " **MISMATCH**"
        print(f"| {name} | {a['sent']:,} | {a['lines']}{mark} | {a['total']:,} | {a['gauge']} | {a['reloads']} | {a['mix']} |")

    plot(args.out, rows)
    for (run, proc), n in skipped.items():
        print(f"\n{run} {proc}: {n} sample(s) with no RSS (a failed read of /proc) left out")
    print()
    print(f"verdict: {'FLAT' if worst_ok else 'GROWS'}; accounting: {'every request logged and counted' if all_accounted else 'MISMATCH (see table)'}")


MIB = 1024 * 1024


def mib(r: dict[str, str]) -> str:
    return f"{int(r['rss_kib']) / 1024:.1f}"


def account(run_dir: Path) -> dict:
    """Requests sent by the load tools against the request log and the counter of one run."""
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
    total = int(sum(float(m.group(1)) for m in re.finditer(r"^modelgate_requests_total\{[^}]*\} (\S+)$", metrics, re.M)))
    gauge = next((m.group(1) for m in re.finditer(r"^modelgate_streams_in_flight(?:\{[^}]*\})? (\S+)$", metrics, re.M)), "?")
    ok = lines.isdigit() and int(lines) == sent and total == sent and gauge in ("0", "?")
    mix = "; ".join(f"{k}: " + ", ".join(f"{c} {n:,}" for c, n in sorted(v.items())) for k, v in outcomes.items())
    summary = f"{sent:,} sent = {lines} logged = {total:,} counted" if ok else f"**MISMATCH**: {sent:,} sent, {lines} logged, {total:,} counted"
    return {"sent": sent, "lines": lines, "total": total, "gauge": gauge, "ok": ok, "mix": mix, "summary": summary,
            "reloads": f"{read('reloads-sent.txt')} / {read('reloads-logged.txt')}"}


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
        "set terminal pngcairo size 800,450 noenhanced" if _has_cairo() else "set terminal png size 800,450 noenhanced",
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
