"""Counting tests in libtest's JSON events (``cargo test -- -Z unstable-options --format json``).

Each ``suite`` ``started`` event opens a test binary's run, named by cargo's ``Running`` or
``Doc-tests`` line when the log holds it; its ``test`` events are the tests (``ignored``:
skipped), checked against the suite's closing event. A run of the same binary again is a retry
(a pass after a failure is flaky). A suite that never closes (the binary crashed) makes the
file an error, and the test it was running counts as errored. ``--report-time`` fields change
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.evidence import ResultFile
from validator.libtest import suite_of_header
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused, is_bad

_EVENTS: dict[str, TestOutcome] = {"ok": "passed", "failed": "failed", "ignored": "skipped"}
_NAME_LIMIT = 500
_TEXT_KEPT = 4096


@dataclass(kw_only=True, slots=True)
class _Suite:
    name: str
    declared: int | None
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    started: dict[str, None] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)


def _message(event: dict[str, object]) -> str:
    for key in ("message", "stdout"):
        text = event.get(key)
        if isinstance(text, str) and text.strip():
            for line in text[:_TEXT_KEPT].splitlines():
                if "panicked at" in line or line.strip():
                    return line.strip()
    return ""


class _LibtestEventReader:
    """Reads libtest's JSON events, one line each, into the tally."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.header: str | None = None  # the binary cargo said it runs next
        self.current: _Suite | None = None
        self.unnamed = 0
        self.runs: dict[str, int] = {}
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text.startswith("{"):
            if text.startswith(("Running ", "Doc-tests ")):
                self.header = suite_of_header(text) or self.header
            return
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):
            return
        if not isinstance(event, dict):
            return
        kind, what = event.get("type"), event.get("event")
        if kind == "suite" and what == "started":
            self._start(event.get("test_count"))
        elif kind == "suite" and isinstance(what, str) and self.current is not None:
            self._end(event)
        elif kind == "test" and isinstance(what, str) and self.current is not None:
            name = event.get("name")
            if not isinstance(name, str):
                return
            name = bounded_name(name, _NAME_LIMIT)
            suite = self.current
            if what == "started":
                suite.started[name] = None
            elif what in _EVENTS:
                suite.started.pop(name, None)
                suite.outcomes[name] = _EVENTS[what]
                if what == "failed":
                    suite.messages[name] = _message(event)
                elif what == "ignored" and isinstance(reason := event.get("message"), str):
                    suite.messages[name] = reason

    def _start(self, declared: object) -> None:
        if self.current is not None:
            self._crashed(self.current)
        if self.header is None:
            self.unnamed += 1
            name = f"unnamed test binary #{self.unnamed}"
        else:
            name, self.header = self.header, None
        count = declared if isinstance(declared, int) else None
        self.current = _Suite(name=bounded_name(name, 200), declared=count)

    def _end(self, event: dict[str, object]) -> None:
        suite, self.current = self.current, None
        assert suite is not None
        said = [event.get(k) for k in ("passed", "failed", "ignored")]
        seen = [0, 0, 0]
        for outcome in suite.outcomes.values():
            seen[0 if outcome == "passed" else 1 if is_bad(outcome) else 2] += 1
        if all(isinstance(n, int) for n in said) and said != seen:
            self.warnings.append(
                f"{suite.name}: the suite event says {said[0]} passed, {said[1]} failed, "
                f"{said[2]} ignored, but the test events show {seen[0]}, {seen[1]}, {seen[2]}"
            )
        if event.get("event") == "failed" and not seen[1]:
            self.problems.append(f"{suite.name} reported failed, but no test failed")
        self._count(suite)

    def _crashed(self, suite: _Suite) -> None:
        for name in suite.started:
            suite.outcomes[name] = "error"
            suite.messages[name] = "the test binary died while this test ran"
        self.problems.append(
            f"test binary {suite.name} stopped before its closing suite event; "
            f"{len(suite.outcomes)} tests reported"
        )
        self._count(suite)

    def _count(self, suite: _Suite) -> None:
        self.tally.suite(suite.name)
        self.runs[suite.name] = self.runs.get(suite.name, 0) + 1
        for name, outcome in suite.outcomes.items():
            self.tally.add(
                suite=suite.name,
                name=f"{suite.name}::{name}",
                outcome=outcome,
                message=suite.messages.get(name, ""),
                retry=True,
            )

    def finish(self, path: str) -> ResultFile:
        if self.current is not None:
            self._crashed(self.current)
            self.current = None
        if not self.runs:
            self.problems.append("no libtest JSON suite event found")
        if again := [name for name, n in self.runs.items() if n > 1]:
            self.warnings.insert(
                0, f"{', '.join(again[:3])} ran more than once; each test is counted once"
            )
        error = None
        if self.problems:
            more = (
                f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
            )
            error = self.problems[0] + more
        return self.tally.result(
            path=path,
            format="libtest-json",
            warnings=self.problems[1:] + self.warnings,
            error=error,
        )


def read_libtest_json_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Count the tests of libtest JSON output, from its cleaned lines."""
    reader = _LibtestEventReader()
    with collector_paused():
        for line in lines:
            reader.feed(line)
        return reader.finish(path)


def looks_like_libtest_json(lines: Iterable[str]) -> bool:
    """True when a line is a libtest ``suite`` or ``test`` event."""
    for line in lines:
        text = line.strip()
        if text.startswith("{") and '"type"' in text and '"event"' in text:
            try:
                event = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(event, dict) and event.get("type") in ("suite", "test"):
                return True
    return False
