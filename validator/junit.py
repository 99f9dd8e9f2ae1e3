"""Counting tests in JUnit XML, in one streaming pass that never expands entities.

The XML goes through defusedxml's expat parser with DTDs forbidden: no entity is ever
declared, so none is expanded (billion laughs, quadratic blowup) and no external file or URL
is ever read (XXE). No tree is built: expat's events are turned into one small element per
``<testcase>`` (its attributes and its result children, never its output), which junitparser
then interprets (name, classname, ``failure``/``error``/``skipped`` with their messages, and
the surefire re-run markers of its xunit2 model); the element is dropped once counted.

Counting rules (DESIGN.md): a test is its testsuite, classname and name; it counts once however
many ``<testcase>`` elements repeat it (its worst outcome wins), and at any nesting depth.
Surefire's ``flakyFailure``/``flakyError``/``rerunFailure``/``rerunError`` without a final
``failure``/``error`` mean "passed on a re-run": passed and flaky. A testcase with several
result elements counts at its most severe one: ``<failure>`` or ``<error>`` beat ``<skipped>``
in any order. ``status="disabled"|"ignored"|"notrun"`` means skipped, even with a failure
inside (the producer says the test was not run). A ``<failure>`` or ``<error>`` that is a
child of the ``<testsuite>`` itself (its setup or teardown failed, as Surefire and others write
it) is a failed or errored test ``SUITE::<suite setup>``, so it is never lost beside passing
testcases. Suite attributes such as ``tests="..."`` are only compared with what was counted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from junitparser import Error, Failure, Skipped
from junitparser.xunit2 import TestCase as JUnitCase

from validator.evidence import ResultFile
from validator.tally import Tally, TestOutcome, bounded_name, collector_paused

log = logging.getLogger(__name__)

MAX_DEPTH = 256
MAX_TESTCASES = 2_000_000
_TEXT_KEPT = 4096  # characters of a failure's text kept for its message
_LABEL_LIMIT = 120  # characters of a suite name quoted in a warning
_RESULTS_KEPT = 8  # a testcase's repeated failures kept while looking for a message

_SKIPPED_STATUS = frozenset({"disabled", "ignored", "notrun", "skipped", "skip"})
_SKIPPED_RESULT = frozenset({"skipped", "suppressed"})
_FAILED_STATUS = frozenset({"failed", "failure", "fail"})
_ERROR_STATUS = frozenset({"error", "errored"})
_RERUN = frozenset({"flakyFailure", "flakyError", "rerunFailure", "rerunError"})
_BAD = frozenset({"failure", "error"})
_RESULT_TAGS = frozenset({"skipped", *_BAD, *_RERUN})
_SUITES = frozenset({"testsuites", "testsuite"})
SUITE_SETUP = "<suite setup>"  # the test a suite-level failure or error is counted as


class _Refused(Exception):
    """Reading stops: the message says why (it becomes the file's ``error``)."""


@dataclass(kw_only=True, slots=True)
class _Suite:
    name: str | None  # None for <testsuites>
    label: str  # how warnings name it
    declared: str | None  # its tests="..." attribute
    depth: int  # of its element
    first_case: int  # testcase elements met before it opened


@dataclass(kw_only=True, slots=True)
class _Case:
    depth: int
    suite: str
    elem: Element  # the testcase with its result children only, for junitparser
    skipped: bool
    status_outcome: TestOutcome | None
    tags: set[str] | None = None  # tags of the result children kept (most testcases: none)
    has_message: bool = False  # a failure or error child already says why
    collecting: Element | None = None  # the failure or error whose text is being read
    text: list[str] | None = None
    text_len: int = 0


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _tests(n: int) -> str:
    return f"{n} test" if n == 1 else f"{n} tests"


def _display(suite: str, classname: str, name: str) -> str:
    if classname and classname != suite:
        return f"{suite}::{classname}::{name}" if suite else f"{classname}::{name}"
    return f"{suite}::{name}" if suite else name


def _message(results: list[Any]) -> str:
    """Why a test failed: the first failure or error that has a message or collected text."""
    for result in results:
        if not isinstance(result, Failure | Error):
            continue
        message = (result.message or "")[:_TEXT_KEPT].strip()
        if message:
            return message
        text = result.text
        if text is None:  # its text was not collected: an earlier child already said why
            continue
        kind = (result.type or "").strip()
        if found := f"{kind}: {text}" if kind else text:
            return str(found)
    return ""


def _interpret(case: _Case) -> tuple[str, str, TestOutcome, str]:
    """Name, classname, outcome and failure message of one testcase, as junitparser reads it."""
    junit = JUnitCase.fromelem(case.elem)  # type: ignore[no-untyped-call]  # not annotated
    name = (junit.name or "").strip()
    classname = (junit.classname or "").strip()
    if case.skipped:
        return name, classname, "skipped", ""
    if not case.tags:  # no result child kept: junitparser would find no result either
        return name, classname, case.status_outcome or "passed", ""
    results: list[Any] = junit.result
    kinds = {type(r) for r in results}
    # The most severe result wins, in any order: a skip then a teardown error is an error.
    if Failure in kinds:
        return name, classname, "failed", _message(results)
    if Error in kinds:
        return name, classname, "error", _message(results)
    if Skipped in kinds:
        reason = next((r.message for r in results if isinstance(r, Skipped) and r.message), "")
        return name, classname, "skipped", reason
    if case.status_outcome is not None:
        return name, classname, case.status_outcome, ""
    return name, classname, "flaky" if junit.interim_result else "passed", ""


class _NoTree:
    """A parser target that builds nothing (our handlers do the work)."""

    def close(self) -> None:
        return None


class _TestcaseAssembler:
    """Assembles each testcase from expat's start/end events and hands it to the tally.

    No tree is kept: one testcase at a time, with its result children only.
    """

    def __init__(self, expat: Any) -> None:
        self.expat = expat  # to switch text collection on only inside a failure
        self.depth = 0
        self.root: str | None = None
        self.suites: list[_Suite] = []
        self.suite_name = ""  # innermost open <testsuite>
        self.case: _Case | None = None
        self.cases_seen = 0
        self.unnamed = 0
        self.tally = Tally()
        self.warnings: list[str] = []

    # --- expat handlers --------------------------------------------------------------------

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"elements are nested deeper than {MAX_DEPTH} levels")
        local = tag.rpartition("}")[2] if "}" in tag else tag
        if self.root is None:
            if local not in _SUITES:
                raise _Refused(
                    f"not JUnit XML: the root element is <{local[:40]}>, "
                    "expected <testsuites> or <testsuite>"
                )
            self.root = local
        case = self.case
        if case is not None:
            if self.depth == case.depth + 1:
                self._case_child(case, local, attrib)
        elif local == "testcase":
            self._open_case(attrib)
        elif local in _SUITES:
            self._open_suite(local, attrib)
        elif local in _BAD and self.suites and self.depth == self.suites[-1].depth + 1:
            self._open_suite_result(local, attrib)

    def end(self, tag: str) -> None:
        case = self.case
        if case is not None:
            if self.depth == case.depth:
                if case.collecting is not None:  # a suite-level result: it is its own case
                    self._end_text(case, case.collecting)
                self._close_case(case)
            elif self.depth == case.depth + 1 and case.collecting is not None:
                self._end_text(case, case.collecting)
        elif self.suites and _local(tag) in _SUITES:
            self._close_suite(self.suites.pop())
        self.depth -= 1

    def data(self, text: str) -> None:
        case = self.case
        if case is not None and case.text is not None and case.text_len < _TEXT_KEPT:
            case.text.append(text[: _TEXT_KEPT - case.text_len])
            case.text_len += len(text)

    # --- suites and cases ------------------------------------------------------------------

    def _open_suite(self, local: str, attrib: dict[str, str]) -> None:
        if local == "testsuite":
            name = attrib.get("name", "").strip()
            self.tally.suite(name)
            label = f"suite {bounded_name(name, _LABEL_LIMIT) or '(unnamed)'!r}"
            self.suite_name = name
        else:
            name, label = None, "<testsuites>"
        self.suites.append(
            _Suite(
                name=name,
                label=label,
                declared=attrib.get("tests"),
                depth=self.depth,
                first_case=self.cases_seen,
            )
        )

    def _close_suite(self, suite: _Suite) -> None:
        if suite.name is not None:
            self.suite_name = next((s.name for s in reversed(self.suites) if s.name), "")
        if suite.declared is None:
            return
        have = self.cases_seen - suite.first_case
        declared = suite.declared.strip()
        if declared != str(have):
            plural = "testcase" if have == 1 else "testcases"
            self.warnings.append(
                f"{suite.label} says tests={declared[:20]} but has {have} {plural}"
            )

    def _open_case(self, attrib: dict[str, str]) -> None:
        self.cases_seen += 1
        if self.cases_seen > MAX_TESTCASES:
            raise _Refused(f"more than {MAX_TESTCASES} testcases; split the report")
        # junitparser models neither `status` nor `result`: producers' own ways to say skipped.
        status = attrib.get("status", "").lower()
        status_outcome: TestOutcome | None = None
        if status in _FAILED_STATUS:
            status_outcome = "failed"
        elif status in _ERROR_STATUS:
            status_outcome = "error"
        self.case = _Case(
            depth=self.depth,
            suite=self.suite_name,
            elem=Element("testcase", attrib),
            skipped=status in _SKIPPED_STATUS
            or attrib.get("result", "").lower() in _SKIPPED_RESULT,
            status_outcome=status_outcome,
        )

    def _open_suite_result(self, local: str, attrib: dict[str, str]) -> None:
        """A suite's own failure or error: a test of its own, the element its only result."""
        case = _Case(
            depth=self.depth,
            suite=self.suite_name,
            elem=Element("testcase", {"name": SUITE_SETUP}),
            skipped=False,
            status_outcome=None,
        )
        self.case = case
        self._case_child(case, local, attrib)

    def _case_child(self, case: _Case, local: str, attrib: dict[str, str]) -> None:
        """Keep a result child for junitparser (output and properties are never kept)."""
        if local not in _RESULT_TAGS:
            return
        bad = local in _BAD
        if case.tags is None:
            case.tags = {local}
        elif local not in case.tags:
            case.tags.add(local)
        elif not bad or case.has_message or len(case.elem) >= _RESULTS_KEPT:
            return
        child = SubElement(case.elem, local, attrib)
        if bad and not case.has_message:
            if attrib.get("message", "")[:_TEXT_KEPT].strip():
                case.has_message = True
            else:  # the message is in the text: read it, and only this text
                case.collecting = child
                case.text, case.text_len = [], 0
                self.expat.CharacterDataHandler = self.data

    def _end_text(self, case: _Case, child: Element) -> None:
        child.text = "".join(case.text or ())
        if child.text or child.get("type", "").strip():
            case.has_message = True
        case.collecting = None
        case.text = None
        self.expat.CharacterDataHandler = None

    def _close_case(self, case: _Case) -> None:
        self.case = None
        name, classname, outcome, message = _interpret(case)
        if not name:
            self.unnamed += 1
            name = f"(unnamed testcase #{self.unnamed})"
        self.tally.add(
            suite=case.suite,
            name=_display(case.suite, classname, name),
            outcome=outcome,
            message=message,
            key=(case.suite, "" if classname == case.suite else classname, name),
        )

    # --- result ----------------------------------------------------------------------------

    def result(self, path: str) -> ResultFile:
        notes = list(self.warnings)
        if self.cases_seen == 0:
            notes.insert(0, "no <testcase> in this file")
        if repeated := self.tally.repeated:
            notes.insert(
                0,
                f"{_tests(repeated)} seen more than once (re-runs?); each is counted "
                "once, with its worst outcome",
            )
        return self.tally.result(path=path, format="junit", warnings=notes)


def read_junit(data: bytes, *, path: str) -> ResultFile:
    """Count the tests of one JUnit XML document; an unreadable one gives an error entry."""
    return read_junit_chunks((data,), path=path)


TAG_LIMIT = 16 * 1024 * 1024  # bytes one start tag (its attributes) may take


class _TagGuard:
    """Refuses a start tag longer than :data:`TAG_LIMIT`: expat holds a whole tag (every
    attribute value) in memory before it hands it over, so one 200 MB attribute would cost
    five times that. Looks only at where the last ``<`` and ``>`` of each chunk fall, so it
    adds nothing measurable to reading an ordinary file."""

    def __init__(self) -> None:
        self._open = False  # the last "<" seen starts a tag whose ">" has not come yet
        self._length = 0

    def check(self, chunk: bytes) -> None:
        lt = chunk.rfind(b"<")
        if lt == -1:
            if self._open:
                if b">" in chunk:
                    self._open, self._length = False, 0
                else:
                    self._length += len(chunk)
        else:
            tail = chunk[lt:]
            # A comment or CDATA section is text, not a tag (its end has a ">" anyway).
            text = tail.startswith((b"<!--", b"<![CDATA["))
            self._open = not text and b">" not in tail
            self._length = len(tail) if self._open else 0
        if self._open and self._length > TAG_LIMIT:
            raise _Refused(
                f"refused: a tag longer than {TAG_LIMIT // 2**20} MiB (an attribute of "
                "megabytes), which no test report needs; fix the producer"
            )


def read_junit_chunks(chunks: Iterable[bytes], *, path: str) -> ResultFile:
    """Like :func:`read_junit`, fed piece by piece (a large file need not be held at once)."""
    # defusedxml arms expat against DTDs, entities and external references; our handlers
    # then replace ElementTree's, which would build a tree we do not need.
    parser = DefusedXMLParser(
        target=_NoTree(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    expat = parser.parser
    assembler = _TestcaseAssembler(expat)
    expat.ordered_attributes = False
    expat.StartElementHandler = assembler.start
    expat.EndElementHandler = assembler.end
    expat.CharacterDataHandler = None
    expat.DefaultHandlerExpand = None  # with no DTD, expat itself rejects unknown entities
    guard = _TagGuard()
    try:
        with collector_paused():
            for chunk in chunks:
                guard.check(chunk)
                parser.feed(chunk)
            parser.close()
    except _Refused as exc:
        return _error(path, str(exc))
    except DefusedXmlException:
        return _error(
            path,
            "refused: the file declares a DTD (<!DOCTYPE>), which JUnit XML never needs; "
            "entities and external references are not processed",
        )
    except ParseError as exc:
        return _error(path, f"not well-formed XML ({exc}); fix or regenerate the report")
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding declaration
        return _error(path, f"not readable as XML ({exc})")
    if assembler.root is None:
        return _error(path, "not JUnit XML: no root element")
    log.debug("%s: %d testcase elements", path, assembler.cases_seen)
    with collector_paused():
        return assembler.result(path)


def _error(path: str, message: str) -> ResultFile:
    log.info("%s: %s", path, message)
    return ResultFile(path=path, format="junit", error=message)
