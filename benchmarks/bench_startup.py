"""Start-up: `validate-arm64 --help` and `--version` against a bare `python -c pass`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import TOOL, Row, median_seconds


def run(*, quick: bool, work: Path) -> list[Row]:  # noqa: ARG001 - needs no files
    repeat = 5 if quick else 21

    def call(*args: str) -> None:
        subprocess.run(list(args), capture_output=True, check=True)

    floor = median_seconds(lambda: call(sys.executable, "-c", "pass"), repeat)
    rows = []
    for flag in ("--version", "--help"):
        ours = median_seconds(lambda flag=flag: call(str(TOOL), flag), repeat)
        rows.append(
            Row(
                benchmark="start-up",
                measure=f"validate-arm64 {flag}",
                ours=ours,
                baseline_name="python -c pass",
                baseline=floor,
                unit="s",
                target="within 4x",
                met=ours <= 4 * floor,
            )
        )
    return rows
