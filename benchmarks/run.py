#!/usr/bin/env python3
"""Run the benchmarks: ours against a baseline on the same inputs, in the same run.

    python3 dev.py bench            # full sizes; writes docs/ci/PERFORMANCE.md
    python3 dev.py bench --quick    # small sizes, once each: a smoke test without thresholds

Each benchmark generates its workload from a fixed seed under benchmarks/work/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Row

BENCHMARKS = (
    "bench_binaries",
    "bench_archives",
    "bench_results",
    "bench_api",
    "bench_startup",
    "bench_history",
)
WORK = ROOT / "benchmarks" / "work"
REPORT = ROOT / "docs" / "ci" / "PERFORMANCE.md"


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return (
        f"{value:,.1f} {unit}"
        if isinstance(value, float) and not value.is_integer()
        else f"{value:,.0f} {unit}"
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | measure | ours | baseline | baseline figure | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[r.met]
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.benchmark} | {r.measure}{note} | {_figure(r.ours, r.unit)} | {r.baseline_name} "
            f"| {_figure(r.baseline, r.unit)} | {ratio} | {r.target} | {met} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({cpu}){memory}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, no thresholds")
    parser.add_argument("--only", action="append", default=[], help="run only these benchmarks")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for name in BENCHMARKS:
        if args.only and name not in args.only and name.removeprefix("bench_") not in args.only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        found = module.run(quick=args.quick, work=WORK)
        rows.extend(found)
        print(table(found), flush=True)
    print()
    print(table(rows))
    if args.quick:
        print("\n(quick sizes: a smoke test, thresholds not applied)")
        return 0
    missed = [r for r in rows if r.met is False]
    REPORT.write_text(
        "# Performance\n\n"
        f"Measured {dt.date.today().isoformat()} on {machine()} with `python3 dev.py bench` "
        "(workloads generated from a fixed seed; medians of repeated runs; ours and the baseline "
        "on the same files in the same run).\n\n" + table(rows) + "\n\n" + notes(),
        encoding="utf-8",
    )
    print(f"\nwrote {REPORT.relative_to(ROOT)}; {len(missed)} targets missed")
    return 0


def notes() -> str:
    """The benchmarks' own notes (causes of missed targets, what was tried), in order."""
    found = sorted((ROOT / "benchmarks").glob("NOTES*.md"))
    return "\n".join(p.read_text(encoding="utf-8").rstrip() + "\n" for p in found)


if __name__ == "__main__":
    sys.exit(main())
