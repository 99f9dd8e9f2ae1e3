"""Finding test-result files and reading each one in the format its content shows.

Formats (:data:`READERS`): JUnit XML, `cargo test` text (libtest), libtest JSON, cargo-nextest,
``go test -json``, ``go test -v`` and TAP (node, Test::More, prove), each also inside a GitHub
job log. The format is told from the content, never from the name: the first 64 KiB decide,
and when they show nothing (a long build before the tests) the whole text is searched line by
line. A file named on the command line that holds no test result gives an error entry; a file
met while walking a folder that holds none is left out, except an ``.xml`` file that mentions
``<testsuite``/``<testcase``, which was meant to be JUnit and so is read (and reported if it
cannot be).
Archives (zip, tar, compressed) are looked into with the same rules, member by member
(``ARCHIVE!MEMBER``): a failing JUnit file in a ``.tar.gz`` counts as much as one beside it; a
part that cannot be walked is an error entry.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from validator.archives import HEAD_BYTES as ARCHIVE_HEAD_BYTES
from validator.archives import Member, Problem, sniff, walk
from validator.errors import UsageError
from validator.evidence import ResultFile, ResultFormat, TestScan
from validator.gotest import (
    looks_like_go_json,
    looks_like_go_text,
    read_go_json_lines,
    read_go_text_lines,
)
from validator.junit import read_junit_chunks
from validator.libtest import cargo_build_failed, looks_like_libtest, read_libtest_lines
from validator.libtest_json import looks_like_libtest_json, read_libtest_json_lines
from validator.loglines import clean_line, split_lines
from validator.nextest import looks_like_nextest, read_nextest_lines
from validator.tap import looks_like_tap, read_tap_lines, tap_evidence

log = logging.getLogger(__name__)

MAX_RESULT_BYTES = 256 * 1024 * 1024  # a 100 MB job log must fit; a runaway file must not
HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_TEXT_SUFFIXES = frozenset({"", ".log", ".txt", ".out", ".tap", ".json", ".jsonl"})
_MORE_LINES = 2000  # lines read on, once one format shows, for a format that ranks higher
NOT_RESULTS = (
    "no test results in a known format (JUnit XML, cargo test, libtest JSON, nextest, go test, TAP)"
)

# The prolog before the root element: each part matches in one way only (a comment cannot
# run past its "-->"), so a head full of comments that is not JUnit fails in linear time.
_PROLOG_PART = r"""(?:
    <!--(?:[^-]|-(?!->))*-->
    | <\?(?:[^?]|\?(?!>))*\?>
    | <!DOCTYPE[^\[>]*(?:\[[^\]]*\])?\s*>
    )\s*"""
_JUNIT_ROOT = re.compile(rf"\s*(?:{_PROLOG_PART})*<(?:[\w.-]+:)?testsuites?[\s/>]", re.VERBOSE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Bytes of a log as text: a BOM picks the encoding (PowerShell writes UTF-16), else UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    return data.decode("utf-8", errors="replace")


def _is_binary(head: bytes) -> bool:
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _looks_like_libtest(lines: Iterable[str]) -> bool:
    return any(map(looks_like_libtest, lines))


# Line formats, the most specific first: a libtest JSON log also holds cargo's `Running`
# lines, a nextest log cargo's build lines.
_LINE_FORMATS: tuple[tuple[ResultFormat, Callable[[Iterable[str]], bool]], ...] = (
    ("libtest-json", looks_like_libtest_json),
    ("go-test-json", looks_like_go_json),
    ("nextest", looks_like_nextest),
    ("libtest", _looks_like_libtest),
    ("go-test", looks_like_go_text),
    ("tap", looks_like_tap),
)


def _libtest(lines: Iterable[str], path: str) -> ResultFile:
    return read_libtest_lines(lines, path=path)  # it cleans each line itself


def _cleaned(read: Callable[..., ResultFile]) -> Callable[[Iterable[str], str], ResultFile]:
    def reader(lines: Iterable[str], path: str) -> ResultFile:
        return read(map(clean_line, lines), path=path)

    return reader


READERS: dict[ResultFormat, Callable[[Iterable[str], str], ResultFile]] = {
    "libtest": _libtest,
    "libtest-json": _cleaned(read_libtest_json_lines),
    "nextest": _cleaned(read_nextest_lines),
    "go-test-json": _cleaned(read_go_json_lines),
    "go-test": _cleaned(read_go_text_lines),
    "tap": _cleaned(read_tap_lines),
}


def _line_format(lines: Iterable[str]) -> ResultFormat:
    """The format of the first lines that show one, or ``unknown``; reads lazily.

    Once a line shows a format, a few more lines are read for one that ranks higher.
    """
    found: set[ResultFormat] = set()
    tap_seen: set[str] = set()  # a TAP plan and a test point, for TAP without a version line
    left = -1
    for raw in lines:
        line = [clean_line(raw)]
        for fmt, looks in _LINE_FORMATS:
            if fmt not in found and looks(line):
                found.add(fmt)
                if left < 0:
                    left = _MORE_LINES
        if "tap" not in found and (kind := tap_evidence(line[0])) is not None:
            tap_seen.add(kind)
            if len(tap_seen) == 2:
                found.add("tap")
                left = _MORE_LINES if left < 0 else left
        if left == 0:
            break
        left -= 1 if left > 0 else 0
    return next((fmt for fmt, _ in _LINE_FORMATS if fmt in found), "unknown")


def detect_format(head: bytes) -> ResultFormat:
    """The format a file's first bytes show (``unknown`` when none), see :data:`READERS`."""
    if not head or _is_binary(head[:HEAD_BYTES]):
        return "unknown"
    text = decode_text(head[:HEAD_BYTES])
    if _JUNIT_ROOT.match(text) is not None:
        return "junit"
    return _line_format(split_lines(text))


def results_from_log(text: str, *, path: str) -> ResultFile | None:
    """The tests in a job log in any line format of :data:`READERS`, or None when it has none."""
    fmt = _line_format(split_lines(text))
    if fmt in {"unknown", "junit"}:
        return None
    return READERS[fmt](split_lines(text), path)


def libtest_from_log(text: str, *, path: str) -> ResultFile | None:
    """The old name of :func:`results_from_log` (it now finds every line format)."""
    return results_from_log(text, path=path)


def _text_lines(handle: BinaryIO, head: bytes) -> Iterator[str]:
    """The lines of a log file without their ``\\n``, decoded as :func:`decode_text` would."""
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="\n")
    try:
        for line in text:
            yield line[:-1] if line.endswith("\n") else line
    finally:
        text.detach()  # the caller owns and closes the file


def _chunks(handle: BinaryIO, first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := handle.read(_CHUNK):
        yield chunk


def _error(display: str, fmt: ResultFormat, message: str) -> ResultFile:
    log.info("%s: %s", display, message)
    return ResultFile(path=display, format=fmt, error=message)


def _meant_as_junit(path: Path, head: bytes) -> bool:
    lowered = head.lower()
    return path.suffix.lower() == ".xml" and (b"<testsuite" in lowered or b"<testcase" in lowered)


def _read(path: Path, display: str, *, walking: bool) -> ResultFile | None:
    """Read one regular file; None when walking and the file is not a test result."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        fmt = detect_format(head)
        if fmt == "unknown" and _meant_as_junit(path, head):
            fmt = "junit"
        if fmt == "unknown" and walking and path.suffix.lower() not in _TEXT_SUFFIXES:
            return None
        if size > MAX_RESULT_BYTES:
            if fmt == "unknown" and walking:
                return None
            limit = MAX_RESULT_BYTES // (1024 * 1024)
            return _error(display, fmt, f"{size} bytes, over the {limit} MiB limit for a result")
        if fmt == "junit":
            return read_junit_chunks(_chunks(handle, head), path=display)
        if fmt == "unknown" and _is_binary(head):
            return None if walking else _error(display, fmt, NOT_RESULTS)
        if fmt == "unknown" and len(head) == HEAD_BYTES:  # the tests may come after a build
            handle.seek(0)
            fmt = _line_format(_text_lines(handle, head))
        handle.seek(0)
        if fmt != "unknown":  # read line by line: a 100 MB log is never held whole
            return READERS[fmt](_text_lines(handle, head), display)
        # A cargo log that stopped at a compile error holds no test, yet it is what the user
        # named: cargo's reader says why no test ran.
        if not walking and any(map(cargo_build_failed, _text_lines(handle, head))):
            handle.seek(0)
            return READERS["libtest"](_text_lines(handle, head), display)
    return None if walking else _error(display, "unknown", NOT_RESULTS)


def _archive_results(path: Path, display: str) -> list[ResultFile]:
    """The result files inside the archive at ``path``; what cannot be walked is an error."""
    found: list[ResultFile] = []
    with path.open("rb") as handle:
        for event in walk(handle, path=display, random_access=True):
            if isinstance(event, Problem):
                found.append(_error(display, "unknown", event.message))
            elif isinstance(event, Member) and (result := _read_member(event)) is not None:
                found.append(result)
    return found


def _read_member(member: Member) -> ResultFile | None:
    """A member's result; damaged compressed data surfaces only as it is read."""
    if member.error is not None:
        return _error(member.path, "unknown", member.error)
    try:
        return _member_result(member)
    except Exception as exc:  # zlib, lzma, tarfile, OSError... on hostile bytes
        return _error(member.path, "unknown", f"could not be read: {type(exc).__name__}: {exc}")


def _member_result(member: Member) -> ResultFile | None:
    """One archive member read as a result file met while walking; None if it is not one."""
    if member.stream is None:
        return None
    head, name = member.head, PurePosixPath(member.path.rsplit("!", 1)[-1])
    fmt = detect_format(head)
    if fmt == "unknown" and _meant_as_junit(Path(name.name), head):
        fmt = "junit"
    if fmt == "unknown" and (name.suffix.lower() not in _TEXT_SUFFIXES or _is_binary(head)):
        return None
    if member.size > MAX_RESULT_BYTES:
        if fmt == "unknown":
            return None
        limit = MAX_RESULT_BYTES // (1024 * 1024)
        return _error(member.path, fmt, f"{member.size} bytes, over the {limit} MiB limit")
    stream = member.stream
    if fmt == "junit":
        return read_junit_chunks(_chunks(stream, stream.read(_CHUNK)), path=member.path)
    buffered = cast(BinaryIO, io.BufferedReader(cast(io.RawIOBase, stream)))
    if fmt != "unknown":  # line by line, as a file on disk
        return READERS[fmt](_text_lines(buffered, head), member.path)
    # The tests may come after a long build: any line format, anywhere in the text.
    return results_from_log(decode_text(buffered.read(MAX_RESULT_BYTES)), path=member.path)


def _archive_at(path: Path) -> bool:
    """Whether ``path`` is a regular file whose first bytes are an archive's."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as handle:
            return sniff(handle.read(ARCHIVE_HEAD_BYTES)) is not None
    except OSError:
        return False


def read_result_file(path: Path, *, display: str) -> ResultFile:
    """Read one result file named by the user; anything unusable is an error entry."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            return _error(display, "unknown", "not a regular file")
        found = _read(path, display, walking=False)
    except OSError as exc:
        return _error(display, "unknown", f"cannot read it: {exc.strerror or exc}")
    assert found is not None  # _read only returns None while walking
    return found


def _walk_error(exc: OSError) -> None:
    log.warning("cannot list %s: %s", exc.filename, exc.strerror or exc)


def _walk(top: Path) -> list[Path]:
    """Regular files under ``top``, sorted by path; symbolic links are not followed."""
    found: list[Path] = []
    for root, _dirs, files in os.walk(top, followlinks=False, onerror=_walk_error):
        for name in files:
            path = Path(root, name)
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(top).parts)


def _from_walk(path: Path, display: str) -> ResultFile | None:
    try:
        return _read(path, display, walking=True)
    except OSError as exc:
        return _error(display, "unknown", f"cannot read it: {exc.strerror or exc}")


def scan_results(paths: Sequence[Path], *, explicit: bool = True) -> TestScan:
    """Read every result file among ``paths`` (files and folders, walked in sorted order).

    ``explicit`` says the paths were named by the user, so a named file that is not a test
    result is an error entry; folders are walked the same way either way. A file reached
    twice is read once. A path that does not exist raises :class:`UsageError`.
    """
    files: list[ResultFile] = []
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise UsageError(
                f"{given}: no such file or folder. Give test results (JUnit XML, cargo test, "
                "nextest, go test or TAP output, job logs) or folders that hold them."
            )
        if given.is_dir():
            for path in _walk(given):
                real = path.resolve()
                if real in seen:
                    continue
                seen.add(real)
                if _archive_at(path):
                    files.extend(_archive_results(path, str(path)))
                    continue
                found = _from_walk(path, str(path))
                if found is not None:
                    files.append(found)
            continue
        real = given.resolve()
        if real in seen:
            continue
        seen.add(real)
        if _archive_at(given):
            inside = _archive_results(given, str(given))
            if not inside and explicit:
                inside = [_error(str(given), "unknown", "an archive with no test result inside")]
            files.extend(inside)
        elif explicit:
            files.append(read_result_file(given, display=str(given)))
        elif (found := _from_walk(given, str(given))) is not None:
            files.append(found)
    log.debug("test results: %d files", len(files))
    return TestScan(files=tuple(files))
