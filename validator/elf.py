"""Tell whether one file is a 64-bit little-endian AArch64 ELF, from its headers alone.

Only the ELF header, the program-header table and the PT_INTERP string are read, never the
whole file. Every offset and count is checked against the file size before pyelftools decodes
anything, so hostile input ends as a ``BinaryInfo`` of kind "error", never as an exception.
Every segment's bytes and the section-header table must lie inside the file too: a binary cut
short (a partial download) loses its end first, and must not pass.
Names, extensions and permissions are never consulted: the bytes decide.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import posixpath
import struct
from typing import Any, BinaryIO

from elftools.elf.structs import ELFStructs

from validator.evidence import BinaryInfo

log = logging.getLogger(__name__)

ELF_MAGIC = b"\x7fELF"
EI_NIDENT = 16
# What is read in one go from the start: headers and PT_INTERP of real programs lie well inside.
HEAD_BYTES = 4096
MAX_PHNUM = 4096  # real programs have about a dozen; more is damage or a core dump
PN_XNUM = 0xFFFF
MAX_INTERP = 4096  # PATH_MAX: the kernel refuses longer interpreter paths
SKIP_CHUNK = 1 << 16

HEADER_SIZE = {32: 52, 64: 64}
PHDR_SIZE = {32: 32, 64: 56}
SHDR_SIZE = {32: 40, 64: 64}
SH_SIZE_AT = {32: 20, 64: 32}  # where sh_size sits in Elf32_Shdr / Elf64_Shdr

# Program interpreters that load AArch64 (LP64, little-endian) programs, by file name: glibc,
# musl and Android's bionic. Any absolute path may hold them (Nix and Guix store paths do).
AARCH64_LOADER_NAMES = frozenset({"ld-linux-aarch64.so.1", "ld-musl-aarch64.so.1", "linker64"})

MACHINE_NAMES = {
    "EM_X86_64": "x86-64",
    "EM_386": "32-bit x86",
    "EM_ARM": "32-bit ARM",
    "EM_RISCV": "RISC-V",
    "EM_PPC64": "64-bit PowerPC",
    "EM_PPC": "32-bit PowerPC",
    "EM_S390": "IBM Z (s390)",
    "EM_MIPS": "MIPS",
    "EM_LOONGARCH": "LoongArch",
    "EM_SPARCV9": "SPARC V9",
    "EM_IA_64": "Itanium",
}
PT_INTERP = 3
SEGMENT_NAMES = {
    1: "PT_LOAD",
    2: "PT_DYNAMIC",
    3: "PT_INTERP",
    4: "PT_NOTE",
    6: "PT_PHDR",
    7: "PT_TLS",
    0x6474E550: "PT_GNU_EH_FRAME",
    0x6474E552: "PT_GNU_RELRO",
    0x6474E553: "PT_GNU_PROPERTY",
}
PT_LOAD = 1
PF_X = 1
# Where p_type, p_offset, p_filesz, p_memsz and p_flags sit in Elf32_Phdr / Elf64_Phdr.
_PHDR_FORMAT = {32: "IIIIIIII", 64: "IIQQQQQQ"}
_PHDR_FIELDS = {32: (0, 1, 4, 5, 6), 64: (0, 2, 5, 6, 1)}
_Segment = tuple[int, int, int, int, int]  # p_type, p_offset, p_filesz, p_memsz, p_flags


class _Damaged(Exception):
    """The file has ELF magic but its headers cannot be trusted; the message says why."""


def inspect_elf(stream: BinaryIO, *, path: str, size: int) -> BinaryInfo:
    """Read the headers at the start of ``stream`` (``size`` bytes long) and describe the file.

    ``stream`` must be at the start of the file; it is read forward and sought only when it
    says it can seek. ``path`` is only copied into the result.
    """
    try:
        window = _Window(stream, size)
        if size < len(ELF_MAGIC) or window.head[: len(ELF_MAGIC)] != ELF_MAGIC:
            return BinaryInfo(
                path=path, kind="not-elf", aarch64=False, size=size, reason="no ELF magic"
            )
        return _read_headers(window, path=path, size=size)
    except _Damaged as exc:
        return BinaryInfo(path=path, kind="error", aarch64=False, size=size, reason=str(exc))


def is_aarch64_loader(interpreter: str) -> bool:
    """True for an absolute, ``..``-free path to a glibc, musl or bionic AArch64 loader."""
    if not interpreter.startswith("/") or ".." in interpreter.split("/"):
        return False
    return posixpath.basename(interpreter) in AARCH64_LOADER_NAMES


def describe_machine(machine: str) -> str:
    """A reader's name for a non-AArch64 machine, e.g. ``x86-64 (EM_X86_64)``."""
    if machine.startswith("EM_"):
        return f"{MACHINE_NAMES.get(machine, machine[3:])} ({machine})"
    return f"unknown machine {machine}"


class _Window:
    """Reads byte ranges of a stream that may only go forward, keeping its first bytes."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = size
        self._pos = 0
        self.head = self._read_exactly(min(max(size, 0), HEAD_BYTES))

    def read(self, offset: int, length: int) -> bytes:
        """Bytes ``offset`` to ``offset + length``; the caller has checked they lie in the file."""
        end = offset + length
        if end <= len(self.head):
            return self.head[offset:end]
        try:
            if offset != self._pos and self._stream.seekable():
                self._stream.seek(offset)
                self._pos = offset
            elif offset < self._pos:
                raise _Damaged(f"cannot go back to byte {offset} in a stream that cannot seek")
            while self._pos < offset:
                skipped = self._stream.read(min(SKIP_CHUNK, offset - self._pos))
                if not skipped:
                    break
                self._pos += len(skipped)
        except _Damaged:
            raise
        except Exception as exc:  # archive streams raise many types (zlib, lzma, tarfile, OSError)
            raise _Damaged(f"could not read byte {offset}: {_one_line(exc)}") from exc
        if self._pos < offset:
            raise self._short()
        return self._read_exactly(length)

    def _read_exactly(self, length: int) -> bytes:
        chunks: list[bytes] = []
        missing = length
        try:
            while missing > 0:
                chunk = self._stream.read(missing)
                if not chunk:
                    break
                chunks.append(chunk)
                missing -= len(chunk)
        except Exception as exc:  # see read(): any decoder error of the underlying archive
            raise _Damaged(f"could not read byte {self._pos}: {_one_line(exc)}") from exc
        data = b"".join(chunks)
        self._pos += len(data)
        if len(data) < length:
            raise self._short()
        return data

    def _short(self) -> _Damaged:
        return _Damaged(f"truncated: the data ends at byte {self._pos} of {self._size} declared")


@functools.lru_cache(maxsize=4)
def _structs(little_endian: bool, elf_class: int) -> ELFStructs:
    structs = ELFStructs(little_endian=little_endian, elfclass=elf_class)
    structs.create_basic_structs()
    return structs


def _decode(parse: Any, data: bytes, what: str) -> Any:
    """Decode ``data`` with a pyelftools struct; whatever it raises becomes damage."""
    try:
        return parse(data)
    except Exception as exc:  # pyelftools raises many types on hostile bytes
        raise _Damaged(
            f"damaged: pyelftools could not decode the {what}: {_one_line(exc)}"
        ) from exc


def _read_headers(window: _Window, *, path: str, size: int) -> BinaryInfo:
    head = window.head
    if size < EI_NIDENT:
        raise _Damaged(
            f"truncated: the ELF identification ends at byte 16 but the file has {size} bytes"
        )
    elf_class = {1: 32, 2: 64}.get(head[4])
    if elf_class is None:
        raise _Damaged(f"damaged: EI_CLASS is {head[4]}, neither 1 (32-bit) nor 2 (64-bit)")
    endian = {1: "little", 2: "big"}.get(head[5])
    if endian is None:
        raise _Damaged(
            f"damaged: EI_DATA is {head[5]}, neither 1 (little-endian) nor 2 (big-endian)"
        )
    header_size = HEADER_SIZE[elf_class]
    if size < header_size:
        raise _Damaged(
            f"truncated: the ELF header ends at byte {header_size} but the file has {size} bytes"
        )
    little = endian == "little"
    header = _decode(_structs(little, elf_class).Elf_Ehdr.parse, head[:header_size], "ELF header")
    machine = _name(header.e_machine)
    elf_type = _name(header.e_type)
    info = BinaryInfo(
        path=path,
        kind="elf",
        aarch64=False,
        elf_class=elf_class,
        endian="little" if little else "big",
        machine=machine,
        type=elf_type,
        size=size,
    )
    try:
        segments = _segments(window, header, little=little, elf_class=elf_class, size=size)
        # An empty PT_INTERP requests no loader: `objcopy --only-keep-debug` leaves one with no
        # bytes in debug-info files, patchelf (auditwheel) one holding just a NUL in libraries.
        found = [
            _interpreter(window, offset, length, size=size)
            for kind, offset, length, _, _ in segments
            if kind == PT_INTERP and length
        ]
        interpreters = [path for path in found if path]
        _check_segments(segments, size)
        if elf_type in ("ET_EXEC", "ET_DYN") and header.e_phnum == 0:
            raise _Damaged(f"damaged: an {elf_type} file without program headers cannot be loaded")
        _check_sections(window, header, little=little, elf_class=elf_class, size=size)
    except _Damaged as exc:
        # What the header said is kept: "a damaged AArch64 file" is worth knowing.
        return dataclasses.replace(info, kind="error", reason=str(exc))
    info = dataclasses.replace(
        info,
        interpreter=interpreters[0] if interpreters else None,
        debug_only=elf_type in ("ET_EXEC", "ET_DYN") and _code_left_out(segments),
    )
    reason = _why_not_aarch64(info, interpreters)
    log.debug("%s: %s %s-bit %s %s: %s", path, machine, elf_class, endian, elf_type, reason)
    if reason is None:
        return dataclasses.replace(info, aarch64=True)
    return dataclasses.replace(info, reason=reason)


def _why_not_aarch64(info: BinaryInfo, interpreters: list[str]) -> str | None:
    if info.machine != "EM_AARCH64":
        return describe_machine(info.machine or "")
    if info.elf_class == 32:
        return "32-bit AArch64 (ILP32)" if info.endian == "little" else "32-bit big-endian AArch64"
    if info.endian == "big":
        return "big-endian AArch64"
    for interpreter in interpreters:
        if not is_aarch64_loader(interpreter):
            return f"interpreter {interpreter} is not an AArch64 loader"
    return None


def _segments(
    window: _Window, header: Any, *, little: bool, elf_class: int, size: int
) -> list[_Segment]:
    """(p_type, p_offset, p_filesz, p_memsz, p_flags) of each program header, once the table
    is in the file."""
    phnum, phentsize, phoff = header.e_phnum, header.e_phentsize, header.e_phoff
    if phnum == 0:
        return []
    if phnum == PN_XNUM:
        raise _Damaged("unsupported: e_phnum is PN_XNUM (extended program-header numbering)")
    if phnum > MAX_PHNUM:
        raise _Damaged(f"damaged: e_phnum is {phnum}, more than {MAX_PHNUM} program headers")
    if phentsize != PHDR_SIZE[elf_class]:
        raise _Damaged(
            f"damaged: e_phentsize is {phentsize}, not {PHDR_SIZE[elf_class]} "
            f"for a {elf_class}-bit ELF"
        )
    if phoff >= size:
        raise _Damaged(
            f"damaged: the program headers start at byte {phoff}, "
            f"past the end of the file ({size} bytes)"
        )
    end = phoff + phnum * phentsize
    if end > size:
        raise _Damaged(
            f"truncated: program headers end at byte {end} but the file has {size} bytes"
        )
    table = window.read(phoff, phnum * phentsize)
    # Three fields of each entry are needed: struct reads them at a fraction of the cost of
    # pyelftools' per-entry decoding, and the table's bounds were checked above.
    fmt = ("<" if little else ">") + _PHDR_FORMAT[elf_class]
    type_at, offset_at, size_at, mem_at, flags_at = _PHDR_FIELDS[elf_class]
    return [
        (entry[type_at], entry[offset_at], entry[size_at], entry[mem_at], entry[flags_at])
        for entry in struct.iter_unpack(fmt, table)
    ]


def _code_left_out(segments: list[_Segment]) -> bool:
    """True when an executable PT_LOAD lacks bytes it loads: the code of a debug-info file.

    ``objcopy --only-keep-debug`` keeps the program headers but turns the code sections into
    NOBITS, so the executable segment holds the headers only (p_filesz < p_memsz). Real
    programs keep their zero-filled memory (.bss) in a segment that is not executable.
    """
    return any(
        kind == PT_LOAD and flags & PF_X and filesz < memsz
        for kind, _, filesz, memsz, flags in segments
    )


def _check_segments(segments: list[_Segment], size: int) -> None:
    """Every segment's bytes must lie inside the file (a cut file loses its end first)."""
    for number, (kind, offset, length, _, _) in enumerate(segments):
        if length and offset + length > size:
            name = SEGMENT_NAMES.get(kind, f"type 0x{kind:x}")
            raise _Damaged(
                f"truncated: segment {number} ({name}) ends at byte {offset + length} "
                f"but the file has {size} bytes"
            )


def _check_sections(
    window: _Window, header: Any, *, little: bool, elf_class: int, size: int
) -> None:
    """The section-header table, when there is one, must lie inside the file.

    It is not read: loaders do not need it. Only with extended numbering (e_shnum 0 and the
    count in section 0's sh_size) is that one field read; a stream that cannot go back to it
    makes the file an error rather than a file described by a count it could not read.
    """
    shoff, shnum, shentsize = header.e_shoff, header.e_shnum, header.e_shentsize
    if shoff == 0:
        return  # no section headers (stripped to the bone, or never written)
    if shentsize != SHDR_SIZE[elf_class]:
        raise _Damaged(
            f"damaged: e_shentsize is {shentsize}, not {SHDR_SIZE[elf_class]} "
            f"for a {elf_class}-bit ELF"
        )
    if shoff >= size:
        raise _Damaged(
            f"damaged: the section headers start at byte {shoff}, "
            f"past the end of the file ({size} bytes)"
        )
    count = shnum
    if count == 0 and shoff + shentsize <= size:
        width = 8 if elf_class == 64 else 4
        raw = window.read(shoff + SH_SIZE_AT[elf_class], width)
        count = int.from_bytes(raw, "little" if little else "big")
    end = shoff + max(count, 1) * shentsize
    if end > size:
        raise _Damaged(
            f"truncated: section headers end at byte {end} but the file has {size} bytes"
        )


def _interpreter(window: _Window, offset: int, length: int, *, size: int) -> str:
    if length > MAX_INTERP:
        raise _Damaged(f"damaged: the PT_INTERP segment is {length} bytes long")
    if offset + length > size:
        raise _Damaged(
            f"truncated: the interpreter path ends at byte {offset + length} "
            f"but the file has {size} bytes"
        )
    raw = window.read(offset, length)
    if raw[-1] != 0:
        raise _Damaged("damaged: the interpreter path is not NUL-terminated")
    return _printable(raw[: raw.index(0)])


def _name(value: Any) -> str:
    """A pyelftools enum value as its name, or ``0x...`` when pyelftools does not know it."""
    return value if isinstance(value, str) else f"0x{int(value):04x}"


def _printable(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
