"""Finding test-result files and reading each one as JUnit XML or `cargo test` output.

The format is told from the content, never from the name. A file named on the command line
that is neither gives an error entry; a file met while walking a folder that is neither is
left out, except an ``.xml`` file that mentions ``<testsuite``/``<testcase``, which was meant
to be JUnit and so is read (and reported if it cannot be). Archives (zip, tar, compressed) are
looked into with the same rules, member by member (``ARCHIVE!MEMBER``): a failing JUnit file in
a ``.tar.gz`` counts as much as one beside it; a part that cannot be walked is an error entry.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from validator.archives import HEAD_BYTES as ARCHIVE_HEAD_BYTES
from validator.archives import Member, Problem, sniff, walk
from validator.errors import UsageError
from validator.evidence import ResultFile, ResultFormat, TestScan
from validator.junit import read_junit_chunks
from validator.libtest import (
    cargo_build_failed,
    has_libtest_output,
    looks_like_libtest,
    read_libtest,
    read_libtest_lines,
)

log = logging.getLogger(__name__)

MAX_RESULT_BYTES = 256 * 1024 * 1024  # a 100 MB job log must fit; a runaway file must not
HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_TEXT_SUFFIXES = frozenset({"", ".log", ".txt", ".out"})  # searched whole while walking

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


def detect_format(head: bytes) -> ResultFormat:
    """``junit``, ``libtest`` or ``unknown``, from the first bytes of a file."""
    if not head or _is_binary(head[:HEAD_BYTES]):
        return "unknown"
    text = decode_text(head[:HEAD_BYTES])
    if _JUNIT_ROOT.match(text) is not None:
        return "junit"
    if looks_like_libtest(text):
        return "libtest"
    return "unknown"


def libtest_from_log(text: str, *, path: str) -> ResultFile | None:
    """The tests in a job log, or None when the log holds no ``cargo test`` output."""
    if not has_libtest_output(text):
        return None
    return read_libtest(text, path=path)


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
            return None if walking else _error(display, fmt, "not JUnit XML or cargo test output")
        handle.seek(0)
        if fmt == "libtest":  # read line by line: a 100 MB log is never held whole
            return read_libtest_lines(_text_lines(handle, head), path=display)
        text = decode_text(handle.read(MAX_RESULT_BYTES))
    # A cargo log that stopped at a compile error holds no test, yet it is what the user named.
    if has_libtest_output(text) or (not walking and cargo_build_failed(text)):
        return read_libtest(text, path=display)
    return None if walking else _error(display, "unknown", "not JUnit XML or cargo test output")


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
    buffered = io.BufferedReader(cast(io.RawIOBase, stream))
    if fmt == "libtest":
        return read_libtest_lines(_text_lines(cast(BinaryIO, buffered), head), path=member.path)
    text = decode_text(buffered.read(MAX_RESULT_BYTES))
    return read_libtest(text, path=member.path) if has_libtest_output(text) else None


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
                f"{given}: no such file or folder. Give JUnit XML files, cargo test logs, "
                "or folders that hold them."
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
