"""Tell archive and compression formats from their magic bytes, never from a file name."""

from __future__ import annotations

from typing import Literal

Format = Literal["zip", "tar", "gzip", "bzip2", "xz"]
COMPRESSED: tuple[Format, ...] = ("gzip", "bzip2", "xz")

# Formats we recognise but cannot open: saying so beats calling them "not ELF".
UNSUPPORTED = {
    b"\x28\xb5\x2f\xfd": "zstd-compressed data",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\x04\x22\x4d\x18": "LZ4-compressed data",
}
_UNSUPPORTED_MAGICS = tuple(UNSUPPORTED)


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


def unsupported(head: bytes) -> str | None:
    """What ``head`` is, when it is an archive or compression we cannot open."""
    if not head.startswith(_UNSUPPORTED_MAGICS):  # one C call for the common case
        return None
    return next((what for magic, what in UNSUPPORTED.items() if head.startswith(magic)), None)
