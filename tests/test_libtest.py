"""cargo test output: real logs of the sample crate (plain, GitHub job log, -q, crash, re-run)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.evidence import ResultFile
from validator.libtest import has_libtest_output, read_libtest
from validator.loglines import clean_line
from validator.results import decode_text

RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "results"
STAMP = "2026-03-10T08:15:42.1234567Z "


def log(name: str) -> str:
    return (RESULTS / name).read_text(encoding="utf-8")


def read(text: str, path: str = "cargo.log") -> ResultFile:
    return read_libtest(text, path=path)


def six(r: ResultFile) -> tuple[int, int, int, int, int, int]:
    c = r.counts
    return (c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky)


# The sample crate has 24 tests: 12 unit (1 ignored), 0 in the binary, 6 in
# tests/e2e_regression.rs, 6 doc-tests (fixtures/src/sample-crate/README.md).
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cargo-test-pass.log", (24, 23, 0, 0, 1, 0)),
        ("cargo-test-pass.gh.log", (24, 23, 0, 0, 1, 0)),
        ("cargo-test-fail.log", (24, 21, 2, 0, 1, 0)),
        ("cargo-test-fail.gh.log", (24, 21, 2, 0, 1, 0)),
        ("cargo-test-failfast.log", (12, 10, 1, 0, 1, 0)),  # cargo stopped after the lib
        ("cargo-test-twice.gh.log", (24, 23, 0, 0, 1, 0)),
        ("cargo-test-rerun.gh.log", (24, 23, 0, 0, 1, 2)),
        ("cargo-test-quiet.log", (24, 23, 0, 0, 1, 0)),
        ("cargo-test-quiet-fail.log", (24, 21, 2, 0, 1, 0)),
        ("cargo-workspace.log", (13, 12, 0, 0, 1, 0)),
        ("cargo-workspace-quiet.log", (13, 12, 0, 0, 1, 0)),
        ("cargo-workspace-terse.log", (13, 12, 0, 0, 1, 0)),
        ("cargo-workspace-fail.gh.log", (13, 11, 1, 0, 1, 0)),
    ],
)
def test_real_cargo_logs_count_exactly(name: str, expected: tuple[int, ...]) -> None:
    r = read(log(name), name)
    assert r.error is None, r.error
    assert r.format == "libtest" and r.path == name
    assert six(r) == expected


def test_suites_are_the_test_binaries_and_doc_tests() -> None:
    r = read(log("cargo-test-pass.log"))
    assert [(s.name, s.counts.tests) for s in r.suites] == [
        ("sample_crate src/lib.rs", 12),
        ("sample_crate src/main.rs", 0),
        ("e2e_regression tests/e2e_regression.rs", 6),
        ("sample_crate doc-tests", 6),
    ]
    assert "sample_crate doc-tests::src/lib.rs - checksum (line 10)" in r.test_names
    assert "sample_crate src/lib.rs::tests::odd_hex_length_panics_when_unwrapped" in r.test_names
    assert len(r.test_names) == 24 and list(r.test_names) == sorted(r.test_names)
    assert r.warnings == ()


def test_ignored_test_is_skipped_not_passed() -> None:
    r = read(log("cargo-test-pass.log"))
    lib = next(s for s in r.suites if s.name == "sample_crate src/lib.rs")
    assert (lib.counts.tests, lib.counts.passed, lib.counts.skipped) == (12, 11, 1)


def test_failures_name_the_test_and_the_panic() -> None:
    r = read(log("cargo-test-fail.log"))
    assert [(f.name, f.outcome) for f in r.failures] == [
        ("sample_crate src/lib.rs::tests::checksum_is_stable", "failed"),
        ("e2e_regression tests/e2e_regression.rs::e2e_roundtrip_regression", "failed"),
    ]
    message = r.failures[0].message
    assert message.startswith("assertion `left == right` failed: checksum drifted (at src/lib.rs:")


def test_github_log_reads_like_the_plain_log() -> None:
    """Timestamps, BOM, ANSI colours and --verbose lines change nothing in the counts."""
    plain, gh = read(log("cargo-test-fail.log")), read(log("cargo-test-fail.gh.log"))
    assert six(plain) == six(gh)
    assert [f.message for f in plain.failures] == [f.message for f in gh.failures]
    assert all("\x1b" not in name for name in gh.test_names)


def test_timestamp_prefix_on_every_line_changes_nothing() -> None:
    text = log("cargo-test-fail.log")
    stamped = "".join(STAMP + line for line in text.splitlines(keepends=True))
    assert read(stamped) == read(text)


def test_crlf_line_ends_change_nothing() -> None:
    text = log("cargo-test-rerun.gh.log")
    assert read(text.replace("\n", "\r\n")) == read(text)


def test_a_suite_run_twice_counts_once() -> None:
    r = read(log("cargo-test-twice.gh.log"))
    assert six(r) == (24, 23, 0, 0, 1, 0)
    assert "ran more than once" in r.warnings[0]


def test_failed_then_passed_is_flaky() -> None:
    r = read(log("cargo-test-rerun.gh.log"))
    assert (r.counts.flaky, r.counts.failed, r.failures) == (2, 0, ())


def test_passed_then_failed_is_failed() -> None:
    r = read(log("cargo-test-pass.log") + log("cargo-test-fail.log"))
    assert six(r) == (24, 21, 2, 0, 1, 0)
    assert len(r.failures) == 2


def _block(path: str, outcome: str) -> str:
    summary = "ok. 1 passed; 0 failed" if outcome == "ok" else "FAILED. 0 passed; 1 failed"
    return (
        f"     Running unittests src/lib.rs ({path})\n\nrunning 1 test\n"
        f"test tests::parses ... {outcome}\n\n"
        f"test result: {summary}; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "target/aarch64-unknown-linux-gnu/debug/deps/mycrate-0123456789abcdef",
            "target/x86_64-unknown-linux-gnu/debug/deps/mycrate-0123456789abcdef",
        ),
        (
            "target/debug/deps/mycrate-0123456789abcdef",
            "target/release/deps/mycrate-0123456789abcdef",
        ),
    ],
)
def test_other_targets_or_profiles_are_other_suites_not_retries(first: str, second: str) -> None:
    r = read(_block(first, "FAILED") + _block(second, "ok"))
    assert r.error is None, r.error
    assert six(r) == (2, 1, 1, 0, 0, 0)  # a failure and a pass, not one flaky test
    assert len(r.suites) == 2
    assert not any("ran more than once" in w for w in r.warnings)


def test_the_same_target_run_again_is_a_retry() -> None:
    path = "target/aarch64-unknown-linux-gnu/debug/deps/mycrate-0123456789abcdef"
    r = read(_block(path, "FAILED") + _block(path, "ok"))
    assert six(r) == (1, 1, 0, 0, 0, 1)
    assert [s.name for s in r.suites] == ["mycrate src/lib.rs (aarch64-unknown-linux-gnu/debug)"]


def test_skipped_tests_did_not_run() -> None:
    r = read(log("cargo-test-pass.log"))
    assert (r.counts.tests, r.counts.skipped, r.counts.ran) == (24, 1, 23)


def test_crash_without_summary_is_an_error_and_not_passed() -> None:
    r = read(log("cargo-test-crash.log"))
    assert r.error is not None
    assert "e2e_regression" in r.error and "SIGABRT" in r.error
    assert "\n" not in r.error
    assert (r.counts.tests, r.counts.passed, r.counts.errors) == (13, 11, 1)
    assert r.failures[0].name.endswith("::e2e_abort_probe")
    assert "died" in r.failures[0].message


def test_crash_in_parallel_mode_without_a_running_test_is_still_an_error() -> None:
    # With several threads libtest prints a test's line only when it ends; a crash then leaves
    # no half line. Same real log, with the in-flight "test ... " prefix removed.
    text = log("cargo-test-crash.log").replace("test e2e_abort_probe ... ", "")
    r = read(text)
    assert r.error is not None and "stopped before its `test result:` line" in r.error
    assert r.counts.tests == 12 and r.counts.passed == 11


def test_crash_then_complete_rerun_is_a_warning_and_the_test_is_flaky() -> None:
    r = read(log("cargo-test-crash.log") + log("cargo-test-pass.log"))
    assert r.error is None
    assert six(r) == (24, 23, 0, 0, 1, 1)
    assert any("stopped before" in w for w in r.warnings)


def test_compile_error_means_no_test_ran() -> None:
    r = read(log("cargo-test-compile-error.log"))
    assert r.error is not None and r.error.startswith("no test ran: error: could not compile")
    assert r.counts.tests == 0


def test_summary_disagreeing_with_the_test_lines_is_a_warning() -> None:
    text = log("cargo-test-pass.log").replace("test tests::hex_roundtrip ... ok\n", "")
    r = read(text)
    assert r.counts.tests == 23
    assert any(w.startswith("sample_crate src/lib.rs: summary says 11 passed") for w in r.warnings)


def test_failed_summary_without_a_failed_line_is_an_error() -> None:
    text = log("cargo-test-fail.log").replace(
        "test tests::checksum_is_stable ... FAILED\n", "test tests::checksum_is_stable ... ok\n"
    )
    r = read(text)
    assert r.error is not None and "reported FAILED" in r.error


def test_rerun_hint_after_a_passing_run_is_an_errored_binary() -> None:
    # cargo says a binary failed, yet no block of it failed: it exited non-zero unseen.
    text = log("cargo-test-pass.log") + "error: test failed, to rerun pass `--doc`\n"
    r = read(text)
    assert r.error == "cargo says test binary `--doc` failed, and it reported no test"
    assert (r.counts.tests, r.counts.errors) == (25, 1)
    assert [f.name for f in r.failures] == ["cargo test --doc::(the test binary)"]


@pytest.mark.parametrize("name", ["cargo-test-quiet-sigill.log", "cargo-test-quiet-sigill.gh.log"])
def test_quiet_binary_killed_by_sigill_before_its_block_is_an_error(name: str) -> None:
    # Real cargo test -q: e2e_regression dies of SIGILL before it prints `running N tests`.
    r = read(log(name), name)
    assert r.error == (
        "cargo says test binary `--test e2e_regression` failed (signal: 4, SIGILL: illegal "
        "instruction), and it reported no test"
    )
    assert six(r) == (13, 11, 0, 1, 1, 0)
    (failure,) = r.failures
    assert failure.name == "cargo test --test e2e_regression::(the test binary)"
    assert failure.outcome == "error" and "SIGILL" in failure.message


def test_failing_binary_keeps_cargos_rerun_hint_without_a_second_error() -> None:
    r = read(log("cargo-test-quiet-fail.log"))
    assert r.error is None and (r.counts.failed, r.counts.errors) == (2, 0)


def test_quiet_output_counts_from_the_summary_and_names_failures() -> None:
    r = read(log("cargo-test-quiet-fail.log"))
    assert [f.name.split("::", 1)[1] for f in r.failures] == [
        "tests::checksum_is_stable",
        "e2e_roundtrip_regression",
    ]
    assert any("printed only their summary lines" in w for w in r.warnings)


WORKSPACE_SUITES = [
    ("alpha src/lib.rs", 4),
    ("roundtrip tests/roundtrip.rs", 2),
    ("beta src/lib.rs", 2),
    ("alpha doc-tests", 4),  # two blocks under one `Doc-tests alpha` line (edition 2024)
    ("beta doc-tests", 1),
]


@pytest.mark.parametrize(
    "name", ["cargo-workspace.log", "cargo-workspace-terse.log", "cargo-workspace-fail.gh.log"]
)
def test_the_second_doc_test_block_belongs_to_its_doc_tests_line(name: str) -> None:
    r = read(log(name), name)
    assert [(s.name, s.counts.tests) for s in r.suites] == WORKSPACE_SUITES
    assert not any("`Running` line" in w or "more than once" in w for w in r.warnings)
    if name == "cargo-workspace.log":
        assert r.warnings == ()
        assert "alpha doc-tests::alpha/src/lib.rs - half (line 18) - compile fail" in r.test_names


def test_a_rerun_of_the_workspace_counts_each_doc_test_block_once() -> None:
    twice = read(log("cargo-workspace-terse.log") * 2)
    assert six(twice) == (13, 12, 0, 0, 1, 0)
    assert [(s.name, s.counts.tests) for s in twice.suites] == WORKSPACE_SUITES
    (rerun,) = [w for w in twice.warnings if "more than once" in w]
    assert rerun.startswith("5 test binaries")


def test_quiet_workspace_output_gives_one_warning_that_says_why() -> None:
    r = read(log("cargo-workspace-quiet.log"))
    (warning,) = r.warnings
    assert warning.startswith("quiet output (cargo test -q): 6 test binaries")
    assert "a re-run of the whole suite would be counted twice" in warning


def test_an_absurd_summary_is_an_error_not_a_million_tests() -> None:
    text = "running 1 test\ntest result: ok. 99999999999999999999 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n"
    start = time.perf_counter()
    r = read(text)
    assert time.perf_counter() - start < 1.0
    assert r.error is not None and "claims 99999999999999999999 tests" in r.error
    assert r.counts.tests == 0


@pytest.mark.parametrize(
    "line",
    [
        "test x ... ok" + " (a)" * 5000 + " (a",
        "thread '" + "'" * 100_000 + " panicked at x:",
        "process didn't exit successfully: " * 2000 + "(" * 50_000,
        "test a ... " * 200_000,
    ],
    ids=["status", "panic", "exit", "tests"],
)
def test_hostile_lines_cost_linear_time(line: str) -> None:
    text = f"running 1 test\n---- x stdout ----\n{line}\n{line}\ntest result: ok.\n"
    start = time.perf_counter()
    assert isinstance(read(text), ResultFile)
    assert time.perf_counter() - start < 1.0


def test_huge_names_are_kept_bounded_and_distinct() -> None:
    stem = "m" * 2_000_000
    binary = "b" * 1_000_000
    text = (
        f"     Running unittests src/lib.rs (target/debug/deps/{binary}-0123456789abcdef)\n"
        "running 3 tests\n"
        f"test {stem}a ... ok\ntest {stem}b ... FAILED\ntest {stem}c ... \n"
        f"failures:\n\n---- {stem}b stdout ----\nthread 't' panicked at x.rs:1:1:\nboom\n\n"
        "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    start = time.perf_counter()
    r = read(text)
    assert time.perf_counter() - start < 2.0
    assert six(r) == (3, 1, 2, 0, 0, 0)
    assert len(set(r.test_names)) == 3
    assert all(len(name) <= 1000 for name in r.test_names)
    assert all(len(s.name) <= 1000 for s in r.suites)
    assert len(repr(r)) < 20_000
    assert "boom (at x.rs:1:1)" in {f.message for f in r.failures}


def test_invalid_bytes_in_a_log_are_replaced_not_fatal() -> None:
    data = (
        b"running 2 tests\ntest caf\xe9 ... ok\ntest \xff\xfe\x00x ... ok\n"
        b"test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    r = read(decode_text(data))
    assert r.error is None and six(r) == (2, 2, 0, 0, 0, 0)
    assert any("caf\ufffd" in name for name in r.test_names)


def test_text_without_cargo_output_is_an_error_entry() -> None:
    r = read("Compiling foo\nFinished\n", "build.log")
    assert r.error is not None and "no cargo test output" in r.error
    assert r.counts.tests == 0


def test_clean_line() -> None:
    raw = "\ufeff2026-01-01T00:00:00.0000000Z test a ... \x1b[32mok\x1b(B\x1b[m\r"
    assert clean_line(raw) == "test a ... ok"
    assert clean_line("progress 10%\rprogress 100%") == "progress 100%"


def test_has_libtest_output() -> None:
    assert has_libtest_output(log("cargo-test-pass.gh.log"))
    assert not has_libtest_output(log("cargo-test-compile-error.log"))
    assert not has_libtest_output("we are running 3 tests today")


def test_100_mb_log_reads_in_seconds() -> None:
    block = log("cargo-test-fail.gh.log")
    noise = "".join(
        f"{STAMP}   Compiling crate{i} v0.1.{i} (/home/runner/work/x/x/crates/crate{i})\n"
        for i in range(2000)
    )
    text = (noise * 10 + block) * 3
    start = time.perf_counter()
    r = read(text)
    elapsed = time.perf_counter() - start
    assert six(r) == (24, 21, 2, 0, 1, 0)
    # ~13 MB here; the full 100 MB case is the slow test below.
    assert elapsed < 5.0


@pytest.mark.slow
def test_100_mb_log_with_200k_tests() -> None:
    head = f"{STAMP}     Running unittests src/lib.rs (target/debug/deps/big-0123456789abcdef)\n"
    lines = [f"{STAMP}running 200000 tests\n"]
    lines += [f"{STAMP}test module::sub::test_number_{i} ... ok\n" for i in range(200_000)]
    tail = (
        f"{STAMP}test result: ok. 200000 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    noise = f"{STAMP}   Compiling some-crate v0.1.0 (/home/runner/work/x/x/crates/some)\n" * 900_000
    text = noise + head + "".join(lines) + tail
    assert len(text) > 100_000_000
    start = time.perf_counter()
    r = read(text)
    assert r.counts.tests == 200_000 and r.error is None
    assert time.perf_counter() - start < 30


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_gives_a_result_file(text: str) -> None:
    r = read(text)
    assert isinstance(r, ResultFile)
    c = r.counts
    assert c.tests == c.passed + c.failed + c.errors + c.skipped


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_result_file(data: bytes) -> None:
    r = read(decode_text(data))
    assert isinstance(r, ResultFile)
    assert r.error is None or "\n" not in r.error


_LINES = st.sampled_from(
    [
        "     Running unittests src/lib.rs (target/debug/deps/a-0123456789abcdef)",
        "     Running tests/it.rs (target/debug/deps/it-fedcba9876543210)",
        "   Doc-tests a",
        "running 2 tests",
        "running 0 tests",
        "test t1 ... ok",
        "test t1 ... FAILED",
        "test t2 ... ignored, slow",
        "test t3 ... ",
        "---- t1 stdout ----",
        "thread 't1' panicked at src/lib.rs:1:1:",
        "boom",
        "failures:",
        "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
        "test result: FAILED. 0 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out",
        "error: test failed, to rerun pass `--lib`",
        "  process didn't exit successfully: `x` (signal: 6, SIGABRT: process abort signal)",
        "error: could not compile `a` (lib test) due to 1 previous error",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=40), st.booleans())
def test_generated_logs_keep_the_count_invariants(lines: list[str], stamped: bool) -> None:
    text = "\n".join((STAMP + line) if stamped else line for line in lines)
    r = read(text)
    c = r.counts
    assert c.tests == c.passed + c.failed + c.errors + c.skipped
    assert 0 <= c.flaky <= c.passed
    assert c.tests == len(r.test_names) == sum(s.counts.tests for s in r.suites)
    assert len(r.failures) == c.failed + c.errors
    assert r.error is None or "\n" not in r.error
    # A log that starts with a test binary's header, run again, has the same tests.
    if lines and lines[0].lstrip().startswith(("Running", "Doc-tests")):
        again = read(text + "\n" + text)
        if not any(s.name.startswith("unnamed") for s in again.suites):
            assert again.test_names == r.test_names
