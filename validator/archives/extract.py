"""Extract artifact archives safely: nothing outside the destination, nothing left on refusal."""

from __future__ import annotations

import contextlib
import logging
import os
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from validator.archives.members import (
    declared_bomb,
    declared_ratio_too_high,
    tar_members,
    tar_special,
    zip_is_dir,
    zip_special,
)
from validator.archives.sniff import COMPRESSED, sniff
from validator.archives.streams import (
    COPY_CHUNK,
    DEFAULT_LIMITS,
    HEAD_BYTES,
    Budget,
    LimitExceeded,
    Limits,
    Metered,
    decompressed,
    one_line,
    printable,
    read_up_to,
)
from validator.errors import ArchiveError

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class _Entry:
    """One member to extract, already vetted for type; ``open`` gives its bytes."""

    name: str
    is_dir: bool
    executable: bool
    size: int
    open: Callable[[], contextlib.AbstractContextManager[BinaryIO]]


def safe_extract(archive: Path, dest: Path, limits: Limits = DEFAULT_LIMITS) -> list[Path]:
    """Extract the zip or tar (plain or gzip, bzip2, xz, lzma, zstd) ``archive`` into ``dest``.

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
            head = read_up_to(cast(BinaryIO, stream), HEAD_BYTES)
            stream.seek(0)
            budget = Budget(limits, str(archive))
            entries = _entries(archive, cast(BinaryIO, stream), head, budget)
            return _extract(archive, entries, root, budget, created)
    except ArchiveError:
        _remove(created)
        raise
    except LimitExceeded as exc:
        _remove(created)
        raise ArchiveError(f"{exc}; nothing extracted") from exc
    except OSError as exc:
        _remove(created)
        raise ArchiveError(f"{archive}: could not extract: {one_line(exc)}") from exc
    except Exception as exc:  # damaged data: zipfile, tarfile, zlib, lzma raise many types
        _remove(created)
        raise ArchiveError(
            f"{archive}: damaged archive: {one_line(exc)}; download it again"
        ) from exc


def _entries(archive: Path, stream: BinaryIO, head: bytes, budget: Budget) -> Iterator[_Entry]:
    fmt = sniff(head)
    if fmt == "zip":
        return _zip_entries(archive, stream, budget)
    if fmt == "tar":
        return _tar_entries(archive, stream, budget)
    if fmt in COMPRESSED:
        inner = decompressed(fmt, stream, budget, str(archive), charge=False)
        if sniff(inner.head) != "tar":
            raise ArchiveError(f"{archive}: {fmt} data that is not a tar archive; not extracted")
        return _tar_entries(archive, cast(BinaryIO, inner), budget)
    raise ArchiveError(f"{archive}: not a zip or tar archive; not extracted")


def _zip_entries(archive: Path, stream: BinaryIO, budget: Budget) -> Iterator[_Entry]:
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
            kind = zip_special(info)
            if kind is not None:
                raise _refuse(archive, name, f"is a {kind}")
            if info.flag_bits & 0x1:
                raise _refuse(archive, name, "is encrypted")
            if declared_bomb(info, limits):
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
                is_dir=zip_is_dir(info),
                executable=bool((info.external_attr >> 16) & 0o111),
                size=info.file_size,
                open=opener,
            )


@contextlib.contextmanager
def _opened_zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, path: str
) -> Iterator[BinaryIO]:
    with zf.open(info) as raw:
        compressed = info.compress_size
        yield cast(
            BinaryIO,
            Metered(
                cast(BinaryIO, raw),
                budget=budget,
                path=path,
                compressed=lambda: compressed,
                charge=False,
            ),
        )


def _tar_entries(archive: Path, stream: BinaryIO, budget: Budget) -> Iterator[_Entry]:
    with tarfile.open(fileobj=stream, mode="r|") as tf:
        for info in tar_members(tf):
            budget.member(info.name)
            if not (info.isreg() or info.isdir()):
                raise _refuse(archive, info.name, f"is a {tar_special(info)}")
            if info.issparse():
                # A sparse member's holes are written out as zeros: a few stored bytes can
                # declare gigabytes, which the compression ratio alone never shows.
                # typeshed says bytes; tarfile keeps (offset, length) pairs of the stored data
                extents: list[tuple[int, int]] = getattr(info, "sparse", None) or []
                stored = sum(length for _, length in extents)
                if declared_ratio_too_high(info.size, stored, budget.limits):
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
    archive: Path, entries: Iterator[_Entry], root: Path, budget: Budget, created: list[Path]
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


def _write(archive: Path, entry: _Entry, target: Path, budget: Budget, created: list[Path]) -> None:
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
