"""The history beside the report stays small however large the suite: names only on the newest
lines, a fingerprint of the set of tests on older ones, and a cap on the file's bytes."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

from validator.checks import BY_ID
from validator.evidence import Evidence, TestScan
from validator.history import (
    NAMES_LINES,
    Entry,
    earlier,
    entry_for,
    history_path,
    previous_of,
    read_history,
    record,
)
from validator.orchestrate import HISTORY_SHOWN
from validator.publish import with_history
from validator.render.markdown import render_markdown
from validator.report import Report, assess
from validator.tally import Tally

from builders import go

SUITE = 20_000
VALIDATIONS = 50


def _evidence(names: list[str], stamp: int) -> Evidence:
    tally = Tally()
    tally.add_run(suite="suite", outcomes=dict.fromkeys(names, "passed"), messages={})
    scan = TestScan(files=(tally.result(path="big.log", format="libtest"),))
    return replace(
        go(), tests=scan, generated_at=f"2026-01-{1 + stamp // 24:02d}T{stamp % 24:02d}:00:00Z"
    )


def _validate(report_path: Path, ev: Evidence) -> Report:
    """One validation as the CLI makes it: read the history, assess, record the new line."""
    evidence, past = with_history(ev, report_path)
    report = assess(evidence, history=past[-HISTORY_SHOWN:])
    path = history_path(report_path)
    record(path, read_history(path), report.trend[-1])
    return report


def _suite(i: int) -> list[str]:
    """The suite of validation ``i``: two tests added and one removed at each validation."""
    added = [f"a{j:03d}_{k}" for j in range(i) for k in (0, 1)]  # sorted among the names kept
    return added + [f"t{n:06d}" for n in range(i, SUITE)]


def test_fifty_validations_of_a_large_suite_keep_a_small_history_and_name_the_changes(tmp_path):
    report_path = tmp_path / "ARM64_TEST_RESULTS.md"
    for i in range(VALIDATIONS):
        report = _validate(report_path, _evidence(_suite(i), i))
    size = history_path(report_path).stat().st_size
    # Names on every line would make about 20 MB; two lines of names and 48 of figures fit in 1.
    assert size < 1_000_000, f"{size:,} bytes"
    entries = read_history(history_path(report_path))
    assert len(entries) == VALIDATIONS
    assert [e.has_names for e in entries[-3:]] == [False, True, True]
    assert len({e.names_fingerprint for e in entries}) == VALIDATIONS  # the set changed each time
    assert all(len(e.names_fingerprint) == 32 for e in entries)
    text = render_markdown(report)
    last, before = set(_suite(VALIDATIONS - 1)), set(_suite(VALIDATIONS - 2))
    (removed,) = sorted(before - last)
    added = sorted(last - before)
    assert len(added) == 2
    line = next(x for x in text.splitlines() if x.startswith("Since the previous validation"))
    assert line == (
        f'Since the previous validation: 2 tests added ("suite::{added[0]}", "suite::{added[1]}")'
        f', 1 removed ("suite::{removed}").'
    )
    outcome = BY_ID["TST004"].run(report.evidence)
    assert outcome.status == "failed"
    assert f"`suite::{removed}`" in outcome.detail and "(2 added)" in outcome.detail


def test_a_repeat_of_the_last_validation_still_compares_with_the_one_before(tmp_path):
    report_path = tmp_path / "ARM64_TEST_RESULTS.md"
    for i in range(4):
        _validate(report_path, _evidence(_suite(i), i))
    again = _evidence(_suite(3), 3)
    entries = read_history(history_path(report_path))
    past = earlier(entries, again)
    assert len(past) == 3 and past[-1].has_names  # the line before the repeated one
    previous = previous_of(past)
    assert previous is not None and previous.test_names
    report = _validate(report_path, again)
    assert read_history(history_path(report_path)) == entries  # not appended twice
    outcome = BY_ID["TST004"].run(report.evidence)
    assert outcome.status == "failed" and "1 tests disappeared" in outcome.detail


def test_a_history_written_with_names_on_every_line_still_loads(tmp_path):
    lines = [entry_for(_evidence(_suite(i), i), "GO", ()) for i in range(5)]
    old = [e.to_json() for e in lines]
    for line in old:
        del line["names_fingerprint"]  # written before the field existed
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in old))
    kept = read_history(path)
    assert [e.fingerprint for e in kept] == [e.fingerprint for e in lines]
    assert [e.has_names for e in kept] == [False, False, False, True, True]
    # the fingerprint computed from an old line's names equals the one recorded for the same set
    assert [e.names_fingerprint for e in kept[:3]] == [e.names_fingerprint for e in lines[:3]]
    assert kept[-1].test_names == lines[-1].test_names
    assert record(path, kept, entry_for(_evidence(_suite(5), 5), "GO", ()))
    assert path.stat().st_size < sum(len(json.dumps(line)) for line in old[-3:])


def _small(i: int) -> Entry:
    return replace(entry_for(_evidence(_suite(0)[:50], 0), "GO", ()), fingerprint=f"f{i}")


def test_the_file_stays_within_its_byte_cap_keeping_the_newest_line(tmp_path, caplog):
    path = tmp_path / "h.jsonl"
    kept: tuple[Entry, ...] = ()
    for i in range(30):
        record(path, kept, _small(i), max_bytes=6000)
        kept = read_history(path)
        assert path.stat().st_size <= 6000
    assert kept[-1].fingerprint == "f29" and kept[-1].test_names
    assert 1 < len(kept) < 30
    big = entry_for(_evidence(_suite(1), 1), "GO", ())
    record(path, kept, big, max_bytes=6000)  # the newest line alone exceeds the cap: kept alone
    (only,) = read_history(path)
    assert only == big
    with path.open("a") as handle:
        handle.write("{damaged\n")
    with caplog.at_level(logging.WARNING, logger="validator.history"):
        assert read_history(path) == (big,)
    assert "h.jsonl:2: skipped a damaged history line" in caplog.text


def test_over_the_cap_the_line_before_the_newest_loses_its_names_before_older_lines_go(tmp_path):
    path = tmp_path / "h.jsonl"
    first, second = (entry_for(_evidence(_suite(i), i), "GO", ()) for i in range(2))
    one_line = len(json.dumps(second.to_json())) + 1
    record(path, (), _small(0))
    record(path, read_history(path), first)
    record(path, read_history(path), second, max_bytes=one_line + 2000)
    kept = read_history(path)
    assert [e.fingerprint for e in kept] == ["f0", first.fingerprint, second.fingerprint]
    assert [e.has_names for e in kept] == [False, False, True]
    assert NAMES_LINES == 2
