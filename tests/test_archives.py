"""Archive walking and safe extraction, on real archives: built in tmp_path, or by real tools
(fixtures/archives)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import stat
import subprocess
import sys
import tarfile
import time
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.archives import (
    DISC_END,
    DISC_START,
    Limits,
    Member,
    NotOpened,
    Problem,
    after_script,
    disc_image,
    safe_extract,
    sniff,
    unsupported,
)
from validator.archives.sniff import SCRIPT_WINDOW
from validator.binaries import inspect_member
from validator.errors import ArchiveError
from validator.evidence import BinaryInfo, ImageInfo
from validator.images import read_images, walk_archive

BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
ARM = (BINARIES / "hello-aarch64").read_bytes()
X86 = (BINARIES / "hello-x86_64").read_bytes()

# --- builders -------------------------------------------------------------------------------


TAR_MODES: dict[str, Literal["w", "w:gz", "w:xz", "w:bz2"]] = {
    "": "w",
    "gz": "w:gz",
    "xz": "w:xz",
    "bz2": "w:bz2",
}


def tar_bytes(files: Mapping[str, bytes], *, compression: str = "") -> bytes:
    """A real tar (``compression`` "", "gz", "xz" or "bz2") holding ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=TAR_MODES[compression]) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            info.mtime = 1767322800
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_with(infos: Iterable[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in infos:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def gnu_sparse_tar(name: str, data: bytes, real_size: int) -> bytes:
    """A tar whose one member is GNU sparse: ``data`` stored, then a hole up to ``real_size``.

    tarfile cannot write sparse members; this is the old-GNU header GNU tar writes for
    ``tar --sparse`` (type 'S', the map at byte 386, the real size at 483), made by hand.
    """
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o755, 1767322800
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    header[156:157] = b"S"
    header[386:410] = b"%011o\0%011o\0" % (0, len(data))  # one extent: the data at offset 0
    header[483:495] = b"%011o\0" % real_size
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header) + data + bytes(-len(data) % 512) + bytes(1024)


def zip_bytes(files: Mapping[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with(infos: Iterable[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on the duplicates some tests need
        with zipfile.ZipFile(buffer, "w") as archive:
            for info, data in infos:
                archive.writestr(info, data)
    return buffer.getvalue()


def unix_zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def docker_save(architecture: str, *, variant: str | None = "v8", binary: bytes = ARM) -> bytes:
    """A ``docker save`` tarball (classic layout): manifest.json, config, layer tar."""
    layer = tar_bytes({"usr/bin/app": binary, "etc/os-release": b"ID=debian\n"})
    config = {
        "architecture": architecture,
        "os": "linux",
        "config": {"Cmd": ["/usr/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(layer)}"]},
    }
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config).encode()
    manifest = [
        {
            "Config": f"{sha(config_bytes)}.json",
            "RepoTags": ["app:latest"],
            "Layers": [f"{sha(layer)}/layer.tar"],
        }
    ]
    return tar_bytes(
        {
            f"{sha(layer)}/VERSION": b"1.0",
            f"{sha(layer)}/layer.tar": layer,
            f"{sha(config_bytes)}.json": config_bytes,
            "manifest.json": json.dumps(manifest).encode(),
            "repositories": json.dumps({"app": {"latest": sha(layer)}}).encode(),
        }
    )


def descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"mediaType": media_type, "digest": f"sha256:{sha(data)}", "size": len(data), **extra}


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def oci_image(
    platforms: Iterable[tuple[str, str, str | None, bytes]],
    *,
    attestation: bool = False,
    nested_index: bool = False,
    drop_config: bool = False,
) -> bytes:
    """An OCI image-layout tarball (as ``docker buildx --output type=oci``) with gzip layers."""
    blobs: dict[str, bytes] = {}
    manifests = []
    for os_name, arch, variant, binary in platforms:
        layer = tar_bytes({"usr/bin/app": binary}, compression="gz")
        platform = {
            "os": os_name,
            "architecture": arch,
            **({"variant": variant} if variant else {}),
        }
        config = json.dumps({**platform, "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": descriptor("application/vnd.oci.image.config.v1+json", config),
                "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
            }
        ).encode()
        blobs |= {sha(layer): layer, sha(manifest): manifest}
        if not drop_config:
            blobs[sha(config)] = config
        manifests.append(descriptor(OCI_MANIFEST, manifest, platform=platform))
    if attestation:
        statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1"}).encode()
        blobs[sha(statement)] = statement
        manifests.append(
            descriptor(
                OCI_MANIFEST,
                statement,
                platform={"os": "unknown", "architecture": "unknown"},
                annotations={"vnd.docker.reference.type": "attestation-manifest"},
            )
        )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    if nested_index:
        inner = json.dumps(index).encode()
        blobs[sha(inner)] = inner
        index = {"schemaVersion": 2, "manifests": [descriptor(OCI_INDEX, inner)]}
    files = {
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        "index.json": json.dumps(index).encode(),
    }
    files |= {f"blobs/sha256/{digest}": data for digest, data in blobs.items()}
    return tar_bytes(files)


def walk_bytes(data: bytes, path: str = "a", limits: Limits | None = None) -> list[object]:
    """Walk in-memory bytes as a forward-only stream, judging members as the scanner does."""
    events = walk_archive(io.BytesIO(data), path=path, limits=limits or Limits())
    return [judged(e) for e in events]


def walk_file(path: Path, limits: Limits | None = None) -> list[object]:
    with path.open("rb") as stream:
        events = walk_archive(stream, path=path.name, limits=limits or Limits(), random_access=True)
        return [judged(e) for e in events]


def judged(event: object) -> object:
    return inspect_member(event) if isinstance(event, Member) else event


def elves(events: list[object]) -> dict[str, bool]:
    return {e.path: e.aarch64 for e in events if isinstance(e, BinaryInfo) and e.kind == "elf"}


def problems(events: list[object]) -> list[str]:
    return [e.message for e in events if isinstance(e, Problem)]


def images(events: list[object]) -> list[ImageInfo]:
    return [e for e in events if isinstance(e, ImageInfo)]


# --- sniffing and walking -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (zip_bytes({"a": b"x"}), "zip"),
        (zip_bytes({}), "zip"),
        (tar_bytes({"a": b"x"}), "tar"),
        (tar_bytes({"a": b"x"}, compression="gz"), "gzip"),
        (tar_bytes({"a": b"x"}, compression="xz"), "xz"),
        (tar_bytes({"a": b"x"}, compression="bz2"), "bzip2"),
        (ARM, None),
        (b'{"arch": "arm64"}', None),
        (b"BZh", None),
        (b"", None),
    ],
)
def test_sniff_by_magic(data: bytes, fmt: str | None) -> None:
    assert sniff(data[:4096]) == fmt


@pytest.mark.parametrize("compression", ["", "gz", "xz", "bz2"])
def test_tar_members_are_judged(compression: str) -> None:
    data = tar_bytes({"./bin/arm": ARM, "bin/x86": X86, "README": b"hi"}, compression=compression)
    events = walk_bytes(data, "out/app.tar")
    assert elves(events) == {"out/app.tar!bin/arm": True, "out/app.tar!bin/x86": False}
    readme = [e for e in events if isinstance(e, BinaryInfo) and e.path.endswith("README")]
    assert [(r.kind, r.reason) for r in readme] == [("not-elf", "no ELF magic")]
    assert problems(events) == []


def test_archives_nested_two_deep_in_a_zip_on_disk(tmp_path: Path) -> None:
    inner = tar_bytes({"app/bin/tool": ARM, "app/bin/helper": X86}, compression="gz")
    middle = zip_bytes({"app.tar.gz": inner, "loose/tool": ARM})
    outer = tmp_path / "artifact.zip"
    outer.write_bytes(
        zip_bytes({"dist/bundle.zip": middle, "notes.txt": b"hello"}, method=zipfile.ZIP_STORED)
    )
    events = walk_file(outer)
    assert elves(events) == {
        "artifact.zip!dist/bundle.zip!app.tar.gz!app/bin/tool": True,
        "artifact.zip!dist/bundle.zip!app.tar.gz!app/bin/helper": False,
        "artifact.zip!dist/bundle.zip!loose/tool": True,
    }
    assert problems(events) == []


def test_single_compressed_files_are_looked_into() -> None:
    for name, data in (
        ("tool.gz", gzip.compress(ARM)),
        ("tool.xz", lzma.compress(ARM)),
        ("tool.bz2", bz2.compress(X86)),
    ):
        events = walk_bytes(data, f"bin/{name}")
        assert elves(events) == {f"bin/{name}!tool": name != "tool.bz2"}


def test_links_and_devices_are_reported_not_followed() -> None:
    link = tarfile.TarInfo("lib/libapp.so")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    hard = tarfile.TarInfo("bin/again")
    hard.type, hard.linkname = tarfile.LNKTYPE, "bin/tool"
    device = tarfile.TarInfo("dev/null")
    device.type = tarfile.CHRTYPE
    tool = tarfile.TarInfo("bin/tool")
    tool.size = len(ARM)
    data = tar_with([(tool, ARM), (link, None), (hard, None), (device, None)])
    reasons = {e.path: e.reason for e in walk_bytes(data, "t.tar") if isinstance(e, BinaryInfo)}
    assert reasons == {
        "t.tar!bin/tool": None,
        "t.tar!lib/libapp.so": "symbolic link to /etc/shadow: not followed",
        "t.tar!bin/again": "hard link to bin/tool: not followed",
        "t.tar!dev/null": "character device: not read",
    }
    zipped = zip_with([(unix_zip_info("lib/link", stat.S_IFLNK | 0o777), b"../../etc/passwd")])
    [entry] = walk_bytes(zipped, "z.zip")
    assert isinstance(entry, BinaryInfo)
    assert (entry.kind, entry.reason) == ("not-elf", "symbolic link: not followed")


def test_member_names_are_shown_on_one_line() -> None:
    events = walk_bytes(tar_bytes({"bin/evil\nname\x1b[31m": ARM}), "t.tar")
    assert [e.path for e in events if isinstance(e, BinaryInfo)] == [
        "t.tar!bin/evil\\nname\\x1b[31m"
    ]


def test_nesting_deeper_than_the_limit_is_a_problem() -> None:
    data = tar_bytes({"bin/tool": ARM})
    for level in range(5):
        data = zip_bytes({f"level{level}.tar" if level == 0 else f"level{level}.zip": data})
    events = walk_bytes(data, "top.zip")
    assert elves(events) == {}
    assert problems(events) == [
        "top.zip!level4.zip!level3.zip!level2.zip!level1.zip: archive nested more than 4 deep; "
        "not opened (limit max_depth)"
    ]
    events = walk_bytes(data, "top.zip", Limits(max_depth=6))
    assert list(elves(events)) == [
        "top.zip!level4.zip!level3.zip!level2.zip!level1.zip!level0.tar!bin/tool"
    ]


def test_too_many_members_stops_the_walk() -> None:
    files = {f"f{i:03}": b"x" for i in range(30)}
    for data in (tar_bytes(files), zip_bytes(files)):
        events = walk_bytes(data, "many", Limits(max_members=10))
        assert len(problems(events)) == 1
        assert "more than 10" in problems(events)[0]
        assert "limit max_members" in problems(events)[0]
        assert len([e for e in events if isinstance(e, BinaryInfo)]) <= 10


def test_compression_bombs_are_not_inflated() -> None:
    zeros = bytes(20 << 20)
    padded = ARM + zeros  # compresses far beyond 200:1, yet judging it reads 4 KiB only
    zipped = zip_bytes({"bin/tool": padded, "bomb.tar": tar_bytes({"zeros": zeros}), "z": b""})
    events = walk_bytes(zipped, "z.zip")
    assert elves(events) == {"z.zip!bin/tool": True}
    [problem] = problems(events)
    assert problem.startswith("z.zip!bomb.tar: ")
    assert problem.endswith("more than 200:1; limit max_ratio; the rest of z.zip was not inspected")

    tar_bomb = tar_bytes({"bin/tool": ARM, "zeros": zeros}, compression="gz")
    events = walk_bytes(tar_bomb, "b.tar.gz")
    assert elves(events) == {"b.tar.gz!bin/tool": True}
    [problem] = problems(events)
    assert "more than 200:1; limit max_ratio" in problem
    assert problem.endswith("the rest of b.tar.gz was not inspected")


def test_total_uncompressed_bytes_are_counted_for_real() -> None:
    data = tar_bytes({f"bin/tool{i}": ARM for i in range(5)}, compression="gz")
    events = walk_bytes(data, "t.tgz", Limits(max_total_bytes=3 * len(ARM)))
    assert len(elves(events)) < 5
    assert any("limit max_total_bytes" in p for p in problems(events))


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (tar_bytes({"bin/tool": ARM}, compression="gz")[:-200], "t: damaged gzip data:"),
        (zip_bytes({"bin/tool": ARM})[:-30], "t: damaged zip data:"),
        (b"\x28\xb5\x2f\xfd" + bytes(100), "t: damaged zstd data: zstd data ends inside a frame"),
        (b"7z\xbc\xaf\x27\x1c" + bytes(100), "t: not an archive"),
    ],
)
def test_damaged_archives_are_problems(data: bytes, start: str) -> None:
    events = walk_bytes(data, "t")
    assert problems(events)[-1].startswith(start)


def test_unsupported_formats_inside_archives_are_not_inspected() -> None:
    events = walk_bytes(tar_bytes({"app.7z": b"7z\xbc\xaf\x27\x1c" + bytes(64)}), "t.tar")
    assert problems(events) == []
    assert [e for e in events if isinstance(e, NotOpened)] == [
        NotOpened(path="t.tar!app.7z", reason="a 7-Zip archive, which this tool cannot open")
    ]


def test_encrypted_zip_member_is_an_error() -> None:
    data = bytearray(zip_bytes({"bin/tool": ARM}, method=zipfile.ZIP_STORED))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        data[at + flag_at] |= 0x1
    [entry] = walk_bytes(bytes(data), "z.zip")
    assert isinstance(entry, BinaryInfo)
    assert (entry.kind, entry.reason) == ("error", "encrypted: cannot be read")


# --- package and old archive formats --------------------------------------------------------

ARCHIVES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
HELLO = "usr/bin/hello"

# fixture → (format sniffed from its bytes, the x86-64 program's path inside it)
PACKAGED = {
    "x86-v7.tar": ("tar", f"x86-v7.tar!{HELLO}"),
    "x86.tar.bz2": ("bzip2", f"x86.tar.bz2!{HELLO}"),
    "x86.tar.lzma": ("lzma", f"x86.tar.lzma!{HELLO}"),
    "x86.tar.zst": ("zstd", f"x86.tar.zst!{HELLO}"),
    "libhello-x86_64.a": ("ar", "libhello-x86_64.a!libhello.o"),
    "hello-x86_64-xz.deb": ("ar", f"hello-x86_64-xz.deb!data.tar.xz!{HELLO}"),
    "hello-x86_64-zstd.deb": ("ar", f"hello-x86_64-zstd.deb!data.tar.zst!{HELLO}"),
    "hello-x86_64-gzip.deb": ("ar", f"hello-x86_64-gzip.deb!data.tar.gz!{HELLO}"),
    "x86-newc.cpio": ("cpio", f"x86-newc.cpio!{HELLO}"),
    "x86-odc.cpio": ("cpio", f"x86-odc.cpio!{HELLO}"),
    "x86-bin.cpio": ("cpio", f"x86-bin.cpio!{HELLO}"),
    "hello-x86_64-gzip.rpm": ("rpm", f"hello-x86_64-gzip.rpm!{HELLO}"),
    "hello-x86_64-xz.rpm": ("rpm", f"hello-x86_64-xz.rpm!{HELLO}"),
    "hello-x86_64-zstd.rpm": ("rpm", f"hello-x86_64-zstd.rpm!{HELLO}"),
    "hello-x86_64-sfx.sh": ("zip", "hello-x86_64-sfx.sh!hello"),
}


def ar_bytes(members: Mapping[str, bytes], *, bsd: bool = False) -> bytes:
    """An ar archive: GNU names (long ones in a ``//`` table) or BSD ``#1/len`` names."""

    def header(name: bytes, size: int) -> bytes:
        return (
            name.ljust(16)
            + b"0".ljust(12)
            + b"0".ljust(6) * 2
            + b"644".ljust(8)
            + (str(size).encode().ljust(10) + b"`\n")
        )

    out = [b"!<arch>\n"]
    table = b"".join(n.encode() + b"/\n" for n in members if len(n) > 15 and not bsd)
    if table:
        out += [header(b"//", len(table)), table, b"\n" * (len(table) % 2)]
    for name, data in members.items():
        raw = name.encode()
        if bsd:
            out += [header(b"#1/%d" % len(raw), len(raw) + len(data)), raw]
        elif len(raw) > 15:
            out.append(header(b"/%d" % table.index(raw + b"/\n"), len(data)))
        else:  # GNU ends names with "/"; the symbol table is named "/" alone
            out.append(header(raw if raw == b"/" else raw + b"/", len(data)))
        out += [data, b"\n" * ((len(data) + (len(raw) if bsd else 0)) % 2)]
    return b"".join(out)


def cpio_bytes(members: Mapping[str, bytes], *, modes: Mapping[str, int] | None = None) -> bytes:
    """A cpio "newc" archive: regular files unless ``modes`` says otherwise, then the trailer."""
    out = bytearray()
    for number, (name, data) in enumerate({**members, "TRAILER!!!": b""}.items()):
        mode = (modes or {}).get(name, 0o100755 if name != "TRAILER!!!" else 0)
        encoded = name.encode() + b"\0"
        fields = (number, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        out += b"070701" + b"".join(b"%08x" % value for value in fields) + encoded
        out += bytes(-len(out) % 4) + data + bytes(-len(data) % 4)
    return bytes(out)


@pytest.mark.parametrize("name", sorted(PACKAGED))
def test_package_and_old_formats_are_told_by_their_bytes(name: str) -> None:
    assert sniff((ARCHIVES / name).read_bytes()[:4096]) == PACKAGED[name][0]


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\necho hello\n",
        b"]" + bytes(600),  # the lzma properties byte, then no plausible dictionary
        bytes(1024),  # zeros: not a v7 tar header (its checksum would be 256)
        b"07070 is not a cpio header",
        b"!<arch is not ar",
        json.dumps({"arch": "arm64"}).encode().ljust(600),
    ],
)
def test_look_alikes_are_not_archives(data: bytes) -> None:
    assert sniff(data) is None


@pytest.mark.parametrize("name", sorted(PACKAGED))
def test_x86_code_in_packages_and_old_formats_is_found(name: str) -> None:
    """Before these formats were opened, each of these files was "not ELF": a silent pass."""
    events = walk_file(ARCHIVES / name)
    assert elves(events) == {PACKAGED[name][1]: False}
    assert problems(events) == []


def test_deb_members_are_all_listed() -> None:
    events = walk_file(ARCHIVES / "hello-x86_64-xz.deb")
    paths = [e.path for e in events if isinstance(e, BinaryInfo)]
    assert paths[0] == "hello-x86_64-xz.deb!debian-binary"
    assert any(p.startswith("hello-x86_64-xz.deb!control.tar") for p in paths)


def test_ar_names_gnu_long_bsd_and_symbol_tables() -> None:
    long_name = "a-name-longer-than-sixteen.o"
    gnu = ar_bytes({"/": b"symbols", long_name: X86, "short.o": ARM})
    assert elves(walk_bytes(gnu, "lib.a")) == {f"lib.a!{long_name}": False, "lib.a!short.o": True}
    bsd = ar_bytes({"__.SYMDEF SORTED": b"symbols", long_name: X86}, bsd=True)
    assert elves(walk_bytes(bsd, "lib.a")) == {f"lib.a!{long_name}": False}
    real = walk_file(ARCHIVES / "libhello-aarch64.a")  # GNU ar writes a "/" symbol table
    assert [e.path for e in real if isinstance(e, BinaryInfo)] == ["libhello-aarch64.a!hello.o"]


def test_cpio_links_and_devices_are_listed_not_followed() -> None:
    data = cpio_bytes(
        {"bin/tool": X86, "bin/link": b"tool", "dev/null": b"", "etc": b""},
        modes={"bin/link": 0o120777, "dev/null": 0o020666, "etc": 0o040755},
    )
    events = walk_bytes(data, "root.cpio")
    found = {e.path: e.reason for e in events if isinstance(e, BinaryInfo)}
    assert found == {
        "root.cpio!bin/tool": "x86-64 (EM_X86_64)",
        "root.cpio!bin/link": "symbolic link to tool: not followed",
        "root.cpio!dev/null": "character device: not read",
    }


def test_what_follows_a_cpio_trailer_is_walked_too() -> None:
    """An initramfs: an uncompressed cpio (microcode), then the compressed main archive."""
    main = (ARCHIVES / "x86-newc.cpio").read_bytes()
    early = cpio_bytes({"kernel/x86/microcode/GenuineIntel.bin": b"microcode"})
    found = elves(walk_bytes(early + bytes(300) + gzip.compress(main), "initrd"))
    assert found == {f"initrd!(after the cpio trailer)!{HELLO}": False}
    assert elves(walk_bytes(cpio_bytes({"bin/app": ARM}) + main, "initrd")) == {
        "initrd!bin/app": True,
        f"initrd!{HELLO}": False,
    }
    assert elves(walk_bytes(main + X86, "initrd")) == {
        f"initrd!{HELLO}": False,
        "initrd!(after the cpio trailer)": False,
    }


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (
            b"!<arch>\n" + b"x.o/".ljust(48) + b"99999999".ljust(10) + b"`\n" + X86[:100],
            "a: damaged ar",
        ),
        (b"!<arch>\n" + b"x.o/".ljust(48) + b"-1".ljust(10) + b"`\n", "a: damaged ar"),
        (b"070701" + b"0" * 88 + b"%08x" % (1 << 30) + b"0" * 8, "a: damaged cpio"),
        (cpio_bytes({"bin/tool": X86[:4096]})[:-200], "a: damaged cpio"),
        (
            b"\xed\xab\xee\xdb".ljust(96, b"\0")
            + b"\x8e\xad\xe8\x01"
            + bytes(4)
            + bytes([0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]),
            "a: damaged rpm",
        ),
        ((ARCHIVES / "hello-x86_64-xz.rpm").read_bytes()[:-500], "a: damaged xz"),
        ((ARCHIVES / "hello-x86_64-xz.rpm").read_bytes()[:200], "a: damaged rpm"),
        ((ARCHIVES / "x86.tar.zst").read_bytes()[:-100], "a: damaged zstd"),
    ],
)
def test_damaged_package_formats_are_problems(data: bytes, start: str) -> None:
    assert problems(walk_bytes(data))[-1].startswith(start)


def test_an_rpm_payload_that_cannot_be_opened_is_not_inspected() -> None:
    rpm = (ARCHIVES / "hello-x86_64-gzip.rpm").read_bytes()
    at = rpm.index(b"\x1f\x8b\x08")  # the payload: gzip
    events = walk_bytes(rpm[:at] + b"7z\xbc\xaf\x27\x1c" + bytes(64), "p.rpm")
    assert [e for e in events if isinstance(e, NotOpened)] == [
        NotOpened(path="p.rpm", reason="an rpm whose payload this tool cannot open")
    ]


def test_zstd_without_its_package_is_not_inspected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if it were not installed
    events = walk_file(ARCHIVES / "hello-x86_64-zstd.deb")
    unopened = [e for e in events if isinstance(e, NotOpened)]
    assert [e.path for e in unopened] == [
        "hello-x86_64-zstd.deb!control.tar.zst",
        "hello-x86_64-zstd.deb!data.tar.zst",
    ]
    assert "zstandard package" in unopened[0].reason
    assert elves(events) == {}


def test_zip_after_a_long_stub_is_found_on_disk_and_inside_archives(tmp_path: Path) -> None:
    stub = b"#!/bin/sh\n" + b"# padding\n" * 1000 + b"exit 0\n"  # longer than the head
    sfx = stub + zip_bytes({"bin/tool": X86})
    (tmp_path / "install.sh").write_bytes(sfx)
    assert elves(walk_file(tmp_path / "install.sh")) == {"install.sh!bin/tool": False}
    nested = tar_bytes({"install.sh": sfx}, compression="gz")
    assert elves(walk_bytes(nested, "t.tgz")) == {"t.tgz!install.sh!bin/tool": False}
    script = tar_bytes({"run.sh": stub}, compression="gz")
    assert [e.reason for e in walk_bytes(script) if isinstance(e, BinaryInfo)] == ["no ELF magic"]


@pytest.mark.parametrize(
    "data",
    [
        ar_bytes({f"m{i}.o": b"x" for i in range(30)}),
        cpio_bytes({f"m{i}": b"x" for i in range(30)}),
    ],
)
def test_member_limit_holds_for_ar_and_cpio(data: bytes) -> None:
    assert "limit max_members" in problems(walk_bytes(data, limits=Limits(max_members=10)))[-1]


def test_zstd_bomb_is_not_inflated() -> None:
    bomb = subprocess.run(
        ["zstd", "-19", "-c"], input=bytes(64 << 20), capture_output=True, check=True
    ).stdout
    assert len(bomb) < 1 << 16
    assert "limit max_ratio" in problems(walk_bytes(bomb, "z.zst"))[-1]


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("arch", "binary", "ok"), [("arm64", ARM, True), ("amd64", X86, False)])
def test_docker_save_image(arch: str, binary: bytes, ok: bool) -> None:
    data = docker_save(arch, variant="v8" if arch == "arm64" else None, binary=binary)
    events = walk_bytes(data, "image.tar")
    assert images(events) == [
        ImageInfo(
            path="image.tar",
            os="linux",
            architecture=arch,
            variant="v8" if arch == "arm64" else None,
        )
    ]
    layer = tar_bytes({"usr/bin/app": binary, "etc/os-release": b"ID=debian\n"})
    assert elves(events) == {f"image.tar!{sha(layer)}/layer.tar!usr/bin/app": ok}


def test_docker_25_save_reads_manifest_json_once() -> None:
    """docker ≥ 25 writes an OCI layout and a manifest.json pointing into blobs/: one image."""
    layer = tar_bytes({"usr/bin/app": ARM})
    config = json.dumps({"architecture": "arm64", "os": "linux", "variant": "v8"}).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", layer)],
        }
    ).encode()
    index = {"schemaVersion": 2, "manifests": [descriptor(OCI_MANIFEST, manifest)]}
    data = tar_bytes(
        {
            f"blobs/sha256/{sha(layer)}": layer,
            f"blobs/sha256/{sha(config)}": config,
            f"blobs/sha256/{sha(manifest)}": manifest,
            "index.json": json.dumps(index).encode(),
            "manifest.json": json.dumps(
                [
                    {
                        "Config": f"blobs/sha256/{sha(config)}",
                        "Layers": [f"blobs/sha256/{sha(layer)}"],
                    }
                ]
            ).encode(),
            "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        }
    )
    events = walk_bytes(data, "img.tar")
    assert images(events) == [
        ImageInfo(path="img.tar", os="linux", architecture="arm64", variant="v8")
    ]
    assert elves(events) == {f"img.tar!blobs/sha256/{sha(layer)}!usr/bin/app": True}


def test_oci_layout_with_attestation_and_nested_index() -> None:
    data = oci_image(
        [("linux", "arm64", "v8", ARM), ("linux", "amd64", None, X86)],
        attestation=True,
        nested_index=True,
    )
    events = walk_bytes(data, "oci.tar")
    assert [(i.os, i.architecture, i.variant, i.reason) for i in images(events)] == [
        ("linux", "arm64", "v8", None),
        ("linux", "amd64", None, None),
    ]
    assert sorted(elves(events).values()) == [False, True]
    assert all(path.startswith("oci.tar!blobs/sha256/") for path in elves(events))


def test_oci_image_in_a_zip_with_missing_config() -> None:
    data = zip_bytes(
        {"image/oci.tar": oci_image([("linux", "arm64", None, ARM)], drop_config=True)}
    )
    [image] = images(walk_bytes(data, "a.zip"))
    assert (image.path, image.architecture) == ("a.zip!image/oci.tar", None)
    assert image.reason is not None
    assert image.reason.startswith("image config blobs/sha256/")
    assert image.reason.endswith(" is missing from the archive")


def test_a_build_manifest_is_not_an_image() -> None:
    data = tar_bytes(
        {"manifest.json": b'{"arch": "arm64", "files": ["bin/tool"]}', "bin/tool": ARM}
    )
    events = walk_bytes(data, "dist.tar")
    assert images(events) == []
    assert elves(events) == {"dist.tar!bin/tool": True}


# --- safe extraction ------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_extracts_zip_and_tar(tmp_path: Path) -> None:
    files = {"bin/tool": ARM, "share/doc/README": b"hi", "empty": b""}
    for name, data in (
        ("a.zip", zip_bytes(files)),
        ("a.tar.xz", tar_bytes(files, compression="xz")),
    ):
        dest = tmp_path / f"out-{name}"
        written = safe_extract(write(tmp_path, name, data), dest)
        assert sorted(p.relative_to(dest).as_posix() for p in written) == sorted(files)
        assert (dest / "bin" / "tool").read_bytes() == ARM
        assert not (dest / "share" / "doc" / "README").stat().st_mode & stat.S_ISUID


def member(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, None


REFUSED_TARS: dict[str, tuple[list[tuple[tarfile.TarInfo, bytes | None]], str]] = {
    "dotdot": ([member("ok"), member("../x")], "member '../x' climbs out of the destination"),
    "nested-dotdot": ([member("a/../../x")], "member 'a/../../x' climbs out"),
    "absolute": ([member("/abs")], "member '/abs' has an absolute path"),
    "symlink": (
        [member("ok"), special("lib", tarfile.SYMTYPE, "/etc")],
        "member 'lib' is a symbolic link to /etc",
    ),
    "hardlink": (
        [member("ok"), special("h", tarfile.LNKTYPE, "ok")],
        "member 'h' is a hard link to ok",
    ),
    "device": ([special("dev/sda", tarfile.BLKTYPE)], "member 'dev/sda' is a block device"),
    "fifo": ([special("pipe", tarfile.FIFOTYPE)], "member 'pipe' is a FIFO"),
    "duplicate": (
        [member("bin/tool"), member("bin/tool")],
        "member 'bin/tool' appears twice (duplicate name)",
    ),
    "link-then-through-it": (
        [special("lib", tarfile.SYMTYPE, "/etc"), member("lib/passwd")],
        "member 'lib' is a symbolic link to /etc",
    ),
    "file-without-a-name": ([member("./")], "member './' is a file without a name"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_TARS))
def test_tar_refusals_leave_nothing(tmp_path: Path, case: str) -> None:
    members, message = REFUSED_TARS[case]
    archive = write(tmp_path, "a.tar", tar_with(members))
    dest = tmp_path / "dest"
    with pytest.raises(ArchiveError) as caught:
        safe_extract(archive, dest)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{archive}: member ")
    assert str(caught.value).endswith("nothing extracted")
    assert tree(tmp_path) == {"a.tar", "dest"}


def zinfo(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name)


REFUSED_ZIPS = {
    "dotdot": ([(zinfo("ok"), b"x"), (zinfo("../x"), b"x")], "climbs out of the destination"),
    "backslash-dotdot": ([(zinfo("..\\x"), b"x")], "climbs out of the destination"),
    "absolute": ([(zinfo("/abs"), b"x")], "has an absolute path"),
    "drive": ([(zinfo("C:/Windows/x"), b"x")], "has an absolute path"),
    "symlink": (
        [(zinfo("ok"), b"x"), (unix_zip_info("l", stat.S_IFLNK | 0o777), b"/etc")],
        "member 'l' is a symbolic link",
    ),
    "device": ([(unix_zip_info("d", stat.S_IFCHR | 0o600), b"")], "is a character device"),
    "duplicate": ([(zinfo("a/b"), b"1"), (zinfo("a/b"), b"2")], "appears twice"),
    "empty-name": ([(zinfo("ok"), b"x"), (zinfo(""), b"x")], "member '' is a file without a name"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_ZIPS))
def test_zip_refusals_leave_nothing(tmp_path: Path, case: str) -> None:
    infos, message = REFUSED_ZIPS[case]
    archive = write(tmp_path, "a.zip", zip_with(infos))
    with pytest.raises(ArchiveError, match="nothing extracted") as caught:
        safe_extract(archive, tmp_path / "dest")
    assert message in str(caught.value)
    assert tree(tmp_path) == {"a.zip", "dest"}


def test_zip_bomb_is_refused_before_writing(tmp_path: Path) -> None:
    archive = write(tmp_path, "bomb.zip", zip_bytes({"ok": b"x", "zeros": bytes(50 << 20)}))
    assert archive.stat().st_size < 100_000
    with pytest.raises(ArchiveError) as caught:
        safe_extract(archive, tmp_path / "dest")
    message = str(caught.value)
    assert message.startswith(f"{archive}: member 'zeros' declares 52428800 bytes from ")
    assert "more than 200:1 (limit max_ratio)" in message
    assert tree(tmp_path) == {"bomb.zip", "dest"}


def test_zip_that_lies_about_its_sizes_is_caught_on_real_bytes(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"zeros": bytes(30 << 20), "ok": b"x"}))
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + size_at : at + size_at + 4] = (40_000).to_bytes(4, "little")  # file_size
    archive = write(tmp_path, "liar.zip", bytes(data))
    with pytest.raises(ArchiveError, match=r"damaged archive|limit max_ratio") as caught:
        safe_extract(archive, tmp_path / "dest")
    assert "liar.zip" in str(caught.value)
    assert tree(tmp_path) == {"liar.zip", "dest"}


def test_sparse_tar_member_is_judged_by_its_stored_bytes(tmp_path: Path) -> None:
    small = write(tmp_path, "small.tar", gnu_sparse_tar("bin/tool", ARM[:4096], 200_000))
    [written] = safe_extract(small, tmp_path / "ok")
    assert written.stat().st_size == 200_000
    assert written.read_bytes()[:4096] == ARM[:4096]
    bomb = write(tmp_path, "bomb.tar", gnu_sparse_tar("bin/tool", ARM[:4096], 64 << 20))
    assert bomb.stat().st_size < 8192
    with pytest.raises(ArchiveError) as caught:
        safe_extract(bomb, tmp_path / "dest")
    assert str(caught.value) == (
        f"{bomb}: member 'bin/tool' is sparse: declares 67108864 bytes from 4096 stored, "
        "more than 200:1 (limit max_ratio); nothing extracted"
    )
    assert tree(tmp_path / "dest") == set()
    # Walking reads the first bytes only: the binary is judged, the hole never written.
    assert elves(walk_bytes(bomb.read_bytes(), "s.tar")) == {"s.tar!bin/tool": True}


def test_zip_member_with_an_empty_name_is_walked() -> None:
    events = walk_bytes(zip_with([(zinfo(""), ARM), (zinfo("ok"), b"x")]), "z.zip")
    assert [(e.path, e.kind) for e in events if isinstance(e, BinaryInfo)] == [
        ("z.zip!", "elf"),
        ("z.zip!ok", "not-elf"),
    ]
    assert problems(events) == []


def test_tar_gz_bomb_is_refused(tmp_path: Path) -> None:
    archive = write(tmp_path, "b.tgz", tar_bytes({"zeros": bytes(30 << 20)}, compression="gz"))
    with pytest.raises(ArchiveError, match=r"more than 200:1; limit max_ratio; nothing extracted"):
        safe_extract(archive, tmp_path / "dest")
    assert tree(tmp_path) == {"b.tgz", "dest"}


@pytest.mark.parametrize("name", ["a.zip", "a.tar"])
def test_member_and_size_limits(tmp_path: Path, name: str) -> None:
    files = {f"f{i}": bytes(100) for i in range(20)}
    data = zip_bytes(files) if name == "a.zip" else tar_bytes(files)
    archive = write(tmp_path, name, data)
    with pytest.raises(ArchiveError, match=r"more than 10 .*limit max_members"):
        safe_extract(archive, tmp_path / "d1", Limits(max_members=10))
    with pytest.raises(ArchiveError, match=r"more than 1000 bytes .*limit max_total_bytes"):
        safe_extract(archive, tmp_path / "d2", Limits(max_total_bytes=1000))
    assert tree(tmp_path) == {name, "d1", "d2"}


def test_symlink_already_in_dest_cannot_redirect(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "evil").symlink_to(outside)
    archive = write(tmp_path, "a.tar", tar_bytes({"evil/payload": b"x"}))
    with pytest.raises(ArchiveError, match="member 'evil/payload' would land outside"):
        safe_extract(archive, dest)
    assert list(outside.iterdir()) == []


def test_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep").write_text("mine")
    archive = write(tmp_path, "a.zip", zip_bytes({"new": b"1", "keep": b"theirs"}))
    with pytest.raises(ArchiveError, match="would overwrite an existing file"):
        safe_extract(archive, dest)
    assert tree(dest) == {"keep"}
    assert (dest / "keep").read_text() == "mine"


@pytest.mark.parametrize("data", [b"not an archive", ARM, gzip.compress(b"plain text")])
def test_not_an_archive(tmp_path: Path, data: bytes) -> None:
    archive = write(tmp_path, "a.zip", data)
    with pytest.raises(ArchiveError, match=r"not a tar archive|not a zip or tar archive"):
        safe_extract(archive, tmp_path / "dest")


def test_truncated_archive_is_refused_and_cleaned_up(tmp_path: Path) -> None:
    data = tar_bytes({"a": ARM, "b": ARM, "c": ARM}, compression="gz")
    archive = write(tmp_path, "cut.tgz", data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="damaged archive"):
        safe_extract(archive, tmp_path / "dest")
    assert tree(tmp_path) == {"cut.tgz", "dest"}


def test_executable_bit_kept_and_nothing_else(tmp_path: Path) -> None:
    tool = tarfile.TarInfo("bin/tool")
    tool.size, tool.mode = len(ARM), 0o4755
    doc = tarfile.TarInfo("doc")
    doc.size, doc.mode = 2, 0o666
    dest = tmp_path / "dest"
    safe_extract(write(tmp_path, "a.tar", tar_with([(tool, ARM), (doc, b"hi")])), dest)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((dest / "bin" / "tool").stat().st_mode) == 0o755 & ~umask
    assert stat.S_IMODE((dest / "doc").stat().st_mode) == 0o644 & ~umask


# --- properties -----------------------------------------------------------------------------

SAMPLES = [
    zip_bytes({"bin/tool": ARM[:3000], "a.tar.gz": tar_bytes({"x": ARM[:2000]}, compression="gz")}),
    tar_bytes({"bin/tool": ARM[:3000], "inner.zip": zip_bytes({"y": ARM[:1000]})}),
    tar_bytes({"bin/tool": ARM[:3000]}, compression="gz"),
    tar_bytes({"bin/tool": ARM[:3000]}, compression="bz2"),
    tar_bytes({"bin/tool": ARM[:3000]}, compression="xz"),
    docker_save("arm64", binary=ARM[:2000]),
]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=8),
    st.none() | st.floats(0, 1),
)
def test_damaged_archives_never_raise(
    sample: bytes, changes: list[tuple[int, int]], keep: float | None
) -> None:
    data = bytearray(sample)
    for offset, value in changes:
        data[offset % len(data)] = value
    if keep is not None:
        data = data[: int(len(data) * keep)]
    events = walk_bytes(bytes(data), "f")
    assert all(isinstance(e, BinaryInfo | ImageInfo | Problem) for e in events)
    if not changes and keep is None:
        assert problems(events) == []
        # The samples hold the first bytes of a binary: cut short, but its header is read.
        assert any(isinstance(e, BinaryInfo) and e.machine == "EM_AARCH64" for e in events)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh91AY&SY"]),
    st.binary(max_size=1024),
)
def test_archive_magic_followed_by_anything_never_raises(magic: bytes, rest: bytes) -> None:
    walk_bytes(magic + rest, "f")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(SAMPLES[:5]),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=6),
)
def test_safe_extract_raises_only_archive_error(
    tmp_path: Path, sample: bytes, changes: list[tuple[int, int]]
) -> None:
    data = bytearray(sample)
    for offset, value in changes:
        data[offset % len(data)] = value
    work = tmp_path / hashlib.sha256(bytes(data) + repr(changes).encode()).hexdigest()[:16]
    work.mkdir(exist_ok=True)
    archive = write(work, "a", bytes(data))
    dest = work / "dest"
    try:
        written = safe_extract(archive, dest)
    except ArchiveError:
        assert tree(dest) == set()
    else:
        assert all(dest.resolve() in p.resolve().parents for p in written)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Config",
                    "manifests",
                    "digest",
                    "config",
                    "os",
                    "architecture",
                    "annotations",
                    "mediaType",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["manifest.json", "index.json", "oci-layout", "blobs/sha256/ab", "c.json"]),
        JSON.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64),
        max_size=5,
    )
)
def test_image_documents_of_any_shape_give_image_infos(docs: dict[str, bytes]) -> None:
    for image in read_images("img.tar", docs):
        assert isinstance(image, ImageInfo)
        assert image.path == "img.tar"
        assert image.reason is not None or image.architecture is not None


# --- scripts that carry an archive; images told by far bytes ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b"#!/bin/sh\necho 'BZh91AY&SY is a bzip2 block magic'\n",
        b"#!/bin/sh\n# tar writes ustar at byte 257 of a header\n" + b"x" * 300 + b"ustar\n",
        b"#!/bin/sh\nmksquashfs . out.sqsh # hsqs\n",
        b"#!/usr/bin/env python3\nprint('PK')\n",
    ],
)
def test_a_plain_script_carries_nothing(text: bytes) -> None:
    assert after_script(text) is None


def test_the_first_archive_after_the_text_is_the_payload() -> None:
    payload = tar_bytes({"x": X86}, compression="gz")
    found = after_script(b"#!/bin/sh\nexit 0\n" + payload)
    assert (found and (found.offset, found.fmt)) == (17, "gzip")
    tar = tar_bytes({"x": X86})
    found = after_script(b"#!/bin/sh\nexit 0\n" + tar)
    assert (found and (found.offset, found.fmt)) == (17, "tar")


def test_hostile_script_text_is_scanned_in_bounded_time() -> None:
    """Many false magics in the window: a bounded number of header checks per magic."""
    window = b"#!/bin/sh\n" + (b"ustar" + b"BZh9" + b"\x1f\x8b\x08") * (SCRIPT_WINDOW // 12)
    start = time.monotonic()
    found = after_script(window[:SCRIPT_WINDOW])
    assert time.monotonic() - start < 1.0
    assert found is not None  # binary after the text: opened (and found damaged) or listed


def test_disc_descriptors_are_found_at_any_of_the_first_sectors() -> None:
    iso = (ARCHIVES / "closed-x86_64.iso").read_bytes()
    udf = (ARCHIVES / "closed-empty.udf").read_bytes()
    assert disc_image(iso[DISC_START:DISC_END]) == "an ISO 9660 disc image"
    assert disc_image(udf[DISC_START:DISC_END]) == "a UDF disc image"
    assert disc_image(bytes(DISC_END - DISC_START)) is None
    assert unsupported(iso[:4096]) is None  # the first 32 KiB say nothing


def test_a_disc_image_inside_an_archive_is_not_opened() -> None:
    iso = (ARCHIVES / "closed-x86_64.iso").read_bytes()
    events = walk_bytes(zip_bytes({"pkg.iso": iso, "tool": X86}), "a.zip")
    assert [(e.path, e.reason) for e in events if isinstance(e, NotOpened)] == [
        ("a.zip!pkg.iso", "an ISO 9660 disc image, which this tool cannot open")
    ]
    assert elves(events) == {"a.zip!tool": False}
