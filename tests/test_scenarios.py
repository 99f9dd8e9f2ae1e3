"""Every emulator scenario end to end through the CLI (subprocess, real HTTP on loopback).

Each scenario's verdict, exit code and the checks that stand in the way are asserted, and its
report is a reviewed snapshot.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from validator.emulator import Emulator, VirtualClock
from validator.emulator.demo import emulator_config, virtual_hooks
from validator.orchestrate import validate

from conftest import run_cli

# scenario → (exit code, verdict, blocking checks that failed, checks not checked)
EXPECTED = {
    "healthy": (0, "GO", set(), set()),
    "legacy-ghes": (0, "GO", set(), set()),
    "no-runners": (1, "NO-GO", {"RUN001", "RUN003"}, {"RUN002", "TST001", "ELF001", "ART001"}),
    "runner-offline": (1, "NO-GO", {"RUN001"}, {"RUN002", "ELF001"}),
    "queue-stuck": (1, "NO-GO", {"RUN003"}, {"RUN002"}),
    "tests-failing": (1, "NO-GO", {"TST002"}, set()),
    "tests-below-expected": (1, "NO-GO", {"TST003"}, set()),
    "x86-binaries": (1, "NO-GO", {"ELF002"}, set()),
    "x86-test-results": (1, "NO-GO", {"TST001", "TST002", "TST003"}, set()),
    "manifest-only": (1, "NO-GO", {"ELF001"}, set()),
    "non-arm64-runner": (1, "NO-GO", {"WFL001"}, {"RUN002", "RUN003", "TST001", "ELF001"}),
    "non-arm64-run": (1, "NO-GO", {"WFL001", "RUN003"}, set()),
    "artifact-expired": (1, "NO-GO", {"ART001"}, {"ELF001", "TST001"}),
    "not-default-branch": (1, "NO-GO", {"WF001"}, set()),
    "autoscaled-fleet": (0, "GO", set(), set()),
    "flaky-rerun": (0, "GO", set(), set()),
    "stale-latest-run": (3, "INCONCLUSIVE", set(), {"RUN004"}),
    # Runner trust and estates (before these rules: GO, NO-GO, NO-GO, INCONCLUSIVE).
    "custom-arm64-label-on-x64": (1, "NO-GO", {"RUN001", "RUN003"}, set()),
    "org-runners-shared": (0, "GO", set(), set()),
    "org-runners-invisible": (3, "INCONCLUSIVE", set(), {"RUN001"}),
    "scale-set": (0, "GO", set(), set()),
    # Runner identity, double claims, hosted images (GO before each rule).
    "same-name-org-runner": (3, "INCONCLUSIVE", set(), {"RUN003", "TST001", "ELF001"}),
    "double-claimed-artifact": (3, "INCONCLUSIVE", set(), {"TST001"}),
    "hosted-custom-arm64-image": (3, "INCONCLUSIVE", set(), {"RUN003", "TST001", "ELF001"}),
}
# scenario → (what the usage error names, the settings with which the same scenario is GO)
REFUSED: dict[str, tuple[str, dict[str, object]]] = {
    "run-of-another-workflow": (
        ".github/workflows/ci-arm64.yml in tzervas/embeddenator, not of build-push-arm64.yml",
        {"workflow": "ci-arm64.yml", "inputs": {"runner_type": "self-hosted"}},
    ),
    "renamed-repository": (
        "has moved to tzervas/embeddenator",
        {"repository": "tzervas/embeddenator"},
    ),
}


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


def test_every_scenario_is_covered():
    listed = [line.split()[0] for line in run_cli("demo", "--list").stdout.splitlines()]
    assert sorted(listed) == sorted([*EXPECTED, *REFUSED])


@pytest.mark.parametrize("scenario", sorted(REFUSED))
def test_a_run_or_repository_other_than_asked_is_a_usage_error(scenario, tmp_path):
    names, fix = REFUSED[scenario]
    report = tmp_path / "ARM64_TEST_RESULTS.md"
    done = run_cli("demo", "--scenario", scenario, "--report", str(report), "--quiet")
    assert done.returncode == 2, done.stdout + done.stderr
    assert names in done.stderr
    assert not report.exists()
    # Without the rule it would be GO: the same scenario, asked for what it serves.
    clock = VirtualClock()
    with Emulator(scenario, clock=clock) as emu:
        config = emulator_config(emu, report=report, **fix)
        done_ok = validate(config, virtual_hooks(clock), environ={})
    assert done_ok.report.verdict == "GO"


def test_a_flaky_rerun_is_go_and_names_its_failed_attempt(tmp_path):
    report = tmp_path / "ARM64_TEST_RESULTS.md"
    done = run_cli("demo", "--scenario", "flaky-rerun", "--report", str(report), "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))["evidence"]["run"]
    assert run["attempt"] == 2
    assert [(a["number"], a["conclusion"], a["failed_jobs"]) for a in run["previous_attempts"]] == [
        (1, "failure", ["test"])
    ]
    # Jobs not re-run keep attempt 1 and count; the re-run test job is attempt 2's.
    attempts = {j["name"]: j["attempt"] for j in run["jobs"]}
    assert attempts["test"] == 2
    assert attempts["build-and-push-arm64 (debian-stable-arm64)"] == 1
    # Measured from attempt 2's start (2026-01-01), not from attempt 1's creation five days before.
    assert run["queued_seconds"] == 6.0
    assert run["run_seconds"] < 3600
    assert "attempt 1 concluded `failure` (`test` failed)" in report.read_text(encoding="utf-8")


def test_a_stale_latest_run_says_so_and_is_not_go(tmp_path):
    report = tmp_path / "ARM64_TEST_RESULTS.md"
    done = run_cli("demo", "--scenario", "stale-latest-run", "--report", str(report), "--quiet")
    assert done.returncode == 3, done.stdout + done.stderr
    evidence = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    run = evidence["evidence"]["run"]
    assert run["head_sha"] != run["ref_head_sha"]
    assert run["newer_runs"] == [20990112358]
    others = {c["id"]: c["status"] for c in evidence["checks"] if c["id"] != "RUN004"}
    assert set(others.values()) <= {"passed", "skipped"}  # GO but for the rule
    assert "is not of the head of `main`" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_end_to_end(scenario, tmp_path, snapshot):
    code, verdict, failing, unchecked = EXPECTED[scenario]
    report = tmp_path / "ARM64_TEST_RESULTS.md"
    done = run_cli("demo", "--scenario", scenario, "--report", str(report), "--quiet")
    assert done.returncode == code, done.stdout + done.stderr
    assert re.search(rf"^verdict: {verdict} for TASK-005", done.stdout, re.MULTILINE)
    evidence = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert evidence["verdict"] == verdict
    statuses = {c["id"]: c["status"] for c in evidence["checks"] if c["blocking"]}
    assert {i for i, s in statuses.items() if s == "failed"} >= failing
    if verdict == "GO":
        assert set(statuses.values()) <= {"passed", "skipped"}
    assert {i for i, s in statuses.items() if s == "inconclusive"} >= unchecked
    text = report.read_text(encoding="utf-8")
    assert f"scenario `{scenario}`" in text  # a demo report says it is one
    assert text == snapshot.use_extension(MarkdownSnapshot)


def test_emulator_command_serves_a_real_api_for_all_phases(tmp_path):
    """`validate-arm64 emulator` in one process, `--all-phases --api-url` in another."""
    script = Path(sys.executable).with_name("validate-arm64")
    with subprocess.Popen(
        [str(script), "emulator", "--scenario", "healthy", "--advance", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdout is not None
        first = server.stdout.readline().strip()
        match = re.fullmatch(r"serving (\S+/\S+) at (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        repo, url = match.groups()
        done = run_cli(
            "--all-phases",
            "--repo",
            repo,
            "--api-url",
            url,
            "--expected-tests",
            "24",
            "--poll-interval",
            "0.05s",
            "--report",
            str(tmp_path / "r.md"),
            "-q",
            cwd=tmp_path,
            env={"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "verdict: GO" in done.stdout
        assert "SENTINEL" not in (tmp_path / "r.md").read_text() + (tmp_path / "r.json").read_text()
        server.terminate()
        server.wait(timeout=10)
