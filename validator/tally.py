"""Turning per-test outcomes into counts: the counting rules shared by the result readers.

Each distinct test counts once. When a test is seen more than once, the reader decides how the
outcomes combine (:func:`worst`, or libtest's "failed then passed is flaky"); this module only
turns the final outcome of every test into a :class:`~validator.evidence.ResultFile`.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from validator.evidence import FailedTest, ResultFile, ResultFormat, SuiteCounts, TestCounts

Outcome = Literal["skipped", "passed", "flaky", "failed", "error"]

# Worst last: a test seen several times keeps the worst of its outcomes.
_RANK: dict[Outcome, int] = {"skipped": 0, "passed": 1, "flaky": 2, "failed": 3, "error": 4}

MESSAGE_LIMIT = 300
NAME_LIMIT = 1000
FAILURES_LISTED = 500
WARNINGS_LISTED = 25

# Tests sometimes print credentials; none may reach the evidence.
_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
_ASSIGNED = re.compile(r"(?i)\b((?:authorization|token|password|secret)\s*[:=]\s*)\S{8,}")


def worst(a: Outcome, b: Outcome) -> Outcome:
    """The worse of two outcomes of the same test (error > failed > flaky > passed > skipped)."""
    return a if _RANK[a] >= _RANK[b] else b


def is_bad(outcome: Outcome) -> bool:
    """True for an outcome that makes a run fail."""
    return outcome in ("failed", "error")


def first_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first non-blank line of ``text``, stripped, redacted and cut to ``limit``."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = _ASSIGNED.sub(r"\1[redacted]", _TOKEN.sub("[redacted]", line))
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds its records.

    The records hold no reference cycles, yet the collector would rescan all of them again
    and again as they pile up: on 200,000 testcases that is a tenth of the reading time.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def bounded_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name``, or when longer than ``limit`` its start and a digest of the whole.

    Distinct names stay distinct (and stable from one run to the next), yet a hostile name
    of megabytes never reaches the evidence, a warning or the report.
    """
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8", errors="replace")).hexdigest()[:12]
    return f"{name[: max(limit - 14, 1)]}…#{digest}"


@dataclass(kw_only=True, slots=True)
class TestRecord:
    """The outcome of one distinct test, built while a file is read."""

    __test__ = False

    suite: str  # the suite it is counted under (JUnit testsuite, libtest binary)
    name: str  # "suite::name" as shown to users
    outcome: Outcome
    message: str = ""


def counts_of(outcomes: Iterable[Outcome]) -> TestCounts:
    """Counts for a collection of final outcomes (``passed`` includes ``flaky``)."""
    n = dict.fromkeys(_RANK, 0)
    for outcome in outcomes:
        n[outcome] += 1
    return TestCounts(
        tests=sum(n.values()),
        passed=n["passed"] + n["flaky"],
        failed=n["failed"],
        errors=n["error"],
        skipped=n["skipped"],
        flaky=n["flaky"],
    )


def bounded(warnings: Sequence[str], limit: int = WARNINGS_LISTED) -> tuple[str, ...]:
    """At most ``limit`` warnings, with a last line saying how many were left out."""
    if len(warnings) <= limit:
        return tuple(warnings)
    return (*warnings[: limit - 1], f"… and {len(warnings) - limit + 1} more warnings")


def result_file(
    *,
    path: str,
    format: ResultFormat,
    records: Iterable[TestRecord],
    suites: Sequence[str] = (),
    warnings: Sequence[str] = (),
    error: str | None = None,
) -> ResultFile:
    """A :class:`ResultFile` from the final record of every distinct test.

    ``suites`` gives the order in which suites were met (suites without tests are kept, with
    zero counts); suites only named by records are added after them.
    """
    by_suite: dict[str, list[Outcome]] = {name: [] for name in suites}
    failures: list[FailedTest] = []
    names: set[str] = set()
    failed_total = 0
    for rec in records:
        by_suite.setdefault(rec.suite, []).append(rec.outcome)
        name = bounded_name(rec.name)
        names.add(name)
        if rec.outcome in ("failed", "error"):
            failed_total += 1
            if len(failures) < FAILURES_LISTED:
                failures.append(
                    FailedTest(name=name, outcome=rec.outcome, message=first_line(rec.message))
                )
    notes = list(warnings)
    if failed_total > len(failures):
        notes.append(f"{failed_total - len(failures)} more failed tests are not listed")
    suite_counts = tuple(
        SuiteCounts(name=bounded_name(s), counts=counts_of(o)) for s, o in by_suite.items()
    )
    total = TestCounts()
    for suite in suite_counts:
        total += suite.counts
    return ResultFile(
        path=path,
        format=format,
        counts=total,
        suites=suite_counts,
        failures=tuple(failures),
        test_names=tuple(sorted(names)),
        error=error,
        warnings=bounded(notes),
    )
