"""Validations started at once from one folder never touch each other's files."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from validator.emulator import Emulator

from conftest import run_cli

TOKEN = {"GITHUB_TOKEN": "x" * 40}


def test_validations_of_different_reports_in_one_folder_never_share_downloads(tmp_path: Path):
    # Before, every validation started from this folder used .validate-arm64/run-N and emptied
    # it on start: parallel runs of the same GO run gave GO, NO-GO and INCONCLUSIVE.
    root = tmp_path / "work"
    root.mkdir()
    with Emulator("healthy", advance_per_request=1.0) as emu:

        def validate(name: str, *extra: str):
            return run_cli(
                "--all-phases",
                "--repo",
                emu.repository,
                "--api-url",
                emu.base_url,
                "--expected-tests",
                "24",
                "--poll-interval",
                "0.01s",
                "-q",
                "--report",
                str(root / name / "ARM64_TEST_RESULTS.md"),
                *extra,
                cwd=root,
                env=TOKEN,
            )

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            done = list(pool.map(lambda n: validate(n, "--use-latest-run"), ["a", "b", "c"]))
    assert [d.returncode for d in done] == [0, 0, 0], [d.stdout + d.stderr for d in done]
    for name in ("a", "b", "c"):
        assert "🟢 GO" in (root / name / "ARM64_TEST_RESULTS.md").read_text(encoding="utf-8")
    areas = sorted(p.name for p in (root / ".validate-arm64").iterdir())
    assert len(areas) == 3
    assert all(a.startswith("ARM64_TEST_RESULTS-") for a in areas)
