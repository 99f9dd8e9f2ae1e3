"""The nightly job and the release gate, end to end against the emulator over HTTP."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from validator.emulator import Emulator, load_scenario

from builders import present
from conftest import FIXTURES, run_cli

TOKEN = {"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"}


@pytest.fixture
def serve():
    """``serve("healthy")`` → a running emulator whose clock moves with each request."""
    running: list[Emulator] = []

    def start(scenario: str) -> Emulator:
        emu = Emulator(scenario, advance_per_request=30.0).start()
        running.append(emu)
        return emu

    yield start
    for emu in running:
        emu.stop()


def validate(emu: Emulator, report: Path, *extra: str):
    return run_cli(
        "--all-phases",
        "--repo",
        emu.repository,
        "--api-url",
        emu.base_url,
        "--report",
        str(report),
        "--poll-interval",
        "0.01s",
        "-q",
        *extra,
        cwd=report.parent.parent,
        env=TOKEN,
    )


def test_nightly_on_unchanged_evidence_leaves_the_report_byte_identical(serve, tmp_path):
    emu = serve("healthy")
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    first = validate(emu, report, "--use-latest-run", "--expected-tests", "24")
    assert first.returncode == 0, first.stdout + first.stderr
    before = report.read_bytes()
    dispatches = [r for r in emu.requests if r.method == "POST" and r.path.endswith("/dispatches")]
    assert dispatches == []  # a nightly spends no runner time
    second = validate(emu, report, "--use-latest-run", "--expected-tests", "24")
    assert second.returncode == 0
    assert "(unchanged)" in second.stderr
    assert report.read_bytes() == before
    history = report.with_name("ARM64_TEST_RESULTS.history.jsonl").read_text().splitlines()
    assert len(history) == 1


def test_go_run_then_gate_passes_and_a_no_go_makes_it_fail(serve, tmp_path):
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    assert validate(serve("healthy"), report, "--expected-tests", "24").returncode == 0
    evidence = report.with_suffix(".json")
    document = json.loads(evidence.read_text())
    sha = document["head_sha"]
    # The emulator says what it is in every answer: its evidence never passes the gate.
    assert document["evidence"]["settings"]["emulator_scenario"] == "healthy"
    refused = run_cli("gate", "--evidence", str(evidence), "--max-age", "3650d")
    assert refused.returncode == 2
    assert "evidence from the built-in emulator" in refused.stderr

    # The same evidence as GitHub would have served it (and, since the emulator's clock starts
    # on 2026-01-02, old by the wall clock).
    def as_from_github() -> None:
        data = json.loads(evidence.read_text())
        data["evidence"]["settings"]["emulator_scenario"] = None
        evidence.write_text(json.dumps(data))

    as_from_github()
    gate = run_cli("gate", "--evidence", str(evidence), "--sha", sha[:7], "--max-age", "3650d")
    assert gate.returncode == 0, gate.stderr
    assert gate.stdout.startswith("GO: tzervas/embeddenator at ")

    failing = validate(serve("tests-failing"), report, "--expected-tests", "24")
    assert failing.returncode == 1
    as_from_github()
    gate = run_cli("gate", "--evidence", str(evidence), "--max-age", "3650d")
    assert gate.returncode == 1
    assert gate.stderr.startswith("NO-GO: failing checks ")
    assert "TST002" in gate.stderr


def healthy_without_two_tests(tmp_path: Path):
    """The healthy scenario, but its JUnit artifact lost two test cases."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "binaries", fixtures / "binaries")
    shutil.copytree(FIXTURES / "results", fixtures / "results")
    shutil.copytree(FIXTURES / "workflows", fixtures / "workflows")  # served before dispatch
    shutil.copytree(FIXTURES / "scenarios" / "workflows", fixtures / "scenarios" / "workflows")
    junit = fixtures / "results" / "pytest-pass.xml"
    text = junit.read_text(encoding="utf-8")
    cases = re.findall(r"<testcase [^>]*?(?:/>|>.*?</testcase>)", text, re.DOTALL)
    gone = [present(re.search(r'name="([^"]+)"', c)).group(1) for c in cases[:2]]
    for case in cases[:2]:
        text = text.replace(case, "")
    junit.write_text(text, encoding="utf-8")
    return load_scenario("healthy", fixtures_dir=fixtures), gone


def test_removed_tests_are_named_and_fail_with_fail_on_test_drop(serve, tmp_path):
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    assert validate(serve("healthy"), report, "--min-tests", "1").returncode == 0
    smaller, gone = healthy_without_two_tests(tmp_path)
    dropped = validate(serve(smaller), report, "--min-tests", "1", "--fail-on-test-drop")
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert "FAIL  TST004" in dropped.stdout
    text = report.read_text(encoding="utf-8")
    assert "2 tests disappeared since" in text
    for name in gone:
        assert name in text
    assert "Since the previous validation: 0 tests added, 2 removed (" in text

    other = tmp_path / "other" / "ARM64_TEST_RESULTS.md"
    assert validate(serve("healthy"), other, "--min-tests", "1").returncode == 0
    warned = validate(serve(smaller), other, "--min-tests", "1")
    assert warned.returncode == 0, warned.stdout  # without the flag the drop is a warning
    assert "FAIL  TST004" in warned.stdout and "(warning)" in warned.stdout


def test_hand_written_notes_survive_regeneration(serve, tmp_path):
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    assert validate(serve("healthy"), report, "--expected-tests", "24").returncode == 0
    notes = (
        "<!-- validate-arm64:notes:start -->\nThe runner is a Graviton t4g.large "
        "owned by the platform team. | ünïcødé ✅\n\n- keep this line\n"
        "<!-- validate-arm64:notes:end -->"
    )
    original = report.read_text(encoding="utf-8")
    start = original.index("<!-- validate-arm64:notes:start -->")
    end = original.index("<!-- validate-arm64:notes:end -->") + len(
        "<!-- validate-arm64:notes:end -->"
    )
    report.write_text(original[:start] + notes + original[end:], encoding="utf-8")
    assert validate(serve("tests-failing"), report, "--expected-tests", "24").returncode == 1
    regenerated = report.read_text(encoding="utf-8")
    assert "🔴 NO-GO" in regenerated
    assert notes in regenerated
