"""Lines of a test log as every reader sees them: no timestamp, colour, BOM or carriage return.

A GitHub job log starts each line with a timestamp (``2026-11-30T09:14:02.1230000Z ``) and
keeps the runners' ANSI colours; Windows runners end lines with CRLF. Readers see none of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()][0-9A-Za-z]|[@-_])"
)


def clean_line(raw: str) -> str:
    """A log line without GitHub's timestamp, ANSI escapes, BOM and carriage returns."""
    line = raw.lstrip("\ufeff")
    if line[:2] == "20" and (stamp := _STAMP.match(line)) is not None:
        line = line[stamp.end() :]
    if "\r" in line:
        line = line.rstrip("\r").rpartition("\r")[2]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    return line


def split_lines(text: str) -> Iterator[str]:
    """The lines of a possibly huge text, without copying it into a list."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            end = size
        yield text[start:end]
        start = end + 1


def clean_lines(text: str) -> Iterator[str]:
    """The cleaned lines of ``text`` (see :func:`clean_line`)."""
    return map(clean_line, split_lines(text))
