"""Shared pieces of the benchmarks: rows of results, timing, peak memory of a child process."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = Path(sys.executable).with_name("validate-arm64")


@dataclass(frozen=True, kw_only=True)
class Row:
    """One measured comparison: ours against a baseline, on the same input, in the same run."""

    benchmark: str
    measure: str
    ours: float
    baseline_name: str
    baseline: float | None
    unit: str
    target: str
    met: bool | None  # None: no threshold for this row
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.ours / self.baseline


def row(
    benchmark: str,
    measure: str,
    value: float,
    baseline_name: str,
    baseline: float | None,
    *,
    unit: str = "s",
    target: str = "— (informative)",
    met: bool | None = None,
    note: str = "",
) -> Row:
    """A Row from positional essentials; informative (no target) unless told otherwise."""
    return Row(
        benchmark=benchmark,
        measure=measure,
        ours=value,
        baseline_name=baseline_name,
        baseline=baseline,
        unit=unit,
        target=target,
        met=met,
        note=note,
    )


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_measured(command: Sequence[str], *, cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MB of that child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-400:]}")
    # ru_maxrss of children is the maximum over all children so far: measure in a fresh child
    # process per command (see peak_rss_mb) when the exact figure matters.
    return wall, max(after, before) / 1024, done.stdout


def peak_rss_mb(command: Sequence[str], *, cwd: Path | None = None) -> float:
    """Peak resident memory of one command, measured with GNU time when present."""
    timer = Path("/usr/bin/time")
    if timer.exists():
        done = subprocess.run(
            [str(timer), "-f", "%M", *command], cwd=cwd, capture_output=True, text=True, check=False
        )
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        if last.isdigit():
            return int(last) / 1024
    wrapper = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip()) / 1024


def env_without_token() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
