"""The binaries phase's gatherer: every file under the inputs, read by its first bytes.

Folders are walked in sorted order without following links; archives (zip, also after a
script stub; tar, also v7 and compressed with gzip, bzip2, xz, lzma or zstd, also after a
script's text as makeself writes it; ar: .deb, .a, .rlib; cpio; rpm; docker/OCI image
archives) are looked into; every regular file is read by ``validator.elf``. What cannot be
opened (squashfs and AppImage payloads, ISO 9660, UDF, cramfs, cab, msi, dmg, 7z, rar...) is
listed as not inspected, never as "not ELF".
Paths are reported relative to the inputs as the user wrote them.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, cast

from validator.archives import (
    DISC_END,
    DISC_START,
    HEAD_BYTES,
    STUB_STARTS,
    Limits,
    Member,
    NotOpened,
    Problem,
    disc_image,
    elf_end,
    is_appimage,
    is_dmg,
    not_read,
    printable,
    self_extracting,
    sniff,
    special_kind,
    unsupported,
)
from validator.elf import ELF_MAGIC, inspect_elf
from validator.errors import UsageError
from validator.evidence import BinaryInfo, BinaryScan, ImageInfo, NotInspected
from validator.images import walk_archive

log = logging.getLogger(__name__)

_Found = BinaryInfo | ImageInfo | Problem | NotInspected
DEFAULT_LIMITS = Limits()


def scan_binaries(paths: Sequence[Path], *, limits: Limits = DEFAULT_LIMITS) -> BinaryScan:
    """Look at every file under ``paths`` (files, folders, archives) and read each one's headers.

    A missing path raises ``UsageError`` before anything is read.
    """
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(
                f"{path}: no such file or folder; pass the files, folders or archives to inspect"
            )
    files: list[BinaryInfo] = []
    images: list[ImageInfo] = []
    problems: list[str] = []
    unopened: list[NotInspected] = []
    for path in paths:
        for found in _scan_input(path, limits):
            if isinstance(found, BinaryInfo):
                files.append(found)
            elif isinstance(found, ImageInfo):
                images.append(found)
            elif isinstance(found, NotInspected):
                unopened.append(found)
            else:
                problems.append(found.message)
    log.info(
        "%d files, %d ELF, %d images, %d problems, %d not inspected",
        len(files),
        sum(1 for f in files if f.kind == "elf"),
        len(images),
        len(problems),
        len(unopened),
    )
    return BinaryScan(
        files=tuple(files),
        images=tuple(images),
        problems=tuple(problems),
        not_inspected=tuple(unopened),
    )


def _scan_input(path: Path, limits: Limits) -> Iterator[_Found]:
    """One input as the user named it: links they name are followed, links inside are not."""
    shown = printable(os.fspath(path))
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        yield _unreadable(shown, exc)
        return
    if stat.S_ISDIR(mode):
        yield from _scan_folder(os.fspath(path), shown, limits)
    elif stat.S_ISREG(mode):
        yield from _scan_file(os.fspath(path), shown, limits, follow=True)
    else:
        yield _not_read(shown, not_read(special_kind(mode)))


def _scan_folder(folder: str, shown: str, limits: Limits) -> Iterator[_Found]:
    """Depth-first, sorted by name; an explicit stack, so no depth of folders is too deep."""
    pending: list[Iterator[tuple[os.DirEntry[str], str]]] = []
    listing = _listing(folder, shown)
    if isinstance(listing, Problem):
        yield listing
        return
    pending.append(listing)
    while pending:
        entry, child = next(pending[-1], (None, ""))
        if entry is None:
            pending.pop()
            continue
        try:
            # DirEntry answers these from the folder listing, without a system call.
            if entry.is_dir(follow_symlinks=False):
                listing = _listing(entry.path, child)
                if isinstance(listing, Problem):
                    yield listing
                else:
                    pending.append(listing)
            elif entry.is_file(follow_symlinks=False):
                yield from _scan_file(entry.path, child, limits, follow=False)
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
                target = _link_target(entry.path) if stat.S_ISLNK(mode) else None
                yield _not_read(child, not_read(special_kind(mode, target)))
        except OSError as exc:
            yield _unreadable(child, exc)


def _listing(folder: str, shown: str) -> Iterator[tuple[os.DirEntry[str], str]] | Problem:
    """A folder's entries sorted by name, with the path shown for each."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        return Problem(message=f"{shown}: folder could not be listed: {_why(exc)}")
    return iter([(e, f"{shown}/{printable(e.name)}") for e in entries])


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _scan_file(path: str, shown: str, limits: Limits, *, follow: bool) -> Iterator[_Found]:
    """One regular file, read through its descriptor: what was opened is what is inspected."""
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        # O_NONBLOCK: if a FIFO was put in the file's place, opening it must not wait.
        fd = os.open(path, flags)
    except OSError as exc:
        yield _unreadable(shown, exc)
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            yield _not_read(shown, not_read(special_kind(info.st_mode)))
            return
        head = _read_head(fd, min(info.st_size, HEAD_BYTES))
        if head[: len(ELF_MAGIC)] == ELF_MAGIC:
            os.lseek(fd, 0, os.SEEK_SET)
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as raw:
                yield inspect_elf(cast(BinaryIO, raw), path=shown, size=info.st_size)
            yield from _appended_to_elf(fd, head, info.st_size, shown)
        elif (what := unsupported(head)) is not None:
            yield NotInspected(path=shown, reason=f"{what}, which this tool cannot open")
        elif sniff(head) is not None or head.startswith(STUB_STARTS):
            os.lseek(fd, 0, os.SEEK_SET)
            with os.fdopen(fd, "rb", closefd=False) as stream:
                if sniff(head) is not None or self_extracting(stream, head) is not None:
                    stream.seek(0)
                    yield from _scan_archive(stream, shown, limits)
                else:
                    yield _not_elf(shown, info.st_size)
        elif (what := _image_by_its_far_bytes(fd, info.st_size)) is not None:
            yield NotInspected(path=shown, reason=f"{what}, which this tool cannot open")
        else:
            yield _not_elf(shown, info.st_size)
    except OSError as exc:
        yield _unreadable(shown, exc)
    finally:
        os.close(fd)


def _read_head(fd: int, size: int) -> bytes:
    """The first ``size`` bytes, or fewer if the file shrank since it was measured."""
    chunks: list[bytes] = []
    missing = size
    while missing > 0 and (chunk := os.read(fd, missing)):
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _image_by_its_far_bytes(fd: int, size: int) -> str | None:
    """A disc image told by bytes past the head: ISO 9660 or UDF descriptors at 32 KiB, an
    Apple disk image's trailer in the last 512 bytes."""
    if size >= DISC_END and (what := disc_image(os.pread(fd, DISC_END - DISC_START, DISC_START))):
        return what
    if size >= 1024 and is_dmg(os.pread(fd, 512, size - 512)):
        return "an Apple disk image (.dmg)"
    return None


def _appended_to_elf(fd: int, head: bytes, size: int, shown: str) -> Iterator[NotInspected]:
    """What an ELF file carries after its own end (an AppImage's squashfs), as not inspected:
    the ELF itself is judged as any other."""
    end = elf_end(head)
    after = os.pread(fd, HEAD_BYTES, end) if end is not None and end < size else b""
    if (what := unsupported(after)) is not None:
        reason = f"{what} appended to the ELF file at byte {end}, which this tool cannot open"
    elif not is_appimage(head):
        return
    elif size >= DISC_END and (what := disc_image(os.pread(fd, DISC_END - DISC_START, DISC_START))):
        reason = f"an AppImage (type 1) holding {what}, which this tool cannot open"
    else:
        reason = "an AppImage whose appended image was not found, so what it holds is unknown"
    yield NotInspected(path=shown, reason=reason)


def _scan_archive(stream: BinaryIO, shown: str, limits: Limits) -> Iterator[_Found]:
    for event in walk_archive(stream, path=shown, limits=limits, random_access=True):
        if isinstance(event, Member):
            yield inspect_member(event)
            if event.head.startswith(ELF_MAGIC) and is_appimage(event.head):
                yield NotInspected(
                    path=event.path,
                    reason="an AppImage: the image appended to its ELF runtime (squashfs or "
                    "ISO 9660) is not opened inside archives",
                )
        elif isinstance(event, NotOpened):
            yield NotInspected(path=event.path, reason=event.reason)
        else:
            yield event


def inspect_member(member: Member) -> BinaryInfo:
    """What one file met inside an archive is: an ELF read by its headers, or why not."""
    if member.error is not None:
        return BinaryInfo(
            path=member.path, kind="error", aarch64=False, size=member.size, reason=member.error
        )
    if member.note is not None or member.stream is None:
        return _not_read(member.path, member.note or "not read", size=member.size)
    return _inspect_stream(member.stream, member.head, path=member.path, size=member.size)


def _inspect_stream(stream: BinaryIO, head: bytes, *, path: str, size: int) -> BinaryInfo:
    if head[: len(ELF_MAGIC)] != ELF_MAGIC:
        return _not_elf(path, size)
    return inspect_elf(stream, path=path, size=size)


def _not_elf(path: str, size: int) -> BinaryInfo:
    return BinaryInfo(path=path, kind="not-elf", aarch64=False, size=size, reason="no ELF magic")


def _not_read(path: str, note: str, *, size: int | None = None) -> BinaryInfo:
    return BinaryInfo(path=path, kind="not-elf", aarch64=False, size=size, reason=note)


def _unreadable(path: str, exc: OSError) -> BinaryInfo:
    return BinaryInfo(path=path, kind="error", aarch64=False, reason=f"could not read: {_why(exc)}")


def _link_target(path: str) -> str | None:
    try:
        return os.fspath(Path(path).readlink())
    except OSError:
        return None


def _why(exc: OSError) -> str:
    return exc.strerror or printable(str(exc))
