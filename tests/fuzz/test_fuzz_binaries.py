"""Fuzz harness for the binaries readers: inspect_elf, the archive walker, safe_extract, read_images.

Any bytes, mutated real headers and archives, and hostile structures built on purpose go in;
a result or our own error comes out, never another exception; nothing is written outside the
destination; every call ends within TIME_BOUND. ELF verdicts are also checked against a
reference written here with ``struct`` (independent of validator.elf and pyelftools).

    pytest tests/fuzz                             # the default profile: a few seconds
    pytest tests/fuzz --hypothesis-profile=fuzz   # 3000 examples per test
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import struct
import tarfile
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import zstandard
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_archives import (
    ar_bytes,
    cpio_bytes,
    docker_save,
    gnu_sparse_tar,
    oci_image,
    tar_bytes,
    zip_bytes,
)

from validator.archives import HEAD_BYTES, Limits, Member, NotOpened, Problem, safe_extract
from validator.binaries import inspect_member, scan_binaries
from validator.elf import MAX_INTERP, MAX_PHNUM, inspect_elf
from validator.errors import ArchiveError
from validator.evidence import BinaryInfo, ImageInfo
from validator.images import read_images, walk_archive

BINARIES = Path(__file__).resolve().parents[2] / "fixtures" / "binaries"
ARCHIVES = Path(__file__).resolve().parents[2] / "fixtures" / "archives"
ARM = (BINARIES / "hello-aarch64").read_bytes()
X86 = (BINARIES / "hello-x86_64").read_bytes()
TIME_BOUND = 10.0  # seconds for one call on a few KiB of input: far above normal, below a hang
FUZZ = settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    deadline=None,
)


@contextlib.contextmanager
def bounded(what: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < TIME_BOUND, f"{what} took {elapsed:.1f} s"


# --- ELF: streams and invariants --------------------------------------------------------------


class Counting(io.RawIOBase):
    """``data`` followed by zeros up to ``size`` (a sparse file), counting the bytes served."""

    def __init__(self, data: bytes, size: int, *, seekable: bool) -> None:
        self._data = data
        self._size = size
        self._seekable = seekable
        self._pos = 0
        self.served = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        self._pos = offset if whence == os.SEEK_SET else self._pos + offset
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = max(0, min(len(buffer), self._size - self._pos))
        chunk = self._data[self._pos : self._pos + n].ljust(n, b"\0")
        buffer[:n] = chunk
        self._pos += n
        self.served += n
        return n


def inspect(data: bytes, *, size: int | None = None, seekable: bool = True) -> BinaryInfo:
    size = len(data) if size is None else size
    stream = Counting(data, min(size, len(data)), seekable=seekable)
    with bounded("inspect_elf"):
        info = inspect_elf(stream, path="f", size=size)  # type: ignore[arg-type]
    check_info(info, "f")
    return info


def check_info(info: BinaryInfo, path: str) -> None:
    assert isinstance(info, BinaryInfo)
    assert info.path == path
    assert info.kind in ("elf", "not-elf", "error")
    if info.aarch64:
        assert (info.kind, info.elf_class, info.endian, info.machine) == (
            "elf",
            64,
            "little",
            "EM_AARCH64",
        )
        assert info.reason is None
    else:
        assert info.reason, "every file that does not pass says why"
        assert "\n" not in info.reason and "\r" not in info.reason


# --- ELF: a reference judgement, with struct only -----------------------------------------------

LOADER_NAMES = {"ld-linux-aarch64.so.1", "ld-musl-aarch64.so.1", "linker64"}


def reference_loader(raw: bytes) -> bool:
    path = raw.decode("utf-8", "backslashreplace")
    return (
        path.isprintable()
        and path.startswith("/")
        and ".." not in path.split("/")
        and path.rsplit("/", 1)[-1] in LOADER_NAMES
    )


def reference_aarch64(data: bytes, size: int | None = None) -> bool:
    """What the design asks, read with struct from ``data``, told the file has ``size`` bytes.

    A byte the judgement needs beyond ``data`` cannot be read: the answer is then False; so
    is a stream that ends inside the first HEAD_BYTES it says it has (a truncated stream).
    """
    size = len(data) if size is None else size
    if len(data) < min(size, HEAD_BYTES):
        return False

    def get(fmt: str, offset: int) -> tuple[Any, ...] | None:
        if offset + struct.calcsize(fmt) > len(data):
            return None
        return struct.unpack_from(fmt, data, offset)

    ident = get("<4sBB", 0)
    if size < 64 or ident is None or ident != (b"\x7fELF", 2, 1):
        return False
    header = get("<HHIQQQIHHHHHH", 16)
    if header is None:
        return False
    (e_type, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _) = header
    if machine != 183 or phnum == 0xFFFF or phnum > MAX_PHNUM:
        return False
    if e_type in (2, 3) and phnum == 0:
        return False
    if phnum and (phentsize != 56 or phoff >= size or phoff + phnum * 56 > size):
        return False
    for number in range(phnum):
        entry = get("<IIQQQQQQ", phoff + number * 56)
        if entry is None:
            return False
        kind, _, offset, _, _, filesz, _, _ = entry
        if filesz and offset + filesz > size:
            return False
        if kind == 3 and filesz:
            if filesz > MAX_INTERP or offset + filesz > len(data):
                return False
            raw = data[offset : offset + filesz]
            if raw[-1] != 0:
                return False
            path = raw[: raw.index(0)]
            if path and not reference_loader(path):
                return False
    if shoff:
        if shentsize != 64 or shoff >= size:
            return False
        count = shnum
        if count == 0 and shoff + 64 <= size:
            field = get("<Q", shoff + 32)
            if field is None:
                return False
            count = field[0]
        if shoff + max(count, 1) * 64 > size:
            return False
    return True


# --- ELF: structured files with hostile fields ----------------------------------------------------

PT_LOAD, PT_INTERP, PT_NOTE, PT_PHDR, PT_GNU_STACK = 1, 3, 4, 6, 0x6474E551
INTERPRETERS = [
    b"/lib/ld-linux-aarch64.so.1\0",
    b"/lib/ld-musl-aarch64.so.1\0",
    b"/system/bin/linker64\0",
    b"/lib64/ld-linux-x86-64.so.2\0",
    b"ld-linux-aarch64.so.1\0",
    b"/x/../lib/ld-linux-aarch64.so.1\0",
    b"/lib/ld-linux-aarch64.so.1",  # no NUL
    b"\0",
    b"/lib/ld-linux\n-aarch64.so.1\0",
    b"\xff\xfe/ld-linux-aarch64.so.1\0",
]
U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Built:
    """A generated ELF image; ``size`` is what the reader is told (may differ from the bytes)."""

    data: bytes
    size: int


FAULTS = (
    "class",
    "data",
    "machine",
    "type",
    "interp offset",
    "interp size",
    "segment",
    "phnum",
    "phoff",
    "phentsize",
    "shnum",
    "shoff",
    "shentsize",
    "bytes",
    "cut",
    "declared size",
)


@st.composite
def elf_files(draw: st.DrawFn) -> Built:
    """ELF images laid out as a linker would, then given a few hostile fields, overlaps, cuts.

    About half the images get no fault at all, so the reference sees both answers often.
    """
    faults = draw(st.just(frozenset()) | st.frozensets(st.sampled_from(FAULTS), max_size=3))

    def pick(fault: str, good: Any, bad: st.SearchStrategy[Any]) -> Any:
        return draw(bad) if fault in faults else good

    elf_class = pick("class", 2, st.sampled_from([1, 0, 3, 255]))
    data_enc = pick("data", 1, st.sampled_from([2, 0, 9]))
    order = ">" if data_enc == 2 else "<"
    e_type = (
        draw(st.sampled_from([2, 3, 3, 1]))
        if "type" not in faults
        else draw(st.sampled_from([4, 0, 0xFE00, 0xFFFF]))
    )
    machine = pick("machine", 183, st.sampled_from([62, 40, 243, 0, 0xFFFF]))
    interps = (
        draw(st.lists(st.sampled_from(INTERPRETERS[:3]), max_size=2))
        if (draw(st.booleans()))
        else draw(st.lists(st.sampled_from(INTERPRETERS), max_size=3))
    )
    kinds = draw(st.lists(st.sampled_from([PT_LOAD, PT_NOTE, PT_PHDR, PT_GNU_STACK]), max_size=5))
    phnum_real = len(interps) + len(kinds)
    if e_type in (2, 3) and phnum_real == 0:
        kinds, phnum_real = [PT_LOAD], phnum_real + 1
    phoff = 64
    strings_at = phoff + phnum_real * 56
    body = bytearray()
    table = bytearray()
    for interp in interps:
        offset = strings_at + len(body)
        body += interp
        offset = pick("interp offset", offset, st.sampled_from([0, phoff, offset + 4096, U64]))
        filesz = pick("interp size", len(interp), st.sampled_from([0, 1, MAX_INTERP + 1, U64]))
        table += struct.pack(order + "IIQQQQQQ", PT_INTERP, 4, offset, 0, 0, filesz, filesz, 1)
    end_of_strings = strings_at + len(body)
    for kind in kinds:
        where = draw(st.sampled_from(["all", "table", "zero"]))
        if "segment" in faults:
            where = draw(st.sampled_from(["past", "huge", "random", "all"]))
        offset, filesz = {
            "all": (0, end_of_strings),
            "table": (phoff, phnum_real * 56),  # the table describing itself (PT_PHDR)
            "zero": (0, 0),
            "past": (end_of_strings, 4096),
            "huge": (U64 - 8, 16),  # offset + size overflows 64 bits
            "random": (draw(st.integers(0, 1 << 20)), draw(st.integers(0, 1 << 20))),
        }[where]
        table += struct.pack(order + "IIQQQQQQ", kind, 5, offset, 0, 0, filesz, filesz, 8)
    image = bytearray(64) + table + body
    shoff = len(image)
    shnum = pick("shnum", draw(st.sampled_from([0, 3])), st.sampled_from([1, 0xFF00, 0]))
    sh0_size = 0
    if shnum == 0 and "shnum" in faults:
        sh0_size = draw(st.sampled_from([3, 1 << 40]))  # extended numbering: count in section 0
    sections = max(shnum, 1) if shnum or sh0_size else 0
    if shnum == 0xFF00:
        sections = 3  # the count claims far more than the file holds
    image += bytearray(64 * sections)
    if sh0_size:
        struct.pack_into(order + "Q", image, shoff + 32, sh0_size)
    if not sections:
        shoff = 0
    phnum = pick("phnum", phnum_real, st.sampled_from([0, phnum_real + 1, MAX_PHNUM + 1, 0xFFFF]))
    phoff = pick("phoff", phoff, st.sampled_from([0, 1, len(image) - 1, len(image), U64]))
    phentsize = pick("phentsize", 56, st.sampled_from([0, 32, 64]))
    shoff = pick("shoff", shoff, st.sampled_from([len(image) - 1, len(image) + 64, U64 - 63]))
    shentsize = pick("shentsize", 64, st.sampled_from([0, 40]))
    ident = b"\x7fELF" + bytes([elf_class, data_enc, 1]) + bytes(9)
    struct.pack_into(
        order + "16sHHIQQQIHHHHHH",
        image,
        0,
        ident,
        e_type,
        machine,
        1,
        0x680,
        phoff,
        shoff,
        0,
        64,
        phentsize,
        phnum,
        shentsize,
        shnum,
        0,
    )
    if "bytes" in faults:
        changes = st.tuples(st.integers(0, len(image) - 1), st.integers(0, 255))
        for offset, value in draw(st.lists(changes, min_size=1, max_size=4)):
            image[offset] = value
    data = bytes(image[: pick("cut", len(image), st.integers(0, len(image)))])
    size = pick("declared size", len(data), st.sampled_from([len(data) + 1, len(data) + (1 << 40)]))
    return Built(data=data, size=size)


@FUZZ
@given(elf_files())
def test_structured_elf_agrees_with_the_reference(built: Built) -> None:
    info = inspect(built.data, size=built.size)
    assert info.aarch64 == reference_aarch64(built.data, built.size), info.reason
    # A stream that cannot seek may fail where a file would not, but never passes more.
    streamed = inspect(built.data, size=built.size, seekable=False)
    assert not streamed.aarch64 or info.aarch64


@FUZZ
@given(
    st.sampled_from([b"", b"\x02", b"\x02\x01", b"\x02\x01\x01" + bytes(9)]),
    st.binary(max_size=4096),
)
def test_random_bytes_after_the_elf_magic(ident: bytes, rest: bytes) -> None:
    data = b"\x7fELF" + ident + rest
    info = inspect(data)
    assert info.kind in ("elf", "error")
    assert info.aarch64 == reference_aarch64(data)
    inspect(data, seekable=False)


@FUZZ
@given(elf_files(), st.sampled_from([1 << 30, 1 << 40, 1 << 62]))
def test_reads_stay_bounded_whatever_the_declared_size(built: Built, size: int) -> None:
    """Judging a file reads its headers only, even when told it is 1 TiB or more."""
    stream = Counting(built.data, size, seekable=True)
    with bounded("inspect_elf"):
        info = inspect_elf(stream, path="f", size=size)  # type: ignore[arg-type]
    check_info(info, "f")
    assert stream.served <= HEAD_BYTES + MAX_PHNUM * 56 + 4 * MAX_INTERP + 8


# --- archives: builders of hostile structures ---------------------------------------------------

NAMES = st.sampled_from(
    [
        "bin/tool",
        "bin/tool",  # a duplicate of the line above
        "./bin/tool",
        "bin//tool",
        "lib/libapp.so",
        "lib",
        "lib/passwd",  # behind a link named lib
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "C:/Windows/evil",
        "..\\evil",
        "evil\nname\x1b[31m",
        "ümlaut/ファイル",
        "x" * 300,
        "/".join(["d"] * 200) + "/deep",
        "",
        ".",
        "./",
        "dir/",
    ]
) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12
)
SAFE_NAMES = (
    st.lists(
        st.sampled_from(["bin", "lib", "share", "a", "b"])
        | st.text("abcxyz_-.", min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    )
    .map("/".join)
    .filter(lambda name: ".." not in name.split("/"))
)
PAYLOADS = st.sampled_from(
    [b"", b"x", ARM[:HEAD_BYTES], X86[:HEAD_BYTES], b"\x7fELF" + bytes(60), b"PK\x03\x04junk"]
) | st.binary(max_size=512)
TAR_TYPES = [
    tarfile.REGTYPE,
    tarfile.REGTYPE,
    tarfile.REGTYPE,
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
    tarfile.CHRTYPE,
    tarfile.BLKTYPE,
    tarfile.FIFOTYPE,
    tarfile.CONTTYPE,
]
LINK_TARGETS = st.sampled_from(["/etc", "../../outside", "bin/tool", "lib", "/", "nowhere"])
ZIP_MODES = [
    stat.S_IFREG | 0o644,
    stat.S_IFREG | 0o755,
    stat.S_IFREG | 0o4755,  # setuid
    stat.S_IFDIR | 0o755,
    stat.S_IFLNK | 0o777,
    stat.S_IFCHR | 0o600,
    stat.S_IFBLK | 0o600,
    stat.S_IFIFO | 0o600,
    stat.S_IFSOCK | 0o600,
    0,
]


@dataclass(frozen=True)
class Spec:
    """One member as drawn: enough to know what a safe extraction must refuse."""

    name: str
    kind: str  # "file", "dir", "link", "special"
    data: bytes


def nested(draw: st.DrawFn) -> bytes:
    inner = draw(st.sampled_from(["zip", "tar", "tgz"]))
    files = {"bin/tool": ARM[:HEAD_BYTES], "x": b"x"}
    if inner == "zip":
        return zip_bytes(files)
    return tar_bytes(files, compression="gz" if inner == "tgz" else "")


@st.composite
def hostile_tars(draw: st.DrawFn) -> tuple[bytes, list[Spec]]:
    buffer = io.BytesIO()
    specs = []
    fmt = draw(st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]))
    mode: Literal["w:", "w:gz", "w:bz2", "w:xz"] = draw(
        st.sampled_from(["w:", "w:", "w:gz", "w:bz2", "w:xz"])
    )
    hostile = draw(st.booleans())  # or only regular files and folders with plain names
    names = draw(
        st.lists(NAMES if hostile else SAFE_NAMES, min_size=1, max_size=8, unique=not hostile)
    )
    types = TAR_TYPES if hostile else [tarfile.REGTYPE, tarfile.REGTYPE, tarfile.DIRTYPE]
    with tarfile.open(fileobj=buffer, mode=mode, format=fmt) as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.type = draw(st.sampled_from(types))
            info.mode = draw(st.sampled_from([0o644, 0o755, 0o4755, 0o7777]))
            data = b""
            if info.type in (tarfile.REGTYPE, tarfile.CONTTYPE):
                data = nested(draw) if draw(st.integers(0, 5)) == 0 else draw(PAYLOADS)
                info.size = len(data)
                kind = "file"
            elif info.type == tarfile.DIRTYPE:
                kind = "dir"
            elif info.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname, kind = draw(LINK_TARGETS), "link"
            else:
                kind = "special"
            try:
                archive.addfile(info, io.BytesIO(data) if data else None)
            except (ValueError, UnicodeError):  # a name this tar format cannot hold
                continue
            specs.append(Spec(name=info.name, kind=kind, data=data))
    assume(specs)
    return buffer.getvalue(), specs


@st.composite
def hostile_zips(draw: st.DrawFn) -> tuple[bytes, list[Spec]]:
    buffer = io.BytesIO()
    specs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names drawn here
        hostile = draw(st.booleans())  # or only regular files and folders with plain names
        names = draw(
            st.lists(NAMES if hostile else SAFE_NAMES, min_size=1, max_size=8, unique=not hostile)
        )
        modes = ZIP_MODES if hostile else [stat.S_IFREG | 0o644, stat.S_IFREG | 0o755, 0]
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in names:
                info = zipfile.ZipInfo(name)
                info.create_system = draw(st.sampled_from([3, 3, 0]))
                mode = draw(st.sampled_from(modes))
                info.external_attr = mode << 16
                info.compress_type = draw(
                    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
                )
                data = nested(draw) if draw(st.integers(0, 5)) == 0 else draw(PAYLOADS)
                archive.writestr(info, data)
                kind = "file"
                if info.filename.endswith("/") or (info.create_system == 3 and stat.S_ISDIR(mode)):
                    kind = "dir"
                elif info.create_system == 3 and stat.S_IFMT(mode) == stat.S_IFLNK:
                    kind = "link"
                elif info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    kind = "special"
                specs.append(Spec(name=info.filename, kind=kind, data=data))
    return buffer.getvalue(), specs


def overlapping_zip(entries: int) -> bytes:
    """Many central-directory entries pointing at one local file (an overlap zip bomb)."""
    single = zip_bytes({"bin/tool": ARM[:HEAD_BYTES] + bytes(256 << 10)}, method=zipfile.ZIP_STORED)
    central = single.index(b"PK\x01\x02")
    end = single.index(b"PK\x05\x06")
    record = single[central:end]
    directory = record * entries
    tail = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), central, 0
    )
    return single[:central] + directory + tail


def nested_zips(depth: int) -> bytes:
    data = tar_bytes({"bin/tool": ARM[:HEAD_BYTES]})
    for level in range(depth):
        data = zip_bytes({f"level{level}.zip": data})
    return data


# name → (builder, what walking must report: a Problem with this text, or None for nothing,
# what safe_extract must say refusing it, or None when extracting it is fine)
BOMBS: dict[str, tuple[Callable[[], bytes], str | None, str | None]] = {
    # Judging a member reads its first bytes only: a zip bomb is never inflated by the walk.
    "zip holding 40 MB of zeros": (
        lambda: zip_bytes({"bin/tool": ARM[:HEAD_BYTES], "zeros": bytes(40 << 20)}),
        None,
        "limit max_ratio",
    ),
    "tar.gz of 40 MB of zeros": (
        lambda: tar_bytes({"zeros": bytes(40 << 20)}, compression="gz"),
        "limit max_ratio",
        "limit max_ratio",
    ),
    "gzip of 40 MB of zeros": (
        lambda: gzip.compress(bytes(40 << 20)),
        "limit max_ratio",
        "not a tar",
    ),
    "zip nesting a 40 MB tar": (
        lambda: zip_bytes({"inner.tar": tar_bytes({"zeros": bytes(40 << 20)})}),
        "limit max_ratio",
        "limit max_ratio",
    ),
    "GNU sparse member declaring 64 GiB": (
        lambda: gnu_sparse_tar("bin/tool", ARM[:HEAD_BYTES], 64 << 30),
        None,
        "limit max_ratio",
    ),
    # Each entry reads the same 4 KiB again: bounded by the member limit, nothing inflated.
    "overlapping zip: 500 entries on one 260 KiB file": (
        lambda: overlapping_zip(500),
        None,
        "appears twice",
    ),
    "zips nested 12 deep": (lambda: nested_zips(12), "limit max_depth", None),
    "tar.gz of 3,000 empty members": (
        lambda: tar_bytes({f"f{i}": b"" for i in range(3000)}, compression="gz"),
        "limit max_members",
        "limit max_members",
    ),
    "tar.zst of 40 MB of zeros": (
        lambda: zstandard.ZstdCompressor().compress(tar_bytes({"zeros": bytes(40 << 20)})),
        "limit max_ratio",
        "limit max_ratio",
    ),
    "cpio of 3,000 empty members": (
        lambda: cpio_bytes({f"f{i}": b"" for i in range(3000)}),
        "limit max_members",
        "not a zip or tar",
    ),
    "ar of 3,000 members": (
        lambda: ar_bytes({f"f{i}": b"" for i in range(3000)}),
        "limit max_members",
        "not a zip or tar",
    ),
}
FLOOD_LIMITS = Limits(max_members=1000)


SAMPLES = [
    zip_bytes(
        {"bin/tool": ARM[:HEAD_BYTES], "a.tar.gz": tar_bytes({"x": X86[:2000]}, compression="gz")}
    ),
    tar_bytes({"bin/tool": ARM[:HEAD_BYTES], "inner.zip": zip_bytes({"y": ARM[:1000]})}),
    tar_bytes({"bin/tool": ARM[:HEAD_BYTES]}, compression="gz"),
    tar_bytes({"bin/tool": ARM[:HEAD_BYTES]}, compression="bz2"),
    tar_bytes({"bin/tool": ARM[:HEAD_BYTES]}, compression="xz"),
    docker_save("arm64", binary=ARM[:2000]),
    oci_image([("linux", "arm64", "v8", ARM[:2000])], attestation=True, nested_index=True),
    gzip.compress(ARM[:HEAD_BYTES]),
    # Made by real tools (fixtures/archives): ar, .deb, cpio, rpm, v7 tar, .lzma, .zst, sfx.
    *(
        (ARCHIVES / name).read_bytes()
        for name in (
            "libhello-x86_64.a",
            "hello-x86_64-zstd.deb",
            "x86-newc.cpio",
            "x86-odc.cpio",
            "x86-bin.cpio",
            "hello-x86_64-xz.rpm",
            "x86-v7.tar",
            "x86.tar.lzma",
            "x86.tar.zst",
            "hello-x86_64-sfx.sh",
            # Scripts carrying a tar (makeself, a stub plus cat) and images not opened.
            "hello-x86_64-makeself-gzip.run",
            "hello-x86_64-makeself-tar.run",
            "hello-x86_64-stub-tgz.sh",
            "closed-x86_64.squashfs",
            "closed-x86_64.cramfs",
            "closed-x86_64.cab",
            "closed-aarch64.AppImage",
        )
    ),
]
# Whole files for the scanner, whose far bytes matter (ISO/UDF descriptors at 32 KiB, an
# AppImage's payload after its ELF end, a dmg trailer).
FILE_SAMPLES = [
    (ARCHIVES / name).read_bytes()
    for name in (
        "closed-x86_64.iso",
        "closed-empty.udf",
        "closed-aarch64.AppImage",
        "hello-x86_64-makeself-xz.run",
        "hello-x86_64-stub-tgz.sh",
    )
]
MAGICS = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b",
    b"\xfd7zXZ\x00",
    b"BZh91AY&SY",
    b"\x28\xb5\x2f\xfd",
    b"!<arch>\n",
    b"070701",
    b"070707",
    b"\xc7\x71",
    b"\xed\xab\xee\xdb",
    b"]\x00\x00\x80\x00",
    b"#!/bin/sh\nPK\x03\x04",
    b"#!/bin/sh\n\x1f\x8b\x08",
    b"#!/bin/sh\nexit 0\nBZh91AY&SY",
    b"#!/bin/sh\n\xfd7zXZ\x00",
    b"hsqs",
    b"\x45\x3d\xcd\x28",
    b"MSCF\x00\x00\x00\x00",
]


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A real archive with bytes changed, ranges dropped or repeated, and maybe cut short."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["set", "set", "drop", "repeat", "insert"]))
        if action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "drop":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


# --- archives: walking --------------------------------------------------------------------------

DEFAULT = Limits()
SMALL = Limits(max_members=40, max_total_bytes=8 << 20, max_depth=3)


def walked(
    data: bytes, *, limits: Limits = DEFAULT, random_access: bool = False
) -> list[BinaryInfo | ImageInfo | Problem | NotOpened]:
    """Walk ``data`` as the scanner does; check every event, and that no temporary file is left."""
    with tempfile.TemporaryDirectory() as spool:
        saved, tempfile.tempdir = tempfile.tempdir, spool
        try:
            with bounded("walk"):
                events = [
                    inspect_member(e) if isinstance(e, Member) else e
                    for e in walk_archive(
                        io.BytesIO(data), path="a", limits=limits, random_access=random_access
                    )
                ]
        finally:
            tempfile.tempdir = saved
        assert os.listdir(spool) == [], "a spooled temporary file was left behind"
    files = [e for e in events if isinstance(e, BinaryInfo)]
    for event in events:
        assert isinstance(event, BinaryInfo | ImageInfo | Problem | NotOpened)
        text = event.message if isinstance(event, Problem) else event.path
        assert "\n" not in text and "\r" not in text
        if isinstance(event, BinaryInfo):
            check_info(event, event.path)
            assert event.path.startswith("a!")
    assert len(files) <= limits.max_members
    problems = [e for e in events if isinstance(e, Problem)]
    assert len(problems) <= len(files) + 1 or len(problems) <= limits.max_members
    return events


@FUZZ
@given(st.sampled_from(MAGICS), st.binary(max_size=2048), st.booleans())
def test_walk_any_bytes_after_an_archive_magic(
    magic: bytes, rest: bytes, random_access: bool
) -> None:
    walked(magic + rest, random_access=random_access)


@FUZZ
@given(mutated(SAMPLES), st.booleans())
def test_walk_mutated_real_archives(data: bytes, random_access: bool) -> None:
    walked(data, random_access=random_access)
    walked(data, limits=SMALL, random_access=random_access)


@FUZZ
@given(mutated(FILE_SAMPLES))
def test_scan_mutated_images_and_installers_on_disk(tmp_path: Path, data: bytes) -> None:
    """The scanner reads bytes past the head here (pread at 32 KiB, after an ELF's end)."""
    target = tmp_path / "upload"
    target.write_bytes(data)
    with bounded("scan_binaries"):
        scan = scan_binaries([target], limits=SMALL)
    assert len(scan.files) + len(scan.not_inspected) + len(scan.problems) >= 1


@FUZZ
@given(hostile_tars() | hostile_zips(), st.booleans())
def test_walk_hostile_structures(archive: tuple[bytes, list[Spec]], random_access: bool) -> None:
    data, specs = archive
    events = walked(data, limits=SMALL, random_access=random_access)
    for event in events:
        if isinstance(event, BinaryInfo) and event.reason and "link" in event.reason:
            assert event.reason.endswith(": not followed")
    links = sum(1 for s in specs if s.kind == "link")
    followed = [e for e in events if isinstance(e, BinaryInfo) and e.reason and "link" in e.reason]
    assert len(followed) <= links


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_and_floods_end_quickly(name: str) -> None:
    build, expected, _ = BOMBS[name]
    data = build()
    assert len(data) < 1 << 20  # small archives, whatever they unpack to
    for random_access in (False, True):
        events = walked(data, limits=FLOOD_LIMITS, random_access=random_access)
        problems = [e.message for e in events if isinstance(e, Problem)]
        if expected is None:
            assert problems == []
        else:
            assert any(expected in message for message in problems), problems


# --- archives: safe extraction ------------------------------------------------------------------


def snapshot(root: Path, *, skip: Path | None = None) -> dict[str, tuple[object, ...]]:
    """Every path under ``root`` (links not followed): type, mode, size and content digest."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        if skip is not None and Path(folder) == skip.parent:
            dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            digest = ""
            if stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            found[str(path.relative_to(root))] = (
                stat.S_IFMT(info.st_mode),
                info.st_mode,
                info.st_size,
                digest,
            )
    return found


def members(data: bytes) -> list[tuple[str, str, bytes]]:
    """(name, kind, bytes) of each member, read back with the standard library alone."""
    found: list[tuple[str, str, bytes]] = []
    with contextlib.suppress(Exception):
        if data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    mode = info.external_attr >> 16 if info.create_system == 3 else 0
                    kind = "file"
                    if info.filename.endswith("/") or stat.S_ISDIR(mode):
                        kind = "dir"
                    elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                        kind = "special"
                    found.append(
                        (info.filename, kind, archive.read(info) if kind == "file" else b"")
                    )
        else:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for entry in archive.getmembers():
                    kind = "file" if entry.isreg() else "dir" if entry.isdir() else "special"
                    extracted = archive.extractfile(entry) if kind == "file" else None
                    found.append((entry.name, kind, extracted.read() if extracted else b""))
    return found


def relative(name: str) -> tuple[str, ...] | None:
    """The path a member must land on below dest; None when it may land nowhere safely."""
    posix = name.replace("\\", "/")
    if "\x00" in name or posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return None
    parts = tuple(p for p in posix.split("/") if p not in ("", "."))
    return None if ".." in parts else parts


def must_refuse(found: list[tuple[str, str, bytes]], planted: bool) -> bool:
    """Whether the design says this archive must be refused as a whole."""
    seen: set[tuple[str, ...]] = set()
    for name, kind, _ in found:
        parts = relative(name)
        if kind == "special" or parts is None or (kind == "file" and not parts):
            return True
        if planted and parts[:1] == ("lib",) and (kind == "file" or len(parts) > 1):
            return True  # dest/lib is a link out of dest: nothing may go through it
        if kind == "file" and parts in seen:
            return True
        seen.add(parts)
    return False


def extract_and_check(work: Path, data: bytes, *, planted: bool, limits: Limits = DEFAULT) -> None:
    """Extract ``data``; check nothing outside dest changed and dest holds exactly what it may."""
    if work.exists():
        shutil.rmtree(work)
    (work / "outside").mkdir(parents=True)
    (work / "outside" / "keep").write_text("keep")
    archive = work / "a"
    archive.write_bytes(data)
    dest = work / "dest"
    dest.mkdir()
    if planted:
        (dest / "lib").symlink_to(work / "outside")
    before, dest_before = snapshot(work, skip=dest), snapshot(dest)
    found = members(data)
    try:
        with bounded("safe_extract"):
            written = safe_extract(archive, dest, limits)
    except ArchiveError as exc:
        message = str(exc)
        assert message.startswith(f"{archive}: ")
        assert "\n" not in message and "\r" not in message
        assert snapshot(dest) == dest_before, "a refused extraction left something behind"
    else:
        assert not must_refuse(found, planted), f"extracted what must be refused: {found}"
        root = dest.resolve()
        for path in written:
            assert root in path.resolve().parents
            info = path.lstat()
            assert stat.S_ISREG(info.st_mode)
            assert not info.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)
        files = {relative(name): content for name, kind, content in found if kind == "file"}
        for path in written:
            assert path.read_bytes() == files[path.relative_to(dest).parts]
        after = snapshot(dest)
        created = {k: v for k, v in after.items() if k not in dest_before}
        assert all(v[0] in (stat.S_IFREG, stat.S_IFDIR) for v in created.values())
    assert snapshot(work, skip=dest) == before, "something outside dest changed"
    shutil.rmtree(work)


@FUZZ
@given(hostile_tars() | hostile_zips(), st.booleans())
def test_safe_extract_hostile_structures(
    tmp_path: Path, archive: tuple[bytes, list[Spec]], planted: bool
) -> None:
    extract_and_check(tmp_path / "case", archive[0], planted=planted)


@FUZZ
@given(mutated(SAMPLES[:5]))
def test_safe_extract_mutated_real_archives(tmp_path: Path, data: bytes) -> None:
    extract_and_check(tmp_path / "case", data, planted=False)


@FUZZ
@given(st.sampled_from(MAGICS), st.binary(max_size=2048))
def test_safe_extract_any_bytes_after_an_archive_magic(
    tmp_path: Path, magic: bytes, rest: bytes
) -> None:
    extract_and_check(tmp_path / "case", magic + rest, planted=False)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_and_floods_are_refused_by_safe_extract(tmp_path: Path, name: str) -> None:
    build, _, refusal = BOMBS[name]
    data = build()
    work = tmp_path / "case"
    if refusal is None:
        extract_and_check(work, data, planted=False, limits=FLOOD_LIMITS)
        return
    (work / "dest").mkdir(parents=True)
    archive = work / "a"
    archive.write_bytes(data)
    with bounded("safe_extract"), pytest.raises(ArchiveError, match=refusal):
        safe_extract(archive, work / "dest", FLOOD_LIMITS)
    assert snapshot(work / "dest") == {}


# --- image documents ----------------------------------------------------------------------------

KEYS = st.sampled_from(
    [
        "Config",
        "Layers",
        "manifests",
        "digest",
        "config",
        "os",
        "architecture",
        "variant",
        "annotations",
        "vnd.docker.reference.type",
        "mediaType",
        "platform",
        "x",
    ]
)
VALUES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(
        [
            "sha256:" + "a" * 64,
            "sha256:ab",
            "sha256:../../etc",
            "blobs/sha256/ab",
            "arm64",
            "linux",
            "attestation-manifest",
            "",
            "x" * 300,
        ]
    )
    | st.text(max_size=20)
)
DOCUMENTS = st.recursive(
    VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
DOC_NAMES = st.sampled_from(
    [
        "manifest.json",
        "index.json",
        "oci-layout",
        "blobs/sha256/ab",
        "blobs/sha256/" + "a" * 64,
        "c.json",
    ]
)


@FUZZ
@given(
    st.dictionaries(
        DOC_NAMES,
        DOCUMENTS.map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=64)
        | st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),  # nesting past the stack
        max_size=6,
    )
)
def test_read_images_any_documents(docs: dict[str, bytes]) -> None:
    with bounded("read_images"):
        images = read_images("img.tar", docs)
    assert isinstance(images, list)
    for image in images:
        assert isinstance(image, ImageInfo)
        assert image.path == "img.tar"
        assert image.reason is not None or image.architecture is not None
        for text in (image.os, image.architecture, image.variant):
            assert text is None or (isinstance(text, str) and len(text) <= 100)
