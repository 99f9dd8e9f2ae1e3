"""Where a streamed download goes: a job log into memory, an artifact into a file.

A download may start over (a signed link expired, the connection broke mid-answer): a sink
forgets what it received on :meth:`Sink.restart`, so nothing is counted or written twice.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol


class Sink(Protocol):
    """Receives a download's bytes in order."""

    def restart(self) -> None:
        """Forget everything received: the download starts over."""

    def write(self, chunk: bytes) -> None:
        """Take the next chunk."""


class TextSink:
    """A download kept in memory and read as text (a job log)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def restart(self) -> None:
        self._chunks.clear()

    def write(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def text(self) -> str:
        """What was received, decoded as UTF-8 (undecodable bytes replaced)."""
        return b"".join(self._chunks).decode("utf-8", errors="replace")


class FileSink:
    """A download hashed as it is written, to a file that appears whole or not at all.

    Written to a temporary file beside ``dest``; leaving the ``with`` block normally renames
    it to ``dest``, leaving it by an exception removes it.
    """

    def __init__(self, dest: Path, on_bytes: Callable[[int], None] | None = None) -> None:
        self.dest = dest
        self.written = 0
        self._on_bytes = on_bytes  # told the bytes written so far, after each chunk
        self._digest = hashlib.sha256()
        self._tmp: Path | None = None
        self._out: IO[bytes] | None = None

    @property
    def sha256(self) -> str:
        """The hex sha256 of what was written."""
        return self._digest.hexdigest()

    def __enter__(self) -> FileSink:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=self.dest.parent, prefix=f".{self.dest.name}.", suffix=".part"
        )
        self._tmp = Path(name)
        self._out = os.fdopen(fd, "wb")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._out is not None and self._tmp is not None, "used outside `with`"
        try:
            self._out.close()
            if exc is None:
                self._tmp.replace(self.dest)
        finally:
            self._tmp.unlink(missing_ok=True)  # gone after a rename; removed otherwise

    def restart(self) -> None:
        assert self._out is not None, "used outside `with`"
        self._out.seek(0)
        self._out.truncate()
        self._digest = hashlib.sha256()
        self.written = 0

    def write(self, chunk: bytes) -> None:
        assert self._out is not None, "used outside `with`"
        self._digest.update(chunk)
        self._out.write(chunk)
        self.written += len(chunk)
        if self._on_bytes is not None:
            self._on_bytes(self.written)
