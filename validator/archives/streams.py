"""Forward-only streams over archive data: decompressed, metered against the limits, peeked.

Everything is read as a forward stream; decompressed bytes are counted as they come out, so a
size declared in a header cannot hide a bomb.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from validator.archives.sniff import Format

HEAD_BYTES = 4096  # enough to sniff any format (tar's magic is at 257) and to read ELF headers
COPY_CHUNK = 1 << 20
SPOOL_IN_MEMORY = 8 << 20  # a nested zip larger than this is spooled to a temporary file


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Safety limits for reading one archive (with everything nested in it).

    ``max_ratio`` is applied only once a member (or a compressed stream) has produced more than
    ``ratio_floor`` bytes: small, very compressible files are common and harmless.
    """

    max_members: int = 100_000
    max_total_bytes: int = 8 << 30
    max_ratio: int = 200
    ratio_floor: int = 1 << 20
    max_depth: int = 4


DEFAULT_LIMITS = Limits()


class LimitExceeded(Exception):
    """A safety limit was broken; the message names the archive, the member and the limit."""


class CannotOpen(Exception):
    """A format this tool recognises but cannot open here; the message says which."""


class Budget:
    """Members and decompressed bytes counted against the limits of one top-level archive."""

    def __init__(self, limits: Limits, archive: str) -> None:
        self.limits = limits
        self.archive = archive
        self.members = 0
        self.bytes = 0

    def member(self, path: str) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitExceeded(
                f"{self.archive}: more than {self.limits.max_members} members (at {path}); "
                "limit max_members"
            )

    def charge(self, count: int, path: str) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise LimitExceeded(
                f"{self.archive}: more than {self.limits.max_total_bytes} bytes uncompressed "
                f"(at {path}); limit max_total_bytes"
            )


class _InnerStreamReader(io.RawIOBase):
    """Base of the wrappers that read another stream: a readable, forward-only raw stream."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        raise NotImplementedError


class Counted(_InnerStreamReader):
    """Counts the bytes read from a (compressed) stream."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def _read(self, size: int) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


class Metered(_InnerStreamReader):
    """Bytes coming out of a decompressor: charged to the budget and held to the ratio."""

    def __init__(
        self,
        inner: BinaryIO,
        *,
        budget: Budget,
        path: str,
        compressed: Callable[[], int],
        charge: bool = True,
    ) -> None:
        self._inner = inner
        self._budget = budget
        self._path = path
        self._compressed = compressed
        self._charge = charge
        self.count = 0

    def _read(self, size: int) -> bytes:
        data = self._inner.read(size)
        self.count += len(data)
        if self._charge:
            self._budget.charge(len(data), self._path)
        limits = self._budget.limits
        if self.count > limits.ratio_floor:
            compressed = max(self._compressed(), 1)
            if self.count > compressed * limits.max_ratio:
                raise LimitExceeded(
                    f"{self._path}: {self.count} bytes out of {compressed} compressed, "
                    f"more than {limits.max_ratio}:1; limit max_ratio"
                )
        return data


class Peeked(_InnerStreamReader):
    """A stream whose first bytes were read ahead (``head``) and are served again first."""

    def __init__(self, raw: BinaryIO, head_size: int = HEAD_BYTES) -> None:
        self._raw = raw
        self.head = read_up_to(raw, head_size)
        self._served = 0
        self._passed_head = False

    def peek(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer where the stream ends), read ahead if need be;
        only before anything past the head was read."""
        missing = size - len(self.head)
        if missing > 0 and not self._passed_head:
            self.head += read_up_to(self._raw, missing)
        return self.head[:size]

    def _read(self, size: int) -> bytes:
        if self._served < len(self.head):
            data = self.head[self._served : self._served + size]
            self._served += len(data)
            return data
        self._passed_head = True
        return self._raw.read(size)


class Prefixed(_InnerStreamReader):
    """Bytes already read from a stream (``prefix``), then the rest of that stream."""

    def __init__(self, prefix: bytes, raw: BinaryIO) -> None:
        self._prefix = prefix
        self._raw = raw

    def _read(self, size: int) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return self._raw.read(size)


class Slice(_InnerStreamReader):
    """The next ``size`` bytes of a stream (an ar or cpio member): no more can be read."""

    def __init__(self, raw: BinaryIO, size: int) -> None:
        self._raw = raw
        self.left = size

    def _read(self, size: int) -> bytes:
        if self.left <= 0:
            return b""
        data = self._raw.read(min(size, self.left))
        self.left -= len(data)
        return data

    def drain(self) -> None:
        """Read to the end of the slice, so the parent stream stands after it."""
        while self.left > 0:
            if not self._read(COPY_CHUNK):
                raise EOFError(f"the data ends {self.left} bytes before the member's end")


class _ZstdFrames(_InnerStreamReader):
    """Decompressed zstd frames, one after another; data ending inside a frame is an error.

    zstandard's stream reader ends quietly on a cut frame, so frames are decoded here. Input
    is fed in small pieces: one piece of zstd can hold a few megabytes per kilobyte.
    """

    FEED = 1024

    def __init__(self, raw: BinaryIO) -> None:
        try:
            import zstandard  # optional: without it zstd data is "not inspected"
        except ImportError:
            raise CannotOpen(
                "zstd-compressed data, which needs the zstandard package (not installed)"
            ) from None
        self._zstd = zstandard.ZstdDecompressor()
        self._raw = raw
        self._frame = self._zstd.decompressobj()
        self._in_frame = False
        self._out = memoryview(b"")

    def _read(self, size: int) -> bytes:
        while not self._out:
            piece = self._raw.read(self.FEED)
            if not piece:
                if self._in_frame:
                    raise EOFError("zstd data ends inside a frame")
                return b""
            self._out = memoryview(self._decompress(piece))
        data = bytes(self._out[:size])
        self._out = self._out[size:]
        return data

    def _decompress(self, piece: bytes) -> bytes:
        out: list[bytes] = []
        while piece:
            self._in_frame = True
            out.append(self._frame.decompress(piece))
            piece = b""
            if self._frame.eof:  # the next frame starts in what is left over
                piece = self._frame.unused_data
                self._frame = self._zstd.decompressobj()
                self._in_frame = False
        return b"".join(out)


def read_up_to(stream: BinaryIO, size: int) -> bytes:
    """The next ``size`` bytes of ``stream``, or fewer where it ends."""
    chunks: list[bytes] = []
    missing = size
    while missing > 0:
        chunk = stream.read(missing)
        if not chunk:
            break
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _decompressor(fmt: Format, raw: BinaryIO) -> BinaryIO:
    if fmt == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    if fmt == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(raw, mode="rb"))
    if fmt == "zstd":
        return cast(BinaryIO, _ZstdFrames(raw))
    # xz, and legacy .lzma ("alone") streams: FORMAT_AUTO tells them apart.
    return cast(BinaryIO, lzma.LZMAFile(raw, mode="rb"))


def decompressed(
    fmt: Format, raw: BinaryIO, budget: Budget, path: str, *, charge: bool = True
) -> Peeked:
    """The decompressed stream, metered; ``charge=False`` holds it to the ratio only."""
    counted = Counted(raw)
    metered = Metered(
        _decompressor(fmt, cast(BinaryIO, counted)),
        budget=budget,
        path=path,
        compressed=lambda: counted.count,
        charge=charge,
    )
    return Peeked(cast(BinaryIO, io.BufferedReader(metered, COPY_CHUNK)))


@contextlib.contextmanager
def spool(stream: BinaryIO) -> Iterator[BinaryIO]:
    """Copy a forward-only stream into a seekable spooled file (a zip needs random access)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spooled:
        shutil.copyfileobj(stream, spooled, COPY_CHUNK)
        spooled.seek(0)
        yield cast(BinaryIO, spooled)


def printable(name: str) -> str:
    """A member or file name safe to show on one line: control and undecodable bytes escaped."""
    if name.isprintable():
        return name
    out = []
    for c in name:
        if c.isprintable():
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        else:
            out.append(c.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def one_line(exc: BaseException) -> str:
    """An exception's message on one printable line of at most 200 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return printable(text[:200])
