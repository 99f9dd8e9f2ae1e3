"""ELF judgement against the real fixture binaries and bytes patched from them."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.elf import HEAD_BYTES, inspect_elf, is_aarch64_loader
from validator.evidence import BinaryInfo

BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
LOADER = "/lib/ld-linux-aarch64.so.1"

# file → (kind, aarch64, class, endian, machine, type, interpreter, reason)
EXPECTED = {
    "hello-aarch64": ("elf", True, 64, "little", "EM_AARCH64", "ET_DYN", LOADER, None),
    "hello-aarch64-static": ("elf", True, 64, "little", "EM_AARCH64", "ET_EXEC", None, None),
    "hello-aarch64.o": ("elf", True, 64, "little", "EM_AARCH64", "ET_REL", None, None),
    "hello-aarch64.ko": ("elf", True, 64, "little", "EM_AARCH64", "ET_REL", None, None),
    "libhello-aarch64.so": ("elf", True, 64, "little", "EM_AARCH64", "ET_DYN", None, None),
    "hello-aarch64.debug": ("elf", True, 64, "little", "EM_AARCH64", "ET_DYN", None, None),
    "hello-x86_64": (
        "elf",
        False,
        64,
        "little",
        "EM_X86_64",
        "ET_DYN",
        "/lib64/ld-linux-x86-64.so.2",
        "x86-64 (EM_X86_64)",
    ),
    "hello-armhf": (
        "elf",
        False,
        32,
        "little",
        "EM_ARM",
        "ET_DYN",
        "/lib/ld-linux-armhf.so.3",
        "32-bit ARM (EM_ARM)",
    ),
    "hello-riscv64": (
        "elf",
        False,
        64,
        "little",
        "EM_RISCV",
        "ET_DYN",
        "/lib/ld-linux-riscv64-lp64d.so.1",
        "RISC-V (EM_RISCV)",
    ),
    "hello-aarch64-be": (
        "elf",
        False,
        64,
        "big",
        "EM_AARCH64",
        "ET_DYN",
        LOADER,
        "big-endian AArch64",
    ),
    "hello-aarch64-ilp32": (
        "elf",
        False,
        32,
        "little",
        "EM_AARCH64",
        "ET_DYN",
        "/lib/ld-linux-armhf.so.3",
        "32-bit AArch64 (ILP32)",
    ),
    "hello-x86_64-as-aarch64": (
        "elf",
        False,
        64,
        "little",
        "EM_AARCH64",
        "ET_DYN",
        "/lib64/ld-linux-x86-64.so.2",
        "interpreter /lib64/ld-linux-x86-64.so.2 is not an AArch64 loader",
    ),
    "hello-aarch64-truncated": (
        "error",
        False,
        64,
        "little",
        "EM_AARCH64",
        "ET_DYN",
        None,
        "truncated: program headers end at byte 568 but the file has 196 bytes",
    ),
    "hello-aarch64-phoff-past-end": (
        "error",
        False,
        64,
        "little",
        "EM_AARCH64",
        "ET_DYN",
        None,
        "damaged: the program headers start at byte 71696, past the end of the file (67600 bytes)",
    ),
}


def inspect_bytes(data: bytes, *, size: int | None = None, path: str = "x") -> BinaryInfo:
    return inspect_elf(io.BytesIO(data), path=path, size=len(data) if size is None else size)


def inspect_file(path: Path) -> BinaryInfo:
    with path.open("rb") as stream:
        return inspect_elf(stream, path=path.name, size=path.stat().st_size)


def fixture(name: str) -> bytes:
    return (BINARIES / name).read_bytes()


class ForwardOnly(io.RawIOBase):
    """A stream that cannot seek, like a member of a compressed tar; counts what is read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.bytes_read += len(chunk)
        return len(chunk)


class CountingFile(io.FileIO):
    """A real file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_every_fixture_binary_is_listed() -> None:
    built = {p.name for p in BINARIES.iterdir() if p.name not in ("README.md", ".keep")}
    assert built == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdict(name: str) -> None:
    kind, aarch64, elf_class, endian, machine, elf_type, interpreter, reason = EXPECTED[name]
    info = inspect_file(BINARIES / name)
    assert (info.kind, info.aarch64, info.reason) == (kind, aarch64, reason)
    assert (info.elf_class, info.endian, info.machine, info.type) == (
        elf_class,
        endian,
        machine,
        elf_type,
    )
    assert info.interpreter == interpreter
    assert info.path == name
    assert info.size == (BINARIES / name).stat().st_size


def test_reads_only_the_headers_of_a_large_binary() -> None:
    path = BINARIES / "hello-aarch64-static"
    with CountingFile(path) as stream:
        info = inspect_elf(stream, path="static", size=path.stat().st_size)
    assert info.aarch64
    assert path.stat().st_size > 100 * HEAD_BYTES
    assert stream.bytes_read <= HEAD_BYTES


def test_names_and_permissions_are_not_trusted(tmp_path: Path) -> None:
    disguised = tmp_path / "tool-aarch64-linux-arm64.so"
    disguised.write_bytes(fixture("hello-x86_64"))
    disguised.chmod(0o755)
    assert inspect_file(disguised).reason == "x86-64 (EM_X86_64)"
    manifest = tmp_path / "hello-aarch64"
    manifest.write_text('{"arch": "arm64", "os": "linux", "binary": "hello-aarch64"}\n')
    info = inspect_file(manifest)
    assert (info.kind, info.aarch64, info.reason) == ("not-elf", False, "no ELF magic")


@pytest.mark.parametrize("data", [b"", b"\x7fEL", b"MZ\x90\x00", b"#!/bin/sh\necho hi\n"])
def test_no_magic_is_not_elf(data: bytes) -> None:
    info = inspect_bytes(data)
    assert (info.kind, info.aarch64, info.reason) == ("not-elf", False, "no ELF magic")


def patched(name: str, offset: int, fmt: str, value: int) -> bytes:
    data = bytearray(fixture(name))
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


def interp_offset(data: bytes | bytearray) -> int:
    return data.index(LOADER.encode())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            fixture("hello-aarch64")[:4],
            "truncated: the ELF identification ends at byte 16 but the file has 4 bytes",
        ),
        (
            fixture("hello-aarch64")[:40],
            "truncated: the ELF header ends at byte 64 but the file has 40 bytes",
        ),
        (
            patched("hello-aarch64", 4, "B", 3),
            "damaged: EI_CLASS is 3, neither 1 (32-bit) nor 2 (64-bit)",
        ),
        (
            patched("hello-aarch64", 5, "B", 0),
            "damaged: EI_DATA is 0, neither 1 (little-endian) nor 2 (big-endian)",
        ),
        (
            patched("hello-aarch64", 54, "<H", 64),
            "damaged: e_phentsize is 64, not 56 for a 64-bit ELF",
        ),
        (
            patched("hello-aarch64", 56, "<H", 5000),
            "damaged: e_phnum is 5000, more than 4096 program headers",
        ),
        (
            patched("hello-aarch64", 56, "<H", 0xFFFF),
            "unsupported: e_phnum is PN_XNUM (extended program-header numbering)",
        ),
        (
            patched("hello-aarch64", 56, "<H", 0),
            "damaged: an ET_DYN file without program headers cannot be loaded",
        ),
        (
            patched("hello-aarch64-static", 56, "<H", 0),
            "damaged: an ET_EXEC file without program headers cannot be loaded",
        ),
    ],
    ids=[
        "ident-cut",
        "header-cut",
        "class",
        "data",
        "phentsize",
        "phnum",
        "pn-xnum",
        "dyn-no-phdrs",
        "exec-no-phdrs",
    ],
)
def test_damaged_headers_are_errors_that_say_why(data: bytes, reason: str) -> None:
    info = inspect_bytes(data)
    assert (info.kind, info.aarch64, info.reason) == ("error", False, reason)


def interp_phdr(data: bytes | bytearray) -> int:
    """Offset of hello-aarch64's PT_INTERP program header (the second one)."""
    phoff: int = struct.unpack_from("<Q", data, 32)[0]
    for i in range(struct.unpack_from("<H", data, 56)[0]):
        at = phoff + i * 56
        if struct.unpack_from("<I", data, at)[0] == 3:
            return at
    raise AssertionError("no PT_INTERP")


def test_interpreter_outside_the_file_is_an_error() -> None:
    data = bytearray(fixture("hello-aarch64"))
    struct.pack_into("<Q", data, interp_phdr(data) + 8, len(data) - 10)  # p_offset
    info = inspect_bytes(bytes(data))
    assert info.kind == "error"
    assert info.reason == (
        f"truncated: the interpreter path ends at byte {len(data) + 17} "
        f"but the file has {len(data)} bytes"
    )


def test_interpreter_without_nul_and_oversized_are_errors() -> None:
    data = bytearray(fixture("hello-aarch64"))
    struct.pack_into("<Q", data, interp_phdr(data) + 32, 26)  # p_filesz drops the NUL
    assert (
        inspect_bytes(bytes(data)).reason == "damaged: the interpreter path is not NUL-terminated"
    )
    struct.pack_into("<Q", data, interp_phdr(data) + 32, 1 << 40)
    assert inspect_bytes(bytes(data)).reason == (
        "damaged: the PT_INTERP segment is 1099511627776 bytes long"
    )


def first_segment_past(data: bytes, size: int, order: str = "<") -> tuple[int, str, int]:
    """(number, name, end) of the first segment whose bytes reach past ``size`` (64-bit)."""
    phoff = struct.unpack_from(order + "Q", data, 32)[0]
    phnum = struct.unpack_from(order + "H", data, 56)[0]
    names = {1: "PT_LOAD", 2: "PT_DYNAMIC", 4: "PT_NOTE", 0x6474E550: "PT_GNU_EH_FRAME"}
    for number in range(phnum):
        kind, _, offset, _, _, filesz, _, _ = struct.unpack_from(
            order + "IIQQQQQQ", data, phoff + number * 56
        )
        if filesz and offset + filesz > size:
            return number, names.get(kind, f"type 0x{kind:x}"), offset + filesz
    raise AssertionError("every segment fits")


@pytest.mark.parametrize(
    ("name", "cut", "order"),
    [("hello-aarch64-be", 40_000, ">"), ("hello-aarch64-static", 300_000, "<")],
)
def test_a_binary_cut_short_is_truncated_by_its_segments(name: str, cut: int, order: str) -> None:
    """A partial download keeps its headers; the segments' file ranges give it away."""
    data = fixture(name)
    number, segment, end = first_segment_past(data, cut, order)
    info = inspect_bytes(data[:cut])
    assert (info.kind, info.aarch64, info.machine) == ("error", False, "EM_AARCH64")
    assert info.reason == (
        f"truncated: segment {number} ({segment}) ends at byte {end} but the file has {cut} bytes"
    )


@pytest.mark.parametrize(
    ("name", "table_at", "entry"),
    [("hello-aarch64", 40, 64), ("hello-aarch64.o", 40, 64), ("hello-armhf", 32, 40)],
)
def test_a_binary_missing_its_last_bytes_is_truncated_by_its_section_headers(
    name: str, table_at: int, entry: int
) -> None:
    data = fixture(name)
    fmt = "<Q" if table_at == 40 else "<I"
    shoff = struct.unpack_from(fmt, data, table_at)[0]
    shnum = struct.unpack_from("<H", data, table_at + (20 if table_at == 40 else 16))[0]
    assert shoff + shnum * entry == len(data)  # the table is the last thing in these files
    info = inspect_bytes(data[:-1])
    assert (info.kind, info.aarch64) == ("error", False)
    assert info.reason == (
        f"truncated: section headers end at byte {len(data)} but the file has {len(data) - 1} bytes"
    )


E_SHOFF, E_SHENTSIZE, E_SHNUM = 40, 58, 60  # in Elf64_Ehdr


def section_zero_size(data: bytearray, value: int) -> None:
    """Set sh_size of section 0, where extended numbering keeps the real count."""
    struct.pack_into("<Q", data, struct.unpack_from("<Q", data, E_SHOFF)[0] + 32, value)


def test_section_header_table_must_lie_inside_the_file() -> None:
    data = fixture("hello-aarch64")
    shoff = struct.unpack_from("<Q", data, E_SHOFF)[0]
    cases = {
        (E_SHENTSIZE, "<H", 40): "damaged: e_shentsize is 40, not 64 for a 64-bit ELF",
        (E_SHOFF, "<Q", len(data) + 100): (
            f"damaged: the section headers start at byte {len(data) + 100}, "
            f"past the end of the file ({len(data)} bytes)"
        ),
        (E_SHOFF, "<Q", (1 << 64) - 1): (
            f"damaged: the section headers start at byte {(1 << 64) - 1}, "
            f"past the end of the file ({len(data)} bytes)"
        ),
        (E_SHNUM, "<H", 0xFF00): (
            f"truncated: section headers end at byte {shoff + 0xFF00 * 64} "
            f"but the file has {len(data)} bytes"
        ),
    }
    for (offset, fmt, value), reason in cases.items():
        info = inspect_bytes(patched("hello-aarch64", offset, fmt, value))
        assert (info.kind, info.aarch64, info.reason) == ("error", False, reason)


def test_no_section_headers_or_extended_numbering_pass() -> None:
    stripped = bytearray(fixture("hello-aarch64"))
    struct.pack_into("<Q", stripped, E_SHOFF, 0)
    struct.pack_into("<HH", stripped, E_SHNUM, 0, 0)  # e_shnum, e_shstrndx
    assert inspect_bytes(bytes(stripped)).aarch64  # like sstrip: loaders need no sections

    extended = bytearray(fixture("hello-aarch64"))
    count = struct.unpack_from("<H", extended, E_SHNUM)[0]
    struct.pack_into("<H", extended, E_SHNUM, 0)
    section_zero_size(extended, count)
    assert inspect_bytes(bytes(extended)).aarch64
    forward = inspect_elf(ForwardOnly(bytes(extended)), path="x", size=len(extended))  # type: ignore[arg-type]
    assert forward.aarch64

    section_zero_size(extended, 1 << 40)
    shoff = struct.unpack_from("<Q", extended, E_SHOFF)[0]
    assert inspect_bytes(bytes(extended)).reason == (
        f"truncated: section headers end at byte {shoff + (1 << 40) * 64} "
        f"but the file has {len(extended)} bytes"
    )


def test_an_empty_interpreter_requests_no_loader() -> None:
    """Debug-info files keep PT_INTERP without bytes; patchelf'd libraries keep just a NUL."""
    info = inspect_bytes(fixture("hello-aarch64.debug"))
    assert (info.kind, info.aarch64, info.interpreter, info.reason) == ("elf", True, None, None)
    data = bytearray(fixture("hello-aarch64"))
    struct.pack_into("<Q", data, interp_phdr(data) + 32, 1)  # p_filesz: the first byte only
    data[interp_offset(data)] = 0
    info = inspect_bytes(bytes(data))
    assert (info.kind, info.aarch64, info.interpreter, info.reason) == ("elf", True, None, None)
    data[interp_offset(bytes(fixture("hello-aarch64")))] = ord("/")  # one byte, not a NUL
    assert (
        inspect_bytes(bytes(data)).reason == "damaged: the interpreter path is not NUL-terminated"
    )


@pytest.mark.parametrize(
    "loader", ["/lib/ld-musl-aarch64.so.1", "/system/bin/linker64", "/usr/lib/linker64"]
)
def test_other_aarch64_loaders_pass(loader: str) -> None:
    assert len(loader) < 27  # it must fit where /lib/ld-linux-aarch64.so.1 and its NUL were
    data = bytearray(fixture("hello-aarch64"))
    at = interp_offset(data)
    data[at : at + 27] = loader.encode().ljust(27, b"\0")
    info = inspect_bytes(bytes(data))
    assert (info.aarch64, info.interpreter, info.reason) == (True, loader, None)


def test_foreign_loader_in_aarch64_binary_fails_with_escaped_name() -> None:
    data = bytearray(fixture("hello-aarch64"))
    at = interp_offset(data)
    data[at : at + 27] = b"/lib/ld-linux\n-x86.so\x1b[0m".ljust(27, b"\0")
    info = inspect_bytes(bytes(data))
    assert info.kind == "elf"
    assert not info.aarch64
    assert info.reason == "interpreter /lib/ld-linux\\x0a-x86.so\\x1b[0m is not an AArch64 loader"


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/lib/ld-linux-aarch64.so.1", True),
        ("/lib64/ld-linux-aarch64.so.1", True),
        ("/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", True),
        ("/nix/store/8a0c3cd6-glibc-2.39/lib/ld-linux-aarch64.so.1", True),
        ("/lib/ld-musl-aarch64.so.1", True),
        ("/system/bin/linker64", True),
        ("/apex/com.android.runtime/bin/linker64", True),
        ("/lib64/ld-linux-x86-64.so.2", False),
        ("/lib/ld-linux-aarch64_be.so.1", False),
        ("/lib/ld-linux-aarch64_ilp32.so.1", False),
        ("/lib/ld-linux-armhf.so.3", False),
        ("ld-linux-aarch64.so.1", False),
        ("/tmp/../lib/ld-linux-aarch64.so.1", False),
        ("", False),
    ],
)
def test_aarch64_loaders(path: str, ok: bool) -> None:
    assert is_aarch64_loader(path) is ok


def moved_phdrs(name: str) -> bytes:
    """The binary with its program-header table copied to the end and e_phoff pointing there."""
    data = bytearray(fixture(name))
    phoff = struct.unpack_from("<Q", data, 32)[0]
    table = bytes(data[phoff : phoff + 56 * struct.unpack_from("<H", data, 56)[0]])
    struct.pack_into("<Q", data, 32, len(data))
    return bytes(data) + table


def test_headers_far_from_the_start_are_read_from_seekable_and_forward_streams() -> None:
    data = moved_phdrs("hello-aarch64")
    assert len(data) - 1000 > HEAD_BYTES
    seekable = inspect_bytes(data)
    forward = ForwardOnly(data)
    streamed = inspect_elf(forward, path="x", size=len(data))  # type: ignore[arg-type]
    assert seekable == streamed
    assert (streamed.aarch64, streamed.interpreter) == (True, LOADER)


def test_forward_only_stream_reads_only_the_start() -> None:
    data = fixture("hello-aarch64-static")
    stream = ForwardOnly(data)
    info = inspect_elf(stream, path="x", size=len(data))  # type: ignore[arg-type]
    assert info.aarch64
    assert stream.bytes_read <= HEAD_BYTES


def test_stream_shorter_than_its_declared_size_is_truncated() -> None:
    data = moved_phdrs("hello-aarch64")
    info = inspect_elf(
        ForwardOnly(data[: len(data) - 100]),  # type: ignore[arg-type]
        path="x",
        size=len(data),
    )
    assert info.kind == "error"
    assert (
        info.reason == f"truncated: the data ends at byte {len(data) - 100} of {len(data)} declared"
    )


class Exploding(io.RawIOBase):
    """A stream whose data is damaged after the first bytes (as a corrupt archive member)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._served = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._served:
            raise OSError("Invalid data stream")
        self._served = True
        buffer[: len(self._data)] = self._data
        return len(self._data)


def test_a_read_error_is_an_error_result() -> None:
    data = moved_phdrs("hello-aarch64")
    stream = Exploding(data[:HEAD_BYTES])
    info = inspect_elf(stream, path="x", size=len(data))  # type: ignore[arg-type]
    assert info.kind == "error"
    assert info.reason is not None
    assert info.reason.startswith("could not read byte")
    assert "Invalid data stream" in info.reason


def check_invariants(info: BinaryInfo, path: str) -> None:
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
        assert info.interpreter is None or is_aarch64_loader(info.interpreter)
        assert info.reason is None
    else:
        assert info.reason
        assert "\n" not in info.reason


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_result(data: bytes) -> None:
    check_invariants(inspect_bytes(data, path="fuzz"), "fuzz")


HEADER = fixture("hello-aarch64")[:HEAD_BYTES]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)), min_size=1, max_size=12),
    st.integers(0, len(HEADER)),
    st.sampled_from([0, 1, 100, 1 << 20]),
)
def test_mutated_real_headers_give_a_result(
    changes: list[tuple[int, int]], cut: int, declared_extra: int
) -> None:
    data = bytearray(HEADER)
    for offset, value in changes:
        data[offset] = value
    data = data[:cut]
    check_invariants(inspect_bytes(bytes(data), size=len(data) + declared_extra), "x")
    streamed = inspect_elf(
        ForwardOnly(bytes(data)),  # type: ignore[arg-type]
        path="x",
        size=len(data),
    )
    check_invariants(streamed, "x")


@pytest.mark.parametrize(
    ("name", "debug_only"),
    [
        ("hello-aarch64.debug", True),
        ("hello-aarch64", False),
        ("hello-aarch64-static", False),
        ("libhello-aarch64.so", False),
        ("hello-x86_64", False),
        ("hello-aarch64.o", False),  # no program headers: not a program, but not debug-only
    ],
)
def test_debug_info_files_are_told_by_their_code_segment(name: str, debug_only: bool) -> None:
    """objcopy --only-keep-debug keeps the program headers; the code segment loses its bytes."""
    info = inspect_bytes(fixture(name))
    assert info.debug_only is debug_only
    assert info.is_program is (info.type in ("ET_EXEC", "ET_DYN") and not debug_only)
