"""Counting tests in `cargo test` output (libtest's text format), plain or inside a job log.

The text may carry GitHub's per-line timestamp, ANSI colours and CRLF line ends. Each test
binary's block (``Running ... (target/...)``, ``Running `…/deps/name-hash` ``, ``Doc-tests
NAME``) is a suite; its ``test NAME ... ok|FAILED|ignored`` lines are the tests, checked
against the ``test result:`` line. A block that appears twice (a wrapper re-ran the suite)
counts once: the worst outcome wins, and a test that failed and then passed is flaky.
Binaries of another target or profile (``target/<triple>/<profile>`` in the ``Running`` line)
are other suites, never retries.
A block that stops without its ``test result:`` line (the binary crashed or was killed) makes
the file an error, unless a later run of the same block completed; the test that was running
when it stopped counts as errored. cargo's ``error: test failed, to rerun pass TARGET`` after a
passing block (or with no block at all) names a test binary that failed without printing its
tests, as one killed by SIGILL before ``running N tests`` in ``cargo test -q``: it is an errored
test of the suite ``cargo test TARGET`` and makes the file an error. Ignored tests are
skipped. ``cargo test -q`` prints no test names: its counts are taken from the summary line,
with a warning.
Since the 2024 edition rustdoc runs a crate's doc-tests in two blocks (the merged ones, then
those that must run on their own), both under one ``Doc-tests`` line: parts of one suite.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.evidence import ResultFile
from validator.loglines import clean_line, split_lines
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused, first_line, is_bad

log = logging.getLogger(__name__)

_SECTION_LINES = 40  # lines of a failure's output kept to find its message
_LINE_KEPT = 1000  # characters of such a line looked at
_TESTS_PER_LINE = 4
_MAX_UNNAMED = 1_000_000  # tests taken on a summary line's word alone (cargo test -q)
_SUITE_LIMIT = 200  # characters of a test binary's name kept (longer ones get a digest)
_NAME_LIMIT = 500  # the same for a test's name
_PREFIX_MAX = 80  # characters of timestamp and ANSI codes before a libtest line

_RUNNING_SRC = re.compile(r"Running (?:(?:unittests|tests|benches|examples) )?(\S+) \((.+)\)")
_RUNNING_CMD = re.compile(r"Running `(\S+)[^`]*`")
_RUNNING_BIN = re.compile(r"Running (\S+)")
_DOCTESTS = re.compile(r"Doc-tests (\S+)")
_DOCTESTS_END = "all doctests ran in "
_TRIPLE = re.compile(r"[a-z0-9_.]+(?:-[a-z0-9_.]+){2,3}")
_HASHED = re.compile(r"(.+)-[0-9a-f]{16}(?:\.exe)?")
_RUNNING_N = re.compile(r"running (\d+) tests?")
_TEST = re.compile(r"test (.+?) \.\.\. ?(.*)")
# "ok", "ok <0.001s>", "FAILED (time limit exceeded)", "ignored, reason"; unambiguous parts,
# so a hostile line cannot make the match backtrack exponentially.
_STATUS = re.compile(r"(ok|FAILED|ignored)(?: \([^()]*\)| <[^<>]*>)*(?:, .*)?")
_RESULT = re.compile(
    r"test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured"
)
_SECTION = re.compile(r"---- (.+?) std(?:out|err) ----")
_RERUN = re.compile(r"error: test failed, to rerun pass (.+)")
_EXIT = re.compile(r"process didn't exit successfully: .*\(([^()]*)\)\s*$")
_NOT_BUILT = re.compile(r"error(?:\[E\d+\])?: (?:could not compile|could not find|no such)")
_PANIC_AT = re.compile(r"thread '.*'(?: \(\d+\))? panicked at (.+):$")
_PANIC_OLD = re.compile(r"thread '.*' panicked at '(.*)', (\S+)$")
_SUFFIX = " - should panic"
_UNNAMED = "unnamed test binary #"
_BINARY = "(the test binary)"  # the errored test of a binary that failed without a block
_OUTCOMES: dict[str, TestOutcome] = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}


@dataclass(frozen=True, kw_only=True)
class _Summary:
    status: str
    passed: int
    failed: int
    ignored: int
    measured: int


@dataclass(kw_only=True, slots=True)
class _Run:
    """One execution of one test binary."""

    suite: str
    part: int = 1  # the n-th block under one `Doc-tests` line
    declared: int | None = None
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)  # tests whose output was printed
    pending: str | None = None  # printed "test NAME ... " and no outcome yet
    summary: _Summary | None = None
    cargo_error: str | None = None
    exit_detail: str | None = None
    target: str | None = None  # cargo's rerun target of a binary that printed no block


def _build(path: str) -> str:
    """`` (aarch64-unknown-linux-gnu/release)`` for a test binary not in ``target/debug``.

    Binaries of different targets or profiles are different suites, never retries of one
    another: an aarch64 failure and an x86_64 pass are a failure and a pass.
    """
    parts = path.replace("\\", "/").split("/")
    if len(parts) < 3 or parts[-2] != "deps":
        return ""
    profile = parts[-3]
    triple = parts[-4] if len(parts) >= 4 and _TRIPLE.fullmatch(parts[-4]) else None
    if triple is None:
        return "" if profile == "debug" else f" ({profile})"
    return f" ({triple}/{profile})"


def _suite_of_binary(path: str) -> str | None:
    """``…/deps/e2e_regression-b0db95e3bc7b8733`` → the same basename; None if not a test."""
    base = path.replace("\\", "/").rpartition("/")[2]
    match = _HASHED.fullmatch(base)
    return None if match is None else base.removesuffix(".exe") + _build(path)


def suite_of_header(line: str) -> str | None:
    """The suite a ``Running``/``Doc-tests`` line opens, or None."""
    text = line.strip()
    if text.startswith("Doc-tests "):
        match = _DOCTESTS.fullmatch(text)
        return None if match is None else f"{match.group(1)} doc-tests"
    if not text.startswith("Running "):
        return None
    if (src := _RUNNING_SRC.fullmatch(text)) is not None:
        base = src.group(2).replace("\\", "/").rpartition("/")[2]
        hashed = _HASHED.fullmatch(base)
        if hashed is None:
            return None
        return f"{hashed.group(1)} {src.group(1)}{_build(src.group(2))}"
    if (cmd := _RUNNING_CMD.fullmatch(text)) is not None:
        return _suite_of_binary(cmd.group(1))
    if (bare := _RUNNING_BIN.fullmatch(text)) is not None:
        return _suite_of_binary(bare.group(1))
    return None


def _status(text: str) -> TestOutcome | None:
    match = _STATUS.fullmatch(text.strip())
    if match is None:
        return None
    return _OUTCOMES[match.group(1)]


def _failure_message(lines: list[str]) -> str:
    """The line that says why a test failed, from its captured output."""
    lines = [line[:_LINE_KEPT] for line in lines]
    for i, line in enumerate(lines):
        text = line.strip()
        if (old := _PANIC_OLD.match(text)) is not None:
            return f"{old.group(1)} (at {old.group(2)})"
        if (new := _PANIC_AT.match(text)) is not None:
            after = next((ln.strip() for ln in lines[i + 1 :] if ln.strip()), "")
            return f"{after} (at {new.group(1)})" if after else text
    return next((ln.strip() for ln in lines if ln.strip()), "")


class _CargoTestTextReader:
    """A line-by-line state machine over `cargo test`'s text output (libtest's text format).

    Each test binary's run is handed to the tally as soon as it ends, so a log of a million
    tests is never held twice.
    """

    def __init__(self) -> None:
        self.tally = Tally()
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.terse: list[str] = []
        self.unnamed = 0
        self.runs: list[_Run] = []
        self.current: _Run | None = None
        self.section: tuple[_Run, str, list[str]] | None = None
        self.not_built: list[str] = []
        self.doc_tests: _Run | None = None  # the last block under a `Doc-tests` line
        self.orphan: _Run | None = None  # a binary cargo says failed, which printed no block

    def feed(self, line: str) -> None:
        text = line.lstrip()
        if self.section is not None and self._in_section(line, text):
            return
        if text.startswith("---- ") and (section := _SECTION.fullmatch(text.rstrip())):
            self._start_section(section.group(1))
            return
        if text.startswith(("Running ", "Doc-tests ")):
            suite = suite_of_header(text)
            if suite is not None:
                self._close()
                self.current = _Run(suite=bounded_name(suite, _SUITE_LIMIT))
                self.doc_tests = self.current if text.startswith("Doc-tests ") else None
                return
        if line.startswith(_DOCTESTS_END):
            self.doc_tests = None
        if line.startswith("running "):
            self._running(line)
        elif line.startswith("test "):
            self._test_line(line)
        elif self.current is not None and self.current.pending is not None:
            outcome = _status(line)
            if outcome is not None:
                self._record(self.current, self.current.pending, outcome)
        if "error" in line:
            self._errors(line)
        if "process didn't exit successfully" in line:
            self._exit_detail(line)

    def _in_section(self, line: str, text: str) -> bool:
        """Collect a failure's output; False when the line ends the section."""
        assert self.section is not None
        run, name, kept = self.section
        ends = (
            text.startswith("---- ")
            or line.rstrip() == "failures:"
            or line.startswith("test result: ")
            or (text.startswith(("Running ", "Doc-tests ")) and suite_of_header(text) is not None)
            or _RERUN.search(line) is not None
        )
        if ends:
            run.messages.setdefault(name, _failure_message(kept))
            self.section = None
            return False
        if len(kept) < _SECTION_LINES:
            kept.append(line)
        return True

    def _running(self, line: str) -> None:
        match = _RUNNING_N.fullmatch(line.rstrip())
        if match is None:
            return
        if self.current is None or self.current.declared is not None:
            self._close()
            self.current = self._next_doc_tests() or self._unnamed_run()
        self.current.declared = int(match.group(1))

    def _next_doc_tests(self) -> _Run | None:
        """The next block under the last ``Doc-tests`` line, if that block has ended."""
        last = self.doc_tests
        if last is None or last.summary is None:
            return None
        self.doc_tests = _Run(suite=last.suite, part=last.part + 1)
        return self.doc_tests

    def _unnamed_run(self) -> _Run:
        """A block with no ``Running`` line (``cargo test -q``, or a test binary run alone)."""
        self.unnamed += 1
        return _Run(suite=f"{_UNNAMED}{self.unnamed}")

    def _test_line(self, line: str) -> None:
        result = _RESULT.match(line)
        if result is not None:
            self._summary(result)
            return
        run = self.current
        rest = line
        # Parallel tests that print may share a line: "test a ... test b ... ok".
        for _ in range(_TESTS_PER_LINE):
            match = _TEST.match(rest)
            if run is None or match is None:
                return
            name = bounded_name(match.group(1).removesuffix(_SUFFIX), _NAME_LIMIT)
            rest = match.group(2)
            outcome = _status(rest)
            if outcome is not None:
                self._record(run, name, outcome)
                if outcome == "skipped" and ", " in rest:  # "ignored, needs a device"
                    run.messages[name] = rest.partition(", ")[2].strip()
                return
            if rest.startswith("bench:"):
                return
            run.pending = name

    def _record(self, run: _Run, name: str, outcome: TestOutcome) -> None:
        run.outcomes[name] = outcome
        run.pending = None

    def _summary(self, match: re.Match[str]) -> None:
        run = self.current
        if run is None:
            run = self.current = self._unnamed_run()
        status, passed, failed, ignored, measured = match.groups()
        run.summary = _Summary(
            status=status,
            passed=int(passed),
            failed=int(failed),
            ignored=int(ignored),
            measured=int(measured),
        )
        self._close()

    def _errors(self, line: str) -> None:
        if (rerun := _RERUN.search(line)) is not None:
            target = bounded_name(rerun.group(1).strip(), _SUITE_LIMIT)
            why = f"error: test failed, to rerun pass {target}"
            last = self.runs[-1] if self.runs else None
            if self.current is not None:
                self.current.cargo_error = why
                self._close()  # cargo only says this once the binary has exited
            elif last and last.summary and last.summary.status == "FAILED" and not last.cargo_error:
                last.cargo_error = why
            else:  # no block of this binary, or one that passed: it failed unseen
                self._close_orphan()
                self.orphan = _Run(suite=f"cargo test {target.strip('`')}", cargo_error=why)
                self.orphan.target = target
        elif _NOT_BUILT.search(line) is not None:
            self.not_built.append(line.strip())

    def _exit_detail(self, line: str) -> None:
        match = _EXIT.search(line[-_LINE_KEPT:])
        run = self.orphan or (self.runs[-1] if self.runs else None)
        if match is not None and run is not None and run.exit_detail is None:
            run.exit_detail = match.group(1)

    def _close_orphan(self) -> None:
        """Count the binary cargo said failed without a block: one errored test."""
        run, self.orphan = self.orphan, None
        if run is None:
            return
        how = f" ({run.exit_detail})" if run.exit_detail else ""
        run.outcomes[_BINARY] = "error"
        run.messages[_BINARY] = f"cargo: {run.cargo_error}{how}; no test of it was reported"
        self.runs.append(run)
        self._count(run)

    def _start_section(self, name: str) -> None:
        run = self.current
        if run is not None:
            name = bounded_name(name.removesuffix(_SUFFIX), _NAME_LIMIT)
            run.sections.append(name)
            self.section = (run, name, [])

    def _close(self) -> None:
        """End the open block, complete or not."""
        self._close_orphan()
        if self.section is not None:
            run, name, kept = self.section
            run.messages.setdefault(name, _failure_message(kept))
            self.section = None
        if self.current is not None:
            run = self.current
            self.runs.append(run)
            self.current = None
            self._count(run)

    def _count(self, run: _Run) -> None:
        """Hand a finished run to the tally; a later run of the same binary is a retry."""
        self.tally.suite(run.suite)
        if run.summary is not None:
            _check_run(run, self.notes, self.problems, self.terse)
        elif run.pending is not None:
            run.outcomes[run.pending] = "error"
            why = f" ({run.exit_detail})" if run.exit_detail else ""
            run.messages[run.pending] = f"the test binary died{why} while this test ran"
        self.tally.add_run(
            suite=run.suite, outcomes=run.outcomes, messages=run.messages, retry=True
        )
        run.outcomes, run.messages = {}, {}  # counted: only the run's shape is kept

    def finish(self) -> list[_Run]:
        self._close()
        return self.runs


def _synthesize(run: _Run, summary: _Summary) -> None:
    """Tests of a run that printed only its summary (``cargo test -q``)."""
    block = f" of block {run.part}" if run.part > 1 else ""
    failed = [*run.sections[: summary.failed]]
    failed += [f"(failed test #{i}{block})" for i in range(len(failed) + 1, summary.failed + 1)]
    for name in failed:
        run.outcomes[name] = "failed"
    for i in range(1, summary.passed + 1):
        run.outcomes[f"(passed test #{i}{block})"] = "passed"
    for i in range(1, summary.ignored + 1):
        run.outcomes[f"(ignored test #{i}{block})"] = "skipped"


def _check_run(run: _Run, notes: list[str], problems: list[str], terse: list[str]) -> None:
    """Compare a complete run's test lines with its summary; note what disagrees."""
    summary = run.summary
    assert summary is not None
    if run.pending is not None:
        run.outcomes[run.pending] = "passed" if summary.status == "ok" else "failed"
        run.messages.setdefault(run.pending, "its outcome was not printed; the run FAILED")
        notes.append(f"{run.suite}: test {run.pending!r} printed no outcome")
        run.pending = None
    claimed = summary.passed + summary.failed + summary.ignored
    if not run.outcomes and claimed > _MAX_UNNAMED:
        problems.append(f"{run.suite}: its summary claims {claimed} tests and names none")
    elif not run.outcomes and claimed:
        _synthesize(run, summary)
        terse.append(run.suite)
    seen = [0, 0, 0]
    for outcome in run.outcomes.values():
        seen[0 if outcome == "passed" else 1 if is_bad(outcome) else 2] += 1
    said = [summary.passed, summary.failed, summary.ignored]
    if seen != said:
        notes.append(
            f"{run.suite}: summary says {said[0]} passed, {said[1]} failed, {said[2]} ignored, "
            f"but the test lines show {seen[0]}, {seen[1]}, {seen[2]}"
        )
    if run.declared is not None and run.declared != len(run.outcomes) + summary.measured:
        notes.append(
            f"{run.suite}: 'running {run.declared} tests' but {len(run.outcomes)} were reported"
        )
    if summary.status == "FAILED" and not any(map(is_bad, run.outcomes.values())):
        problems.append(f"{run.suite} reported FAILED, but no failing test line was found")


def _crashed(run: _Run) -> str:
    if run.target is not None:
        how = f" ({run.exit_detail})" if run.exit_detail else ""
        return f"cargo says test binary {run.target} failed{how}, and it reported no test"
    how = run.exit_detail or "no `test result:` line"
    reported = f"{len(run.outcomes)} of {run.declared}" if run.declared is not None else "no"
    return (
        f"test binary {run.suite} stopped before its `test result:` line ({how}); "
        f"{reported} tests reported"
    )


def _some(suites: list[str]) -> str:
    """``N test binaries (a, b, c and 2 more)``."""
    named = ", ".join(suites[:3]) + (f" and {len(suites) - 3} more" if len(suites) > 3 else "")
    return (
        f"1 test binary ({named})" if len(suites) == 1 else f"{len(suites)} test binaries ({named})"
    )


def _empty(run: _Run) -> bool:
    """True for a complete run of a binary without tests."""
    summary = run.summary
    return summary is not None and summary.passed + summary.failed + summary.ignored == 0


def _notes(reader: _CargoTestTextReader, runs: list[_Run]) -> tuple[list[str], list[str]]:
    """Warnings and problems of the whole output, once every run is counted."""
    notes, problems = reader.notes, reader.problems
    by_suite: dict[str, list[_Run]] = {}
    for run in runs:
        by_suite.setdefault(run.suite, []).append(run)
    for suite_runs in by_suite.values():
        completed = any(r.summary is not None for r in suite_runs)
        for run in suite_runs:
            if run.summary is None:  # a crash is only a problem when no re-run completed
                (notes if completed else problems).append(_crashed(run))
    unnamed = [suite for suite in by_suite if suite.startswith(_UNNAMED)]
    quiet: list[str] = []  # `cargo test -q`: no `Running` line, no test line, a summary
    if any(suite in reader.terse for suite in unnamed):
        quiet = [s for s in unnamed if s in reader.terse or all(map(_empty, by_suite[s]))]
    if terse := [suite for suite in dict.fromkeys(reader.terse) if suite not in quiet]:
        notes.insert(
            0,
            f"{_some(terse)} printed no per-test lines (libtest's -q): their counts come from "
            "their summary lines, and their tests have no names",
        )
    if unnamed := [suite for suite in unnamed if suite not in quiet]:
        notes.insert(
            0,
            f"{_some(unnamed)} printed no `Running` line: each is counted on its own, so a "
            "re-run of the whole suite would be counted twice",
        )
    if quiet:
        notes.insert(
            0,
            f"quiet output (cargo test -q): {_some(quiet)} printed only their summary lines, so "
            "their tests have no names and a re-run of the whole suite would be counted twice",
        )
    rerun = [suite for suite, runs in by_suite.items() if sum(r.part == 1 for r in runs) > 1]
    if rerun:
        notes.insert(0, f"{_some(rerun)} ran more than once; each test is counted once")
    return notes, problems


def read_libtest(text: str, *, path: str) -> ResultFile:
    """Count the tests in ``cargo test`` output; an unusable text gives an error entry."""
    return read_libtest_lines(split_lines(text), path=path)


def read_libtest_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    """Like :func:`read_libtest`, from its lines (without their ``\\n``), e.g. off a file."""
    with collector_paused():
        return _read_lines(lines, path=path)


def _read_lines(lines: Iterable[str], *, path: str) -> ResultFile:
    reader = _CargoTestTextReader()
    for raw in lines:
        reader.feed(clean_line(raw))
    runs = reader.finish()
    notes, problems = _notes(reader, runs)
    if reader.not_built:
        why = first_line(reader.not_built[0], 160)
        problems.append(
            f"some test targets were not built: {why}" if runs else f"no test ran: {why}"
        )
    if not runs and not problems:
        problems.append("no cargo test output found (no `running N tests` or `test result:`)")
    error = None
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        error = problems[0] + more
        notes = problems[1:] + notes
        log.info("%s: %s", path, error)
    return reader.tally.result(path=path, format="libtest", warnings=notes, error=error)


def has_libtest_output(text: str) -> bool:
    """True when ``text`` holds at least one libtest block (``running N tests`` or a summary)."""
    for needle in ("test result: ", "running "):
        at = text.find(needle)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            if at - start <= _PREFIX_MAX:  # only a timestamp and colour codes may come first
                end = text.find("\n", at)
                line = clean_line(text[start : end if end >= 0 else len(text)])
                if _RUNNING_N.fullmatch(line.rstrip()) or _RESULT.match(line):
                    return True
            at = text.find(needle, at + len(needle))
    return False


_NOT_COMPILED = re.compile(r"error(?:\x1b\[[0-9;]*m)*: could not compile")


def cargo_build_failed(text: str) -> bool:
    """True when cargo says it could not compile something (so tests may not have run)."""
    return _NOT_COMPILED.search(text) is not None


def looks_like_libtest(head: str) -> bool:
    """True when the start of a text already shows cargo test output (a block or a test line)."""
    for raw in split_lines(head):
        line = clean_line(raw)
        text = line.strip()
        if text.startswith(("Running ", "Doc-tests ")) and suite_of_header(text) is not None:
            return True
        if _RUNNING_N.fullmatch(line.rstrip()) or _RESULT.match(line):
            return True
        if (test := _TEST.match(line)) is not None and _status(test.group(2)) is not None:
            return True
    return False
