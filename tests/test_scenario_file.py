"""`demo --scenario-file` and `emulator --scenario-file`: a maintainer's own setup, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, run_cli


def own_setup(folder: Path, **repository: object) -> Path:
    """The healthy scenario as a user's file, with its fixtures beside it, its runner offline."""
    raw = json.loads((FIXTURES / "scenarios" / "healthy.json").read_text(encoding="utf-8"))
    raw["description"] = "Our Graviton runner, stopped for maintenance."
    raw["runners"][0]["status"] = "offline"
    raw["repository"] |= repository
    for name in ("binaries", "results", "workflows", "scenarios/workflows"):
        shutil.copytree(FIXTURES / name, folder / name)
    path = folder / "our-setup.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_demo_runs_a_scenario_file_of_the_users_own(tmp_path: Path) -> None:
    path = own_setup(tmp_path)
    report = tmp_path / "out" / "ARM64_TEST_RESULTS.md"
    done = run_cli("demo", "--scenario-file", str(path), "--report", str(report), "--quiet")
    assert done.returncode == 1, done.stdout + done.stderr
    evidence = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert evidence["evidence"]["settings"]["emulator_scenario"] == "our-setup"
    assert any(c["id"] == "RUN001" and c["status"] == "failed" for c in evidence["checks"])
    assert "scenario `our-setup`" in report.read_text(encoding="utf-8")


def test_sources_are_read_from_the_fixtures_folder_given(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    path = own_setup(tmp_path / "a")
    elsewhere = tmp_path / "b"
    elsewhere.mkdir()
    moved = shutil.move(str(path), elsewhere / path.name)
    missing = run_cli("demo", "--scenario-file", str(moved), "--report", str(tmp_path / "r.md"))
    assert missing.returncode == 2
    first = missing.stderr.splitlines()[0]
    assert first.startswith(f"validate-arm64: error: --scenario-file {moved}: ")
    assert "not found under" in first and "--fixtures DIR" in first
    assert not (tmp_path / "r.md").exists()
    given = run_cli(
        "demo",
        "--scenario-file",
        str(moved),
        "--fixtures",
        str(tmp_path / "a"),
        "--report",
        str(tmp_path / "r.md"),
        "--quiet",
    )
    assert given.returncode == 1, given.stderr


def test_scenario_and_scenario_file_exclude_each_other(tmp_path: Path) -> None:
    path = own_setup(tmp_path)
    done = run_cli("demo", "--scenario", "healthy", "--scenario-file", str(path))
    assert done.returncode == 2
    assert "exclude each other" in done.stderr
    assert run_cli("demo", "--fixtures", str(tmp_path)).returncode == 2


def test_emulator_serves_a_scenario_file(tmp_path: Path) -> None:
    path = own_setup(tmp_path, owner="octo-org", name="graviton-ci")
    script = Path(sys.executable).with_name("validate-arm64")
    with subprocess.Popen(
        [str(script), "emulator", "--scenario-file", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline().strip()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    assert first.startswith("serving octo-org/graviton-ci at http://127.0.0.1:"), first
