"""The one place where per-test outcomes combine into counts, for every result reader.

Each distinct test counts once. Every reader hands each outcome it reads to a :class:`Tally`,
which combines the outcomes of a test seen more than once by one of two rules: the same test
repeated (a JUnit testcase written twice, a test printed twice) keeps its most severe outcome
(:func:`worst`); a later attempt of the same test (a suite re-run, a runner's retry) turns a
failure followed by a pass into "flaky" (:func:`after_retry`). The tally then turns the final
outcome of every test into a :class:`~validator.evidence.ResultFile`.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from validator.evidence import FailedTest, ResultFile, ResultFormat, SuiteCounts, TestCounts
from validator.redact import redact

TestOutcome = Literal["skipped", "passed", "flaky", "failed", "error"]

# Worst last: a test seen several times keeps the worst of its outcomes.
_RANK: dict[TestOutcome, int] = {"skipped": 0, "passed": 1, "flaky": 2, "failed": 3, "error": 4}

MESSAGE_LIMIT = 300
NAME_LIMIT = 1000
FAILURES_LISTED = 500
WARNINGS_LISTED = 25


def worst(a: TestOutcome, b: TestOutcome) -> TestOutcome:
    """The worse of two outcomes of the same test (error > failed > flaky > passed > skipped)."""
    return a if _RANK[a] >= _RANK[b] else b


def after_retry(before: TestOutcome, now: TestOutcome) -> TestOutcome:
    """A test's outcome once a later attempt of it ended with ``now``.

    An attempt that did not run the test (skipped) changes nothing; a pass after a failure is
    flaky; a failure after anything is a failure (the most severe one seen).
    """
    if now == "skipped":
        return before
    if before == "skipped":
        return now
    if not is_bad(now):
        return "flaky" if is_bad(before) or before == "flaky" else now
    return worst(before, now)


_BAD = frozenset({"failed", "error"})


def is_bad(outcome: TestOutcome) -> bool:
    """True for an outcome that makes a run fail."""
    return outcome in _BAD


def first_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first non-blank line of ``text``, stripped, redacted and cut to ``limit``."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = redact(line)
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
    outcome: TestOutcome
    message: str = ""
    seen: int = 1  # how many times a reader reported it


class Tally:
    """The distinct tests of one file as a reader reports them, combined by the shared rules."""

    def __init__(self) -> None:
        self._records: dict[Hashable, TestRecord] = {}
        self._suites: dict[str, None] = {}

    def __len__(self) -> int:
        return len(self._records)

    def suite(self, name: str) -> None:
        """Note a suite in the order met, so that a suite without tests is still shown."""
        self._suites.setdefault(name, None)

    def add(
        self,
        *,
        suite: str,
        name: str,
        outcome: TestOutcome,
        message: str = "",
        key: Hashable = None,
        retry: bool = False,
    ) -> None:
        """Count one outcome of a test (``name`` as shown, unique in the file unless ``key``).

        ``retry`` says this outcome comes from a later attempt of the test, so that a pass
        after a failure is flaky (:func:`after_retry`); otherwise the most severe one stays.
        """
        if key is None:  # names as shown start with their suite: no tuple per test needed
            key = name
        known = self._records.get(key)
        if known is None:
            self._suites.setdefault(suite, None)
            self._records[key] = TestRecord(
                suite=suite, name=name, outcome=outcome, message=message if is_bad(outcome) else ""
            )
            return
        known.seen += 1
        kept = after_retry(known.outcome, outcome) if retry else worst(known.outcome, outcome)
        if not is_bad(kept):
            known.message = ""
        elif is_bad(outcome) and (kept != known.outcome or retry):
            known.message = message
        known.outcome = kept

    def add_run(
        self,
        *,
        suite: str,
        outcomes: dict[str, TestOutcome],
        messages: dict[str, str],
        retry: bool = False,
    ) -> None:
        """Count one run of a suite: each ``name: outcome`` shown as ``suite::name``.

        The same rules as :meth:`add`, in one loop: a log of a million tests makes a million
        calls otherwise.
        """
        self._suites.setdefault(suite, None)
        records, add = self._records, self.add
        for name, outcome in outcomes.items():
            shown = f"{suite}::{name}"
            message = messages.get(name, "") if outcome in _BAD else ""
            if shown in records:
                add(suite=suite, name=shown, outcome=outcome, message=message, retry=retry)
            else:
                records[shown] = TestRecord(
                    suite=suite, name=shown, outcome=outcome, message=message
                )

    @property
    def repeated(self) -> int:
        """How many tests were reported more than once."""
        return sum(1 for rec in self._records.values() if rec.seen > 1)

    def result(
        self,
        *,
        path: str,
        format: ResultFormat,
        warnings: Sequence[str] = (),
        error: str | None = None,
        not_run: int = 0,
    ) -> ResultFile:
        """The file's :class:`ResultFile`: counts by suite, failures, names, warnings."""
        return result_file(
            path=path,
            format=format,
            records=self._records.values(),
            suites=list(self._suites),
            warnings=warnings,
            error=error,
            not_run=not_run,
        )


def counts_of(outcomes: Iterable[TestOutcome]) -> TestCounts:
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
    not_run: int = 0,
) -> ResultFile:
    """A :class:`ResultFile` from the final record of every distinct test.

    ``suites`` gives the order in which suites were met (suites without tests are kept, with
    zero counts); suites only named by records are added after them.
    """
    by_suite: dict[str, list[TestOutcome]] = {name: [] for name in suites}
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
    total = TestCounts(not_run=not_run)
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
