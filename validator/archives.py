"""Look inside archives without extracting them, and extract artifact archives safely.

Formats are recognised by their magic bytes, never by name: zip, tar, and gzip/bzip2/xz
(usually a compressed tar; otherwise one compressed file). Everything is read as a forward
stream, except a zip, which needs random access: a zip nested in another archive is first
copied to a spooled temporary file. Decompressed bytes are counted as they come out, so a size
declared in a header cannot hide a bomb.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import logging
import lzma
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, cast

from validator.errors import ArchiveError
from validator.evidence import ImageInfo
from validator.images import is_image_layout, read_images

log = logging.getLogger(__name__)

Format = Literal["zip", "tar", "gzip", "bzip2", "xz"]
COMPRESSED: tuple[Format, ...] = ("gzip", "bzip2", "xz")
HEAD_BYTES = 4096  # enough to sniff any format (tar's magic is at 257) and to judge an ELF
COPY_CHUNK = 1 << 20
SPOOL_IN_MEMORY = 8 << 20  # a nested zip larger than this is spooled to a temporary file
MAX_DOC_BYTES = 4 << 20  # JSON members kept for reading image configs, each ...
MAX_DOCS_BYTES = 32 << 20  # ... and in total per archive

# Formats we recognise but cannot open: saying so beats calling them "not ELF".
UNSUPPORTED = {
    b"\x28\xb5\x2f\xfd": "zstd-compressed data",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\x04\x22\x4d\x18": "LZ4-compressed data",
}


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Safety limits for reading one archive (with everything nested in it).

    ``max_ratio`` is judged only once a member (or a compressed stream) has produced more than
    ``ratio_floor`` bytes: small, very compressible files are common and harmless.
    """

    max_members: int = 100_000
    max_total_bytes: int = 8 << 30
    max_ratio: int = 200
    ratio_floor: int = 1 << 20
    max_depth: int = 4


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


Event = Member | ImageInfo | Problem


class _LimitExceeded(Exception):
    """A safety limit was broken; the message names the archive, the member and the limit."""


def sniff(head: bytes) -> Format | None:
    """The archive format whose magic bytes start ``head``, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if (
        head[:3] == b"BZh"
        and head[3:4].isdigit()
        and head[3:4] != b"0"
        and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")
    ):
        return "bzip2"
    if head[257:262] == b"ustar":
        return "tar"
    return None


_UNSUPPORTED_MAGICS = tuple(UNSUPPORTED)


def unsupported(head: bytes) -> str | None:
    """What ``head`` is, when it is an archive or compression we cannot open."""
    if not head.startswith(_UNSUPPORTED_MAGICS):  # one C call for the common case
        return None
    return next((what for magic, what in UNSUPPORTED.items() if head.startswith(magic)), None)


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


# --- streams --------------------------------------------------------------------------------


class _Budget:
    """Members and decompressed bytes counted against the limits of one top-level archive."""

    def __init__(self, limits: Limits, archive: str) -> None:
        self.limits = limits
        self.archive = archive
        self.members = 0
        self.bytes = 0

    def member(self, path: str) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise _LimitExceeded(
                f"{self.archive}: more than {self.limits.max_members} members (at {path}); "
                "limit max_members"
            )

    def charge(self, count: int, path: str) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise _LimitExceeded(
                f"{self.archive}: more than {self.limits.max_total_bytes} bytes uncompressed "
                f"(at {path}); limit max_total_bytes"
            )


class _Reader(io.RawIOBase):
    """Base of the stream wrappers: a readable, forward-only raw stream."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        raise NotImplementedError


class _Counted(_Reader):
    """Counts the bytes read from a (compressed) stream."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def _read(self, size: int) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


class _Metered(_Reader):
    """Bytes coming out of a decompressor: charged to the budget and held to the ratio."""

    def __init__(
        self,
        inner: BinaryIO,
        *,
        budget: _Budget,
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
                raise _LimitExceeded(
                    f"{self._path}: {self.count} bytes out of {compressed} compressed, "
                    f"more than {limits.max_ratio}:1; limit max_ratio"
                )
        return data


class _Peeked(_Reader):
    """A stream whose first bytes were read ahead (``head``) and are served again first."""

    def __init__(self, raw: BinaryIO, head_size: int = HEAD_BYTES) -> None:
        self._raw = raw
        self.head = _read_up_to(raw, head_size)
        self._served = 0

    def _read(self, size: int) -> bytes:
        if self._served < len(self.head):
            data = self.head[self._served : self._served + size]
            self._served += len(data)
            return data
        return self._raw.read(size)


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
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
    return cast(BinaryIO, lzma.LZMAFile(raw, mode="rb"))


def _decompressed(
    fmt: Format, raw: BinaryIO, budget: _Budget, path: str, *, charge: bool = True
) -> _Peeked:
    """The decompressed stream, metered; ``charge=False`` judges the ratio only."""
    counted = _Counted(raw)
    metered = _Metered(
        _decompressor(fmt, cast(BinaryIO, counted)),
        budget=budget,
        path=path,
        compressed=lambda: counted.count,
        charge=charge,
    )
    return _Peeked(cast(BinaryIO, io.BufferedReader(metered, COPY_CHUNK)))


# --- walking --------------------------------------------------------------------------------


def walk(
    stream: BinaryIO, *, path: str, limits: Limits = Limits(), random_access: bool = False
) -> Iterator[Event]:
    """Every file inside the archive ``stream`` (``path`` names it), nested archives included.

    Yields a ``Member`` per file (directories are skipped), an ``ImageInfo`` per image in a
    docker-save or OCI archive, and a ``Problem`` for what could not be walked. Nothing is
    raised for bad input. ``random_access`` says ``stream`` is a seekable file on disk.
    """
    budget = _Budget(limits, path)
    try:
        if random_access:
            head = _read_up_to(stream, HEAD_BYTES)
            stream.seek(0)
            yield from _walk_container(stream, head, path, 1, budget, random_access=True)
        else:
            peeked = _Peeked(stream)
            yield from _walk_container(
                cast(BinaryIO, peeked), peeked.head, path, 1, budget, random_access=False
            )
    except _LimitExceeded as exc:
        log.warning("%s", exc)
        yield Problem(message=f"{exc}; the rest of {path} was not inspected")
    except Exception as exc:  # the stdlib readers raise many types on hostile input
        yield Problem(message=f"{path}: could not be read: {_one_line(exc)}")


def _walk_container(
    stream: BinaryIO, head: bytes, path: str, depth: int, budget: _Budget, *, random_access: bool
) -> Iterator[Event]:
    """Walk one archive of any supported format; damage becomes a Problem, limits propagate."""
    fmt = sniff(head)
    try:
        if fmt == "zip":
            yield from _walk_zip(stream, path, depth, budget, random_access=random_access)
        elif fmt == "tar":
            yield from _walk_tar(stream, path, depth, budget, random_access=random_access)
        elif fmt in COMPRESSED:
            inner = _decompressed(fmt, stream, budget, path)
            if sniff(inner.head) == "tar":
                yield from _walk_tar(
                    cast(BinaryIO, inner), path, depth, budget, random_access=False
                )
            else:
                # One compressed file: its size is known only once it is inflated.
                with _spool(cast(BinaryIO, inner)) as spooled:
                    size = spooled.seek(0, os.SEEK_END)
                    spooled.seek(0)
                    member = f"{path}!{_decompressed_name(path, fmt)}"
                    yield from _visit(_Peeked(spooled), member, size, depth, budget)
        else:
            yield Problem(message=f"{path}: not an archive this tool can open")
    except _LimitExceeded:
        raise
    except Exception as exc:  # damaged data: zlib, lzma, tarfile, zipfile, OSError, EOFError...
        log.info("%s: damaged %s: %s", path, fmt, exc)
        yield Problem(message=f"{path}: damaged {fmt} data: {_one_line(exc)}")


def _visit(stream: _Peeked, path: str, size: int, depth: int, budget: _Budget) -> Iterator[Event]:
    """One file inside an archive: descend if it is an archive itself, else hand it out."""
    if sniff(stream.head) is not None:
        if depth >= budget.limits.max_depth:
            yield Problem(
                message=f"{path}: archive nested more than {budget.limits.max_depth} deep; "
                "not opened (limit max_depth)"
            )
            return
        yield from _walk_container(
            cast(BinaryIO, stream), stream.head, path, depth + 1, budget, random_access=False
        )
    elif (what := unsupported(stream.head)) is not None:
        yield Problem(message=f"{path}: is {what}, which this tool cannot look inside")
    else:
        yield Member(path=path, size=size, head=stream.head, stream=cast(BinaryIO, stream))


def _walk_zip(
    stream: BinaryIO, path: str, depth: int, budget: _Budget, *, random_access: bool
) -> Iterator[Event]:
    with contextlib.ExitStack() as stack:
        if not random_access:
            stream = stack.enter_context(_spool(stream))
        archive = stack.enter_context(zipfile.ZipFile(stream))
        infos = archive.infolist()
        if len(infos) + budget.members > budget.limits.max_members:
            raise _LimitExceeded(
                f"{path}: {len(infos)} members, more than {budget.limits.max_members}; "
                "limit max_members"
            )
        for info in infos:
            member = f"{path}!{printable(info.filename)}"
            budget.member(member)
            if _zip_is_dir(info):
                continue
            kind = _zip_special(info)
            if kind is not None:
                yield Member(path=member, size=info.file_size, note=not_read(kind))
                continue
            # No refusal on the declared ratio here: judging a file reads its first bytes only,
            # and descending into a nested archive is metered on the real bytes.
            yield from _walk_zip_member(archive, info, member, depth, budget)


def _walk_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, depth: int, budget: _Budget
) -> Iterator[Event]:
    if info.flag_bits & 0x1:
        yield Member(path=path, size=info.file_size, error="encrypted: cannot be read")
        return
    try:
        raw = cast(BinaryIO, archive.open(info))
    except Exception as exc:  # unsupported compression, bad local header
        yield Member(path=path, size=info.file_size, error=f"could not read: {_one_line(exc)}")
        return
    with raw:
        try:
            stream = _Peeked(_metered_member(raw, info, budget, path))
        except _LimitExceeded:
            raise
        except Exception as exc:  # bad compressed data
            yield Member(path=path, size=info.file_size, error=f"could not read: {_one_line(exc)}")
            return
        yield from _visit(stream, path, info.file_size, depth, budget)


def _metered_member(raw: BinaryIO, info: zipfile.ZipInfo, budget: _Budget, path: str) -> BinaryIO:
    if info.compress_type == zipfile.ZIP_STORED:
        return raw  # stored bytes are the file's own bytes: nothing is inflated
    compressed = info.compress_size
    return cast(BinaryIO, _Metered(raw, budget=budget, path=path, compressed=lambda: compressed))


def _zip_special(info: zipfile.ZipInfo) -> str | None:
    """What a zip member is when it is not a regular file or folder (a link, a device)."""
    mode = info.external_attr >> 16
    if info.create_system != 3 or stat.S_IFMT(mode) in (0, stat.S_IFREG, stat.S_IFDIR):
        return None  # only unix-made zips carry file types
    return special_kind(mode)


def _zip_is_dir(info: zipfile.ZipInfo) -> bool:
    # Not info.is_dir(): it raises IndexError on a member with an empty name.
    unix_dir = info.create_system == 3 and stat.S_ISDIR(info.external_attr >> 16)
    return info.filename.endswith("/") or unix_dir


def special_kind(mode: int, target: str | None = None) -> str:
    """A reader's name for a file that is not regular, e.g. ``symbolic link to lib.so.1``."""
    kind = {
        stat.S_IFLNK: "symbolic link",
        stat.S_IFCHR: "character device",
        stat.S_IFBLK: "block device",
        stat.S_IFIFO: "FIFO",
        stat.S_IFSOCK: "socket",
        stat.S_IFDIR: "directory",
    }.get(stat.S_IFMT(mode), f"file of type {stat.S_IFMT(mode):o}")
    return f"{kind} to {printable(target)}" if target else kind


def not_read(kind: str) -> str:
    """The note for a file deliberately left unread: links are not followed, others not read."""
    return f"{kind}: not followed" if "link" in kind else f"{kind}: not read"


def _declared_bomb(info: zipfile.ZipInfo, limits: Limits) -> bool:
    return _declared_ratio_too_high(info.file_size, info.compress_size, limits)


def _declared_ratio_too_high(size: int, stored: int, limits: Limits) -> bool:
    return size > limits.ratio_floor and size > max(stored, 1) * limits.max_ratio


@contextlib.contextmanager
def _spool(stream: BinaryIO) -> Iterator[BinaryIO]:
    """Copy a forward-only stream into a seekable spooled file (a zip needs random access)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        shutil.copyfileobj(stream, spool, COPY_CHUNK)
        spool.seek(0)
        yield cast(BinaryIO, spool)


def _walk_tar(
    stream: BinaryIO, path: str, depth: int, budget: _Budget, *, random_access: bool
) -> Iterator[Event]:
    docs: dict[str, bytes] = {}
    docs_bytes = 0
    top_names: set[str] = set()
    mode: Literal["r:", "r|"] = "r:" if random_access else "r|"
    with tarfile.open(fileobj=stream, mode=mode) as archive:
        for info in _tar_members(archive):
            name = _tar_name(info.name)
            member = f"{path}!{printable(name)}"
            budget.member(member)
            if "/" not in name:
                top_names.add(name)
            if info.isdir():
                continue
            if not info.isreg():
                yield Member(path=member, size=info.size, note=not_read(_tar_special(info)))
                continue
            raw = archive.extractfile(info)
            if raw is None:  # pragma: no cover - isreg() members always have data
                continue
            peeked = _Peeked(cast(BinaryIO, raw))
            if _is_doc(name, info.size, peeked.head) and docs_bytes + info.size <= MAX_DOCS_BYTES:
                data = _read_up_to(cast(BinaryIO, peeked), MAX_DOC_BYTES)
                docs[name] = data
                docs_bytes += len(data)
                yield Member(
                    path=member, size=info.size, head=data[:HEAD_BYTES], stream=io.BytesIO(data)
                )
                continue
            yield from _visit(peeked, member, info.size, depth, budget)
    if is_image_layout(top_names):
        yield from read_images(path, docs)


def _tar_members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members one by one, without tarfile keeping them all (100,000 would cost ~100 MB)."""
    while (info := archive.next()) is not None:
        archive.members.clear()  # type: ignore[attr-defined]
        yield info


def _tar_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _tar_special(info: tarfile.TarInfo) -> str:
    """What a tar member is that is neither a regular file nor a folder."""
    if info.issym():
        return special_kind(stat.S_IFLNK, info.linkname)
    if info.islnk():
        return f"hard link to {printable(info.linkname)}"
    if info.ischr():
        return special_kind(stat.S_IFCHR)
    if info.isblk():
        return special_kind(stat.S_IFBLK)
    if info.isfifo():
        return special_kind(stat.S_IFIFO)
    return f"tar member of type {info.type!r}"


def _is_doc(name: str, size: int, head: bytes) -> bool:
    """Whether a tar member may be an image manifest, index or config worth keeping."""
    if size > MAX_DOC_BYTES:
        return False
    if name == "oci-layout":
        return True
    return (name.endswith(".json") or name.startswith("blobs/")) and head.lstrip()[:1] in (
        b"{",
        b"[",  # docker's manifest.json is a list
    )


def _decompressed_name(path: str, fmt: Format) -> str:
    last = path.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    for suffix in {"gzip": (".gz", ".tgz"), "bzip2": (".bz2",), "xz": (".xz",)}[fmt]:
        if last.endswith(suffix) and len(last) > len(suffix):
            return last[: -len(suffix)]
    return last + ".decompressed"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return printable(text[:200])


# --- extracting -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Entry:
    """One member to extract, already vetted for type; ``open`` gives its bytes."""

    name: str
    is_dir: bool
    executable: bool
    size: int
    open: Callable[[], contextlib.AbstractContextManager[BinaryIO]]


def safe_extract(archive: Path, dest: Path, limits: Limits = Limits()) -> list[Path]:
    """Extract the zip or tar (plain, gzip, bzip2 or xz) ``archive`` into ``dest``.

    Refuses, with ``ArchiveError`` naming the archive, the member and the rule, any member
    whose path is absolute or climbs out with ``..``, any link or special file, duplicates,
    and archives over ``limits`` (members, total bytes, ratio), counted on the real bytes.
    On refusal everything this call created is removed again. Returns the files written.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    created: list[Path] = []
    try:
        with archive.open("rb") as stream:
            head = _read_up_to(cast(BinaryIO, stream), HEAD_BYTES)
            stream.seek(0)
            budget = _Budget(limits, str(archive))
            entries = _entries(archive, cast(BinaryIO, stream), head, budget)
            return _extract(archive, entries, root, budget, created)
    except ArchiveError:
        _remove(created)
        raise
    except _LimitExceeded as exc:
        _remove(created)
        raise ArchiveError(f"{exc}; nothing extracted") from exc
    except OSError as exc:
        _remove(created)
        raise ArchiveError(f"{archive}: could not extract: {_one_line(exc)}") from exc
    except Exception as exc:  # damaged data: zipfile, tarfile, zlib, lzma raise many types
        _remove(created)
        raise ArchiveError(
            f"{archive}: damaged archive: {_one_line(exc)}; download it again"
        ) from exc


def _entries(archive: Path, stream: BinaryIO, head: bytes, budget: _Budget) -> Iterator[_Entry]:
    fmt = sniff(head)
    if fmt == "zip":
        return _zip_entries(archive, stream, budget)
    if fmt == "tar":
        return _tar_entries(archive, stream, budget)
    if fmt in COMPRESSED:
        inner = _decompressed(fmt, stream, budget, str(archive), charge=False)
        if sniff(inner.head) != "tar":
            raise ArchiveError(f"{archive}: {fmt} data that is not a tar archive; not extracted")
        return _tar_entries(archive, cast(BinaryIO, inner), budget)
    raise ArchiveError(f"{archive}: not a zip or tar archive; not extracted")


def _zip_entries(archive: Path, stream: BinaryIO, budget: _Budget) -> Iterator[_Entry]:
    with zipfile.ZipFile(stream) as zf:
        infos = zf.infolist()
        limits = budget.limits
        if len(infos) > limits.max_members:
            raise ArchiveError(
                f"{archive}: {len(infos)} members, more than {limits.max_members} "
                "(limit max_members); nothing extracted"
            )
        for info in infos:
            name = info.filename
            budget.member(name)
            kind = _zip_special(info)
            if kind is not None:
                raise _refuse(archive, name, f"is a {kind}")
            if info.flag_bits & 0x1:
                raise _refuse(archive, name, "is encrypted")
            if _declared_bomb(info, limits):
                raise _refuse(
                    archive,
                    name,
                    f"declares {info.file_size} bytes from {info.compress_size} compressed, "
                    f"more than {limits.max_ratio}:1 (limit max_ratio)",
                )

            def opener(info: zipfile.ZipInfo = info) -> contextlib.AbstractContextManager[BinaryIO]:
                return _opened_zip_member(zf, info, budget, f"{archive}!{printable(info.filename)}")

            yield _Entry(
                name=name,
                is_dir=_zip_is_dir(info),
                executable=bool((info.external_attr >> 16) & 0o111),
                size=info.file_size,
                open=opener,
            )


@contextlib.contextmanager
def _opened_zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, path: str
) -> Iterator[BinaryIO]:
    with zf.open(info) as raw:
        compressed = info.compress_size
        yield cast(
            BinaryIO,
            _Metered(
                cast(BinaryIO, raw),
                budget=budget,
                path=path,
                compressed=lambda: compressed,
                charge=False,
            ),
        )


def _tar_entries(archive: Path, stream: BinaryIO, budget: _Budget) -> Iterator[_Entry]:
    with tarfile.open(fileobj=stream, mode="r|") as tf:
        for info in _tar_members(tf):
            budget.member(info.name)
            if not (info.isreg() or info.isdir()):
                raise _refuse(archive, info.name, f"is a {_tar_special(info)}")
            if info.issparse():
                # A sparse member's holes are written out as zeros: a few stored bytes can
                # declare gigabytes, which the compression ratio alone never shows.
                # typeshed says bytes; tarfile keeps (offset, length) pairs of the stored data
                extents: list[tuple[int, int]] = getattr(info, "sparse", None) or []
                stored = sum(length for _, length in extents)
                if _declared_ratio_too_high(info.size, stored, budget.limits):
                    raise _refuse(
                        archive,
                        info.name,
                        f"is sparse: declares {info.size} bytes from {stored} stored, "
                        f"more than {budget.limits.max_ratio}:1 (limit max_ratio)",
                    )

            @contextlib.contextmanager
            def opener(info: tarfile.TarInfo = info) -> Iterator[BinaryIO]:
                data = tf.extractfile(info)
                if data is None:  # pragma: no cover - regular members always have data
                    raise ArchiveError(f"{archive}: member {info.name!r} has no data")
                with data:
                    yield cast(BinaryIO, data)

            yield _Entry(
                name=info.name,
                is_dir=info.isdir(),
                executable=bool(info.mode & 0o111),
                size=info.size,
                open=opener,
            )


def _extract(
    archive: Path, entries: Iterator[_Entry], root: Path, budget: _Budget, created: list[Path]
) -> list[Path]:
    files: list[Path] = []
    seen: set[PurePosixPath] = set()
    for entry in _closing(entries):
        relative = _safe_relative(archive, entry.name)
        if relative is None:
            if not entry.is_dir:
                raise _refuse(archive, entry.name, "is a file without a name")
            continue  # the archive's root folder itself
        if relative in seen and not entry.is_dir:
            raise _refuse(archive, entry.name, "appears twice (duplicate name)")
        seen.add(relative)
        target = root.joinpath(*relative.parts)
        _make_dirs(archive, entry.name, root, target if entry.is_dir else target.parent, created)
        if entry.is_dir:
            continue
        _write(archive, entry, target, budget, created)
        files.append(target)
    log.info("%s: %d files extracted into %s", archive, len(files), root)
    return files


def _closing(entries: Iterator[_Entry]) -> Iterator[_Entry]:
    """Iterate, closing the archive behind ``entries`` even when extraction stops early."""
    with contextlib.closing(entries):  # type: ignore[type-var]
        yield from entries


def _safe_relative(archive: Path, name: str) -> PurePosixPath | None:
    """The member's path below the destination, or ArchiveError if it could land elsewhere."""
    if "\x00" in name:
        raise _refuse(archive, name, "has a NUL byte in its path")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        raise _refuse(archive, name, "has an absolute path")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _refuse(archive, name, "climbs out of the destination with '..'")
    return PurePosixPath(*parts) if parts else None


def _make_dirs(archive: Path, name: str, root: Path, folder: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    probe = folder
    while probe != root and not probe.exists() and not probe.is_symlink():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)
    if not _inside(root, folder):
        raise _refuse(archive, name, "would land outside the destination")


def _inside(root: Path, path: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


def _write(
    archive: Path, entry: _Entry, target: Path, budget: _Budget, created: list[Path]
) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o755 if entry.executable else 0o644)
    except FileExistsError as exc:
        raise _refuse(archive, entry.name, "would overwrite an existing file") from exc
    created.append(target)
    with os.fdopen(fd, "wb") as out, entry.open() as data:
        written = 0
        while chunk := data.read(COPY_CHUNK):
            written += len(chunk)
            if written > entry.size:
                raise _refuse(
                    archive, entry.name, f"holds more than its declared {entry.size} bytes"
                )
            budget.charge(len(chunk), f"{archive}!{printable(entry.name)}")
            out.write(chunk)


def _refuse(archive: Path, name: str, why: str) -> ArchiveError:
    return ArchiveError(f"{archive}: member {printable(name)!r} {why}; nothing extracted")


def _remove(created: list[Path]) -> None:
    """Undo a refused extraction: files first, then the folders this call made."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
