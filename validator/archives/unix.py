"""Read the archive formats of Unix packages as forward streams: ar, cpio and rpm.

An ar archive holds a .deb's ``data.tar.*``, a static library's objects, an .rlib; cpio (newc,
its crc variant, odc and the old binary format) is the payload of an rpm and of initramfs
images; an rpm is a lead and two headers in front of a compressed cpio payload. Every length
read from a header is bounded before it is used.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from validator.archives.events import Event, Member
from validator.archives.members import not_read, special_kind, tar_name
from validator.archives.streams import (
    Budget,
    Peeked,
    Prefixed,
    Slice,
    printable,
    read_up_to,
    spool,
)

Visit = Callable[[Peeked, str, int], Iterator[Event]]

MAX_NAME = 4096  # PATH_MAX: a longer member name is damage
MAX_AR_NAMES = 16 << 20  # the GNU long-name table of an ar archive
MAX_RPM_HEADER = 256 << 20  # rpm's own limit on the size of one header
_AR_SYMBOL_TABLES = frozenset({"/", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED"})
_CPIO_TRAILER = "TRAILER!!!"
_CPIO_MAGICS = (b"070701", b"070702", b"070707", b"\xc7\x71", b"\x71\xc7")


class Damaged(Exception):
    """A header that cannot be right; the message says where and why."""


def walk_ar(stream: BinaryIO, path: str, budget: Budget, visit: Visit) -> Iterator[Event]:
    """Every member of an ar archive (GNU and BSD long names); symbol tables are skipped."""
    _exactly(stream, 8, path, "the ar magic")
    long_names = b""
    while header := read_up_to(stream, 60):
        if len(header) < 60 or header[58:60] != b"`\n":
            raise Damaged(f"{path}: an ar member header is cut short or has no end marker")
        raw_name = header[:16].rstrip(b" ")
        size = _number(header[48:58], 10, path, "ar member size")
        if raw_name == b"//":
            if size > MAX_AR_NAMES:
                raise Damaged(f"{path}: ar long-name table of {size} bytes")
            long_names = _exactly(stream, size, path, "the ar long-name table")
            _skip_padding(stream, size % 2)
            continue
        if raw_name.startswith(b"#1/"):  # BSD: the name follows the header
            length = _number(raw_name[3:], 10, path, "ar name length")
            if length > min(MAX_NAME, size):
                raise Damaged(f"{path}: ar member name of {length} bytes")
            raw_name = _exactly(stream, length, path, "an ar member name").rstrip(b"\x00")
            data_size = size - length
        else:
            raw_name = _gnu_name(raw_name, long_names, path)
            data_size = size
        name = raw_name.decode("utf-8", "surrogateescape")
        member = f"{path}!{printable(name)}"
        data = Slice(stream, data_size)
        budget.member(member)
        if name not in _AR_SYMBOL_TABLES:
            yield from visit(Peeked(cast(BinaryIO, data)), member, data_size)
        data.drain()
        _skip_padding(stream, size % 2)


def _gnu_name(raw: bytes, long_names: bytes, path: str) -> bytes:
    if raw in (b"/", b"/SYM64/"):
        return raw
    if raw.startswith(b"/") and raw[1:].isdigit():
        offset = int(raw[1:])
        end = long_names.find(b"/\n", offset)
        if offset >= len(long_names) or end < 0:
            raise Damaged(f"{path}: ar long name at {offset} is not in the name table")
        return long_names[offset:end]
    return raw.removesuffix(b"/")


def walk_cpio(stream: BinaryIO, path: str, budget: Budget, visit: Visit) -> Iterator[Event]:
    """Every member of a cpio archive (newc, crc, odc or old binary), and what follows it.

    An initramfs is often cpio archives one after another (the microcode's, then the
    compressed main one): what follows a trailer is walked too, never silently dropped.
    """
    while True:
        mode, size, name_size, align = _cpio_header(stream, path)
        if name_size == 0 or name_size > MAX_NAME:
            raise Damaged(f"{path}: cpio member name of {name_size} bytes")
        raw_name = _exactly(stream, name_size, path, "a cpio member name")
        _skip_padding(stream, _pad(name_size + _CPIO_HEADER[align], align))
        name = tar_name(raw_name.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape"))
        if name == _CPIO_TRAILER:
            rest = _after_padding(stream)
            if not rest:
                return
            stream = cast(BinaryIO, Prefixed(rest, stream))
            if rest.startswith(_CPIO_MAGICS):
                continue  # the next archive of a concatenation
            with spool(stream) as tail:  # its size is known only once it is read
                size = tail.seek(0, os.SEEK_END)
                tail.seek(0)
                yield from visit(Peeked(tail), f"{path}!(after the cpio trailer)", size)
            return
        member = f"{path}!{printable(name)}"
        budget.member(member)
        data = Slice(stream, size)
        if stat.S_ISREG(mode):
            yield from visit(Peeked(cast(BinaryIO, data)), member, size)
        elif not stat.S_ISDIR(mode):
            target = None
            if stat.S_ISLNK(mode) and size <= MAX_NAME:
                target = read_up_to(cast(BinaryIO, data), size).decode("utf-8", "replace")
            yield Member(path=member, size=size, note=not_read(special_kind(mode, target)))
        data.drain()
        _skip_padding(stream, _pad(size, align))


_CPIO_HEADER = {4: 110, 1: 76, 2: 26}  # header size by the format's alignment


def _cpio_header(stream: BinaryIO, path: str) -> tuple[int, int, int, int]:
    """(mode, file size, name size, alignment) of the next cpio header."""
    magic = _exactly(stream, 6, path, "a cpio header")
    if magic in (b"070701", b"070702"):  # newc: 13 fields of 8 hex digits, 4-byte aligned
        fields = _exactly(stream, 104, path, "a cpio header")
        values = [_number(fields[i : i + 8], 16, path, "cpio field") for i in range(0, 104, 8)]
        return values[1], values[6], values[11], 4
    if magic == b"070707":  # odc: octal fields, no alignment
        fields = _exactly(stream, 70, path, "a cpio header")
        mode = _number(fields[12:18], 8, path, "cpio mode")
        return (
            mode,
            _number(fields[59:70], 8, path, "cpio size"),
            _number(fields[53:59], 8, path, "cpio name size"),
            1,
        )
    if magic[:2] in (b"\xc7\x71", b"\x71\xc7"):  # old binary: 16-bit words, 2-byte aligned
        order = "<" if magic[:2] == b"\xc7\x71" else ">"
        words = struct.unpack(f"{order}13H", magic + _exactly(stream, 20, path, "a cpio header"))
        return words[3], (words[11] << 16) | words[12], words[10], 2
    raise Damaged(f"{path}: no cpio header where one should be ({magic!r})")


def _after_padding(stream: BinaryIO) -> bytes:
    """The first bytes after the NULs that pad an archive to its block size; b"" at the end."""
    while chunk := stream.read(512):
        if rest := chunk.lstrip(b"\x00"):
            return rest
    return b""


def rpm_payload(stream: BinaryIO, path: str) -> Peeked:
    """The payload of an rpm (usually compressed cpio), after its lead and headers."""
    _exactly(stream, 96, path, "the rpm lead")
    for which, padded in (("signature", True), ("main", False)):
        intro = _exactly(stream, 16, path, f"the rpm {which} header")
        if intro[:3] != b"\x8e\xad\xe8":
            raise Damaged(f"{path}: the rpm {which} header has no header magic")
        count, data = struct.unpack(">II", intro[8:16])
        length = 16 * count + data
        if length > MAX_RPM_HEADER:
            raise Damaged(f"{path}: the rpm {which} header declares {length} bytes")
        Slice(stream, length).drain()
        if padded:
            _skip_padding(stream, _pad(length + 16, 8))
    return Peeked(stream)


def _pad(length: int, align: int) -> int:
    return -length % align


def _skip_padding(stream: BinaryIO, count: int) -> None:
    if count:
        read_up_to(stream, count)  # the last member's padding may be missing: no harm


def _exactly(stream: BinaryIO, size: int, path: str, what: str) -> bytes:
    data = read_up_to(stream, size)
    if len(data) < size:
        raise Damaged(f"{path}: the data ends inside {what}")
    return data


def _number(field: bytes, base: int, path: str, what: str) -> int:
    digits = field.strip(b" \x00") or b"0"
    try:
        if not digits.isalnum():  # int() would also take signs, underscores and spaces
            raise ValueError(digits)
        return int(digits, base)
    except ValueError:
        raise Damaged(f"{path}: {what} {field!r} is not a number") from None
