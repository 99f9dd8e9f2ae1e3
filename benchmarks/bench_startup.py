"""Start-up: `validate-arm64 --help`, a subcommand's `--help` and `--version` against a bare
`python -c pass`, with the help cache warm and refused (typer renders the help every time)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import TOOL, Row, row


def run(*, quick: bool, work: Path) -> list[Row]:  # noqa: ARG001 - needs no files
    repeat = 5 if quick else 21
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        warm = Path(scratch) / "cache"
        refused = Path(scratch) / "not-a-folder"  # a file: the cache cannot be used
        refused.write_text("")
        cached = {**os.environ, "XDG_CACHE_HOME": str(warm)}
        uncached = {**os.environ, "XDG_CACHE_HOME": str(refused)}
        contenders: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], cached),
            "--version": ([str(TOOL), "--version"], cached),
            "--help": ([str(TOOL), "--help"], cached),
            "gate --help": ([str(TOOL), "gate", "--help"], cached),
            "--help, cache refused": ([str(TOOL), "--help"], uncached),
            "gate --help, cache refused": ([str(TOOL), "gate", "--help"], uncached),
            'python -c "import typer"': ([sys.executable, "-c", "import typer"], cached),
        }
        for command, env in contenders.values():  # fills the cache for the warm rows
            subprocess.run(command, env=env, capture_output=True, check=True)
        if len(list((warm / "validate-arm64").glob("help-*.txt"))) != 2:
            raise RuntimeError("the help cache was not written: the warm rows would be misread")
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeat):  # in turns, so a busy moment on the machine hits every row alike
            for name, (command, env) in contenders.items():
                start = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=True)
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    floor = median.pop("python -c pass")
    rows = []
    for name, seconds in median.items():
        measure = name if name.startswith("python") else f"validate-arm64 {name}"
        if "refused" in name or "typer" in name:  # what a cache miss costs: no target
            rows.append(row("start-up", measure, seconds, "python -c pass", floor))
            continue
        rows.append(
            Row(
                benchmark="start-up",
                measure=measure,
                ours=seconds,
                baseline_name="python -c pass",
                baseline=floor,
                unit="s",
                target="within 4x",
                met=seconds <= 4 * floor,
            )
        )
    return rows
