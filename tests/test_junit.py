"""JUnit XML counting: real producers' files, their upstream-asserted counts, hostile XML."""

from __future__ import annotations

import csv
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from junitparser import JUnitXml, TestSuite

from validator.evidence import ResultFile
from validator.junit import MAX_DEPTH, MAX_TESTCASES, read_junit, read_junit_chunks
from validator.tally import MESSAGE_LIMIT, NAME_LIMIT

ROOT = Path(__file__).resolve().parents[1]
JUNIT_REF = ROOT / "fixtures" / "junit"
MIKEPENZ = JUNIT_REF / "mikepenz-action-junit-report"
WEIWEI = JUNIT_REF / "weiwei-junitparser"
RESULTS = ROOT / "fixtures" / "results"


def read(path: Path) -> ResultFile:
    return read_junit(path.read_bytes(), path=str(path))


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


# --- mikepenz/action-junit-report: the counts its own tests assert -----------------------------


@dataclass(frozen=True)
class Differs:
    """Where we deliberately count otherwise than mikepenz, and why."""

    ours: dict[str, int]
    why: str


# Upstream with checkRetries=true merges repeated <testcase> elements and calls the test passed
# as soon as one attempt passed. DESIGN.md says a repeat without a producer's flaky marker keeps
# its worst outcome (fail closed: a suite that needed retries is not a clean pass). The test
# count itself agrees with upstream in every one of these rows.
RETRY_DIFFERENCES = {
    "flaky_retries/flaky_with_classname_file.xml": Differs(
        {"tests": 3, "passed": 2, "bad": 1, "skipped": 0},
        "test_foo failed, errored, then passed: worst outcome (error) kept",
    ),
    "flaky_retries/flaky_success_first.xml": Differs(
        {"tests": 1, "passed": 0, "bad": 1, "skipped": 0},
        "passed, then failed, then errored: worst outcome (error) kept",
    ),
    "junit-server-test/report.xml": Differs(
        {"tests": 3, "passed": 1, "bad": 1, "skipped": 1},
        "gotestsum re-ran TestWebSocketReconnectRace (failed, then passed) without a marker",
    ),
}

# @web/test-runner wrote time="<<computed>>": not well-formed XML. etree, lxml and junitparser
# reject it; mikepenz's lenient xml-js parser reads 6 (7, or 8 without merging) tests. We refuse
# to guess at a document that is not XML: it is an error entry, which blocks GO. The corrupt
# surefire file (unclosed CDATA) is an error entry too, where upstream tolerates it with 0 tests.
NOT_WELL_FORMED = {
    "junit-web-test/expected.xml",
    "junit-web-test/expectedRetries.xml",
    "corrupt-junit/e2e-tests/corrupt/target/sf-reports/TEST-test.CorruptTest.xml",
}

MIKEPENZ_ROWS = [
    row
    for row in _tsv(JUNIT_REF / "mikepenz-expected.tsv")
    # annotationsLimit=1 truncates what upstream reports: not a count of the file's tests.
    if "annotationsLimit" not in row["note"]
]


def _row_files(row: dict[str, str]) -> list[Path]:
    pattern = row["file"]
    return sorted(MIKEPENZ.glob(pattern)) if "*" in pattern else [MIKEPENZ / pattern]


def _row_id(row: dict[str, str]) -> str:
    return f"{row['file']}|retries={row['checkRetries']}|{row['upstream_test_name'][:40]}"


def _summed(results: list[ResultFile]) -> dict[str, int]:
    tests = passed = bad = skipped = 0
    for r in results:
        tests += r.counts.tests
        passed += r.counts.passed
        bad += r.counts.failed + r.counts.errors
        skipped += r.counts.skipped
    return {"tests": tests, "passed": passed, "bad": bad, "skipped": skipped}


@pytest.mark.parametrize("row", MIKEPENZ_ROWS, ids=_row_id)
def test_counts_agree_with_mikepenz(row: dict[str, str]) -> None:
    files = _row_files(row)
    assert files, f"no file matches {row['file']}"
    results = [read(f) for f in files]
    relative = str(files[0].relative_to(MIKEPENZ))
    if relative in NOT_WELL_FORMED:
        assert all(r.error and "not well-formed XML" in r.error for r in results)
        assert _summed(results)["tests"] == 0
        return
    assert all(r.error is None for r in results), [r.error for r in results]
    got = _summed(results)
    # upstream: failed = has <failure> or <error>, so it is our failed + errors
    upstream = {
        "tests": row["totalCount"],
        "skipped": row["skippedCount"],
        "bad": row["failedCount"],
        "passed": row["passedCount"],
    }
    expected = {k: int(v) for k, v in upstream.items() if v != ""}
    if row["checkRetries"] == "true" and relative in RETRY_DIFFERENCES:
        assert got["tests"] == expected["tests"]  # the count itself always agrees
        expected = RETRY_DIFFERENCES[relative].ours
    assert {k: got[k] for k in expected} == expected


# Files no upstream test asserts counts for; counted by hand from the XML.
HAND_COUNTED = {
    "tests/email/target/surefire-reports/TEST-action.surefire.report.email.EmailAddressTest.xml": (
        9,
        2,
        2,
        5,
        0,
        0,
    ),
    "tests/utils/target/surefire-reports/TEST-action.surefire.report.calc.AllOkTest.xml": (
        1,
        1,
        0,
        0,
        0,
        0,
    ),
    "tests/utils/target/surefire-reports/TEST-action.surefire.report.calc.StringUtilsTest.xml": (
        5,
        2,
        2,
        0,
        1,
        0,
    ),
    "multiple/test_10.xml": (3, 3, 0, 0, 0, 0),
    "multiple/test_11.xml": (3, 2, 1, 0, 0, 0),
    "multiple/test_12.xml": (3, 2, 0, 0, 1, 0),
    "nested/multi-level.xml": (3, 3, 0, 0, 0, 0),
    # four distinct tests; one of them fails with an AttributeError reported as <failure>
    "python/report_flaky.xml": (4, 2, 2, 0, 0, 0),
    # surefire 3 rerun: <flakyFailure> and no <failure>: passed, and flaky
    "maven_surefire_flaky/surefire-report.xml": (1, 1, 0, 0, 0, 1),
}


@pytest.mark.parametrize("relative", sorted(HAND_COUNTED))
def test_hand_counted_reference_files(relative: str) -> None:
    r = read(MIKEPENZ / relative)
    c = r.counts
    assert r.error is None
    assert (c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky) == HAND_COUNTED[relative]


def test_every_reference_file_has_an_expectation() -> None:
    covered = {str(f.relative_to(MIKEPENZ)) for row in MIKEPENZ_ROWS for f in _row_files(row)}
    covered |= set(HAND_COUNTED)
    on_disk = {str(p.relative_to(MIKEPENZ)) for p in MIKEPENZ.rglob("*.xml")}
    assert on_disk - covered == set()
    weiwei = {row["file"] for row in _tsv(JUNIT_REF / "weiwei-junitparser-expected.tsv")}
    assert {p.name for p in WEIWEI.glob("*.xml")} == weiwei


# --- weiwei/junitparser: the cases its tests describe -------------------------------------------

# (tests, passed, failed, errors, skipped) from the descriptions in the TSV: three cases
# [Failure, Skipped, passed], found recursively in jenkins.xml's nested suites.
WEIWEI_COUNTS = {
    "normal.xml": (3, 1, 1, 0, 1),
    "no_suites_tag.xml": (3, 1, 1, 0, 1),
    "jenkins.xml": (3, 1, 1, 0, 1),
    "no_fails.xml": (3, 2, 0, 0, 1),
    "pytest_error.xml": (1, 0, 1, 0, 0),
    "pytest_success.xml": (1, 1, 0, 0, 0),
}


@pytest.mark.parametrize(
    "row", _tsv(JUNIT_REF / "weiwei-junitparser-expected.tsv"), ids=lambda row: row["file"]
)
def test_counts_agree_with_junitparser_tests(row: dict[str, str]) -> None:
    r = read(WEIWEI / row["file"])
    c = r.counts
    assert r.error is None
    assert (c.tests, c.passed, c.failed, c.errors, c.skipped) == WEIWEI_COUNTS[row["file"]]
    verify_exit = row["cli_verify_exit (1 = has failures/errors)"].split(" ")[0]
    if verify_exit in ("0", "1"):
        assert (c.failed + c.errors > 0) == (verify_exit == "1")


def test_jenkins_nested_suites_are_counted_recursively() -> None:
    r = read(WEIWEI / "jenkins.xml")
    assert r.test_names == (
        "JUnitXmlReporter.constructor::should default consolidate to true",
        "JUnitXmlReporter.constructor::should default path to an empty string",
        "JUnitXmlReporter.constructor::should default useDotNotation to true",
    )


# --- junitparser as an independent oracle ------------------------------------------------------


def _oracle(data: bytes) -> tuple[int, int, int, int]:
    """(tests, failed, errors, skipped) as junitparser sees them, one per <testcase>."""
    root = JUnitXml.fromroot(DET.fromstring(data, forbid_dtd=True))
    suites = [root] if isinstance(root, TestSuite) else list(root)
    cases = [case for suite in suites for case in suite]
    failed = sum(1 for c in cases if c.is_failure)
    errors = sum(1 for c in cases if c.is_error and not c.is_failure)
    skipped = sum(1 for c in cases if c.is_skipped and not c.is_failure and not c.is_error)
    return len(cases), failed, errors, skipped


ORACLE_FILES = [
    RESULTS / "pytest-pass.xml",
    RESULTS / "pytest-fail.xml",
    MIKEPENZ / "python/report.xml",
    MIKEPENZ / "nextest/basic.xml",
    MIKEPENZ / "cunit/testFailure.xml",
    MIKEPENZ / "multiple_failures/test_multiple_failures.xml",
    MIKEPENZ / "multiple_failures/test_multiple_errors.xml",
    MIKEPENZ / "tests/email/target/surefire-reports/"
    "TEST-action.surefire.report.email.EmailAddressTest.xml",
    WEIWEI / "normal.xml",
    WEIWEI / "jenkins.xml",
]


@pytest.mark.parametrize("path", ORACLE_FILES, ids=lambda p: p.name)
def test_counts_agree_with_junitparser(path: Path) -> None:
    c = read(path).counts
    assert (c.tests, c.failed, c.errors, c.skipped) == _oracle(path.read_bytes())


# --- our own real producer: pytest --junitxml ------------------------------------------------


def test_pytest_pass_fixture() -> None:
    r = read(RESULTS / "pytest-pass.xml")
    c = r.counts
    assert r.error is None and r.warnings == ()
    assert (c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky) == (24, 24, 0, 0, 0, 0)
    assert len(r.test_names) == 24
    assert "sample-pytest::test_sample::test_hex_roundtrip[empty]" in r.test_names
    assert [(s.name, s.counts.tests) for s in r.suites] == [("sample-pytest", 24)]


def test_pytest_fail_fixture() -> None:
    r = read(RESULTS / "pytest-fail.xml")
    c = r.counts
    assert r.error is None
    assert (c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky) == (24, 19, 2, 1, 2, 0)
    assert [(f.name, f.outcome) for f in r.failures] == [
        ("sample-pytest::test_sample::test_checksum_is_stable", "failed"),
        ("sample-pytest::test_sample::test_hex_roundtrip[empty]", "failed"),
        ("sample-pytest::test_sample::test_store_keeps_order", "error"),
    ]
    assert r.failures[0].message.startswith("AssertionError: checksum drifted")
    assert "store backend unavailable" in r.failures[2].message


# --- counting rules on small documents --------------------------------------------------------


def counts(xml: str) -> tuple[int, int, int, int, int, int]:
    r = read_junit(xml.encode(), path="t.xml")
    assert r.error is None, r.error
    c = r.counts
    return (c.tests, c.passed, c.failed, c.errors, c.skipped, c.flaky)


def test_failure_and_error_in_one_testcase_is_one_failed_test() -> None:
    xml = (
        '<testsuite name="s"><testcase name="a"><error/><failure/><failure/></testcase></testsuite>'
    )
    assert counts(xml) == (1, 0, 1, 0, 0, 0)


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        ("<skipped/><error/>", (1, 0, 0, 1, 0, 0)),  # pytest: a skip, then a teardown error
        ("<error/><skipped/>", (1, 0, 0, 1, 0, 0)),
        ("<skipped/><failure/>", (1, 0, 1, 0, 0, 0)),
        ("<failure/><skipped/>", (1, 0, 1, 0, 0, 0)),
    ],
)
def test_failure_or_error_beats_skipped_in_any_order(
    children: str, expected: tuple[int, ...]
) -> None:
    xml = f'<testsuite name="s"><testcase name="a">{children}</testcase></testsuite>'
    assert counts(xml) == expected
    r = read_junit(xml.encode(), path="t.xml")
    assert [f.name for f in r.failures] == ["s::a"]


def test_skipped_tests_did_not_run() -> None:
    xml = '<testsuite><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>'
    r = read_junit(xml.encode(), path="t.xml")
    assert (r.counts.tests, r.counts.skipped, r.counts.ran) == (2, 1, 1)


@pytest.mark.parametrize("status", ["disabled", "ignored", "notrun", "NotRun"])
def test_status_attribute_means_skipped_even_with_a_failure(status: str) -> None:
    xml = f'<testsuite><testcase name="a" status="{status}"><failure/></testcase></testsuite>'
    assert counts(xml) == (1, 0, 0, 0, 1, 0)


@pytest.mark.parametrize("marker", ["flakyFailure", "flakyError", "rerunFailure", "rerunError"])
def test_rerun_markers_without_final_failure_are_flaky(marker: str) -> None:
    xml = f'<testsuite><testcase name="a"><{marker} message="x"/></testcase></testsuite>'
    assert counts(xml) == (1, 1, 0, 0, 0, 1)


def test_rerun_failures_after_a_final_failure_stay_failed() -> None:
    xml = '<testsuite><testcase name="a"><failure/><rerunFailure/><rerunFailure/></testcase></testsuite>'
    assert counts(xml) == (1, 0, 1, 0, 0, 0)


def test_same_name_in_different_suites_or_classes_are_different_tests() -> None:
    xml = """<testsuites>
      <testsuite name="chrome"><testcase classname="c" name="a"/></testsuite>
      <testsuite name="firefox"><testcase classname="c" name="a"/></testsuite>
      <testsuite name="chrome"><testcase classname="d" name="a"/></testsuite>
    </testsuites>"""
    assert counts(xml) == (3, 3, 0, 0, 0, 0)


def test_a_repeated_test_counts_once_with_its_worst_outcome() -> None:
    xml = """<testsuite name="s">
      <testcase name="a"><skipped/></testcase><testcase name="a"/>
      <testcase name="a"><failure message="boom"/></testcase><testcase name="a"/>
    </testsuite>"""
    r = read_junit(xml.encode(), path="t.xml")
    assert (r.counts.tests, r.counts.failed, r.counts.passed) == (1, 1, 0)
    assert r.failures[0].message == "boom"
    assert any("seen more than once" in w for w in r.warnings)


def test_suite_attributes_are_never_trusted_only_compared() -> None:
    xml = '<testsuites tests="15515"><testsuite name="root" tests="2"><testcase name="a"/></testsuite></testsuites>'
    r = read_junit(xml.encode(), path="t.xml")
    assert r.counts.tests == 1
    assert r.warnings == (
        "suite 'root' says tests=2 but has 1 testcase",
        "<testsuites> says tests=15515 but has 1 testcase",
    )


def test_message_is_the_first_line_bounded_and_without_tokens() -> None:
    token = "ghp_" + "A1b2C3d4" * 5
    long = "x" * 5000
    xml = f"""<testsuite>
      <testcase name="a"><failure>

        first line uses {token}
        second line</failure></testcase>
      <testcase name="b"><error type="Timeout" message="{long}"/></testcase>
      <testcase name="c"><failure message="password={token}"/></testcase>
    </testsuite>"""
    r = read_junit(xml.encode(), path="t.xml")
    messages = [f.message for f in r.failures]
    assert messages[0] == "first line uses [redacted]"
    assert len(messages[1]) == MESSAGE_LIMIT and messages[1].startswith("xxx")
    assert messages[2] == "password=[redacted]"
    assert token not in repr(r)


def test_failure_text_is_used_when_there_is_no_message_attribute() -> None:
    xml = '<testsuite><testcase name="a"><failure type="AssertionError"><![CDATA[expected 1\nbut 2]]></failure></testcase></testsuite>'
    r = read_junit(xml.encode(), path="t.xml")
    assert r.failures[0].message == "AssertionError: expected 1"


def test_namespaced_and_utf16_documents_are_read() -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><testsuite xmlns="urn:x"><testcase name="ä"/></testsuite>'
    r = read_junit(xml.encode("utf-16"), path="t.xml")
    assert r.error is None and r.counts.tests == 1 and r.test_names == ("ä",)


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"", "not well-formed"),
        (b"<testrun><testcase name='a'/></testrun>", "root element is <testrun>"),
        (b"<testsuite><testcase name='a'></testsuite>", "not well-formed"),
        (b"<testsuite>&undefined;</testsuite>", "not well-formed"),
        (b'<?xml version="1.0" encoding="klingon"?><testsuite/>', "XML"),
        (b"\x00\xff\x00garbage", "not well-formed"),
    ],
)
def test_unreadable_documents_are_error_entries(data: bytes, phrase: str) -> None:
    r = read_junit(data, path="bad.xml")
    assert r.error is not None and phrase in r.error
    assert "\n" not in r.error
    assert r.counts.tests == 0 and r.path == "bad.xml" and r.format == "junit"


# --- hostile XML ------------------------------------------------------------------------------


def _quick(data: bytes) -> ResultFile:
    start = time.perf_counter()
    r = read_junit(data, path="evil.xml")
    assert time.perf_counter() - start < 2.0
    return r


def test_xxe_file_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4f1c", encoding="utf-8")
    for doctype in (
        f'<!DOCTYPE testsuite [<!ENTITY x SYSTEM "file://{secret}">]>',
        f'<!DOCTYPE testsuite [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>',
    ):
        xml = f'<?xml version="1.0"?>{doctype}<testsuite name="&x;"><testcase name="&x;"><failure message="&x;"/></testcase></testsuite>'
        r = _quick(xml.encode())
        assert r.error is not None and "DTD" in r.error
        assert "TOPSECRET" not in repr(r)
        assert r.counts.tests == 0


def test_billion_laughs_is_refused_quickly() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = f'<?xml version="1.0"?><!DOCTYPE testsuite [{entities}]><testsuite name="&lol9;"/>'
    r = _quick(xml.encode())
    assert r.error is not None and "DTD" in r.error


def test_quadratic_blowup_is_refused_quickly() -> None:
    big = "a" * 100_000
    xml = f'<!DOCTYPE t [<!ENTITY a "{big}">]><testsuite><testcase name="x">{"&a;" * 20_000}</testcase></testsuite>'
    r = _quick(xml.encode())
    assert r.error is not None and "DTD" in r.error


def test_external_dtd_is_never_fetched() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        xml = f'<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "http://127.0.0.1:{port}/evil.dtd"><testsuite/>'
        r = _quick(xml.encode())
        assert r.error is not None and "DTD" in r.error
        with pytest.raises(TimeoutError):
            listener.accept()


def test_external_entity_url_is_never_fetched() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        xml = (
            f'<?xml version="1.0"?><!DOCTYPE testsuite [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>'
            '<testsuite><testcase name="&x;"/></testsuite>'
        )
        r = _quick(xml.encode())
        assert r.error is not None and "DTD" in r.error
        with pytest.raises(TimeoutError):
            listener.accept()


def test_xinclude_is_not_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-77aa", encoding="utf-8")
    xml = (
        '<testsuite xmlns:xi="http://www.w3.org/2001/XInclude"><testcase name="a">'
        f'<failure><xi:include href="file://{secret}" parse="text"/></failure>'
        "</testcase></testsuite>"
    )
    r = _quick(xml.encode())
    assert r.error is None and r.counts.failed == 1
    assert "TOPSECRET" not in repr(r)


def test_huge_attributes_are_read_quickly_and_kept_bounded() -> None:
    huge = "n" * 4_000_000
    xml = (
        f'<testsuite name="{huge}" tests="{"9" * 1_000_000}">'
        f'<testcase classname="{huge}" name="{huge}"><failure message="{huge}" type="{huge}"/>'
        "</testcase></testsuite>"
    )
    r = _quick(xml.encode())
    assert r.error is None and r.counts.tests == 1 and r.counts.failed == 1
    assert len(repr(r)) < 10_000
    (name,) = r.test_names
    assert name.startswith("nnnn") and len(name) == NAME_LIMIT
    assert r.failures[0].name == name and len(r.failures[0].message) == MESSAGE_LIMIT
    assert r.warnings and "tests=99999999999999999999 but has 1 testcase" in r.warnings[0]


def test_long_names_that_differ_only_at_the_end_stay_distinct() -> None:
    stem = "t" * 5000
    xml = f'<testsuite><testcase name="{stem}a"/><testcase name="{stem}b"/></testsuite>'
    r = read_junit(xml.encode(), path="t.xml")
    assert r.counts.tests == 2 and len(set(r.test_names)) == 2


def test_many_result_children_cost_little_and_keep_their_meaning() -> None:
    many = "<failure/>" * 300_000
    r = _quick(f'<testsuite><testcase name="a">{many}</testcase></testsuite>'.encode())
    assert (r.counts.tests, r.counts.failed) == (1, 1)
    # A <skipped/> after any number of failures does not hide them.
    r = _quick(f'<testsuite><testcase name="a">{many}<skipped/></testcase></testsuite>'.encode())
    assert (r.counts.tests, r.counts.skipped, r.counts.failed) == (1, 0, 1)


def test_the_message_comes_from_the_first_failure_that_has_one() -> None:
    xml = (
        '<testsuite><testcase name="a"><failure/><failure></failure>'
        '<error message="db down"/><failure message="later"/></testcase></testsuite>'
    )
    r = read_junit(xml.encode(), path="t.xml")
    assert [(f.outcome, f.message) for f in r.failures] == [("failed", "db down")]


def test_huge_output_is_streamed_not_kept() -> None:
    import tracemalloc

    line = b"x" * 1023 + b"\n"

    def chunks() -> Iterator[bytes]:
        yield b'<testsuite><testcase name="a"><system-out><![CDATA['
        for _ in range(64):
            yield line * 1024  # 1 MiB at a time, 64 MiB in all
        yield b"]]></system-out><failure>" + line * 4096 + b"</failure></testcase></testsuite>"

    tracemalloc.start()
    try:
        r = read_junit_chunks(chunks(), path="big-output.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.error is None and r.counts.failed == 1
    assert peak < 16 * 1024 * 1024, peak


@pytest.mark.parametrize(
    "data",
    [
        b'<testsuite><testcase name="\xff\xfe"/></testsuite>',
        b'<testsuite><testcase name="a\x01"/></testsuite>',
        b'<?xml version="1.0" encoding="utf-8"?><testsuite>\xc3\x28</testsuite>',
    ],
    ids=["invalid-utf8-attribute", "control-character", "invalid-utf8-text"],
)
def test_invalid_bytes_inside_a_document_are_an_error_entry(data: bytes) -> None:
    r = _quick(data)
    assert r.error is not None and "not well-formed" in r.error
    assert r.counts.tests == 0


@pytest.mark.slow
def test_more_testcases_than_the_limit_are_refused() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"<testsuite>"
        block = b'<testcase name="a"/>' * 100_000
        for _ in range(MAX_TESTCASES // 100_000 + 1):
            yield block
        yield b"</testsuite>"

    r = read_junit_chunks(chunks(), path="many.xml")
    assert r.error == f"more than {MAX_TESTCASES} testcases; split the report"
    assert r.counts.tests == 0


def test_deep_nesting_is_refused_quickly() -> None:
    depth = 200_000
    xml = "<testsuites>" + "<testsuite>" * depth + "</testsuite>" * depth + "</testsuites>"
    r = _quick(xml.encode())
    assert r.error == f"elements are nested deeper than {MAX_DEPTH} levels"


def test_nesting_just_under_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 2
    xml = "<testsuites>" + "<testsuite>" * depth + '<testcase name="a"/>' + "</testsuite>" * depth
    r = read_junit((xml + "</testsuites>").encode(), path="deep.xml")
    assert r.error is None and r.counts.tests == 1


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_result_file(data: bytes) -> None:
    r = read_junit(data, path="any.xml")
    assert isinstance(r, ResultFile)
    assert r.error is not None or r.counts.tests >= 0


_children = st.lists(
    st.sampled_from(
        [
            "<failure/>",
            "<error/>",
            "<skipped/>",
            "<flakyFailure/>",
            "<rerunError/>",
            "<system-out>x</system-out>",
        ]
    ),
    max_size=3,
)
_case = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["", "k1", "k2"]),
    st.sampled_from(["", ' status="disabled"', ' status="run"', ' status="failed"']),
    _children,
).map(lambda t: f'<testcase name="{t[0]}" classname="{t[1]}"{t[2]}>{"".join(t[3])}</testcase>')
_suite = st.tuples(st.sampled_from(["s1", "s2"]), st.lists(_case, max_size=8)).map(
    lambda t: f'<testsuite name="{t[0]}">{"".join(t[1])}</testsuite>'
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_suite, max_size=5))
def test_generated_documents_keep_the_count_invariants(suites: list[str]) -> None:
    doc = "<testsuites>" + "".join(suites) + "</testsuites>"
    r = read_junit(doc.encode(), path="gen.xml")
    c = r.counts
    assert r.error is None
    assert c.tests == c.passed + c.failed + c.errors + c.skipped
    assert 0 <= c.flaky <= c.passed
    assert c.tests == len(r.test_names) == sum(s.counts.tests for s in r.suites)
    assert len(r.failures) == c.failed + c.errors
    # Re-running everything with the same outcomes changes no count.
    twice = read_junit(("<testsuites>" + "".join(suites * 2) + "</testsuites>").encode(), path="x")
    assert twice.counts == c


# --- size ---------------------------------------------------------------------------------------


def _big_junit(testcases: int) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n']
    per_suite = 1000
    for s in range(testcases // per_suite):
        out.append(f'<testsuite name="com.example.Suite{s}" tests="{per_suite}">\n')
        for t in range(per_suite):
            body = '<failure message="expected 1 but was 2">trace</failure>' if t == 7 else ""
            log = "<system-out><![CDATA[" + "log line of a test\n" * 10 + "]]></system-out>"
            out.append(
                f'<testcase name="test{t}" classname="com.example.Suite{s}" time="0.01">'
                f"{body}{log}</testcase>\n"
            )
        out.append("</testsuite>\n")
    out.append("</testsuites>\n")
    return "".join(out).encode()


@pytest.mark.slow
def test_200k_testcases_cost_about_a_bare_parse() -> None:
    import io
    import xml.etree.ElementTree as ET

    data = _big_junit(200_000)
    assert len(data) > 60_000_000
    start = time.perf_counter()
    root = ET.parse(io.BytesIO(data)).getroot()
    assert len(root.findall(".//testcase")) == 200_000
    bare = time.perf_counter() - start
    del root
    start = time.perf_counter()
    r = read_junit(data, path="big.xml")
    ours = time.perf_counter() - start
    assert (r.counts.tests, r.counts.failed) == (200_000, 200)
    assert ours < 3 * bare + 1.0, (ours, bare)


def test_20k_testcases_are_quick() -> None:
    data = _big_junit(20_000)
    start = time.perf_counter()
    r = read_junit(data, path="mid.xml")
    assert time.perf_counter() - start < 5.0
    assert (r.counts.tests, r.counts.failed, r.counts.passed) == (20_000, 20, 19_980)


@pytest.mark.parametrize(
    ("xml", "outcome", "name", "message"),
    [
        (  # Surefire: the class's setup failed, its error a child of the suite
            b'<testsuite name="com.acme.DeviceTest" tests="1"><testcase name="opens"'
            b' classname="com.acme.DeviceTest"/><error type="java.io.IOException"'
            b' message="no /dev/kvm"/></testsuite>',
            "error",
            "com.acme.DeviceTest::<suite setup>",
            "no /dev/kvm",
        ),
        (  # no message: the first line of its text
            b'<testsuites><testsuite name="s"><testcase name="t"/>'
            b"<failure>teardown failed\nTraceback ...</failure></testsuite></testsuites>",
            "failed",
            "s::<suite setup>",
            "teardown failed",
        ),
        (  # a suite nested in a suite: its own setup, not its parent's
            b'<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="t"/>'
            b'<error message="boom"/></testsuite></testsuite></testsuites>',
            "error",
            "inner::<suite setup>",
            "boom",
        ),
    ],
)
def test_a_suite_level_failure_or_error_is_a_test_of_its_own(
    xml: bytes, outcome: str, name: str, message: str
) -> None:
    r = read_junit(xml, path="j.xml")
    assert r.error is None
    (failure,) = r.failures
    assert (failure.name, failure.outcome, failure.message) == (name, outcome, message)
    assert r.counts.passed == 1 and r.counts.failed + r.counts.errors == 1


def test_a_testcase_error_is_not_a_suite_level_one() -> None:
    r = read_junit(
        b'<testsuite name="s"><testcase name="t"><error message="x"/></testcase></testsuite>',
        path="j.xml",
    )
    assert [f.name for f in r.failures] == ["s::t"] and r.counts.errors == 1


def test_a_tag_of_tens_of_megabytes_is_refused_without_holding_it() -> None:
    # expat keeps a whole start tag in memory: a 200 MB attribute cost about 1 GB before.
    from validator.junit import TAG_LIMIT, read_junit_chunks

    def chunks(value_bytes: int):
        yield b'<testsuite><testcase name="'
        piece = b"x" * (1 << 20)
        for _ in range(value_bytes // len(piece)):
            yield piece
        yield b'"/></testsuite>'

    refused = read_junit_chunks(chunks(TAG_LIMIT + (2 << 20)), path="r.xml")
    assert refused.error is not None and "a tag longer than 16 MiB" in refused.error
    kept = read_junit_chunks(chunks(4 << 20), path="r.xml")  # megabytes, but under the limit
    assert kept.error is None and kept.counts.tests == 1
    text = b"y" * (TAG_LIMIT + (1 << 20))  # a long CDATA output without any ">" is text
    cdata = read_junit_chunks(
        [
            b'<testsuite><testcase name="t"><system-out><![CDATA[',
            text,
            b"]]></system-out>",
            b"</testcase></testsuite>",
        ],
        path="r.xml",
    )
    assert cdata.error is None and cdata.counts.tests == 1
