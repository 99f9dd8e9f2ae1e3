"""Result files that look like a pass and are not: each would say GO without its rule.

A count met by skipped tests, a test binary that died before it printed anything
(``cargo test -q``), a nextest run stopped by an interrupt, a JUnit suite whose setup failed
beside passing testcases. Each is checked on the verdict and on ``count-tests``' exit code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from validator.checks import BY_ID
from validator.evidence import TestScan
from validator.report import assess
from validator.results import scan_results

from builders import RESULTS_ORIGIN, go
from conftest import FIXTURES

RESULTS = FIXTURES / "results"
TODAY = dt.date(2026, 1, 2)


def judged(path: Path, *, expected: int | None = 24, minimum: int | None = None):
    """Evidence on which every other check passes, with this file as the ARM64 job's results."""
    scan = scan_results([path])
    scan = TestScan(files=tuple(replace(f, origin=RESULTS_ORIGIN) for f in scan.files))
    base = go()
    settings = replace(base.settings, expected_tests=expected, min_tests=minimum)
    return replace(base, settings=settings, tests=scan)


def failing_checks(ev) -> set[str]:
    return {cid for cid in ("TST001", "TST002", "TST003") if BY_ID[cid].run(ev).status != "passed"}


def test_the_healthy_evidence_is_go() -> None:
    ev = judged(RESULTS / "pytest-pass.xml")
    assert failing_checks(ev) == set()
    assert assess(ev, today=TODAY).verdict == "GO"


def test_a_count_met_by_skipped_tests_is_no_go(cli) -> None:
    # 23 of 24 testcases are <skipped/>: 1 test ran, 24 were expected.
    ev = judged(RESULTS / "junit-skipped23.xml")
    assert failing_checks(ev) == {"TST003"}
    assert assess(ev, today=TODAY).verdict != "GO"
    run = cli("count-tests", str(RESULTS / "junit-skipped23.xml"), "--expected", "24")
    assert run.returncode == 1


@pytest.mark.parametrize("name", ["cargo-test-quiet-sigill.log", "cargo-test-quiet-sigill.gh.log"])
def test_a_test_binary_killed_by_sigill_in_quiet_output_is_no_go(cli, name: str) -> None:
    # Real `cargo test -q`: the e2e binary dies of SIGILL before `running N tests`; the other
    # binaries' 12 tests (11 passed, 1 ignored) are all that was printed.
    ev = judged(RESULTS / name, expected=None, minimum=11)
    assert failing_checks(ev) == {"TST001", "TST002"}
    assert assess(ev, today=TODAY).verdict != "GO"
    (entry,) = ev.tests.files
    assert entry.error is not None and "SIGILL" in entry.error
    assert entry.counts.errors == 1
    assert "--test e2e_regression" in entry.failures[0].name
    assert cli("count-tests", str(RESULTS / name), "--min", "11").returncode == 1


def test_an_interrupted_nextest_run_is_no_go(cli) -> None:
    # `Summary [...] 20/24 tests run` and `warning: 4/24 tests were not run due to interrupt`.
    path = RESULTS / "nextest-interrupted.log"
    ev = judged(path, expected=None, minimum=20)
    (entry,) = ev.tests.files
    assert entry.counts.not_run == 4
    assert entry.error is not None and "interrupt" in entry.error
    assert "TST001" in failing_checks(ev)
    assert assess(ev, today=TODAY).verdict != "GO"
    assert cli("count-tests", str(path), "--min", "20").returncode == 1


def test_a_junit_suite_level_error_is_no_go(cli) -> None:
    # 24 passing testcases and an <error> of the suite itself (its setup failed).
    path = RESULTS / "junit-suite-error24.xml"
    ev = judged(path)
    (entry,) = ev.tests.files
    assert (entry.counts.passed, entry.counts.errors) == (24, 1)
    (failure,) = entry.failures
    assert failure.name == "sample-pytest::<suite setup>"
    assert failure.message == "fixture setup failed: qemu not found"
    assert "TST002" in failing_checks(ev)  # and TST003: 25 ran, the setup among them
    assert assess(ev, today=TODAY).verdict != "GO"
    assert cli("count-tests", str(path), "--expected", "24").returncode == 1
