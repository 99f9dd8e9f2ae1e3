"""Counting tests in TAP 13/14: node's ``--test-reporter=tap``, Perl's Test::More, ``prove -v``.

Every test point (``ok``/``not ok``) at every nesting level is a test, as node's own ``# tests``
line counts them, except a point that node marks ``type: 'suite'`` (a ``describe`` block, not a
test) unless it failed. Subtests are indented by four spaces and named by their ``# Subtest:``
line. ``# SKIP`` and ``# TODO`` points are neither passes nor failures: they count as skipped.
A plan (``1..N``) that disagrees with the points seen, or a ``Bail out!``, makes the file an
error. ``prove -v`` headers (``t/list.t ..``) start a new suite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from validator.evidence import ResultFile
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused

_POINT = re.compile(r"(not ok|ok)\b(?: +(\d+))?(?: *-)? *(.*)")
_DIRECTIVE = re.compile(r"(.*?)\s*(?<!\\)#\s*(skip|todo)\b\s*(.*)", re.IGNORECASE)
_PLAN = re.compile(r"1\.\.(\d+)(?:\s*#\s*(.*))?")
_SUBTEST = re.compile(r"# Subtest: (.*)")
_VERSION = re.compile(r"TAP version 1[34]")
_PROVE_HEADER = re.compile(r"(\S+?) \.{2,}(?: .*)?")
_SUMMARY = re.compile(r"# (tests|pass|fail|skipped|todo|cancelled) (\d+)")
_INDENT = 4
_MAX_DEPTH = 64
_NAME_LIMIT = 500


@dataclass(kw_only=True, slots=True)
class _Level:
    """One nesting level: its points, its plan and the name of its next subtest."""

    points: int = 0
    plan: int | None = None
    subtest: str | None = None  # named by "# Subtest:", until its own point arrives


@dataclass(kw_only=True, slots=True)
class _Point:
    depth: int
    name: str
    outcome: TestOutcome
    message: str
    suite_block: bool = False  # node's describe(): not a test


class _TapStreamReader:
    """A line-by-line reader of TAP streams, one suite per stream (or per prove header)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.suite = "tap"
        self.streams = 0
        self.levels: list[_Level] = [_Level()]
        self.last: _Point | None = None
        self.in_yaml: int | None = None  # indentation of the open YAML block
        self.seen_tap = False
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.summary: dict[str, int] = {}

    def feed(self, line: str) -> None:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        text = stripped.rstrip()
        if self.in_yaml is not None:
            if text == "..." and indent <= self.in_yaml + 2:
                self.in_yaml = None
            elif self.last is not None and text in (
                "type: 'suite'",
                'type: "suite"',
                "type: suite",
            ):
                self.last.suite_block = True
            return
        if text == "---" and self.last is not None:
            self.in_yaml = indent
            return
        depth = min(indent // _INDENT, _MAX_DEPTH)
        if text.startswith(("ok", "not ok")) and (point := _POINT.fullmatch(text)) is not None:
            self._point(depth, point)
        elif text.startswith("1..") and (plan := _PLAN.fullmatch(text)) is not None:
            self._flush()
            self._level(depth).plan = int(plan.group(1))
            self.seen_tap = True
        elif text.startswith("# Subtest:") and (sub := _SUBTEST.fullmatch(text)) is not None:
            self._flush()
            self._level(depth).subtest = sub.group(1).strip()
        elif text.startswith("Bail out!"):
            self._flush()
            self.problems.append(f"{self.suite}: {text[:200]}")
        elif _VERSION.fullmatch(text) and indent == 0:
            self._flush()
            self._new_stream(None)
        elif text.startswith("# ") and indent == 0 and (count := _SUMMARY.fullmatch(text)):
            self.summary[count.group(1)] = int(count.group(2))
        elif indent == 0 and (header := _PROVE_HEADER.fullmatch(text)) is not None and "/" in text:
            self._flush()
            self._new_stream(header.group(1))

    def _level(self, depth: int) -> _Level:
        while len(self.levels) <= depth:
            self.levels.append(_Level())
        return self.levels[depth]

    def _new_stream(self, name: str | None) -> None:
        if self.seen_tap:
            self._end_stream()
        self.streams += 1
        default = "tap" if self.streams == 1 else f"tap #{self.streams}"
        self.suite = bounded_name(name or default, 200)
        self.tally.suite(self.suite)
        self.levels = [_Level()]

    def _point(self, depth: int, match: re.Match[str]) -> None:
        self._flush()
        if depth == 0 and self.levels[0].plan is not None and match.group(2) is None:
            return  # prove's own "ok" verdict after a file's plan
        self.seen_tap = True
        level = self._level(depth)
        # The points of deeper levels are done: check their plans.
        for deeper in self.levels[depth + 1 :]:
            self._check_plan(deeper)
        del self.levels[depth + 1 :]
        level.points += 1
        desc = match.group(3)
        outcome: TestOutcome = "passed" if match.group(1) == "ok" else "failed"
        reason = ""
        if (directive := _DIRECTIVE.fullmatch(desc)) is not None:
            desc = directive.group(1)
            outcome = "skipped"
            reason = f"{directive.group(2).upper()} {directive.group(3)}".strip()
        desc = desc.strip() or level.subtest or f"test {match.group(2) or level.points}"
        level.subtest = None
        path = [lv.subtest for lv in self.levels[:depth] if lv.subtest]
        name = " > ".join([*path, desc])
        self.last = _Point(
            depth=depth,
            name=bounded_name(
                f"{self.suite}::{name} #{match.group(2) or level.points}", _NAME_LIMIT
            ),
            outcome=outcome,
            message=desc if outcome == "failed" else reason if outcome == "skipped" else "",
        )

    def _flush(self) -> None:
        point, self.last = self.last, None
        if point is None:
            return
        if point.suite_block and point.outcome != "failed":
            return
        self.tally.add(
            suite=self.suite, name=point.name, outcome=point.outcome, message=point.message
        )

    def _check_plan(self, level: _Level) -> None:
        if level.plan is not None and level.plan != level.points:
            self.problems.append(
                f"{self.suite}: the plan says 1..{level.plan} but {level.points} tests were seen"
            )
            level.plan = None

    def _end_stream(self) -> None:
        self._flush()
        for level in self.levels:
            self._check_plan(level)
        if self.seen_tap and self.levels[0].plan is None:
            self.warnings.append(f"{self.suite}: no plan (1..N): the stream may have stopped early")
        self.levels = [_Level()]
        self.seen_tap = False

    def finish(self, path: str) -> ResultFile:
        self._end_stream()
        if not len(self.tally) and not self.problems and not self.streams:
            self.problems.append("no TAP test point (ok / not ok) found")
        if self.summary.get("tests") is not None and self.summary["tests"] != len(self.tally):
            self.warnings.append(
                f"the runner's summary says {self.summary['tests']} tests, "
                f"{len(self.tally)} were read"
            )
        error = None
        if self.problems:
            more = (
                f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
            )
            error = self.problems[0] + more
        return self.tally.result(
            path=path, format="tap", warnings=self.problems[1:] + self.warnings, error=error
        )


def read_tap_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Count the tests of TAP output, from its cleaned lines."""
    reader = _TapStreamReader()
    with collector_paused():
        for line in lines:
            reader.feed(line)
        return reader.finish(path)


def looks_like_tap(lines: Iterable[str]) -> bool:
    """True when the lines show a TAP version line, or a plan and a test point."""
    plan = point = False
    for line in lines:
        text = line.strip()
        if _VERSION.fullmatch(text):
            return True
        plan = plan or _PLAN.fullmatch(text) is not None
        point = point or (
            text.startswith(("ok ", "not ok ")) and _POINT.fullmatch(text) is not None
        )
        if plan and point:
            return True
    return False


def tap_evidence(line: str) -> str | None:
    """``plan`` or ``point`` for a top-level TAP plan or test point: TAP when both are seen."""
    if line[:1] not in ("o", "n", "1"):
        return None
    text = line.rstrip()
    if text.startswith("1.."):
        return "plan" if _PLAN.fullmatch(text) is not None else None
    if text.startswith(("ok", "not ok")) and _POINT.fullmatch(text) is not None:
        return "point"
    return None
