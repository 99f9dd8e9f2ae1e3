"""Tell archive and compression formats from their magic bytes, never from a file name."""

from __future__ import annotations

from typing import Literal

Format = Literal["zip", "tar", "ar", "cpio", "rpm", "gzip", "bzip2", "xz", "lzma", "zstd"]
COMPRESSED: tuple[Format, ...] = ("gzip", "bzip2", "xz", "lzma", "zstd")
# A zip can follow a stub (a self-extracting shell script): the stub's first bytes are these.
STUB_STARTS = (b"#!",)
ZIP_LOCAL = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"

# Formats we recognise but cannot open: saying so beats calling them "not ELF".
UNSUPPORTED = {
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\x04\x22\x4d\x18": "LZ4-compressed data",
}
_UNSUPPORTED_MAGICS = tuple(UNSUPPORTED)
_CPIO_MAGICS = (b"070701", b"070702", b"070707", b"\xc7\x71", b"\x71\xc7")
_BLOCK = 512
_FIRST_BYTES = frozenset(b"P\x1f\xfd\x28B!\xed0\xc7\x71\x5d")  # first bytes of the magics


def sniff(head: bytes) -> Format | None:
    """The archive format whose magic bytes start ``head``, or None."""
    if head[:1] and head[0] in _FIRST_BYTES:  # most files are none of these: one set lookup
        fmt = _by_magic(head)
        if fmt is not None:
            return fmt
    # A tar checksum ends in a NUL or a space at byte 155: a cheap gate before summing.
    if head[257:262] == b"ustar" or (head[155:156] in (b" ", b"\x00") and _is_v7_tar(head)):
        return "tar"
    if head.startswith(STUB_STARTS) and ZIP_LOCAL in head:
        return "zip"
    return None


def _by_magic(head: bytes) -> Format | None:
    if head.startswith((ZIP_LOCAL, ZIP_END)):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if (
        head[:3] == b"BZh"
        and head[3:4].isdigit()
        and head[3:4] != b"0"
        and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")
    ):
        return "bzip2"
    if head.startswith(b"!<arch>\n"):
        return "ar"
    if head.startswith(b"\xed\xab\xee\xdb"):
        return "rpm"
    if head.startswith(_CPIO_MAGICS) and _is_cpio(head):
        return "cpio"
    if _is_lzma_alone(head):
        return "lzma"
    return None


def unsupported(head: bytes) -> str | None:
    """What ``head`` is, when it is an archive or compression we cannot open."""
    if not head.startswith(_UNSUPPORTED_MAGICS):  # one C call for the common case
        return None
    return next((what for magic, what in UNSUPPORTED.items() if head.startswith(magic)), None)


def _is_cpio(head: bytes) -> bool:
    """The ASCII formats need hex (newc) or octal (odc) digits after the magic."""
    if head.startswith((b"070701", b"070702")):
        return len(head) >= 110 and _all_in(head[6:110], b"0123456789abcdefABCDEF")
    if head.startswith(b"070707"):
        return len(head) >= 76 and _all_in(head[6:76], b"01234567")
    return len(head) >= 26  # old binary: the two-byte magic, in either byte order


def _is_lzma_alone(head: bytes) -> bool:
    """The legacy ``.lzma`` header: the properties every lzma/xz tool writes (lc=3, lp=0,
    pb=2), a power-of-two dictionary, and an unknown or plausible uncompressed size."""
    if len(head) < 13 or head[0] != 0x5D:
        return False
    dictionary = int.from_bytes(head[1:5], "little")
    size = int.from_bytes(head[5:13], "little")
    power_of_two = dictionary & (dictionary - 1) == 0
    return (
        power_of_two
        and (1 << 12) <= dictionary <= (1 << 30)
        and (size == (1 << 64) - 1 or size < (1 << 42))
    )


def _is_v7_tar(head: bytes) -> bool:
    """A tar header without the ``ustar`` magic (old v7 tar): told by its checksum."""
    if len(head) < _BLOCK or not head[0] or head[257:262] == b"ustar":
        return False
    field = head[148:156].replace(b"\x00", b" ").strip()
    if not field or not _all_in(field, b"01234567"):
        return False
    size = head[124:136].replace(b"\x00", b" ").strip()
    if size and not _all_in(size, b"01234567"):
        return False
    header = head[:_BLOCK]
    unsigned = sum(header[:148]) + 8 * 0x20 + sum(header[156:])
    return int(field, 8) == unsigned


def _all_in(data: bytes, allowed: bytes) -> bool:
    return not data.translate(None, allowed)
