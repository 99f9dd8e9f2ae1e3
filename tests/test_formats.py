"""Every runner format beyond JUnit: real runner output, job logs, counting rules, any input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.evidence import ResultFile
from validator.gotest import read_go_json_lines, read_go_text_lines
from validator.libtest_json import read_libtest_json_lines
from validator.nextest import read_nextest_lines
from validator.results import (
    detect_format,
    libtest_from_log,
    read_result_file,
    results_from_log,
    scan_results,
)
from validator.tap import read_tap_lines

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "formats"
STAMP = "2026-11-30T09:14:02.1230000Z "
ROWS = list(
    csv.DictReader(
        (FORMATS / "expected.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"
    )
)
PLAIN = [row for row in ROWS if not row["file"].endswith(".gh.log")]  # not job logs already
FIGURES = ["tests", "passed", "failed", "errors", "skipped", "flaky", "not_run"]


def figures(r: ResultFile) -> list[int]:
    return [getattr(r.counts, f) for f in FIGURES]


def test_every_fixture_is_listed() -> None:
    listed = {row["file"] for row in ROWS}
    assert listed == {p.name for p in FORMATS.iterdir()} - {"README.md", "expected.tsv"}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["file"])
def test_each_file_gives_exactly_its_listed_counts(row: dict[str, str]) -> None:
    r = read_result_file(FORMATS / row["file"], display=row["file"])
    assert r.error is None, r.error
    assert r.format == row["format"]
    assert figures(r) == [int(row[f]) for f in FIGURES]


@pytest.mark.parametrize("row", PLAIN, ids=lambda row: row["file"])
def test_the_same_output_inside_a_job_log_counts_the_same(row: dict[str, str]) -> None:
    text = (FORMATS / row["file"]).read_text(encoding="utf-8")
    stamped = "##[group]Run tests\n" + "".join(f"{STAMP}{ln}\n" for ln in text.splitlines())
    r = results_from_log(stamped + "##[endgroup]\n", path="job log: test")
    assert r is not None and r.error is None, r
    assert r.format == row["format"]
    assert figures(r) == [int(row[f]) for f in FIGURES]


# Counts the runners printed themselves (the reference README's table).
@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("ref-libtest-json.log", (14, 12, 0, 2)),
        ("ref-go-test.json.log", (6, 1, 4, 1)),
        ("ref-go-test-verbose.log", (6, 1, 4, 1)),
        ("ref-node-test.tap", (5, 3, 0, 2)),
        ("ref-test-more.tap", (4, 2, 0, 2)),
    ],
)
def test_reference_outputs_count_as_their_runners_did(name: str, counts: tuple[int, ...]) -> None:
    c = read_result_file(FORMATS / name, display=name).counts
    assert (c.tests, c.passed, c.failed, c.skipped) == counts


def test_go_json_and_verbose_text_give_the_same_counts_and_names() -> None:
    j = read_result_file(FORMATS / "ref-go-test.json.log", display="j")
    v = read_result_file(FORMATS / "ref-go-test-verbose.log", display="v")
    assert (j.counts, j.test_names) == (v.counts, v.test_names)
    assert "example.com/ring/ring::TestWrap/size#01" in j.test_names


def test_go_build_failure_is_an_error_not_zero_tests() -> None:
    r = read_result_file(FORMATS / "go-test-fail.json.log", display="go")
    assert r.counts.errors == 1
    assert [f.name for f in r.failures] == ["example.com/sample/broken::(build)"]
    assert any("no test files: example.com/sample/notests" in w for w in r.warnings)


def test_go_failing_subtest_fails_its_parent_and_examples_count() -> None:
    r = read_result_file(FORMATS / "go-test-fail-v.log", display="go")
    failed = {f.name for f in r.failures if f.outcome == "failed"}
    assert "example.com/sample/ring::TestWrap" in failed
    assert "example.com/sample/ring::ExampleRing_Len" in r.test_names


def test_go_json_cut_while_a_test_runs_is_an_error() -> None:
    lines = [
        json.dumps({"Action": "run", "Package": "p", "Test": "TestA"}),
        json.dumps({"Action": "output", "Package": "p", "Test": "TestA", "Output": "boom\n"}),
    ]
    r = read_go_json_lines(lines, path="go")
    assert r.error is not None and r.counts.errors == 1


def test_nextest_flaky_counts_once_as_passed_and_not_run_is_reported() -> None:
    r = read_result_file(FORMATS / "nextest.log", display="n")
    assert (r.counts.tests, r.counts.passed, r.counts.flaky) == (6, 4, 1)
    assert [f.name for f in r.failures] == ["mycrate::tests::rejects_empty"]
    stopped = read_result_file(FORMATS / "nextest-failfast.log", display="n")
    assert (stopped.counts.not_run, stopped.counts.ran, stopped.counts.errors) == (19, 5, 1)
    assert any("19 tests not run" in w for w in stopped.warnings)


def test_nextest_retry_that_fails_again_is_failed() -> None:
    lines = [
        "    Starting 1 test across 1 binary",
        "  TRY 1 FAIL [   0.011s] (1/1) c t::a",
        "  TRY 2 FAIL [   0.011s] (1/1) c t::a",
        "     Summary [   0.030s] 1 test run: 0 passed, 1 failed, 0 skipped",
    ]
    r = read_nextest_lines(lines, path="n")
    assert (r.counts.failed, r.counts.flaky) == (1, 0)


_NEXTEST_HEAD = [
    "    Starting 5 tests across 1 binary",
    "        PASS [   0.003s] (1/5) c t::a",
    "        PASS [   0.003s] (2/5) c t::b",
]


@pytest.mark.parametrize(
    ("tail", "not_run", "error"),
    [
        # nextest's wordings since 0.9.6x (reporter/displayer/formatters.rs)
        (["warning: 3/5 tests were not run due to interrupt"], 3, "interrupt"),
        (["warning: 3/5 tests were not run due to signal"], 3, "signal"),
        (["warning: 1/1 test was not run due to interrupt"], 1, "interrupt"),
        (["warning: 3/5 tests were not run due to second signal"], 3, "second signal"),
        (["warning: 3/5 tests were not run due to global timeout"], 3, "global timeout"),
        (["warning: 3/5 tests were not run"], 3, None),
        # the cancel line alone: the counts come from the summary's 2/5
        (["   Cancelling due to interrupt: 0 tests still running"], 3, "interrupt"),
    ],
)
def test_nextest_run_stopped_by_an_interrupt_or_a_signal_is_an_error(
    tail: list[str], not_run: int, error: str | None
) -> None:
    summary = "     Summary [   0.010s] 2/5 tests run: 2 passed, 0 skipped"
    before = "Cancelling" in tail[0]  # nextest prints the cancel line before its summary
    lines = [*_NEXTEST_HEAD, *tail, summary] if before else [*_NEXTEST_HEAD, summary, *tail]
    r = read_nextest_lines(lines, path="n")
    assert (r.counts.ran, r.counts.not_run) == (2, not_run)
    if error is None:  # no reason given: still stopped early, never a finished run
        assert r.error is not None and "did not finish" in r.error
    else:
        assert r.error is not None and f"due to {error}" in r.error


def test_nextest_fail_fast_stop_is_reported_with_its_reason() -> None:
    lines = [
        *_NEXTEST_HEAD[:2],
        "        FAIL [   0.003s] (2/5) c t::b",
        "   Cancelling due to test failure: 0 tests still running",
        "     Summary [   0.010s] 2/5 tests run: 1 passed, 1 failed, 0 skipped",
        "warning: 3/5 tests were not run due to test failure (run with --no-fail-fast to run "
        "all tests, or run with --max-fail)",
    ]
    r = read_nextest_lines(lines, path="n")
    assert r.error is None and (r.counts.failed, r.counts.not_run) == (1, 3)
    assert "3 tests not run (nextest stopped early: test failure)" in r.warnings


def test_nextest_fail_fast_stop_without_a_failed_test_is_an_error() -> None:
    lines = [
        *_NEXTEST_HEAD,
        "     Summary [   0.010s] 2/5 tests run: 2 passed, 0 skipped",
        "warning: 3/5 tests were not run due to test failure",
    ]
    r = read_nextest_lines(lines, path="n")
    assert r.error is not None and "no failed test" in r.error


def test_nextest_summary_short_of_its_planned_count_is_not_run() -> None:
    lines = [*_NEXTEST_HEAD, "     Summary [   0.010s] 2/5 tests run: 2 passed, 0 skipped"]
    r = read_nextest_lines(lines, path="n")
    assert r.counts.not_run == 3 and r.error is not None


def test_nextest_without_summary_is_an_error() -> None:
    r = read_nextest_lines(["        PASS [   0.004s] (1/5) c t::a"], path="n")
    assert r.error is not None


def test_libtest_json_names_suites_by_cargo_running_lines() -> None:
    r = read_result_file(FORMATS / "libtest-json.log", display="j")
    assert [s.name for s in r.suites][:1] == ["sample_crate src/lib.rs"]
    failing = read_result_file(FORMATS / "libtest-json-fail.log", display="j")
    assert "checksum drifted" in " ".join(f.message for f in failing.failures) or failing.failures


def test_libtest_json_crash_is_an_error() -> None:
    lines = [
        '{ "type": "suite", "event": "started", "test_count": 2 }',
        '{ "type": "test", "event": "started", "name": "a" }',
    ]
    r = read_libtest_json_lines(lines, path="j")
    assert r.error is not None and r.counts.errors == 1


@pytest.mark.parametrize(
    ("tap", "expected", "error"),
    [
        ("1..2\nok 1\nnot ok 2 # TODO later\n", (2, 1, 0, 1), False),
        ("1..3\nok 1\nok 2\n", (2, 2, 0, 0), True),  # the plan says 3
        ("1..2\nok 1\nBail out! database down\n", (1, 1, 0, 0), True),
        # the same point twice is one test; the plan (1..2) counts points
        ("TAP version 14\n1..2\nnot ok 1 - x\nnot ok 1 - x\n", (1, 0, 1, 0), False),
    ],
)
def test_tap_rules(tap: str, expected: tuple[int, ...], error: bool) -> None:
    r = read_tap_lines(tap.splitlines(), path="t.tap")
    c = r.counts
    assert (c.tests, c.passed, c.failed, c.skipped) == expected
    assert (r.error is not None) is error


def test_nested_tap_counts_every_point_and_names_the_path() -> None:
    r = read_result_file(FORMATS / "prove.tap", display="p")
    assert "t/list.t::joins > with a dash #1" in r.test_names


def test_old_log_entry_point_finds_every_format() -> None:
    text = (FORMATS / "ref-go-test.json.log").read_text(encoding="utf-8")
    found = libtest_from_log(text, path="job log: go")
    assert found is not None and found.format == "go-test-json"
    assert results_from_log("Compiling foo\nall done\n", path="job log") is None


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    moved = tmp_path / "results.xml"
    moved.write_bytes((FORMATS / "ref-test-more.tap").read_bytes())
    assert read_result_file(moved, display="results.xml").format == "tap"


def test_results_after_a_long_build_are_found(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    build = "".join(f"{STAMP}   Compiling crate{i} v0.1.0\n" for i in range(5000))
    log.write_text(build + (FORMATS / "nextest.log").read_text(encoding="utf-8"))
    assert read_result_file(log, display="job.log").format == "nextest"


def test_count_tests_json_names_the_format_and_new_figures() -> None:
    doc = scan_results([FORMATS / "nextest-failfast.log"]).contract_json()
    entry = doc["files"][0]
    assert entry["format"] == "nextest"
    assert (entry["flaky"], entry["not_run"], entry["ran"]) == (0, 19, 5)
    assert doc["total"]["not_run"] == 19


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_result_or_our_error(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    for read in (
        read_tap_lines,
        read_nextest_lines,
        read_go_json_lines,
        read_go_text_lines,
        read_libtest_json_lines,
    ):
        r = read(text.splitlines(), path="x")
        assert isinstance(r, ResultFile)
        assert r.counts.tests == len(r.test_names) or r.counts.tests >= len(r.test_names)
    assert detect_format(data) in {
        "junit",
        "libtest",
        "libtest-json",
        "nextest",
        "go-test-json",
        "go-test",
        "tap",
        "unknown",
    }


_LINES = st.sampled_from(
    [
        "TAP version 13",
        "1..3",
        "ok 1 - a",
        "not ok 2 - b",
        "    ok 1 - c",
        "# Subtest: s",
        "ok 3 # SKIP x",
        "Bail out!",
        "=== RUN   TestA",
        "--- PASS: TestA (0.00s)",
        "    --- FAIL: TestA/b (0.00s)",
        "ok  \tp/q\t0.01s",
        "FAIL\tp/q [build failed]",
        '{"Action":"run","Package":"p","Test":"T"}',
        '{"Action":"fail","Package":"p"}',
        '{ "type": "suite", "event": "started", "test_count": 1 }',
        '{ "type": "test", "event": "ok", "name": "a" }',
        '{ "type": "suite", "event": "ok", "passed": 1, "failed": 0, "ignored": 0 }',
        "        PASS [   0.004s] (1/2) c t::a",
        "  TRY 1 FAIL [   0.004s] (1/2) c t::a",
        "     Summary [   0.5s] 1/2 tests run: 1 passed, 0 failed",
        "1 test not run",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=30))
def test_generated_runner_lines_keep_the_count_invariants(lines: list[str]) -> None:
    r = results_from_log("\n".join(lines), path="log")
    if r is None:
        return
    c = r.counts
    assert c.tests == c.passed + c.failed + c.errors + c.skipped
    assert c.flaky <= c.passed and c.ran == c.tests - c.skipped
