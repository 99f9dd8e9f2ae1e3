"""Fuzz harness for the test-result readers: read_junit, read_junit_chunks, read_libtest,
detect_format, read_result_file and scan_results.

Any bytes, real result files mutated (bytes flipped, ranges cut, repeated or spliced, hostile
snippets inserted) and documents generated from a grammar that mixes JUnit with hostile XML go
in; a ResultFile (or a TestScan) comes out, never an exception, within TIME_BOUND, and it keeps
the counting invariants. Beyond "no crash": a JUnit document cut into any chunks reads exactly
as whole, a log read line by line off the disk reads exactly as its whole text, a second read
gives the same result, and a token planted in failure messages or output never comes out.

    pytest tests/fuzz                             # the default profile: a few seconds
    pytest tests/fuzz --hypothesis-profile=fuzz   # 3000 examples per test
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.evidence import ResultFile, ResultFormat, TestScan
from validator.junit import read_junit, read_junit_chunks
from validator.libtest import read_libtest
from validator.results import decode_text, detect_format, read_result_file, scan_results
from validator.tally import MESSAGE_LIMIT, NAME_LIMIT

FORMATS = get_args(ResultFormat)  # every format a reader may report

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "fixtures" / "results"
MIKEPENZ = ROOT / "fixtures" / "junit" / "mikepenz-action-junit-report"
TIME_BOUND = 10.0  # seconds for one call on a few KiB of input: far above normal, below a hang
TOKEN = "ghp_" + "Zq9" * 12
FUZZ = settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    deadline=None,
)

# Real producers' files: ours, and a few of the reference set's shapes when it is present.
_REFERENCE = (
    "maven_surefire_flaky/surefire-report.xml",
    "nested/multi-level.xml",
    "nextest/basic.xml",
    "python/report_flaky.xml",
    "flaky_retries/flaky_with_classname_file.xml",
    "junit-web-test/expected.xml",
)
SEEDS: tuple[bytes, ...] = tuple(
    [p.read_bytes() for p in sorted(RESULTS.iterdir()) if p.is_file()]
    + [(MIKEPENZ / name).read_bytes() for name in _REFERENCE]
)

HOSTILE_XML: tuple[bytes, ...] = (
    b'<!DOCTYPE testsuite [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE t SYSTEM "http://127.0.0.1:9/evil.dtd">',
    b'<!ENTITY lol "lol">',
    b"&x;",
    b"&#0;",
    b"&#x110000;",
    b"&amp;&lt;",
    b"]]>",
    b"<![CDATA[",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="klingon"?>',
    b"<!-- never closed",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>',
    b'<testcase name="z" status="disabled"><failure/></testcase>',
    b'<testcase name="z" classname="k"><error type="E"/></testcase>',
    b"<flakyFailure/>",
    b'<rerunError message="r"/>',
    b"<skipped/>",
    b'<testsuite name="n" tests="99999999999999999999">',
    b"</testsuite>",
    b"<testsuites>",
    b'<a:testcase xmlns:a="urn:x" name="ns"/>',
    b"<testsuite>" * 40,
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
)
HOSTILE_LOG: tuple[bytes, ...] = (
    b"\r",
    b"\r\n",
    b"\x1b[31m",
    b"\x1b]8;;http://x\x07",
    b"test x ... ok\n",
    b"test x ... FAILED\n",
    b"test x ... test y ... ok\n",
    b"test x ... ignored, " + b"(" * 200 + b"\n",
    b"running 99999999999999999999 tests\n",
    b"test result: FAILED. 1 passed; 99999999999999999999 failed; 0 ignored; 0 measured;"
    b" 0 filtered out\n",
    b"test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n",
    b"     Running unittests src/lib.rs (target/debug/deps/x-0123456789abcdef)\n",
    b"     Running `/t/target/debug/deps/y-0123456789abcdef --color always`\n",
    b"   Doc-tests x\n",
    b"---- x stdout ----\n",
    b"thread 'x' panicked at src/lib.rs:1:1:\n",
    b"thread '" + b"'" * 300 + b" panicked at x:\n",
    b"error: test failed, to rerun pass `--lib`\n",
    b"error: could not compile `x` (lib test) due to 1 previous error\n",
    b"  process didn't exit successfully: `x` (signal: 6, SIGABRT: process abort signal)\n",
    b"2026-01-01T00:00:00.0000000Z ",
)
HOSTILE = HOSTILE_XML + HOSTILE_LOG


@contextlib.contextmanager
def bounded(what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < TIME_BOUND, f"{what} took {elapsed:.1f} s"


def check(r: ResultFile, *, path: str) -> None:
    """The invariants every result keeps, whatever went in."""
    assert isinstance(r, ResultFile)
    assert r.path == path
    assert r.format in FORMATS
    if r.error is not None:
        assert r.error and "\n" not in r.error and len(r.error) < 2000
    c = r.counts
    assert min(c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky) >= 0
    assert c.tests == c.passed + c.failed + c.errors + c.skipped
    assert c.flaky <= c.passed
    assert sum(s.counts.tests for s in r.suites) == c.tests
    assert len(r.test_names) <= c.tests
    assert list(r.test_names) == sorted(set(r.test_names))
    assert all(len(name) <= NAME_LIMIT for name in r.test_names)
    assert len(r.failures) <= c.failed + c.errors
    for failure in r.failures:
        assert failure.outcome in ("failed", "error")
        assert "\n" not in failure.message and len(failure.message) <= MESSAGE_LIMIT


def positionless(r: ResultFile) -> ResultFile:
    """``r`` with only the kind of its error (the part before expat's own words).

    expat words the same malformation differently depending on where the chunks end (after a
    BOM it counts columns differently; a NUL alone in the last chunk is "no element found"
    rather than "invalid token"): whether it is an error, and of which kind, must agree.
    """
    kind = r.error.split(" (", 1)[0] if r.error else None
    return dataclasses.replace(r, error=kind)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def every_reader(data: bytes, cuts: list[int]) -> None:
    """Each reader on ``data``; JUnit fed in chunks must read as the whole."""
    with bounded("detect_format"):
        assert detect_format(data) in FORMATS
    with bounded("read_junit"):
        whole = read_junit(data, path="f.xml")
    check(whole, path="f.xml")
    assert whole.format == "junit"
    with bounded("read_junit_chunks"):
        chunked = read_junit_chunks(split(data, cuts), path="f.xml")
    assert positionless(chunked) == positionless(whole)
    with bounded("read_libtest"):
        text = read_libtest(decode_text(data), path="f.log")
    check(text, path="f.log")
    assert text.format == "libtest"
    assert read_libtest(decode_text(data), path="f.log") == text


# --- strategies ---------------------------------------------------------------------------------

_cuts = st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=6)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real result file with a few mutations."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        op = draw(st.sampled_from(("flip", "cut", "repeat", "insert", "truncate", "splice")))
        at = draw(st.integers(min_value=0, max_value=len(data)))
        span = draw(st.integers(min_value=1, max_value=512))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif op == "cut":
            del data[at : at + span]
        elif op == "repeat":
            data[at:at] = data[at : at + span] * draw(st.integers(min_value=1, max_value=8))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE) | st.binary(max_size=16))
        elif op == "truncate":
            del data[at:]
        elif op == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(min_value=0, max_value=len(other)))
            data[at:at] = other[start : start + span * 4]
    return bytes(data)


_names = st.sampled_from(["a", "b", "a b", "ä", "", " ", "x" * 300, "t::u", "&amp;", "&lt;x&gt;"])
_attr = st.tuples(
    st.sampled_from(["name", "classname", "status", "result", "tests", "message", "type"]),
    _names | st.sampled_from(["disabled", "failed", "error", "skipped", "99999999999999999999"]),
).map(lambda kv: f' {kv[0]}="{kv[1]}"')


def _element(tag: str, attrs: list[str], body: str) -> str:
    return f"<{tag}{''.join(dict.fromkeys(attrs))}>{body}</{tag}>"


_case_child = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "failure",
                "error",
                "skipped",
                "flakyFailure",
                "flakyError",
                "rerunFailure",
                "rerunError",
                "system-out",
                "system-err",
                "properties",
                "x:failure",
            ]
        ),
        st.lists(_attr, max_size=3),
        st.sampled_from(["", "boom\nat x", "<![CDATA[trace]]>", "&amp;", "<nested/>", "\u2603"]),
    ).map(lambda t: _element(t[0], t[1], t[2])),
    st.sampled_from([h.decode("utf-8", "replace") for h in HOSTILE_XML]),
)
_case = st.tuples(st.lists(_attr, max_size=3), st.lists(_case_child, max_size=3)).map(
    lambda t: _element("testcase", t[0], "".join(t[1]))
)
_suite = st.recursive(
    st.tuples(st.lists(_attr, max_size=2), st.lists(_case, max_size=4)).map(
        lambda t: _element("testsuite", t[0], "".join(t[1]))
    ),
    lambda inner: st.tuples(st.lists(_attr, max_size=2), st.lists(inner | _case, max_size=3)).map(
        lambda t: _element("testsuite", t[0], "".join(t[1]))
    ),
    max_leaves=8,
)


@st.composite
def junit_documents(draw: st.DrawFn) -> bytes:
    """A JUnit-shaped document from a grammar that mixes in hostile pieces and encodings."""
    body = "".join(draw(st.lists(_suite, max_size=3)))
    root = draw(st.sampled_from(["testsuites", "testsuite", "testrun", "x:testsuites"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "latin-1"]))
    declared = draw(st.sampled_from(["", encoding, "utf-8"]))
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    xmlns = ' xmlns:x="urn:x"' if draw(st.booleans()) else ""
    document = f"{head}<{root}{xmlns}>{body}</{root}>"
    return document.encode(encoding, errors="replace")


_test_name = st.sampled_from(
    ["t1", "m::t2", "src/lib.rs - f (line 3)", "x" * 600, "t3 - should panic"]
)
_log_line = st.one_of(
    st.sampled_from([h.decode("utf-8", "replace").rstrip("\n") for h in HOSTILE_LOG]),
    st.tuples(
        _test_name, st.sampled_from(["ok", "FAILED", "ignored", "ignored, slow", "", "bench: 1 ns"])
    ).map(lambda t: f"test {t[0]} ... {t[1]}"),
    _test_name.map(lambda name: f"---- {name} stdout ----"),
    st.sampled_from(["failures:", "", "boom", "running 2 tests", "running 1 test"]),
)


@st.composite
def cargo_logs(draw: st.DrawFn) -> bytes:
    """`cargo test` output from a line grammar: stamps, colour, CR or CRLF, BOMs, UTF-16."""
    lines = draw(st.lists(_log_line, max_size=40))
    stamp = "2026-01-01T00:00:00.0000000Z " if draw(st.booleans()) else ""
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(f"{stamp}{line}{end}" for line in lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(encoding, errors="replace")


# --- the readers, one at a time -----------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096), _cuts)
def test_any_bytes_through_every_reader(data: bytes, cuts: list[int]) -> None:
    every_reader(data, cuts)


@FUZZ
@given(mutated(), _cuts)
def test_mutated_result_files_through_every_reader(data: bytes, cuts: list[int]) -> None:
    every_reader(data, cuts)


@FUZZ
@given(junit_documents(), _cuts)
def test_generated_junit_through_every_reader(data: bytes, cuts: list[int]) -> None:
    every_reader(data, cuts)


@FUZZ
@given(cargo_logs())
def test_generated_cargo_logs_through_every_reader(data: bytes) -> None:
    every_reader(data, [])


# --- files and folders --------------------------------------------------------------------------

_suffix = st.sampled_from(["r.xml", "r.log", "r.txt", "r.bin", "r", "TEST-r.XML"])
_any_input = st.one_of(st.binary(max_size=2048), mutated(), junit_documents(), cargo_logs())


@FUZZ
@given(_any_input, _suffix)
def test_any_file_named_or_walked(tmp_path: Path, data: bytes, name: str) -> None:
    # One folder, emptied by every example: the shared tmp_path is safe here.
    folder = tmp_path / "artifacts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    with bounded("read_result_file"):
        named = read_result_file(path, display=name)
    check(named, path=name)
    if named.format == "libtest" and detect_format(data[:65536]) == "libtest":
        # read line by line off the disk: exactly as the whole text
        assert named == read_libtest(decode_text(data), path=name)
    with bounded("scan_results"):
        walked = scan_results([folder], explicit=False)
        explicit = scan_results([path], explicit=True)
    assert isinstance(walked, TestScan) and isinstance(explicit, TestScan)
    assert len(walked.files) <= 1 and len(explicit.files) == 1
    assert explicit.files[0] == dataclasses.replace(named, path=str(path))
    for found in walked.files:
        check(found, path=str(path))
        assert found.counts == named.counts and found.error == named.error


# --- secrets ------------------------------------------------------------------------------------

_where = st.sampled_from(["message", "text", "system-out", "system-err", "skipped", "property"])


def _junit_with_token(places: list[str]) -> bytes:
    cases = []
    for i, place in enumerate(places):
        if place == "message":
            body = f'<failure message="token={TOKEN} was refused"/>'
        elif place == "text":
            body = f'<error type="AuthError">\n\nAuthorization: {TOKEN}\nmore</error>'
        elif place == "skipped":
            body = f'<skipped message="{TOKEN}"/>'
        elif place == "property":
            body = f'<properties><property name="t" value="{TOKEN}"/></properties><failure/>'
        else:
            body = f"<failure>bad</failure><{place}>GITHUB_TOKEN={TOKEN}</{place}>"
        cases.append(f'<testcase classname="c" name="t{i}">{body}</testcase>')
    return f'<testsuites><testsuite name="s">{"".join(cases)}</testsuite></testsuites>'.encode()


@FUZZ
@given(st.lists(_where, min_size=1, max_size=6), _cuts)
def test_a_token_in_failures_or_output_never_comes_out(places: list[str], cuts: list[int]) -> None:
    r = read_junit_chunks(split(_junit_with_token(places), cuts), path="t.xml")
    assert r.error is None and r.counts.tests == len(places)
    assert TOKEN not in repr(r)
    panic = f"thread 't' panicked at src/lib.rs:1:1:\ncalled with token {TOKEN}\n"
    log = (
        "running 2 tests\ntest t ... FAILED\ntest u ... FAILED\n\nfailures:\n\n"
        f"---- t stdout ----\n{panic}\n---- u stdout ----\npassword: {TOKEN}\n\n"
        "failures:\n    t\n    u\n\n"
        "test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    r = read_libtest(log, path="t.log")
    assert r.counts.failed == 2 and TOKEN not in repr(r)
