"""Finding result files, telling JUnit from cargo output by content, and the count-tests JSON."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator import results
from validator.errors import UsageError
from validator.evidence import ResultFile, TestScan
from validator.libtest import read_libtest
from validator.results import (
    detect_format,
    libtest_from_log,
    read_result_file,
    scan_results,
)

RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "results"
JUNIT_REF = Path(__file__).resolve().parents[1] / "fixtures" / "junit"
NOT_RESULTS = (
    "no test results in a known format (JUnit XML, cargo test, libtest JSON, nextest, go test, TAP)"
)


def copy(name: str, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(RESULTS / name, to)
    return to


# --- detect_format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("pytest-pass.xml", "junit"),
        ("pytest-fail.xml", "junit"),
        ("cargo-test-pass.log", "libtest"),
        ("cargo-test-pass.gh.log", "libtest"),
        ("cargo-test-quiet.log", "libtest"),
        ("cargo-test-crash.log", "libtest"),
        ("cargo-test-compile-error.log", "unknown"),
    ],
)
def test_detect_format_of_real_files(name: str, fmt: str) -> None:
    assert detect_format((RESULTS / name).read_bytes()[: results.HEAD_BYTES]) == fmt


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"", "unknown"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100, "unknown"),
        (b'{"tests": 3}', "unknown"),
        (b"<project><modelVersion>4.0.0</modelVersion></project>", "unknown"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- by gtest -->\n<testsuites tests='1'>", "junit"),
        ("<testsuite name='é'>".encode("utf-16"), "junit"),
        (b'<!DOCTYPE testsuite [<!ENTITY x "y">]><testsuite>', "junit"),
        (b"<ns:testsuites xmlns:ns='urn:x'>", "junit"),
        (b"<testsuite", "unknown"),  # cut before the tag ends: no decision on a fragment
        ("running 3 tests\r\n".encode("utf-16"), "libtest"),
        (b"test a::b ... ok\n", "libtest"),
        (b"we are running 3 tests today\n", "unknown"),
    ],
)
def test_detect_format_from_content(head: bytes, fmt: str) -> None:
    assert detect_format(head) == fmt


@pytest.mark.parametrize(
    "head",
    [
        b"<!-- a -->" * 6000 + b"<project>",
        b"<?pi x?>" * 8000 + b"<project>",
        b"<!--" + b"-" * 60_000,
        b"<!DOCTYPE x [" + b"<" * 60_000,
        b"test x ... ok" + b" (a)" * 16_000 + b" (a",
    ],
    ids=["comments", "pis", "dashes", "doctype", "status"],
)
def test_detect_format_is_linear_on_hostile_heads(head: bytes) -> None:
    start = time.perf_counter()
    assert detect_format(head) == "unknown"
    assert time.perf_counter() - start < 0.5


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_detect_format_of_any_bytes(head: bytes) -> None:
    assert detect_format(head) in ("junit", "libtest", "unknown")


# One file, rewritten by every example: the shared tmp_path is safe here.
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=3000), st.sampled_from(["r.xml", "r.log", "r.bin"]))
def test_any_file_gives_a_result_file(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    r = read_result_file(path, display=name)
    assert isinstance(r, ResultFile) and r.path == name
    assert r.error is None or "\n" not in r.error
    found = scan_results([tmp_path], explicit=False).files
    assert all(isinstance(f, ResultFile) for f in found)
    path.unlink()


def test_format_comes_from_content_never_the_name(tmp_path: Path) -> None:
    junit_named_log = copy("pytest-pass.xml", tmp_path / "results.log")
    cargo_named_xml = copy("cargo-test-pass.log", tmp_path / "report.xml")
    scan = scan_results([junit_named_log, cargo_named_xml])
    assert [(f.format, f.counts.tests, f.error) for f in scan.files] == [
        ("junit", 24, None),
        ("libtest", 24, None),
    ]


# --- read_result_file -------------------------------------------------------------------------


def test_explicit_file_that_is_neither_is_an_error_entry(tmp_path: Path) -> None:
    for name, data in (("notes.txt", b"hello\n"), ("tool", b"\x7fELF\x00\x00\x00")):
        path = tmp_path / name
        path.write_bytes(data)
        r = read_result_file(path, display=f"out/{name}")
        assert (r.path, r.format, r.error) == (f"out/{name}", "unknown", NOT_RESULTS)


def test_cargo_log_that_stopped_at_a_compile_error_says_so(tmp_path: Path) -> None:
    path = copy("cargo-test-compile-error.log", tmp_path / "test.log")
    r = read_result_file(path, display="test.log")
    assert r.format == "libtest"
    assert r.error is not None and r.error.startswith("no test ran: error: could not compile")


def test_cargo_output_after_a_long_build_log_is_found(tmp_path: Path) -> None:
    noise = "".join(f"   Compiling crate{i} v1.0.{i}\n" for i in range(5000))
    assert len(noise) > results.HEAD_BYTES
    path = tmp_path / "job.txt"
    path.write_text(noise + (RESULTS / "cargo-test-fail.log").read_text(), encoding="utf-8")
    r = read_result_file(path, display="job.txt")
    assert (r.format, r.counts.tests, r.counts.failed) == ("libtest", 24, 2)


def test_powershell_utf16_log_is_read(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    text = (RESULTS / "cargo-test-pass.log").read_text().replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-16"))
    r = read_result_file(path, display="out.txt")
    assert (r.format, r.counts.tests, r.error) == ("libtest", 24, None)


CARGO_LOGS = sorted(p.name for p in RESULTS.glob("cargo-test-*.log"))


@pytest.mark.parametrize("name", CARGO_LOGS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "crlf", "cr-progress"])
def test_a_log_read_line_by_line_off_disk_reads_like_the_whole_text(
    tmp_path: Path, name: str, encoding: str
) -> None:
    text = (RESULTS / name).read_text(encoding="utf-8")
    if encoding == "crlf":
        text, encoding = text.replace("\n", "\r\n"), "utf-8"
    elif encoding == "cr-progress":
        text, encoding = text.replace("\n", "\rprogress 40%\rprogress 100%\n", 5), "utf-8"
    data = text.encode(encoding) + b"trailing line without a newline \xff"
    path = tmp_path / "job.log"
    path.write_bytes(data)
    streamed = read_result_file(path, display="job.log")
    assert streamed == read_libtest(results.decode_text(data), path="job.log")
    assert streamed.format == "libtest"
    assert streamed.counts.tests > 0 or streamed.error


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    r = read_result_file(fifo, display="pipe.xml")
    assert r.error == "not a regular file"
    assert scan_results([tmp_path], explicit=False).files == ()


def test_file_over_the_size_limit_is_an_error_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "MAX_RESULT_BYTES", 1024 * 1024)
    path = tmp_path / "huge.xml"
    path.write_bytes(b"<testsuite>" + b" " * (2 * 1024 * 1024) + b"</testsuite>")
    r = read_result_file(path, display="huge.xml")
    assert r.format == "junit" and r.error is not None and "limit" in r.error


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_an_error_entry(tmp_path: Path) -> None:
    path = copy("pytest-pass.xml", tmp_path / "r.xml")
    path.chmod(0)
    r = read_result_file(path, display="r.xml")
    assert r.error is not None and r.error.startswith("cannot read it")


def test_large_junit_is_streamed_from_disk(tmp_path: Path) -> None:
    cases = "".join(f'<testcase classname="c" name="t{i}"/>' for i in range(60_000))
    path = tmp_path / "big.xml"
    path.write_text(f"<testsuite name='s'>{cases}</testsuite>", encoding="utf-8")
    assert path.stat().st_size > 2 * results._CHUNK
    r = read_result_file(path, display="big.xml")
    assert (r.error, r.counts.tests) == (None, 60_000)


# --- scan_results -----------------------------------------------------------------------------


def _artifacts(tmp_path: Path) -> Path:
    top = tmp_path / "artifacts"
    copy("pytest-fail.xml", top / "b-tests" / "junit" / "TEST-sample.xml")
    copy("cargo-test-pass.log", top / "a-logs" / "cargo.log")
    copy("cargo-test-pass.gh.log", top / "a-logs" / "job.dat")  # its head shows cargo output
    noise = "".join(f"   Compiling crate{i} v1.0.{i}\n" for i in range(5000))
    late = noise + (RESULTS / "cargo-test-pass.log").read_text(encoding="utf-8")
    (top / "a-logs" / "late.dat").write_text(late)  # not in its head, not a text suffix: left
    (top / "a-logs" / "late.txt").write_text(late)  # a text suffix: searched whole
    (top / "a-logs" / "README.md").write_text("# notes\n", encoding="utf-8")
    (top / "pom.xml").write_text("<project><artifactId>x</artifactId></project>")
    (top / "manifest.json").write_text('{"arch": "arm64"}')
    (top / "bin").mkdir()
    (top / "bin" / "tool").write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    (top / "z-broken.xml").write_text("<!-- report -->\n<testsuit><testcase name='a'/>")
    (top / "link.xml").symlink_to(top / "b-tests" / "junit" / "TEST-sample.xml")
    return top


def test_walking_a_folder_finds_results_in_sorted_order(tmp_path: Path) -> None:
    top = _artifacts(tmp_path)
    scan = scan_results([top], explicit=False)
    assert [(Path(f.path).relative_to(top).as_posix(), f.format) for f in scan.files] == [
        ("a-logs/cargo.log", "libtest"),
        ("a-logs/job.dat", "libtest"),
        ("a-logs/late.txt", "libtest"),
        ("b-tests/junit/TEST-sample.xml", "junit"),
        ("z-broken.xml", "junit"),  # an .xml that mentions <testcase: meant as JUnit
    ]
    broken = scan.files[-1]
    assert broken.error is not None and "not JUnit XML" in broken.error
    assert scan.total.tests == 4 * 24
    assert not scan.ok


def test_walking_is_deterministic(tmp_path: Path) -> None:
    top = _artifacts(tmp_path)
    assert scan_results([top], explicit=False) == scan_results([top], explicit=False)


def test_explicit_folder_ignores_what_is_not_a_result(tmp_path: Path) -> None:
    top = _artifacts(tmp_path)
    scan = scan_results([top / "a-logs"])
    assert [Path(f.path).name for f in scan.files] == ["cargo.log", "job.dat", "late.txt"]


def test_a_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    top = tmp_path / "artifacts"
    copy("pytest-pass.xml", top / "r" / "junit.xml")
    (top / "r" / "loop").symlink_to(top, target_is_directory=True)
    (top / "r" / "self.xml").symlink_to(top / "r" / "self.xml")
    start = time.perf_counter()
    scan = scan_results([top], explicit=False)
    assert time.perf_counter() - start < 2.0
    assert [Path(f.path).relative_to(top).as_posix() for f in scan.files] == ["r/junit.xml"]


def test_a_file_reached_twice_is_read_once(tmp_path: Path) -> None:
    top = _artifacts(tmp_path)
    junit = top / "b-tests" / "junit" / "TEST-sample.xml"
    scan = scan_results([junit, top, junit])
    assert sum(1 for f in scan.files if f.format == "junit" and f.error is None) == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "junit.xml"
    with pytest.raises(UsageError) as caught:
        scan_results([RESULTS / "pytest-pass.xml", missing])
    assert str(missing) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_empty_folder_gives_an_empty_scan_that_is_not_ok(tmp_path: Path) -> None:
    scan = scan_results([tmp_path])
    assert scan.files == () and not scan.ok


def test_reference_folder_walk_reads_every_xml(tmp_path: Path) -> None:
    scan = scan_results([JUNIT_REF], explicit=False)
    assert len(scan.files) == len(list(JUNIT_REF.rglob("*.xml")))
    assert {f.format for f in scan.files} == {"junit"}
    assert len(scan.unreadable) == 3  # two @web/test-runner files and the corrupt CDATA


# --- job logs ---------------------------------------------------------------------------------


def test_libtest_from_log() -> None:
    text = (RESULTS / "cargo-test-rerun.gh.log").read_text(encoding="utf-8")
    found = libtest_from_log(text, path="job log: test (arm64)")
    assert found is not None
    assert (found.path, found.counts.tests, found.counts.flaky) == ("job log: test (arm64)", 24, 2)


def test_log_without_cargo_output_gives_none() -> None:
    build_only = (RESULTS / "cargo-test-compile-error.log").read_text(encoding="utf-8")
    assert libtest_from_log(build_only, path="job log: build") is None
    assert libtest_from_log("", path="job log: empty") is None


# --- count-tests --json contract --------------------------------------------------------------


def test_contract_json_has_the_design_shape() -> None:
    scan = scan_results([RESULTS / "pytest-pass.xml", RESULTS / "cargo-test-pass.log"])
    doc = json.loads(json.dumps(scan.contract_json()))
    counts = ["tests", "passed", "failed", "errors", "skipped", "flaky", "not_run", "ran"]
    assert list(doc) == ["schema", "ok", "total", "files"]
    assert doc["schema"] == "validate-arm64/tests/1"
    assert doc["ok"] is True
    assert doc["total"] == dict(zip(counts, [48, 47, 0, 0, 1, 0, 0, 47], strict=True))
    assert [list(f) for f in doc["files"]] == [
        ["path", "format", *counts, "error", "warnings"],
    ] * 2
    assert doc["files"][0] == {
        "path": str(RESULTS / "pytest-pass.xml"),
        "format": "junit",
        **dict(zip(counts, [24, 24, 0, 0, 0, 0, 0, 24], strict=True)),
        "error": None,
        "warnings": [],
    }


def test_contract_json_is_not_ok_with_an_error_or_a_failure(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("nothing here\n")
    unreadable = scan_results([RESULTS / "pytest-pass.xml", bad]).contract_json()
    assert unreadable["ok"] is False
    assert unreadable["files"][1]["error"] == NOT_RESULTS
    failing = scan_results([RESULTS / "pytest-fail.xml"]).contract_json()
    assert failing["ok"] is False
    assert failing["total"]["failed"] == 2 and failing["total"]["errors"] == 1


def test_scan_is_a_test_scan() -> None:
    assert isinstance(scan_results([RESULTS]), TestScan)
