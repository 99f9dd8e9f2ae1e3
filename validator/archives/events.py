"""What walking an archive yields: files, documents for the image layer, and what went wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass(frozen=True, kw_only=True)
class Member:
    """A file met inside an archive; ``stream`` is readable until the walk moves on.

    ``note`` is set for members that are deliberately not read (links, devices), ``error``
    for members that could not be read; both leave ``stream`` as ``None``.
    """

    path: str
    size: int
    head: bytes = b""
    stream: BinaryIO | None = None
    note: str | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Part of an input that could not be walked: a damaged archive or a broken limit."""

    message: str


@dataclass(frozen=True, kw_only=True)
class Documents:
    """A tar's top-level names and its small JSON members (name → bytes), once it is walked."""

    path: str
    top_names: frozenset[str]
    docs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class NotOpened:
    """An archive or compressed stream this tool cannot open: its files are unknown."""

    path: str
    reason: str


Event = Member | Documents | Problem | NotOpened
