"""Tests that ran, not tests seen: the count rule (TST003, count-tests), test names kept
compactly for the drift check (TST004) and the history, and the format named in the report."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from validator.checks import BY_ID
from validator.evidence import Previous, ResultFile, TestScan
from validator.history import Entry, entry_for, previous_of
from validator.render.document import render_json
from validator.render.markdown import render_markdown
from validator.report import assess
from validator.results import read_result_file, scan_results
from validator.tally import Tally
from validator.testnames import NAMES_KEPT, as_text, name_digest, pack_digests, unpack_digests

from builders import RESULTS_ORIGIN, go
from conftest import FIXTURES

RESULTS = FIXTURES / "results"
FORMATS = RESULTS / "formats"
TODAY = dt.date(2026, 1, 2)
ALL_SKIPPED_TAP = """\
TAP version 13
1..3
ok 1 - opens the device # SKIP no /dev/kvm on this runner
ok 2 - maps memory # SKIP no /dev/kvm on this runner
ok 3 - runs the guest # SKIP needs an aarch64 guest image
"""


def scan_of(*paths: Path) -> TestScan:
    """The results as the ARM64 test job uploaded them (so only the counting rules decide)."""
    return uploaded(scan_results(list(paths)))


def uploaded(scan: TestScan) -> TestScan:
    return TestScan(files=tuple(replace(f, origin=RESULTS_ORIGIN) for f in scan.files))


def verdict(ev) -> str:
    return assess(ev, today=TODAY).verdict


# --- tests that ran -----------------------------------------------------------------------------


def test_skipped_tests_do_not_count_towards_the_expected_count():
    scan = scan_of(RESULTS / "cargo-test-pass.log")  # 24 tests, 1 of them ignored
    assert (scan.total.tests, scan.total.ran) == (24, 23)
    ev = replace(go(), tests=scan)  # expects 24
    outcome = BY_ID["TST003"].run(ev)
    assert outcome.status == "failed"
    assert outcome.detail.startswith("23 tests ran, 24 expected (-1) (1 skipped: ")
    assert "exhaustive; run with --ignored (1 test)" in outcome.detail
    assert verdict(ev) == "NO-GO"
    pinned = replace(ev, settings=replace(ev.settings, expected_tests=23))
    assert BY_ID["TST003"].run(pinned).detail == "23 tests ran (1 skipped), as expected."
    assert verdict(pinned) == "GO"


def test_a_minimum_counts_tests_that_ran():
    ev = replace(go(), tests=scan_of(RESULTS / "cargo-test-pass.log"))
    ev = replace(ev, settings=replace(ev.settings, expected_tests=None, min_tests=24))
    assert BY_ID["TST003"].run(ev).status == "failed"
    assert verdict(ev) == "NO-GO"


def test_all_tests_skipped_is_no_go_naming_the_reasons(tmp_path: Path):
    tap = tmp_path / "kvm.tap"
    tap.write_text(ALL_SKIPPED_TAP)
    scan = scan_of(tap)
    assert (scan.total.tests, scan.total.skipped, scan.total.failed) == (3, 3, 0)
    for settings in (
        replace(go().settings, expected_tests=None),
        replace(go().settings, expected_tests=None, min_tests=0),
        replace(go().settings, expected_tests=0),
    ):
        ev = replace(go(), settings=settings, tests=scan)
        outcome = BY_ID["TST003"].run(ev)
        assert outcome.status == "failed", settings
        assert outcome.detail == (
            "0 tests ran: all 3 were skipped (3 skipped: SKIP no /dev/kvm on this runner "
            "(2 tests); SKIP needs an aarch64 guest image (1 test)): no test ran on ARM64."
        )
        assert BY_ID["TST002"].run(ev).status == "passed"  # nothing failed, yet
        assert verdict(ev) == "NO-GO"


def test_tests_a_runner_never_started_are_reported():
    scan = scan_of(FORMATS / "nextest-failfast.log")  # 5 ran, 19 not run after fail-fast
    ev = replace(
        go(), settings=replace(go().settings, expected_tests=None, min_tests=20), tests=scan
    )
    outcome = BY_ID["TST003"].run(ev)
    assert outcome.detail == (
        "5 tests ran, at least 20 required (19 not run: the runner stopped early)."
    )


def test_count_tests_follows_the_same_rule(cli, tmp_path: Path):
    log = str(RESULTS / "cargo-test-pass.log")
    assert cli("count-tests", log).returncode == 0
    short = cli("count-tests", log, "--expected", "24")
    assert short.returncode == 1
    assert short.stdout.splitlines()[-1].startswith("count: 23 tests ran, 24 expected (-1)")
    assert cli("count-tests", log, "--expected", "23").returncode == 0
    assert cli("count-tests", log, "--min", "24").returncode == 1
    tap = tmp_path / "kvm.tap"
    tap.write_text(ALL_SKIPPED_TAP)
    skipped = cli("count-tests", str(tap))
    assert skipped.returncode == 1
    assert "count: 0 tests ran: all 3 were skipped" in skipped.stdout
    assert "SKIP needs an aarch64 guest image (1 test)" in skipped.stdout
    document = json.loads(cli("count-tests", str(tap), "--json").stdout)
    assert document["ok"] is False and document["total"]["ran"] == 0
    not_run = cli("count-tests", str(FORMATS / "nextest-failfast.log"), "--min", "6")
    assert "19 not run" in not_run.stdout.splitlines()[-1]


def test_help_says_what_is_counted_and_which_formats(cli):
    count_help = " ".join(cli("count-tests", "--help").stdout.split())
    for text in (
        "cargo-nextest output",
        "`go test -json`/`-v`",
        "TAP (node, Test::More, prove)",
        "skipped tests do not count",
    ):
        assert text in count_help.replace("│", "").replace("  ", " ")
    main_help = " ".join(cli("--help").stdout.split())
    assert "skipped tests do not count" in main_help
    assert "cargo-nextest output" in main_help


# --- test names, compactly ------------------------------------------------------------------------


def _tally(names: list[str]) -> ResultFile:
    tally = Tally()
    tally.add_run(suite="suite", outcomes=dict.fromkeys(names, "passed"), messages={})
    return tally.result(path="big.log", format="libtest")


def test_names_are_kept_up_to_a_bound_and_every_name_by_digest():
    names = [f"t{i:06d}" for i in range(NAMES_KEPT + 2000)]
    r = _tally(names)
    assert r.counts.tests == len(names)
    assert len(r.test_names) == NAMES_KEPT and list(r.test_names) == sorted(r.test_names)
    digests = unpack_digests(r.name_digests)
    assert len(digests) == len(names) and list(digests) == sorted(digests)
    assert set(digests) == {name_digest(f"suite::{n}") for n in names}
    assert pack_digests(reversed(digests)) == r.name_digests
    assert unpack_digests(as_text(r.name_digests)) == digests


def test_drift_beyond_the_bound_counts_what_vanished_and_names_what_it_can():
    names = [f"t{i:06d}" for i in range(NAMES_KEPT + 2000)]
    before = replace(
        go(), tests=TestScan(files=(_tally(names),)), generated_at="2026-01-01T03:00:00Z"
    )
    entry = entry_for(before, "GO", ())
    again = Entry.from_json(json.loads(json.dumps(entry.to_json())))
    assert again == entry
    previous = previous_of((again,))
    assert previous is not None
    gone = {"t000005", f"t{NAMES_KEPT + 5:06d}", f"t{NAMES_KEPT + 6:06d}"}
    now = _tally([n for n in names if n not in gone] + ["t_new"])
    outcome = BY_ID["TST004"].run(replace(go(), tests=TestScan(files=(now,)), previous=previous))
    assert outcome.status == "failed"
    assert outcome.detail == (
        "3 tests disappeared since 2026-01-01T03:00:00Z (1 added): `suite::t000005` and 2 more "
        "(2 known by digest only)."
    )
    same = replace(go(), tests=TestScan(files=(_tally(names),)), previous=previous)
    assert BY_ID["TST004"].run(same).status == "passed"


def test_history_written_before_digests_still_compares_by_name():
    old = Previous(
        generated_at="2026-01-01T03:00:00Z",
        verdict="GO",
        run_id=1,
        tests=25,
        test_names=(*(f"suite::t{i}" for i in range(24)), "suite::removed_one"),
    )
    outcome = BY_ID["TST004"].run(replace(go(), previous=old))
    assert outcome.detail == (
        "1 tests disappeared since 2026-01-01T03:00:00Z (0 added): `suite::removed_one`."
    )


def test_memory_per_test_stays_small():
    """A million-test log must fit in well under 150 MB: no record and no name per test."""
    names = [f"module_{i % 97}::case_{i}_with_a_realistic_name" for i in range(100_000)]
    tracemalloc.start()
    try:
        tally = Tally()
        for start in range(0, len(names), 1000):
            tally.add_run(
                suite=f"crate-{start}",
                messages={},
                outcomes=dict.fromkeys(names[start : start + 1000], "passed"),
            )
        r = tally.result(path="big.log", format="libtest")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.counts.tests == 100_000
    assert peak < 14 * 1024 * 1024, f"{peak / 1e6:.1f} MB for 100,000 tests"


# --- the report names the format ----------------------------------------------------------------


ROWS = list(csv.DictReader((FORMATS / "expected.tsv").read_text().splitlines(), delimiter="\t"))
EVERY_FORMAT = {row["format"]: FORMATS / row["file"] for row in ROWS} | {
    "junit": RESULTS / "pytest-pass.xml",
    "libtest": RESULTS / "cargo-workspace.log",
}


@pytest.mark.parametrize("fmt", sorted(EVERY_FORMAT))
def test_the_report_names_each_format(fmt: str):
    path = EVERY_FORMAT[fmt]
    read = read_result_file(path, display=path.name)
    assert read.format == fmt
    text = render_markdown(
        assess(replace(go(), tests=uploaded(TestScan(files=(read,)))), today=TODAY)
    )
    section = text.split("## Test results", 1)[1].split("\n## ", 1)[0]
    assert f"| {path.name} | job `test` ✅ ARM64 | {fmt} |" in section


def test_the_report_says_how_many_tests_never_started():
    read = read_result_file(FORMATS / "nextest-failfast.log", display="nextest.log")
    text = render_markdown(
        assess(replace(go(), tests=uploaded(TestScan(files=(read,)))), today=TODAY)
    )
    assert "19 more tests were announced but never started (the runner stopped early)" in text
    assert "never started" not in render_markdown(assess(go(), today=TODAY))


def test_the_evidence_json_holds_every_digest_as_text():
    r = read_result_file(RESULTS / "cargo-workspace.log", display="cargo.log")
    report = assess(replace(go(), tests=TestScan(files=(r,))), today=TODAY)
    document = json.loads(render_json(report))
    (entry,) = document["evidence"]["tests"]["files"]
    assert len(unpack_digests(entry["name_digests"])) == 13
    assert unpack_digests(entry["name_digests"]) == unpack_digests(r.name_digests)
