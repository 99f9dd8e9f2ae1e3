"""The one place where per-test outcomes combine into counts, for every result reader.

Each distinct test counts once. Every reader hands each outcome it reads to a :class:`Tally`,
which combines the outcomes of a test seen more than once by one of two rules: the same test
repeated (a JUnit testcase written twice, a test printed twice) keeps its most severe outcome
(:func:`worst`); a later attempt of the same test (a suite re-run, a runner's retry) turns a
failure followed by a pass into "flaky" (:func:`after_retry`). The tally then turns the final
outcome of every test into a :class:`~validator.evidence.ResultFile`. It holds no record per
test, only an outcome under a digest of its name, so memory stays flat with the log's size.
"""

from __future__ import annotations

import gc
import hashlib
from array import array
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from validator.evidence import FailedTest, ResultFile, ResultFormat, SuiteCounts, TestCounts
from validator.redact import redact
from validator.testnames import NAMES_KEPT, name_digest, pack_digests, pack_sorted

TestOutcome = Literal["skipped", "passed", "flaky", "failed", "error"]

# Worst last: a test seen several times keeps the worst of its outcomes.
_RANK: dict[TestOutcome, int] = {"skipped": 0, "passed": 1, "flaky": 2, "failed": 3, "error": 4}

MESSAGE_LIMIT = 300
NAME_LIMIT = 1000
FAILURES_LISTED = 500
WARNINGS_LISTED = 25
SKIP_REASONS_KEPT = 5  # distinct reasons for skipping kept per file, each with its count


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


# Outcomes as small integers, in the order of _RANK.
_CODES: tuple[TestOutcome, ...] = tuple(_RANK)
_CODE: dict[TestOutcome, int] = {o: i for i, o in enumerate(_CODES)}
_FAILED, _SKIPPED = _CODE["failed"], _CODE["skipped"]
_RETRY = 8  # an event's flag: a later attempt of the test
_KEYED = 16  # an event's flag: keyed by the reader's key, not by the name's digest
_MASK = (1 << 64) - 1
_BUCKET_SHIFT = 56  # events are kept in 256 buckets by their key's top byte
MESSAGES_KEPT = 5000  # failing tests whose message is kept (FAILURES_LISTED are listed)


def _retried(before: int, now: int) -> int:
    """:func:`after_retry` on outcome codes."""
    return _CODE[after_retry(_CODES[before], _CODES[now])]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Folded:
    """The final outcome of every distinct test, as counts: what a tally adds up to."""

    counts: list[list[int]]  # per suite (in the order met), the tests per outcome code
    distinct: int
    repeated: int
    digests: bytes  # testnames.pack_digests of every shown name
    final: dict[int, int]  # outcome code of each test whose message was kept


class Tally:
    """The distinct tests of one file as a reader reports them, combined by the shared rules.

    Memory stays flat with the size of a log: each outcome a reader reports is kept as an
    event of 13 bytes in arrays (the 64-bit digest of the test's shown name, or of the reader's
    key; the outcome code and flags; the suite's number), never as an object per test. The
    events are combined once, when the counts are asked for, in 256 buckets by the key's top
    byte, each in the order the events came (the rules depend on it). The shown names are kept
    up to :data:`~validator.testnames.NAMES_KEPT`, and failing tests with their messages up to
    :data:`MESSAGES_KEPT`.
    """

    def __init__(self) -> None:
        self._suites: dict[str, int] = {}
        self._keys = [array("Q") for _ in range(256)]
        self._codes = [bytearray() for _ in range(256)]
        self._suite_of = [array("I") for _ in range(256)]
        self._keyed_digests = array("Q")  # shown-name digests of keyed tests
        self._names: dict[str, None] = {}  # shown names, up to NAMES_KEPT
        self._messages: dict[int, tuple[int, str, str]] = {}  # key -> (code, name, message)
        self._skips: dict[str, int] = {}
        self._folded: _Folded | None = None

    def __len__(self) -> int:
        return self._fold().distinct

    def suite(self, name: str) -> int:
        """Note a suite in the order met, so that a suite without tests is still shown."""
        number = self._suites.get(name)
        if number is None:
            number = self._suites[name] = len(self._suites)
        return number

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
        shown = bounded_name(name)
        flags = _CODE[outcome] | (_RETRY if retry else 0)
        if key is None:  # names as shown start with their suite: the name is the key
            k = name_digest(shown)
        else:
            k = hash(key) & _MASK
            flags |= _KEYED
            self._keyed_digests.append(name_digest(shown))
        self._event(k, flags, self.suite(suite), shown, message)

    def _event(self, k: int, flags: int, suite: int, shown: str, message: str) -> None:
        bucket = k >> _BUCKET_SHIFT
        self._keys[bucket].append(k)
        self._codes[bucket].append(flags)
        self._suite_of[bucket].append(suite)
        self._folded = None
        if len(self._names) < NAMES_KEPT:
            self._names[shown] = None
        code = flags & 7
        if code >= _FAILED:
            kept = self._messages.get(k)
            if kept is None and len(self._messages) >= MESSAGES_KEPT:
                return
            if kept is None or flags & _RETRY or code > kept[0]:
                self._messages[k] = (code, shown, message)
        elif code == _SKIPPED and message:
            reason = first_line(message, 120)
            if reason in self._skips or len(self._skips) < SKIP_REASONS_KEPT:
                self._skips[reason] = self._skips.get(reason, 0) + 1

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
        number, event, codes = self.suite(suite), self._event, _CODE
        retried = _RETRY if retry else 0
        for name, outcome in outcomes.items():
            shown = bounded_name(f"{suite}::{name}")
            code = codes[outcome]
            message = messages.get(name, "") if code >= _FAILED or code == _SKIPPED else ""
            event(name_digest(shown), code | retried, number, shown, message)

    @property
    def repeated(self) -> int:
        """How many tests were reported more than once."""
        return self._fold().repeated

    def _fold(self) -> _Folded:
        """Combine every test's events by the shared rules (once, until another event)."""
        if self._folded is not None:
            return self._folded
        counts = [[0] * len(_CODES) for _ in self._suites]
        distinct = repeated = 0
        final: dict[int, int] = {}
        digests = array("Q")
        for keys, codes, suites in zip(self._keys, self._codes, self._suite_of, strict=True):
            state: dict[int, int] = {}  # key -> suite << 5 | keyed | outcome code
            twice: set[int] = set()
            for k, flags, suite in zip(keys, codes, suites, strict=True):
                known = state.get(k)
                if known is None:
                    state[k] = suite << 5 | flags & ~_RETRY
                    continue
                twice.add(k)
                before, now = known & 7, flags & 7
                kept = _retried(before, now) if flags & _RETRY else max(before, now)
                state[k] = known & ~7 | kept
            distinct += len(state)
            repeated += len(twice)
            for value in state.values():
                counts[value >> 5][value & 7] += 1
            digests.extend(sorted(k for k, value in state.items() if not value & _KEYED))
            for k in self._messages:
                if (found := state.get(k)) is not None:
                    final[k] = found & 7
        # Bucket by bucket, by top byte, each sorted: the names' digests come out in order.
        if self._keyed_digests:
            packed = pack_digests([*digests, *self._keyed_digests])
        else:
            packed = pack_sorted(digests)
        self._folded = _Folded(
            counts=counts,
            distinct=distinct,
            repeated=repeated,
            digests=packed,
            final=final,
        )
        return self._folded

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
        folded = self._fold()
        suites = tuple(
            SuiteCounts(name=bounded_name(name), counts=_counts_of_codes(folded.counts[number]))
            for name, number in self._suites.items()
        )
        total = TestCounts(not_run=not_run)
        for suite_counts in suites:
            total += suite_counts.counts
        failures: list[FailedTest] = []
        for k, (_code, name, message) in self._messages.items():
            code = folded.final.get(k, 0)
            if code >= _FAILED and len(failures) < FAILURES_LISTED:
                outcome: Literal["failed", "error"] = "error" if code > _FAILED else "failed"
                failures.append(FailedTest(name=name, outcome=outcome, message=first_line(message)))
        notes = list(warnings)
        if (failing := total.failed + total.errors) > len(failures):
            notes.append(f"{failing - len(failures)} more failed tests are not listed")
        return ResultFile(
            path=path,
            format=format,
            counts=total,
            suites=suites,
            failures=tuple(failures),
            test_names=tuple(sorted(self._names)),
            name_digests=folded.digests,
            skip_reasons=tuple(
                f"{reason} ({n} {'test' if n == 1 else 'tests'})"
                for reason, n in self._skips.items()
            ),
            error=error,
            warnings=bounded(notes),
        )


def _counts_of_codes(n: list[int]) -> TestCounts:
    return TestCounts(
        tests=sum(n),
        passed=n[_CODE["passed"]] + n[_CODE["flaky"]],
        failed=n[_CODE["failed"]],
        errors=n[_CODE["error"]],
        skipped=n[_CODE["skipped"]],
        flaky=n[_CODE["flaky"]],
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
