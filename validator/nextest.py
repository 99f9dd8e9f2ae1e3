"""Counting tests in cargo-nextest's human output (``cargo nextest run``).

Each status line (``PASS [   0.004s] (1/5) mycrate tests::parses``) gives a test of a binary;
the binary is the suite. ``TRY n FAIL``/``TRY n PASS`` lines are attempts of one test (a pass
after a failure is flaky), and ``FLAKY n/m`` says so again; ``SLOW`` is progress, not a result.
``FAIL``, ``TIMEOUT`` and ``LEAK-FAIL`` are failures; a signal (``SIGSEGV``, ``SIGABRT``, ...)
or ``ABORT`` is an error; ``LEAK`` passed. The summary's ``K skipped`` tests are counted
skipped (nextest does not name them). Tests not run are read from every form nextest prints
(``M tests not run``, ``warning: M/N tests were not run due to REASON``, a summary's ``K/N tests
run``): never passed, always ``not_run``. A run cancelled for any reason but a test failure
(interrupt, signal, global timeout, ...) did not finish: an error; a fail-fast stop is a
warning, and an error when no failing test is seen. The failures nextest lists again after its
summary count once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from validator.evidence import ResultFile
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused, is_bad

_STATUS = re.compile(
    r"(?:TRY (\d+) )?(PASS|FAIL|FLAKY \d+/\d+|SIG[A-Z0-9]+|TIMEOUT|LEAK-FAIL|LEAK|ABORT|SKIP|"
    r"SLOW|TERMINATING|CANCEL|RETRY \d+/\d+)"
    r" +\[ *>? *[\d.]+m?s *\](?: +\( *\d+/\d+ *\))? +(\S+) +(.+)"
)
_SUMMARY = re.compile(
    r"Summary \[ *[\d.]+s *\] +(\d+)(?:/(\d+))? tests? run: (\d+) passed(?: \(([^)]*)\))?"
    r"(?:, (\d+) failed)?(?:, (\d+) timed out)?(?:, (\d+) leaky)?(?:, (\d+) skipped)?.*"
)
_STARTING = re.compile(r"Starting (\d+) tests? across (\d+) binar(?:y|ies).*")
_NOT_RUN = re.compile(
    r"(?:warning: )?(\d+)(?:/\d+)? tests? (?:were |was )?not run(?: due to ([a-z ]+?))?"
    r"(?: \(.*\))?"
)
_CANCELLED = re.compile(r"(?:Cancell?ing|.*; cancell?ed) due to ([a-z ]+?)(?:: .*)?")
_FAIL_FAST = "test failure"
_NAME_LIMIT = 500
_OUTCOMES: dict[str, TestOutcome] = {
    "PASS": "passed",
    "LEAK": "passed",
    "FAIL": "failed",
    "TIMEOUT": "failed",
    "LEAK-FAIL": "failed",
    "ABORT": "error",
}


class _NextestReader:
    """Reads nextest's status lines into the tally."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.summary: re.Match[str] | None = None
        self.after_summary = False
        self.not_run = 0
        self.stopped: str | None = None  # why nextest cancelled the run, as it says it
        self.leaks: list[str] = []

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if text.startswith("Summary [") and (summary := _SUMMARY.fullmatch(text)) is not None:
            self.summary = summary
            self.after_summary = True
            if (cancelled := _CANCELLED.fullmatch(text)) is not None:
                self.stopped = cancelled.group(1)
        elif (not_run := _NOT_RUN.fullmatch(text)) is not None:
            self.not_run = int(not_run.group(1))
            self.stopped = not_run.group(2) or self.stopped or ""
        elif text.startswith("Cancel") and (cancelled := _CANCELLED.fullmatch(text)) is not None:
            self.stopped = cancelled.group(1)
        elif (status := _STATUS.fullmatch(text)) is not None:
            self._status(status)

    def _status(self, status: re.Match[str]) -> None:
        attempt, word, binary, test = status.groups()
        if word in ("SLOW", "TERMINATING", "CANCEL", "SKIP") or word.startswith("RETRY"):
            return
        suite = bounded_name(binary, 200)
        name = bounded_name(f"{suite}::{test.strip()}", _NAME_LIMIT)
        if word.startswith("FLAKY"):
            outcome: TestOutcome = "flaky"
        elif word.startswith("SIG"):
            outcome = "error"
        else:
            outcome = _OUTCOMES.get(word, "failed")
        if word == "LEAK":
            self.leaks.append(name)
        message = f"{word}" if is_bad(outcome) else ""
        # After the summary nextest lists the failures again: the same test, not an attempt.
        self.tally.add(
            suite=suite,
            name=name,
            outcome=outcome,
            message=message,
            retry=attempt is not None and not self.after_summary,
        )

    def finish(self, path: str) -> ResultFile:
        warnings: list[str] = []
        problems: list[str] = []
        if self.leaks:
            warnings.append(f"{len(self.leaks)} tests leaked handles: {', '.join(self.leaks[:3])}")
        skipped = 0
        if self.summary is None:
            problems.append("no nextest `Summary` line: the run stopped before it ended")
        else:
            ran, planned, passed, _notes, failed, timed_out, _leaky, skip = self.summary.groups()
            skipped = int(skip or 0)
            if planned is not None and int(planned) > int(ran) and not self.not_run:
                self.not_run = int(planned) - int(ran)  # its not-run warning was lost
                self.stopped = self.stopped or ""
            counts = self.tally.result(path=path, format="nextest").counts
            said = (int(ran), int(passed), int(failed or 0) + int(timed_out or 0))
            seen = (counts.ran, counts.passed, counts.failed + counts.errors)
            if said != seen:
                warnings.append(
                    f"the summary says {said[0]} run, {said[1]} passed, {said[2]} failed; "
                    f"the status lines show {seen[0]}, {seen[1]}, {seen[2]}"
                )
        for i in range(1, skipped + 1):
            self.tally.add(suite="(skipped)", name=f"(skipped test #{i})", outcome="skipped")
        problems += self._stopped(warnings)
        if not len(self.tally) and not problems:
            problems.append("no nextest status line found")
        error = problems[0] if problems else None
        return self.tally.result(
            path=path, format="nextest", warnings=warnings, error=error, not_run=self.not_run
        )

    def _stopped(self, warnings: list[str]) -> list[str]:
        """A warning for a fail-fast stop; the problem of a run that did not finish."""
        reason = self.stopped
        if reason is None and not self.not_run:
            return []
        not_run = f"{self.not_run} tests not run"
        if reason == _FAIL_FAST:
            warnings.append(f"{not_run} (nextest stopped early: {reason})")
            if not any(self.tally.result(path="", format="nextest").failures):
                return [
                    f"nextest stopped due to a test failure, yet no failed test was seen; {not_run}"
                ]
            return []
        why = f"cancelled due to {reason}" if reason else "stopped early"
        return [f"the nextest run did not finish ({why}): {not_run}"]


def read_nextest_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Count the tests of nextest's human output, from its cleaned lines."""
    reader = _NextestReader()
    with collector_paused():
        for line in lines:
            reader.feed(line)
        return reader.finish(path)


def looks_like_nextest(lines: Iterable[str]) -> bool:
    """True when a line is nextest's ``Starting N tests across M binaries`` or a status line."""
    for line in lines:
        text = line.strip()
        if _STARTING.fullmatch(text) is not None:
            return True
        if "[" in text and "s]" in text and _STATUS.fullmatch(text) is not None:
            return True
    return False
