"""Counting tests in ``go test -json`` events and ``go test -v`` text, with the same counts.

Every test, subtest and example counts (gotestsum's rule); go itself fails the parent of a
failing subtest. Each package is a suite. A package that printed ``[no test files]`` is named
in a warning; a package whose build failed counts as one errored test (a build failure is not
zero tests), and so does a package that failed with no failing test (a crash, a panic in
``TestMain``), where the tests still running count as errored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.evidence import ResultFile, ResultFormat
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused, is_bad

_ACTIONS: dict[str, TestOutcome] = {"pass": "passed", "fail": "failed", "skip": "skipped"}
_RESULT = re.compile(r"( *)--- (PASS|FAIL|SKIP): (\S+)(?: \([\d.]+s\))?")
_RUN = re.compile(r"=== (?:RUN|CONT|PAUSE|NAME) +(\S+)")
_PKG_OK = re.compile(r"ok\s+(\S+)(?:\s.*)?")
_PKG_FAIL = re.compile(r"FAIL\s+(\S+)(?:\s+(.*))?")
_PKG_NONE = re.compile(r"\?\s+(\S+)\s+\[no test files\]")
_BUILD = ("[build failed]", "[setup failed]")
_NAME_LIMIT = 500
_LINE_KEPT = 4096


@dataclass(kw_only=True, slots=True)
class _Package:
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    running: dict[str, None] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)


class _GoTestReader:
    """Reads go test's events or text into per-package outcomes, then the tally."""

    def __init__(self, format: ResultFormat) -> None:
        self.format = format
        self.tally = Tally()
        self.packages: dict[str, _Package] = {}
        self.no_tests: list[str] = []
        self.text_pkg = _Package()  # -v text: tests come before their package's line
        self.bad_lines = 0
        self.problems: list[str] = []

    def _package(self, name: str) -> _Package:
        pkg = self.packages.get(name)
        if pkg is None:
            pkg = self.packages[name] = _Package()
        return pkg

    # --- go test -json ----------------------------------------------------------------------

    def feed_json(self, line: str) -> None:
        text = line.strip()
        if not text.startswith("{"):
            self._build_failed(text)
            return
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):
            self.bad_lines += 1
            return
        if not isinstance(event, dict):
            return
        action, pkg_name, test = event.get("Action"), event.get("Package"), event.get("Test")
        if not isinstance(action, str) or not isinstance(pkg_name, str):
            return
        pkg_name = bounded_name(pkg_name, 200)
        pkg = self._package(pkg_name)
        output = event.get("Output")
        if test is None or not isinstance(test, str):
            if action == "output" and isinstance(output, str):
                self._package_line(pkg_name, output.strip())
            elif action in _ACTIONS:
                if isinstance(event.get("FailedBuild"), str):  # go 1.24 and later
                    pkg.messages.setdefault("(build)", f"build failed: {event['FailedBuild']}")
                self._package_end(pkg_name, _ACTIONS[action])
            return
        test = bounded_name(test, _NAME_LIMIT)
        if action == "run":
            pkg.running[test] = None
        elif action in _ACTIONS:
            pkg.running.pop(test, None)
            pkg.outcomes[test] = _ACTIONS[action]
        elif action == "output" and isinstance(output, str) and test not in pkg.messages:
            said = output.strip()[:_LINE_KEPT]
            if said and not said.startswith(("=== ", "--- ")):
                pkg.messages[test] = said

    def _build_failed(self, text: str) -> None:
        """go before 1.24 prints a build failure as text, even with -json."""
        fail = _PKG_FAIL.fullmatch(text) if text.startswith("FAIL") else None
        if fail is not None and any(b in (fail.group(2) or "") for b in _BUILD):
            name = bounded_name(fail.group(1), 200)
            self._package(name).messages["(build)"] = text[:_LINE_KEPT]
            self._package_end(name, "failed")

    def _package_line(self, name: str, text: str) -> None:
        if text.endswith("[no test files]"):
            self.no_tests.append(name)
        elif text.startswith("FAIL") and any(b in text for b in _BUILD):
            self._package(name).messages["(build)"] = text

    # --- go test -v -----------------------------------------------------------------------

    def feed_text(self, line: str) -> None:
        text = line.rstrip()
        pkg = self.text_pkg
        if (result := _RESULT.fullmatch(text)) is not None:
            name = bounded_name(result.group(3), _NAME_LIMIT)
            pkg.running.pop(name, None)
            pkg.outcomes[name] = _ACTIONS[result.group(2).lower()]
        elif (run := _RUN.fullmatch(text)) is not None:
            name = bounded_name(run.group(1), _NAME_LIMIT)
            if name not in pkg.outcomes:
                pkg.running[name] = None
        elif (none := _PKG_NONE.fullmatch(text)) is not None:
            self.no_tests.append(none.group(1))
        elif (ok := _PKG_OK.fullmatch(text)) is not None and ("/" in text or "." in text):
            self._text_package(ok.group(1), "passed", "")
        elif (fail := _PKG_FAIL.fullmatch(text)) is not None:
            detail = fail.group(2) or ""
            build = text if any(b in detail for b in _BUILD) else ""
            self._text_package(fail.group(1), "failed", build)
        elif text.startswith("    ") and pkg.running and not text.strip().startswith("--- "):
            last = next(reversed(pkg.running))
            pkg.messages.setdefault(last, text.strip()[:_LINE_KEPT])

    def _text_package(self, name: str, outcome: TestOutcome, build: str) -> None:
        name = bounded_name(name, 200)
        pkg, self.text_pkg = self.text_pkg, _Package()
        if build:
            pkg.messages["(build)"] = build
        self.packages[name] = pkg
        self._package_end(name, outcome)

    # --- both -------------------------------------------------------------------------------

    def _package_end(self, name: str, outcome: TestOutcome) -> None:
        """Count a package's tests once go has said how the package ended."""
        pkg = self._package(name)
        self.tally.suite(name)
        for test in pkg.running:
            pkg.outcomes[test] = "error" if outcome == "failed" else "skipped"
            pkg.messages.setdefault(test, "the test binary stopped while this test ran")
        failing = any(is_bad(o) for o in pkg.outcomes.values())
        if "(build)" in pkg.messages:
            pkg.outcomes["(build)"] = "error"
        elif outcome == "failed" and not failing:
            pkg.outcomes["(package)"] = "error"
            pkg.messages.setdefault("(package)", "the package failed with no failing test")
        for test, result in pkg.outcomes.items():
            self.tally.add(
                suite=name,
                name=f"{name}::{test}",
                outcome=result,
                message=pkg.messages.get(test, "") if is_bad(result) else "",
            )
        self.packages[name] = _Package()

    def finish(self, path: str) -> ResultFile:
        warnings: list[str] = []
        leftover = self.text_pkg
        if leftover.outcomes or leftover.running:  # -v text cut before its package line
            self.packages["(unnamed package)"] = leftover
            self._package_end("(unnamed package)", "failed" if leftover.running else "passed")
            if leftover.running:
                self.problems.append("the output stops while tests are running")
        for name, pkg in self.packages.items():
            if pkg.outcomes or pkg.running:  # events with no package result: cut short
                self.problems.append(f"{name}: the output stops before the package's result")
                self._package_end(name, "failed")
        if self.no_tests:
            shown = ", ".join(self.no_tests[:5]) + (" …" if len(self.no_tests) > 5 else "")
            warnings.append(f"{len(self.no_tests)} packages have no test files: {shown}")
        if self.bad_lines:
            warnings.append(f"{self.bad_lines} lines that start with '{{' are not JSON")
        if not len(self.tally) and not self.no_tests and not self.problems:
            self.problems.append("no go test result found")
        error = self.problems[0] if self.problems else None
        return self.tally.result(
            path=path, format=self.format, warnings=self.problems[1:] + warnings, error=error
        )


def read_go_json_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Count the tests of ``go test -json`` output, from its cleaned lines."""
    reader = _GoTestReader("go-test-json")
    with collector_paused():
        for line in lines:
            reader.feed_json(line)
        return reader.finish(path)


def read_go_text_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Count the tests of ``go test -v`` output, from its cleaned lines."""
    reader = _GoTestReader("go-test")
    with collector_paused():
        for line in lines:
            reader.feed_text(line)
        return reader.finish(path)


def looks_like_go_json(lines: Iterable[str]) -> bool:
    """True when a line is a go test event (``{"Time":…,"Action":…,"Package":…}``)."""
    for line in lines:
        text = line.strip()
        if text.startswith("{") and '"Action"' in text and '"Package"' in text:
            try:
                event = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(event, dict) and isinstance(event.get("Action"), str):
                return True
    return False


def looks_like_go_text(lines: Iterable[str]) -> bool:
    """True when a line is a ``--- PASS/FAIL/SKIP:`` result of ``go test -v``."""
    return any(
        line.lstrip().startswith("--- ") and _RESULT.fullmatch(line.rstrip()) is not None
        for line in lines
    )
