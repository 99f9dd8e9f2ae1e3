"""Test results: `count-tests` on a 200,000-testcase JUnit file, a 100 MB `cargo test` job log
and a 100 MB log of each other runner (libtest JSON, nextest, go test -json and -v, TAP),
against the floor of a tree parser (``ElementTree.parse`` and a count of ``testcase``) and, for
the logs, a bare loop over the lines; same files, same run. Peak memory of every log stays
under 150 MB.

Both inputs are generated from a fixed seed and cached under ``benchmarks/work/``, with the
counts the generator put in them beside each file, so every run also checks that ours counted
right. The JUnit file mixes producers' shapes (surefire with properties, flaky re-runs and
suite output, pytest with skips and setup errors, plain Ant), with failures carrying stack
traces and close to half the testcases carrying ``system-out``. The log is a GitHub job log of
``cargo test --workspace --no-fail-fast``: per-line timestamps, colour, a build prologue, many
test binaries and doc-test blocks, failures with panics, and ``error: test failed`` lines.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from common import TOOL, Row, env_without_token, peak_rss_mb

SEED = 20260103
LAYOUT = 1  # bump when a generator changes, so cached inputs are rebuilt
FULL_CASES, QUICK_CASES = 200_000, 20_000
FULL_LOG, QUICK_LOG = 100 << 20, 10 << 20
TIME_TARGET = 1.5  # ours within 1.5x of the tree-parser floor
RSS_TARGET = 150  # MB, peak of `count-tests` on a 100 MB log of any format

STAMP_START = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.UTC)
STAMP_WIDTH = len("2026-01-03T06:00:00.0000000Z ")

WORDS = (  # noqa: SIM905 (a word list reads better as one text)
    "arm64 aarch64 runner build cache layer image manifest digest checksum encode decode parse "
    "render retry timeout stream chunk buffer index query store fetch merge split token header "
    "payload signal worker queue batch schedule report verify resolve compress archive"
).split()
PACKAGES = ("core", "io", "net", "codec", "store", "cli", "sched", "crypto", "image", "util")


@dataclass(frozen=True, kw_only=True)
class Expected:
    """The counts a generator put into its file (what a correct reader must find)."""

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0


@dataclass(kw_only=True)
class _Tally:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0

    def expected(self) -> Expected:
        return Expected(
            tests=self.passed + self.failed + self.errors + self.skipped,
            passed=self.passed,
            failed=self.failed,
            errors=self.errors,
            skipped=self.skipped,
            flaky=self.flaky,
        )


def _ident(rnd: random.Random, parts: int) -> str:
    return "_".join(rnd.choice(WORDS) for _ in range(parts))


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# --- JUnit XML ------------------------------------------------------------------------------


def _trace(rnd: random.Random, classname: str, frames: int) -> str:
    lines = [
        f"java.lang.AssertionError: expected:&lt;{rnd.randint(0, 99)}&gt; "
        f"but was:&lt;{rnd.randint(100, 999)}&gt;"
    ]
    for i in range(frames):
        method = _ident(rnd, 2)
        lines.append(f"\tat {classname}.{method}({classname.rpartition('.')[2]}.java:{40 + i * 7})")
    lines.append("\tat org.junit.runners.ParentRunner.run(ParentRunner.java:413)")
    return "\n".join(lines)


def _output(rnd: random.Random, lines: int) -> str:
    return "\n".join(
        f"{rnd.choice(('INFO', 'DEBUG', 'WARN'))} [{_ident(rnd, 1)}] {_ident(rnd, 4)} "
        f"took {rnd.randint(1, 900)} ms"
        for _ in range(lines)
    )


def _junit_case(rnd: random.Random, style: str, classname: str, name: str, tally: _Tally) -> str:
    """One <testcase>, its outcome drawn from a realistic mix and tallied."""
    attrs = f'name="{name}" classname="{classname}" time="{rnd.random() * 2:.3f}"'
    roll = rnd.random()
    body = ""
    if roll < 0.02:
        tally.failed += 1
        message = _escaped(f"expected {rnd.randint(0, 9)} but was {rnd.randint(10, 99)}")
        body = (
            f'<failure message="{message}" type="java.lang.AssertionError">'
            f"{_trace(rnd, classname, rnd.randint(4, 16))}</failure>"
        )
    elif roll < 0.025:
        tally.errors += 1
        kind = "RuntimeError" if style == "pytest" else "java.lang.IllegalStateException"
        body = (
            f'<error message="{kind}: {_ident(rnd, 3)} unavailable" type="{kind}">'
            f"{_trace(rnd, classname, 6)}</error>"
        )
    elif roll < 0.055:
        tally.skipped += 1
        body = f'<skipped message="{_ident(rnd, 3)} not available on this host"/>'
    elif roll < 0.058 and style == "surefire":
        tally.passed += 1
        tally.flaky += 1
        body = (
            f'<flakyFailure message="timed out" type="java.util.concurrent.TimeoutException">'
            f"<stackTrace>{_trace(rnd, classname, 5)}</stackTrace></flakyFailure>"
        )
    else:
        tally.passed += 1
    if rnd.random() < 0.5:
        body += f"<system-out><![CDATA[{_output(rnd, rnd.randint(1, 8))}]]></system-out>"
    if rnd.random() < 0.04:
        body += f"<system-err>{_output(rnd, 2)}</system-err>"
    return f"<testcase {attrs}>{body}</testcase>\n" if body else f"<testcase {attrs}/>\n"


def junit_chunks(cases: int, seed: int) -> Iterator[str | Expected]:
    """The JUnit document, suite by suite; the last item is what it holds."""
    rnd = random.Random(seed)
    tally = _Tally()
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="all tests">\n'
    left, number = cases, 0
    while left > 0:
        number += 1
        size = min(left, max(1, int(rnd.paretovariate(1.2) * 8)), 3000)
        left -= size
        style = rnd.choice(("surefire", "surefire", "pytest", "ant"))
        package = rnd.choice(PACKAGES)
        if style == "pytest":
            suite = "pytest"
            classname = f"tests.test_{package}.Test{_ident(rnd, 2).title().replace('_', '')}"
        else:
            suite = f"com.example.{package}.{_ident(rnd, 2).title().replace('_', '')}Test{number}"
            classname = suite
        head = (
            f'<testsuite name="{suite}" tests="{size}" time="{rnd.random() * 60:.2f}" '
            f'timestamp="2026-01-03T06:00:00" hostname="arm64-runner-{number % 7}">\n'
        )
        if style == "surefire":
            head += (
                "<properties>"
                + "".join(
                    f'<property name="java.{_ident(rnd, 1)}.{i}" value="{_ident(rnd, 2)}"/>'
                    for i in range(8)
                )
                + "</properties>\n"
            )
        parts = [head]
        for i in range(size):
            name = f"test_{_ident(rnd, 3)}_{i}"
            if style == "pytest" and rnd.random() < 0.3:
                name += f"[{_ident(rnd, 1)}-{rnd.randint(0, 9)}]"
            parts.append(_junit_case(rnd, style, classname, name, tally))
        if style == "surefire" and rnd.random() < 0.3:
            parts.append(f"<system-out><![CDATA[{_output(rnd, 20)}]]></system-out>\n")
        parts.append("</testsuite>\n")
        yield "".join(parts)
    yield "</testsuites>\n"
    yield tally.expected()


# --- cargo test job log -------------------------------------------------------------------------


class _Log:
    """Lines of a GitHub job log, each with its timestamp, counted in bytes as written."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.ticks = 0
        self.size = 3  # the BOM GitHub writes
        self.lines: list[str] = ["\ufeff"]

    def add(self, text: str) -> None:
        self.ticks += 1
        stamp = STAMP_START + dt.timedelta(microseconds=self.ticks * 700)
        line = f"{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond:06d}0Z {text}\n"
        self.lines.append(line)
        self.size += len(line.encode())

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines = []
        return text


GREEN, RED, YELLOW, BOLD_GREEN, BOLD_RED, RESET = (
    "\x1b[32m",
    "\x1b[31m",
    "\x1b[33m",
    "\x1b[1m\x1b[92m",
    "\x1b[1m\x1b[91m",
    "\x1b(B\x1b[m",
)


def _binary_block(log: _Log, crate: str, kind: str, binary: str, tally: _Tally) -> None:
    """One test binary's output (or a Doc-tests block)."""
    rnd = log.rnd
    size = max(1, min(int(rnd.paretovariate(1.1) * 12), 4000))
    if kind == "doc":
        log.add(f"{BOLD_GREEN}   Doc-tests{RESET} {crate}")
        names = [
            f"src/{_ident(rnd, 1)}.rs - {_ident(rnd, 2)} (line {rnd.randint(1, 900)})"
            for _ in range(size)
        ]
    else:
        # cargo names sources relative to the workspace root, where the job runs it
        target = f"crates/{crate}/" + (
            "src/lib.rs" if kind == "unittests" else f"tests/{binary}.rs"
        )
        digest = f"{rnd.getrandbits(64):016x}"
        log.add(
            f"{BOLD_GREEN}     Running{RESET} {kind} {target} (target/debug/deps/{binary}-{digest})"
        )
        names = [f"{_ident(rnd, 1)}::{_ident(rnd, 1)}::{_ident(rnd, 3)}" for _ in range(size)]
    names = list(dict.fromkeys(names))
    log.add("")
    log.add(f"running {len(names)} tests")
    failed: list[str] = []
    ignored = 0
    for name in names:
        roll = rnd.random()
        if roll < 0.01:
            failed.append(name)
            log.add(f"test {name} ... {RED}FAILED{RESET}")
        elif roll < 0.03:
            ignored += 1
            log.add(f"test {name} ... {YELLOW}ignored, needs a {_ident(rnd, 1)} device{RESET}")
        else:
            log.add(f"test {name} ... {GREEN}ok{RESET}")
    passed = len(names) - len(failed) - ignored
    tally.passed += passed
    tally.failed += len(failed)
    tally.skipped += ignored
    log.add("")
    if failed:
        log.add("failures:")
        log.add("")
        for name in failed:
            log.add(f"---- {name} stdout ----")
            log.add("")
            log.add(
                f"thread '{name}' ({rnd.randint(2, 64)}) panicked at "
                f"src/{_ident(rnd, 1)}.rs:{rnd.randint(1, 999)}:9:"
            )
            log.add(f"assertion `left == right` failed: {_ident(rnd, 3)}")
            log.add(f"  left: {rnd.randint(0, 9999)}")
            log.add(f" right: {rnd.randint(0, 9999)}")
            log.add("note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace")
            log.add("")
        log.add("")
        log.add("failures:")
        for name in failed:
            log.add(f"    {name}")
        log.add("")
    status = f"{RED}FAILED{RESET}" if failed else f"{GREEN}ok{RESET}"
    log.add(
        f"test result: {status}. {passed} passed; {len(failed)} failed; {ignored} ignored; "
        f"0 measured; 0 filtered out; finished in {rnd.random() * 30:.2f}s"
    )
    log.add("")
    if failed:
        what = {"doc": "--doc", "unittests": "--lib"}.get(kind, f"--test {binary}")
        log.add(f"{BOLD_RED}error{RESET}: test failed, to rerun pass `-p {crate} {what}`")


def libtest_chunks(target_bytes: int, seed: int) -> Iterator[str | Expected]:
    """The job log, a piece at a time; the last item is what it holds."""
    log = _Log(seed)
    tally = _Tally()
    log.add("##[group]Run cargo test --workspace --no-fail-fast")
    log.add("cargo test --workspace --no-fail-fast")
    log.add("shell: /usr/bin/bash -e {0}")
    log.add("env:")
    log.add("  CARGO_TERM_COLOR: always")
    log.add("##[endgroup]")
    for i in range(400):
        log.add(f"{BOLD_GREEN}   Compiling{RESET} {_ident(log.rnd, 2)} v0.{i % 13}.{i % 7}")
    log.add(
        f"{BOLD_GREEN}    Finished{RESET} `test` profile [unoptimized + debuginfo] "
        "target(s) in 212.40s"
    )
    number = 0
    while log.size < target_bytes:
        number += 1
        crate = f"{log.rnd.choice(PACKAGES)}_{_ident(log.rnd, 1)}{number}"
        first, second, third, fourth = log.rnd.sample(WORDS, 4)
        blocks = (
            ("unittests", crate),
            ("tests", f"{first}_{second}"),
            ("tests", f"{third}_{fourth}"),
            ("doc", crate),
        )
        for kind, binary in blocks:
            _binary_block(log, crate, kind, binary, tally)
        yield log.take()
    log.add(f"{BOLD_RED}error{RESET}: some tests failed")
    log.add("##[error]Process completed with exit code 101.")
    yield log.take()
    yield tally.expected()


# --- the other runners' output ------------------------------------------------------------------

FORMAT_LOGS = ("libtest-json", "nextest", "go-test-json", "go-test", "tap")


def _outcome(rnd: random.Random) -> str:
    """1% failed, 2% skipped, the rest passed (as in the cargo log)."""
    roll = rnd.random()
    return "failed" if roll < 0.01 else "skipped" if roll < 0.03 else "passed"


def _suites(
    rnd: random.Random, target_bytes: int, size_of: Callable[[], int]
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Suites (named by package) of distinct tests with outcomes, until ``size_of`` reaches."""
    number = 0
    while size_of() < target_bytes:
        number += 1
        suite = f"{rnd.choice(PACKAGES)}_{_ident(rnd, 1)}{number}"
        size = max(1, min(int(rnd.paretovariate(1.1) * 12), 4000))
        names = dict.fromkeys(f"{_ident(rnd, 1)}::{_ident(rnd, 3)}" for _ in range(size))
        yield suite, [(name, _outcome(rnd)) for name in names]


class _Text:
    """Lines of plain runner output, counted in bytes as written."""

    def __init__(self) -> None:
        self.size = 0
        self.lines: list[str] = []

    def add(self, text: str) -> None:
        self.lines.append(text + "\n")
        self.size += len(text.encode()) + 1

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines = []
        return text


def _tally_suite(tally: _Tally, tests: list[tuple[str, str]]) -> tuple[int, int, int]:
    counts = [sum(1 for _, o in tests if o == kind) for kind in ("passed", "failed", "skipped")]
    tally.passed += counts[0]
    tally.failed += counts[1]
    tally.skipped += counts[2]
    return counts[0], counts[1], counts[2]


def _libtest_json(out: _Text, rnd: random.Random, suite: str, tests: list[tuple[str, str]]) -> None:
    out.add(
        f"     Running unittests src/lib.rs (target/debug/deps/{suite}-{rnd.getrandbits(64):016x})"
    )
    out.add(f'{{ "type": "suite", "event": "started", "test_count": {len(tests)} }}')
    for name, outcome in tests:
        out.add(f'{{ "type": "test", "event": "started", "name": "{name}" }}')
        if outcome == "passed":
            out.add(f'{{ "type": "test", "name": "{name}", "event": "ok", "exec_time": 0.001 }}')
        elif outcome == "skipped":
            out.add(
                f'{{ "type": "test", "name": "{name}", "event": "ignored", '
                '"message": "needs a device" }'
            )
        else:
            out.add(
                f'{{ "type": "test", "name": "{name}", "event": "failed", "exec_time": 0.001, '
                f'"stdout": "thread \'{name}\' panicked at src/lib.rs:{rnd.randint(1, 999)}:9:'
                '\\nassertion `left == right` failed\\n" }'
            )


def _go_test_json(out: _Text, rnd: random.Random, suite: str, tests: list[tuple[str, str]]) -> None:
    stamp = '"Time":"2026-01-03T06:00:00.000000000Z"'
    package = f"example.com/{suite.replace('_', '/')}"
    words = {"passed": ("PASS", "pass"), "failed": ("FAIL", "fail"), "skipped": ("SKIP", "skip")}
    for name, outcome in tests:
        test = "Test" + name.replace("::", "_").title().replace("_", "")
        head = f'{{{stamp},"Action":"%s","Package":"{package}","Test":"{test}"'
        out.add(head % "run" + "}")
        out.add(head % "output" + f',"Output":"=== RUN   {test}\\n"}}')
        if outcome != "passed":
            why = "needs an arm64 device" if outcome == "skipped" else "want 1, got 2"
            out.add(
                head % "output" + f',"Output":"    ring_test.go:{rnd.randint(9, 99)}: {why}\\n"}}'
            )
        said, action = words[outcome]
        out.add(head % "output" + f',"Output":"--- {said}: {test} (0.00s)\\n"}}')
        out.add(head % action + ',"Elapsed":0}')
    end = "fail" if any(o == "failed" for _, o in tests) else "pass"
    out.add(f'{{{stamp},"Action":"{end}","Package":"{package}","Elapsed":0.01}}')


def _go_test_v(out: _Text, rnd: random.Random, suite: str, tests: list[tuple[str, str]]) -> None:
    package = f"example.com/{suite.replace('_', '/')}"
    for name, outcome in tests:
        test = "Test" + name.replace("::", "_").title().replace("_", "")
        out.add(f"=== RUN   {test}")
        said = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[outcome]
        out.add(f"--- {said}: {test} (0.00s)")
        if outcome != "passed":
            why = "needs an arm64 device" if outcome == "skipped" else "want 1, got 2"
            out.add(f"    ring_test.go:{rnd.randint(9, 99)}: {why}")
    if any(o == "failed" for _, o in tests):
        out.add("FAIL")
        out.add(f"FAIL\t{package}\t0.011s")
    else:
        out.add("PASS")
        out.add(f"ok  \t{package}\t0.011s")


class _Tap:
    """One TAP 13 stream (a test file per suite as a subtest), its plan at the end."""

    def __init__(self) -> None:
        self.points = 0


def _tap(
    out: _Text, rnd: random.Random, suite: str, tests: list[tuple[str, str]], tap: _Tap
) -> None:
    out.add(f"# Subtest: t/{suite}.t")
    for i, (name, outcome) in enumerate(tests, 1):
        if outcome == "passed":
            out.add(f"    ok {i} - {name}")
        elif outcome == "skipped":
            out.add(f"    ok {i} - {name} # SKIP needs an arm64 device")
        else:
            out.add(f"    not ok {i} - {name}")
            out.add("      ---")
            out.add(f"      message: 'want {rnd.randint(0, 9)}, got {rnd.randint(10, 99)}'")
            out.add("      ...")
    out.add(f"    1..{len(tests)}")
    tap.points += 1
    failed = any(o == "failed" for _, o in tests)
    out.add(f"{'not ok' if failed else 'ok'} {tap.points} - t/{suite}.t")


def format_chunks(fmt: str, target_bytes: int, seed: int) -> Iterator[str | Expected]:
    """A log of ``fmt`` (one of FORMAT_LOGS), a piece at a time; the last item is what it holds.

    The same mix as the cargo log: suites of Pareto-distributed sizes, 1% failed, 2% skipped.
    A TAP suite is one test file, a subtest of the stream whose own point counts too.
    """
    rnd = random.Random(seed)
    out = _Text()
    tally = _Tally()
    tap = _Tap()
    if fmt == "tap":
        out.add("TAP version 13")
    if fmt == "nextest":
        out.add("    Finished `test` profile [unoptimized + debuginfo] target(s) in 212.40s")
    ran = [0]
    for suite, tests in _suites(rnd, target_bytes, lambda: out.size):
        passed, failed, skipped = _tally_suite(tally, tests)
        if fmt == "libtest-json":
            _libtest_json(out, rnd, suite, tests)
            status = "failed" if failed else "ok"
            out.add(
                f'{{ "type": "suite", "event": "{status}", "passed": {passed}, '
                f'"failed": {failed}, "ignored": {skipped}, "measured": 0, '
                '"filtered_out": 0, "exec_time": 0.118 }'
            )
        elif fmt == "go-test-json":
            _go_test_json(out, rnd, suite, tests)
        elif fmt == "go-test":
            _go_test_v(out, rnd, suite, tests)
        elif fmt == "tap":
            _tap(out, rnd, suite, tests, tap)
            if failed:  # a test file's own point is a test point too (see the README)
                tally.failed += 1
            else:
                tally.passed += 1
        else:  # nextest names no skipped test: its summary counts them
            for name, outcome in tests:
                if outcome == "skipped":
                    continue
                ran[0] += 1
                word = "PASS" if outcome == "passed" else "FAIL"
                out.add(
                    f"        {word} [   0.{rnd.randint(1, 999):03d}s] ({ran[0]}/{ran[0]}) "
                    f"{suite} {name}"
                )
        yield out.take()
    if fmt == "tap":
        out.add(f"1..{tap.points}")
    if fmt == "nextest":
        out.add("────────────")
        failed_part = f", {tally.failed} failed" if tally.failed else ""
        out.add(
            f"     Summary [ 812.230s] {ran[0]} tests run: {tally.passed} passed"
            f"{failed_part}, {tally.skipped} skipped"
        )
    yield out.take()
    yield tally.expected()


def build(path: Path, chunks: Iterator[str | Expected]) -> Expected:
    """Write a generated file once; the counts it holds are kept beside it."""
    sidecar = path.with_suffix(path.suffix + ".json")
    if path.exists() and sidecar.exists():
        return Expected(**json.loads(sidecar.read_text(encoding="utf-8")))
    partial = path.with_suffix(path.suffix + ".partial")
    expected = Expected()
    with partial.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            if isinstance(chunk, Expected):
                expected = chunk
            else:
                handle.write(chunk)
    partial.replace(path)
    sidecar.write_text(json.dumps(asdict(expected)), encoding="utf-8")
    return expected


# --- measuring ----------------------------------------------------------------------------------

JUNIT_FLOOR = (
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "print(sum(1 for _ in root.iter('testcase')))\n"
)
LINE_COUNT = (
    "import sys\n"
    "n = 0\n"
    "with open(sys.argv[1], encoding='utf-8', errors='replace') as f:\n"
    "    for line in f:\n"
    "        n += 1\n"
    "print(n)\n"
)
LINES_FLOOR = (
    "import sys\n"
    "n = 0\n"
    "with open(sys.argv[1], encoding='utf-8', errors='replace') as f:\n"
    "    for line in f:\n"
    f"        if line.startswith('test ', {STAMP_WIDTH}):\n"
    "            n += 1\n"
    "print(n)\n"
)


def junit_floor(path: Path) -> int:
    """The floor of a tree parser: parse the whole document, count its testcases."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return sum(1 for _ in root.iter("testcase"))


def junit_floor_collector_paused(path: Path) -> int:
    """The same floor with the cyclic collector paused, as ours pauses it.

    Half the floor's time on 200,000 testcases is the collector rescanning the tree it builds.
    """
    gc.disable()
    try:
        return junit_floor(path)
    finally:
        gc.enable()


def lines_floor(path: Path) -> int:
    """A bare loop over the log's lines: those that start with ``test `` after the timestamp."""
    n = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("test ", STAMP_WIDTH):
                n += 1
    return n


def ours_in_process(path: Path) -> Expected:
    """read_result_file, the function `count-tests` calls for each file it is given."""
    from validator.results import read_result_file

    found = read_result_file(path, display=path.name)
    if found.error is not None:
        raise RuntimeError(f"{path.name}: {found.error}")
    c = found.counts
    return Expected(
        tests=c.tests,
        passed=c.passed,
        failed=c.failed,
        errors=c.errors,
        skipped=c.skipped,
        flaky=c.flaky,
    )


def ours_command(path: Path) -> list[str]:
    return [str(TOOL), "count-tests", "--json", str(path)]


def call(command: Sequence[str]) -> str:
    """Run a command to completion (exit 1 is `count-tests` finding failed tests)."""
    done = subprocess.run(
        list(command), capture_output=True, text=True, check=False, env=env_without_token()
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-400:]}")
    return done.stdout


def counted_by_cli(output: str) -> Expected:
    total = json.loads(output)["total"]
    return Expected(**{field: total[field] for field in asdict(Expected())})


def alternating(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each action, run in turns so that a busy moment hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seen) for name, seen in times.items()}


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check(what: str, got: Expected | int, want: Expected | int) -> None:
    if got != want:
        raise RuntimeError(f"{what} counted {got}, the generator wrote {want}")


def _time_rows(
    bench: str,
    label: str,
    times: dict[str, float],
    floor_name: tuple[str, str],
    target: str,
    threshold: float | None,
    note: str = "",
) -> list[Row]:
    rows = []
    for measure, ours, base, base_name in (
        ("time in-process (read_result_file)", "ours", "floor", floor_name[0]),
        ("time of `count-tests --json` (subprocess)", "ours cli", "floor cli", floor_name[1]),
    ):
        ratio = times[ours] / times[base]
        rows.append(
            Row(
                benchmark=bench,
                measure=f"{measure}, {label}",
                ours=times[ours],
                baseline_name=base_name,
                baseline=times[base],
                unit="s",
                target=target,
                met=None if threshold is None else ratio <= threshold,
                note=note,
            )
        )
    return rows


def run(*, quick: bool, work: Path) -> list[Row]:
    cases = QUICK_CASES if quick else FULL_CASES
    log_bytes = QUICK_LOG if quick else FULL_LOG
    repeat = 1 if quick else 3
    junit = work / f"results-junit-{cases}-{SEED}-v{LAYOUT}.xml"
    cargo = work / f"results-cargo-{log_bytes >> 20}M-{SEED}-v{LAYOUT}.log"
    _progress(f"bench_results: generating {junit.name} and {cargo.name} (cached) ...")
    want_junit = build(junit, junit_chunks(cases, SEED))
    want_cargo = build(cargo, libtest_chunks(log_bytes, SEED))
    rows: list[Row] = []

    _progress("bench_results: JUnit, ours against ElementTree.parse ...")
    junit_floor_cli = [sys.executable, "-c", JUNIT_FLOOR, str(junit)]
    _check("count-tests", counted_by_cli(call(ours_command(junit))), want_junit)
    _check("read_result_file", ours_in_process(junit), want_junit)
    _check("ElementTree", junit_floor(junit), want_junit.tests)
    _check("ElementTree (subprocess)", int(call(junit_floor_cli)), want_junit.tests)
    times = alternating(
        {
            "ours": lambda: ours_in_process(junit),
            "floor": lambda: junit_floor(junit),
            "floor paused": lambda: junit_floor_collector_paused(junit),
            "ours cli": lambda: call(ours_command(junit)),
            "floor cli": lambda: call(junit_floor_cli),
        },
        repeat,
    )
    size = junit.stat().st_size / 1e6
    label = f"JUnit {cases:,} testcases, {size:.0f} MB"
    rows += _time_rows(
        "test results",
        label,
        times,
        ("ElementTree.parse + count testcase", "python -c ElementTree.parse + count"),
        f"≤ {TIME_TARGET}x",
        None if quick else TIME_TARGET,
    )
    rows.append(
        Row(
            benchmark="test results",
            measure=f"time in-process (read_result_file), {label}",
            ours=times["ours"],
            baseline_name="ElementTree.parse + count, cyclic collector paused",
            baseline=times["floor paused"],
            unit="s",
            target="— (what the floor costs without the collector)",
            met=None,
            note="ours pauses the collector too",
        )
    )
    rows.append(
        Row(
            benchmark="test results",
            measure=f"peak RSS of `count-tests --json`, {label}",
            ours=peak_rss_mb(ours_command(junit)),
            baseline_name="python -c ElementTree.parse + count",
            baseline=peak_rss_mb(junit_floor_cli),
            unit="MB",
            target="reported",
            met=None,
        )
    )

    _progress("bench_results: cargo test log, ours against a bare line loop ...")
    lines_floor_cli = [sys.executable, "-c", LINES_FLOOR, str(cargo)]
    _check("count-tests", counted_by_cli(call(ours_command(cargo))), want_cargo)
    _check("read_result_file", ours_in_process(cargo), want_cargo)
    times = alternating(
        {
            "ours": lambda: ours_in_process(cargo),
            "floor": lambda: lines_floor(cargo),
            "ours cli": lambda: call(ours_command(cargo)),
            "floor cli": lambda: call(lines_floor_cli),
        },
        repeat,
    )
    size = cargo.stat().st_size / 1e6
    label = f"cargo test job log {size:.0f} MB, {want_cargo.tests:,} tests"
    no_floor = "no tree-parser floor for text: the baseline counts lines and parses nothing"
    rows += _time_rows(
        "test results",
        label,
        times,
        ("bare loop: lines starting with `test `", "python -c bare line loop"),
        "— (compared only)",
        None,
        note=no_floor,
    )
    cargo_rss = peak_rss_mb(ours_command(cargo))
    rows.append(
        Row(
            benchmark="test results",
            measure=f"peak RSS of `count-tests --json`, {label}",
            ours=cargo_rss,
            baseline_name="python -c bare line loop",
            baseline=peak_rss_mb(lines_floor_cli),
            unit="MB",
            target=f"< {RSS_TARGET} MB",
            met=None if quick else cargo_rss < RSS_TARGET,
        )
    )
    rows += _format_rows(quick=quick, work=work, log_bytes=log_bytes, repeat=repeat)
    return rows


def _format_rows(*, quick: bool, work: Path, log_bytes: int, repeat: int) -> list[Row]:
    """Each other runner's log of the same size: peak RSS and time beside a bare line count."""
    rows: list[Row] = []
    for fmt in FORMAT_LOGS:
        path = work / f"results-{fmt}-{log_bytes >> 20}M-{SEED}-v{LAYOUT}.log"
        _progress(f"bench_results: {fmt} log, ours against a bare line count ...")
        want = build(path, format_chunks(fmt, log_bytes, SEED))
        _check("count-tests", counted_by_cli(call(ours_command(path))), want)
        count_cli = [sys.executable, "-c", LINE_COUNT, str(path)]
        times = alternating(
            {
                "ours cli": partial(call, ours_command(path)),
                "floor cli": partial(call, count_cli),
            },
            repeat,
        )
        label = f"{fmt} log {path.stat().st_size / 1e6:.0f} MB, {want.tests:,} tests"
        rows.append(
            Row(
                benchmark="test results",
                measure=f"time of `count-tests --json` (subprocess), {label}",
                ours=times["ours cli"],
                baseline_name="python -c line count",
                baseline=times["floor cli"],
                unit="s",
                target="— (compared only)",
                met=None,
            )
        )
        ours_rss = peak_rss_mb(ours_command(path))
        rows.append(
            Row(
                benchmark="test results",
                measure=f"peak RSS of `count-tests --json`, {label}",
                ours=ours_rss,
                baseline_name="python -c line count",
                baseline=peak_rss_mb(count_cli),
                unit="MB",
                target=f"< {RSS_TARGET} MB",
                met=None if quick else ours_rss < RSS_TARGET,
            )
        )
    return rows
