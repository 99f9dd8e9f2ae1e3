"""Tell archive and compression formats from their magic bytes, never from a file name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    b"hsqs": "a squashfs image (a .snap, an AppImage's payload)",
    b"sqsh": "a squashfs image (big-endian)",
    b"\x45\x3d\xcd\x28": "a cramfs image",
    b"\x28\xcd\x3d\x45": "a cramfs image (big-endian)",
    b"MSCF\x00\x00\x00\x00": "a Microsoft cabinet (.cab)",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an OLE compound file (an .msi installer)",
}
_UNSUPPORTED_MAGICS = tuple(UNSUPPORTED)
_CRAMFS_PADDED = 512  # mkcramfs -p leaves the first 512 bytes to a boot loader
# ISO 9660 and UDF volume descriptors: a 5-byte identifier one byte into each 2 KiB sector
# from 16 on (UDF's come after ISO 9660's in a bridge image, every 4 KiB on 4 KiB sectors).
DISC_START = 0x8000
DISC_END = 0xA006
_DISC_AT = (0x1, 0x801, 0x1001, 0x1801, 0x2001)  # from DISC_START
# A self-extracting script's payload is looked for in its first bytes only (makeself's
# header is about 20 KiB of shell).
SCRIPT_WINDOW = 256 << 10
_SCRIPT_CANDIDATES = 16  # tries per magic in one window: hostile text cannot make it slow
_APPIMAGE = (b"AI\x01", b"AI\x02")  # at e_ident[8]: type 1 appends ISO 9660, type 2 squashfs
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
    """What ``head`` is, when it is an archive, image or compression we cannot open."""
    if not head.startswith(_UNSUPPORTED_MAGICS):  # one C call for the common case
        if head[_CRAMFS_PADDED : _CRAMFS_PADDED + 4] in (b"\x45\x3d\xcd\x28", b"\x28\xcd\x3d\x45"):
            return "a cramfs image"
        if _is_compress(head):
            return "Unix compress (.Z) data"
        return None
    return next((what for magic, what in UNSUPPORTED.items() if head.startswith(magic)), None)


def disc_image(sectors: bytes) -> str | None:
    """What a file is when its bytes from ``DISC_START`` to ``DISC_END`` hold the volume
    descriptors of an ISO 9660 or UDF image (neither of which this tool opens)."""
    ids = {sectors[at : at + 5] for at in _DISC_AT}
    if ids & {b"NSR02", b"NSR03"}:
        return "a UDF disc image"
    if b"CD001" in ids:
        return "an ISO 9660 disc image"
    return None


def is_dmg(tail: bytes) -> bool:
    """Whether a file's last 512 bytes are an Apple disk image's ``koly`` trailer."""
    return len(tail) == 512 and tail.startswith(b"koly") and tail[4:8] == b"\x00\x00\x00\x04"


def is_appimage(head: bytes) -> bool:
    """Whether an ELF header carries the AppImage magic (its payload is appended after it)."""
    return head[8:11] in _APPIMAGE


def elf_end(head: bytes) -> int | None:
    """Where an ELF file ends by its own headers (the end of its section header table), or
    None when the header does not say: whatever lies beyond was appended (an AppImage)."""
    if len(head) < 64 or head[4] not in (1, 2) or head[5] not in (1, 2):
        return None
    order: Literal["little", "big"] = "little" if head[5] == 1 else "big"
    if head[4] == 2:
        offset, entry, count = (0x28, 8), 0x3A, 0x3C
    else:
        offset, entry, count = (0x20, 4), 0x2E, 0x30
    shoff = int.from_bytes(head[offset[0] : offset[0] + offset[1]], order)
    shentsize = int.from_bytes(head[entry : entry + 2], order)
    shnum = int.from_bytes(head[count : count + 2], order)
    if shoff == 0 or shnum == 0:
        return None
    return shoff + shentsize * shnum


@dataclass(frozen=True, kw_only=True)
class Appended:
    """An archive found after a script's text: where it starts, and its format when this tool
    opens it (``fmt`` None: ``what`` names a format it cannot open)."""

    offset: int
    fmt: Format | None
    what: str


_PAYLOAD_MAGICS: tuple[tuple[bytes, Format], ...] = (
    (b"\x1f\x8b\x08", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (ZIP_LOCAL, "zip"),
)


def after_script(window: bytes) -> Appended | None:
    """The archive that follows a script's text in ``window`` (a makeself installer, a shar
    with a payload), or None when ``window`` is a plain script.

    Only a magic that starts a valid header counts (a tar needs its checksum); text
    followed by binary data in no known format is named too, as it cannot be read.
    """
    if not window.startswith(STUB_STARTS):
        return None
    found: list[Appended] = []
    for magic, fmt in _PAYLOAD_MAGICS:
        at = _first(window, magic, _starts(window, fmt))
        if at is not None:
            found.append(Appended(offset=at, fmt=fmt, what=f"{fmt} data"))
    at = _first(window, b"ustar", lambda start: _is_tar_at(window, start - 257))
    if at is not None:
        found.append(Appended(offset=at - 257, fmt="tar", what="a tar archive"))
    for magic, what in UNSUPPORTED.items():
        # Some of these magics are letters: a real header holds NUL bytes soon after.
        at = _first(window, magic, lambda start: b"\x00" in window[start : start + 64])
        if at is not None:
            found.append(Appended(offset=at, fmt=None, what=what))
    end = min((a.offset for a in found), default=len(window))
    if (at := window.find(b"\x00", 0, end)) >= 0:  # binary data before any known header
        return Appended(offset=at, fmt=None, what="binary data in no format this tool knows")
    return min(found, key=lambda a: a.offset) if found else None


def _starts(window: bytes, fmt: Format) -> Callable[[int], bool]:
    # A header is binary soon after its magic: a script that names one ("BZh91AY&SY") is text.
    return lambda start: (
        bool(window[start : start + 64].translate(None, _TEXT))
        and sniff(window[start : start + 1024]) == fmt
    )


_TEXT = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _first(window: bytes, magic: bytes, valid: Callable[[int], bool]) -> int | None:
    """The first offset after the ``#!`` where ``magic`` starts and ``valid`` holds."""
    start = len(STUB_STARTS[0])
    for _ in range(_SCRIPT_CANDIDATES):
        at = window.find(magic, start)
        if at < 0:
            return None
        if valid(at):
            return at
        start = at + 1
    return None


def _is_tar_at(window: bytes, start: int) -> bool:
    return start > 0 and _is_v7_tar(window[start : start + _BLOCK], ustar=True)


def _is_compress(head: bytes) -> bool:
    """Unix ``compress`` (.Z): the magic, then flags with 9-16 bits and no reserved bit."""
    return (
        head[:2] == b"\x1f\x9d"
        and len(head) > 2
        and 9 <= head[2] & 0x1F <= 16
        and not head[2] & 0x60
    )


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


def _is_v7_tar(head: bytes, *, ustar: bool = False) -> bool:
    """A tar header without the ``ustar`` magic (old v7 tar): told by its checksum.

    ``ustar=True`` checks a header with the magic the same way (one found inside a script).
    """
    if len(head) < _BLOCK or not head[0] or (head[257:262] == b"ustar") is not ustar:
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
