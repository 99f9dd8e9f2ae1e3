"""Walk every file inside an archive without extracting it, nested archives included.

Formats are recognised by their magic bytes (see ``sniff``). Everything is read as a forward
stream, except a zip, which needs random access: a zip nested in another archive is first
copied to a spooled temporary file. The walker knows nothing of container images: it hands
the small JSON documents at a tar's top level to whoever walks it (``Documents``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, Literal, cast

from validator.archives.events import Documents, Event, Member, NotOpened, Problem
from validator.archives.members import (
    not_read,
    tar_members,
    tar_name,
    tar_special,
    zip_is_dir,
    zip_special,
)
from validator.archives.sniff import (
    COMPRESSED,
    DISC_END,
    DISC_START,
    SCRIPT_WINDOW,
    STUB_STARTS,
    ZIP_END,
    Appended,
    Format,
    after_script,
    disc_image,
    sniff,
    unsupported,
)
from validator.archives.streams import (
    DEFAULT_LIMITS,
    HEAD_BYTES,
    Budget,
    CannotOpen,
    LimitExceeded,
    Limits,
    Metered,
    Peeked,
    decompressed,
    one_line,
    printable,
    read_up_to,
    spool,
)
from validator.archives.unix import rpm_payload, walk_ar, walk_cpio

log = logging.getLogger(__name__)

MAX_DOC_BYTES = 4 << 20  # JSON members kept for reading image configs, each ...
MAX_DOCS_BYTES = 32 << 20  # ... and in total per archive


def walk(
    stream: BinaryIO, *, path: str, limits: Limits = DEFAULT_LIMITS, random_access: bool = False
) -> Iterator[Event]:
    """Every file inside the archive ``stream`` (``path`` names it), nested archives included.

    Yields a ``Member`` per file (directories are skipped), ``Documents`` after each tar, and
    a ``Problem`` for what could not be walked. Nothing is raised for bad input.
    ``random_access`` says ``stream`` is a seekable file on disk.
    """
    budget = Budget(limits, path)
    try:
        if random_access:
            head = read_up_to(stream, HEAD_BYTES)
            appended = self_extracting(stream, head)
            stream.seek(0)
            if appended is None or appended.fmt == "zip":  # zipfile finds a zip after a stub
                fmt: Format | None = appended.fmt if appended else None
                yield from _walk_container(
                    stream, head, path, 1, budget, random_access=True, fmt=fmt
                )
            else:
                yield from _walk_appended(stream, appended, path, 0, budget)
        else:
            peeked = Peeked(stream)
            yield from _walk_container(
                cast(BinaryIO, peeked), peeked.head, path, 1, budget, random_access=False
            )
    except LimitExceeded as exc:
        log.warning("%s", exc)
        yield Problem(message=f"{exc}; the rest of {path} was not inspected")
    except Exception as exc:  # the stdlib readers raise many types on hostile input
        yield Problem(message=f"{path}: could not be read: {one_line(exc)}")


def zip_after_stub(stream: BinaryIO, head: bytes) -> bool:
    """Whether a seekable file that starts like a script ends like a zip (a self-extractor)."""
    if not head.startswith(STUB_STARTS) or sniff(head) is not None:
        return False
    size = stream.seek(0, os.SEEK_END)
    stream.seek(max(0, size - _ZIP_TAIL))
    return ZIP_END in stream.read(_ZIP_TAIL)


_ZIP_TAIL = 22 + 0xFFFF  # the end-of-central-directory record and the longest comment


def self_extracting(stream: BinaryIO, head: bytes) -> Appended | None:
    """The archive a seekable file that starts like a script carries after its text (a
    self-extracting installer), or None for a plain script or any other file."""
    if not head.startswith(STUB_STARTS) or sniff(head) is not None:
        return None
    if zip_after_stub(stream, head):
        return Appended(offset=0, fmt="zip", what="a zip archive")
    stream.seek(0)
    return after_script(read_up_to(stream, SCRIPT_WINDOW))


def _walk_appended(
    stream: BinaryIO, appended: Appended, path: str, depth: int, budget: Budget
) -> Iterator[Event]:
    """The archive after a script's text, read from where it starts (``stream`` stands at the
    script's start), or why it cannot be."""
    if appended.fmt is None:
        yield NotOpened(
            path=path,
            reason=f"a script followed by {appended.what} (at byte {appended.offset}), "
            "which this tool cannot open",
        )
        return
    skipped = len(read_up_to(stream, appended.offset))
    if skipped < appended.offset:  # pragma: no cover - the offset was found in these bytes
        yield Problem(message=f"{path}: ends before its appended {appended.what}")
        return
    payload = Peeked(stream)
    yield from _descend(
        cast(BinaryIO, payload), payload.head, path, depth, budget, fmt=appended.fmt
    )


def _walk_container(
    stream: BinaryIO,
    head: bytes,
    path: str,
    depth: int,
    budget: Budget,
    *,
    random_access: bool,
    fmt: Format | None = None,
) -> Iterator[Event]:
    """Walk one archive of any supported format; damage becomes a Problem, limits propagate."""
    fmt = fmt or sniff(head)
    try:
        if fmt == "zip":
            yield from _walk_zip(stream, path, depth, budget, random_access=random_access)
        elif fmt == "tar":
            yield from _walk_tar(stream, path, depth, budget, random_access=random_access)
        elif fmt == "ar":
            yield from walk_ar(stream, path, budget, _visitor(depth, budget))
        elif fmt == "cpio":
            yield from walk_cpio(stream, path, budget, _visitor(depth, budget))
        elif fmt == "rpm":
            payload = rpm_payload(stream, path)
            if sniff(payload.head) in (*COMPRESSED, "cpio"):
                yield from _walk_container(
                    cast(BinaryIO, payload), payload.head, path, depth, budget, random_access=False
                )
            else:
                yield NotOpened(path=path, reason="an rpm whose payload this tool cannot open")
        elif fmt in COMPRESSED:
            yield from _walk_compressed(fmt, stream, path, depth, budget)
        else:
            yield Problem(message=f"{path}: not an archive this tool can open")
    except LimitExceeded:
        raise
    except CannotOpen as exc:
        yield NotOpened(path=path, reason=str(exc))
    except Exception as exc:  # damaged data: zlib, lzma, tarfile, zipfile, OSError, EOFError...
        log.info("%s: damaged %s: %s", path, fmt, exc)
        yield Problem(message=f"{path}: damaged {fmt} data: {one_line(exc)}")


def _walk_compressed(
    fmt: Format, stream: BinaryIO, path: str, depth: int, budget: Budget
) -> Iterator[Event]:
    """A compressed tar or cpio is walked; anything else is one compressed file."""
    inner = decompressed(fmt, stream, budget, path)
    if sniff(inner.head) in ("tar", "cpio"):
        yield from _walk_container(
            cast(BinaryIO, inner), inner.head, path, depth, budget, random_access=False
        )
        return
    # One compressed file: its size is known only once it is inflated.
    with spool(cast(BinaryIO, inner)) as spooled:
        size = spooled.seek(0, os.SEEK_END)
        spooled.seek(0)
        member = f"{path}!{_decompressed_name(path, fmt)}"
        yield from _visit(Peeked(spooled), member, size, depth, budget)


def _visit(stream: Peeked, path: str, size: int, depth: int, budget: Budget) -> Iterator[Event]:
    """One file inside an archive: descend if it is an archive itself, else hand it out."""
    if sniff(stream.head) is not None:
        yield from _descend(cast(BinaryIO, stream), stream.head, path, depth, budget)
    elif (what := unsupported(stream.head)) is not None:
        yield NotOpened(path=path, reason=f"{what}, which this tool cannot open")
    elif stream.head.startswith(STUB_STARTS) and size > len(STUB_STARTS[0]):
        yield from _visit_script(stream, path, size, depth, budget)
    elif size >= DISC_END and (what := disc_image(stream.peek(DISC_END)[DISC_START:])):
        yield NotOpened(path=path, reason=f"{what}, which this tool cannot open")
    else:  # (the head was maybe read further: the first bytes are enough)
        yield Member(
            path=path, size=size, head=stream.head[:HEAD_BYTES], stream=cast(BinaryIO, stream)
        )


def _visit_script(
    stream: Peeked, path: str, size: int, depth: int, budget: Budget
) -> Iterator[Event]:
    """A file that starts like a script: it may carry an archive after its text."""
    appended = after_script(stream.peek(min(size, SCRIPT_WINDOW)))
    if appended is not None and appended.fmt != "zip":
        yield from _walk_appended(cast(BinaryIO, stream), appended, path, depth, budget)
        return
    if appended is None and size <= len(stream.head):  # all of it was read: a plain script
        yield Member(
            path=path, size=size, head=stream.head[:HEAD_BYTES], stream=cast(BinaryIO, stream)
        )
        return
    # A zip after a stub may start anywhere: only its end says (zipfile reads it from there).
    with spool(cast(BinaryIO, stream)) as spooled:
        if appended is not None or zip_after_stub(spooled, stream.head):
            spooled.seek(0)
            yield from _descend(
                spooled, stream.head, path, depth, budget, random_access=True, fmt="zip"
            )
        else:
            spooled.seek(0)
            yield Member(path=path, size=size, head=stream.head[:HEAD_BYTES], stream=spooled)


def _descend(
    stream: BinaryIO,
    head: bytes,
    path: str,
    depth: int,
    budget: Budget,
    *,
    random_access: bool = False,
    fmt: Format | None = None,
) -> Iterator[Event]:
    """Walk an archive found inside another, unless that nests too deep."""
    if depth >= budget.limits.max_depth:
        yield Problem(
            message=f"{path}: archive nested more than {budget.limits.max_depth} deep; "
            "not opened (limit max_depth)"
        )
        return
    yield from _walk_container(
        stream, head, path, depth + 1, budget, random_access=random_access, fmt=fmt
    )


def _visitor(depth: int, budget: Budget) -> Callable[[Peeked, str, int], Iterator[Event]]:
    def visit(stream: Peeked, path: str, size: int) -> Iterator[Event]:
        return _visit(stream, path, size, depth, budget)

    return visit


def _walk_zip(
    stream: BinaryIO, path: str, depth: int, budget: Budget, *, random_access: bool
) -> Iterator[Event]:
    with contextlib.ExitStack() as stack:
        if not random_access:
            stream = stack.enter_context(spool(stream))
        archive = stack.enter_context(zipfile.ZipFile(stream))
        infos = archive.infolist()
        if len(infos) + budget.members > budget.limits.max_members:
            raise LimitExceeded(
                f"{path}: {len(infos)} members, more than {budget.limits.max_members}; "
                "limit max_members"
            )
        for info in infos:
            member = f"{path}!{printable(info.filename)}"
            budget.member(member)
            if zip_is_dir(info):
                continue
            kind = zip_special(info)
            if kind is not None:
                yield Member(path=member, size=info.file_size, note=not_read(kind))
                continue
            # No refusal on the declared ratio here: judging a file reads its first bytes only,
            # and descending into a nested archive is metered on the real bytes.
            yield from _walk_zip_member(archive, info, member, depth, budget)


def _walk_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, depth: int, budget: Budget
) -> Iterator[Event]:
    if info.flag_bits & 0x1:
        yield Member(path=path, size=info.file_size, error="encrypted: cannot be read")
        return
    try:
        raw = cast(BinaryIO, archive.open(info))
    except Exception as exc:  # unsupported compression, bad local header
        yield Member(path=path, size=info.file_size, error=f"could not read: {one_line(exc)}")
        return
    with raw:
        try:
            stream = Peeked(_metered_member(raw, info, budget, path))
        except LimitExceeded:
            raise
        except Exception as exc:  # bad compressed data
            yield Member(path=path, size=info.file_size, error=f"could not read: {one_line(exc)}")
            return
        yield from _visit(stream, path, info.file_size, depth, budget)


def _metered_member(raw: BinaryIO, info: zipfile.ZipInfo, budget: Budget, path: str) -> BinaryIO:
    if info.compress_type == zipfile.ZIP_STORED:
        return raw  # stored bytes are the file's own bytes: nothing is inflated
    compressed = info.compress_size
    return cast(BinaryIO, Metered(raw, budget=budget, path=path, compressed=lambda: compressed))


def _walk_tar(
    stream: BinaryIO, path: str, depth: int, budget: Budget, *, random_access: bool
) -> Iterator[Event]:
    docs: dict[str, bytes] = {}
    docs_bytes = 0
    top_names: set[str] = set()
    mode: Literal["r:", "r|"] = "r:" if random_access else "r|"
    with tarfile.open(fileobj=stream, mode=mode) as archive:
        for info in tar_members(archive):
            name = tar_name(info.name)
            member = f"{path}!{printable(name)}"
            budget.member(member)
            if "/" not in name:
                top_names.add(name)
            if info.isdir():
                continue
            if not info.isreg():
                yield Member(path=member, size=info.size, note=not_read(tar_special(info)))
                continue
            raw = archive.extractfile(info)
            if raw is None:  # pragma: no cover - isreg() members always have data
                continue
            peeked = Peeked(cast(BinaryIO, raw))
            if _is_doc(name, info.size, peeked.head) and docs_bytes + info.size <= MAX_DOCS_BYTES:
                data = read_up_to(cast(BinaryIO, peeked), MAX_DOC_BYTES)
                docs[name] = data
                docs_bytes += len(data)
                yield Member(
                    path=member, size=info.size, head=data[:HEAD_BYTES], stream=io.BytesIO(data)
                )
                continue
            yield from _visit(peeked, member, info.size, depth, budget)
    yield Documents(path=path, top_names=frozenset(top_names), docs=docs)


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
    suffixes = {
        "gzip": (".gz", ".tgz"),
        "bzip2": (".bz2",),
        "xz": (".xz",),
        "lzma": (".lzma",),
        "zstd": (".zst", ".zstd"),
    }
    for suffix in suffixes.get(fmt, ()):
        if last.endswith(suffix) and len(last) > len(suffix):
            return last[: -len(suffix)]
    return last + ".decompressed"
