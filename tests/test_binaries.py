"""The binaries phase's gatherer over real folders, files, archives and images."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import sys
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_archives import docker_save, tar_bytes, zip_bytes
from test_elf import EXPECTED
from typer.testing import CliRunner

from validator.archives import Limits
from validator.binaries import scan_binaries
from validator.cli import app
from validator.errors import UsageError
from validator.evidence import BinaryInfo, BinaryScan, NotInspected
from validator.report import assess

from builders import BINARIES_ORIGIN, go

BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
ARM = (BINARIES / "hello-aarch64").read_bytes()
X86 = (BINARIES / "hello-x86_64").read_bytes()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work inside tmp_path, so inputs can be named relatively as a user would."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def by_path(scan: BinaryScan) -> dict[str, BinaryInfo]:
    return {f.path: f for f in scan.files}


def test_every_fixture_through_the_scanner(here: Path) -> None:
    shutil.copytree(BINARIES, here / "artifacts")
    scan = scan_binaries([Path("artifacts")])
    found = by_path(scan)
    for name, (kind, aarch64, *_, reason) in EXPECTED.items():
        info = found[f"artifacts/{name}"]
        assert (info.kind, info.aarch64, info.reason) == (kind, aarch64, reason), name
    assert found["artifacts/README.md"].kind == "not-elf"
    assert scan.elf_count == sum(1 for e in EXPECTED.values() if e[0] == "elf")
    assert scan.aarch64_count == sum(1 for e in EXPECTED.values() if e[1])
    assert not scan.ok
    assert scan.problems == ()


def test_paths_follow_the_input_as_written_in_sorted_order(here: Path) -> None:
    (here / "out" / "b" / "deep").mkdir(parents=True)
    (here / "out" / "a").mkdir()
    (here / "out" / "b" / "deep" / "tool").write_bytes(ARM)
    (here / "out" / "a" / "tool").write_bytes(ARM)
    (here / "out" / "c.txt").write_text("notes")
    (here / "out" / "B-upper").write_bytes(ARM)
    (here / "single").write_bytes(ARM)
    scan = scan_binaries([Path("out/"), Path("./single")])
    assert [f.path for f in scan.files] == [
        "out/B-upper",
        "out/a/tool",
        "out/b/deep/tool",
        "out/c.txt",
        "single",
    ]
    assert scan.ok
    assert scan_binaries([Path("out/"), Path("./single")]) == scan


def test_missing_path_is_a_usage_error(here: Path) -> None:
    (here / "there").write_bytes(ARM)
    with pytest.raises(UsageError) as caught:
        scan_binaries([Path("there"), Path("artifacts/missing")])
    assert str(caught.value).startswith("artifacts/missing: no such file or folder")


def test_links_inside_the_tree_are_not_followed(here: Path) -> None:
    outside = here / "outside"
    outside.mkdir()
    (outside / "x86").write_bytes(X86)
    tree = here / "tree"
    tree.mkdir()
    (tree / "tool").write_bytes(ARM)
    (tree / "escape").symlink_to(outside)
    (tree / "alias").symlink_to("tool")
    (tree / "dangling").symlink_to("nowhere")
    os.mkfifo(tree / "pipe")
    found = by_path(scan_binaries([Path("tree")]))
    assert {p: (f.kind, f.reason) for p, f in found.items()} == {
        "tree/alias": ("not-elf", "symbolic link to tool: not followed"),
        "tree/dangling": ("not-elf", "symbolic link to nowhere: not followed"),
        "tree/escape": ("not-elf", f"symbolic link to {outside}: not followed"),
        "tree/pipe": ("not-elf", "FIFO: not read"),
        "tree/tool": ("elf", None),
    }


def test_a_link_named_by_the_user_is_followed(here: Path) -> None:
    (here / "real").mkdir()
    (here / "real" / "tool").write_bytes(ARM)
    (here / "link").symlink_to("real")
    assert [f.path for f in scan_binaries([Path("link")]).files] == ["link/tool"]


def test_archives_and_images_among_the_inputs(here: Path) -> None:
    art = here / "artifacts"
    art.mkdir()
    (art / "image.tar").write_bytes(docker_save("amd64", variant=None, binary=X86))
    (art / "app.tar.gz").write_bytes(tar_bytes({"app/bin/tool": ARM}, compression="gz"))
    (art / "bundle.zip").write_bytes(zip_bytes({"lib/libapp.so": ARM, "manifest.json": b"{}"}))
    scan = scan_binaries([Path("artifacts")])
    assert [(i.path, i.os, i.architecture) for i in scan.images] == [
        ("artifacts/image.tar", "linux", "amd64")
    ]
    elves = {f.path: f.aarch64 for f in scan.elves}
    assert elves["artifacts/app.tar.gz!app/bin/tool"] is True
    assert elves["artifacts/bundle.zip!lib/libapp.so"] is True
    [x86] = [p for p, ok in elves.items() if not ok]
    assert x86.startswith("artifacts/image.tar!") and x86.endswith("/layer.tar!usr/bin/app")


def test_archive_problems_and_limits_are_recorded(here: Path) -> None:
    (here / "cut.tar.gz").write_bytes(tar_bytes({"a": ARM, "b": ARM}, compression="gz")[:-300])
    (here / "many.zip").write_bytes(zip_bytes({f"f{i}": b"x" for i in range(20)}))
    (here / "app.tar.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(40))
    (here / "app.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(40))
    scan = scan_binaries(
        [Path("cut.tar.gz"), Path("many.zip"), Path("app.tar.zst"), Path("app.7z")],
        limits=Limits(max_members=5),
    )
    assert len(scan.problems) == 3
    assert scan.problems[0].startswith("cut.tar.gz: damaged gzip data")
    assert scan.problems[1].startswith("many.zip: 20 members, more than 5")
    assert scan.problems[2] == "app.tar.zst: damaged zstd data: zstd data ends inside a frame"
    assert scan.not_inspected == (
        NotInspected(path="app.7z", reason="a 7-Zip archive, which this tool cannot open"),
    )


def test_empty_folder_is_not_ok(here: Path) -> None:
    (here / "empty").mkdir()
    scan = scan_binaries([Path("empty")])
    assert (scan.files, scan.elf_count, scan.ok) == ((), 0, False)


@pytest.mark.slow
def test_folders_nested_deeper_than_the_recursion_limit(here: Path) -> None:
    deep = "d"
    os.mkdir(deep)
    for _ in range(1200):
        deep += "/a"
        os.mkdir(deep)  # one level at a time: pathlib's mkdir(parents=True) recurses
    Path(deep, "tool").write_bytes(ARM)
    try:
        scan = scan_binaries([Path("d")])
        assert [f.path for f in scan.files] == [f"{deep}/tool"]
    finally:
        # Python 3.11's shutil.rmtree recurses too: pytest could not clean this tree up later.
        Path(deep, "tool").unlink()
        while deep:
            os.rmdir(deep)
            deep = deep.rpartition("/")[0]


def design_contract() -> dict[str, object]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "CONTRACT.md").read_text()
    section = text.split("## `inspect-binaries --json`", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    parsed: dict[str, object] = json.loads(block[1])
    return parsed


def test_contract_json_matches_the_design(here: Path) -> None:
    contract = design_contract()
    out = here / "out"
    out.mkdir()
    (out / "app.tar.gz").write_bytes(tar_bytes({"app/bin/tool": ARM}, compression="gz"))
    (out / "notes.txt").write_text("not a binary")
    document = scan_binaries([Path("out")]).contract_json()
    assert json.loads(json.dumps(document)) == document
    assert set(contract) <= set(document)
    assert document["schema"] == contract["schema"]
    assert (document["ok"], document["elf_count"], document["aarch64_count"]) == (True, 1, 1)
    design_files = contract["files"]
    assert isinstance(design_files, list)
    assert document["files"] == [
        {**design_files[0], "path": "out/app.tar.gz!app/bin/tool"},
        design_files[1],
    ]
    for ours, theirs in zip(document["files"], design_files, strict=True):
        assert list(ours) == list(theirs)  # same keys, same order


def test_contract_ok_is_false_for_foreign_binaries(here: Path) -> None:
    (here / "bin").mkdir()
    (here / "bin" / "x86").write_bytes(X86)
    (here / "bin" / "arm").write_bytes(ARM)
    document = scan_binaries([Path("bin")]).contract_json()
    assert (document["ok"], document["elf_count"], document["aarch64_count"]) == (False, 2, 1)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sampled_from([b"", b"\x7fELF", b"PK\x03\x04", b"\x1f\x8b", b"BZh91AY&SY", b"\xfd7zXZ\x00"]),
    st.binary(max_size=2048),
)
def test_any_file_content_gives_a_scan(tmp_path: Path, prefix: bytes, rest: bytes) -> None:
    path = tmp_path / "fuzzed"
    path.write_bytes(prefix + rest)
    scan = scan_binaries([path])
    assert isinstance(scan, BinaryScan)
    json.dumps(scan.contract_json())
    for info in scan.files:
        assert info.path.startswith(str(path))
        assert info.reason is None or "\n" not in info.reason


def test_zip_member_read_error_is_an_error_entry(here: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bin/tool", ARM)
    data = bytearray(buffer.getvalue())
    start = data.index(b"bin/tool") + len(b"bin/tool")
    data[start : start + 40] = bytes(range(40))  # damage the deflate stream itself
    (here / "z.zip").write_bytes(bytes(data))
    [info] = scan_binaries([Path("z.zip")]).files
    assert info.path == "z.zip!bin/tool"
    assert info.kind == "error"
    assert info.reason is not None and info.reason.startswith("could not read")


def test_tar_inside_tar_stream(here: Path) -> None:
    inner = tar_bytes({"bin/tool": ARM})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        info = tarfile.TarInfo("layers/inner.tar")
        info.size = len(inner)
        archive.addfile(info, io.BytesIO(inner))
    (here / "outer.tar.bz2").write_bytes(buffer.getvalue())
    scan = scan_binaries([Path("outer.tar.bz2")])
    assert [(f.path, f.aarch64) for f in scan.files] == [
        ("outer.tar.bz2!layers/inner.tar!bin/tool", True)
    ]


# --- everything uploaded is looked at; only programs prove a build ----------------------------

ARCHIVES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
X86_PACKED = sorted(p.name for p in ARCHIVES.iterdir() if p.name.startswith(("x86", "hello-")))


def verdict_on(scan: BinaryScan) -> tuple[str, str, str]:
    """ELF001, ELF002 and the verdict on otherwise good evidence holding ``scan``, every file
    uploaded by the ARM64 job (so only the archive rules decide)."""
    scan = replace(scan, files=tuple(replace(f, origin=BINARIES_ORIGIN) for f in scan.files))
    report = assess(replace(go(), binaries=scan))
    by_check = {o.check: o.status for o in report.outcomes}
    return by_check["ELF001"], by_check["ELF002"], report.verdict


def test_go_without_the_archives_is_the_baseline(here: Path) -> None:
    (here / "app").write_bytes(ARM)
    assert verdict_on(scan_binaries([Path("app")])) == ("passed", "passed", "GO")


@pytest.mark.parametrize("name", X86_PACKED)
def test_x86_code_in_any_uploaded_archive_is_no_go(here: Path, name: str) -> None:
    """An AArch64 program beside x86 code packed as .deb, .a, rpm, cpio, v7 tar, .tar.zst..."""
    (here / "app").write_bytes(ARM)
    shutil.copy(ARCHIVES / name, here / "upload")  # the name says nothing: bytes decide
    scan = scan_binaries([Path("app"), Path("upload")])
    assert [f.path for f in scan.elves if not f.aarch64] == [
        f.path for f in scan.files if f.path.startswith("upload!") and f.kind == "elf"
    ]
    assert scan.elf_count == 2
    assert not scan.ok
    assert verdict_on(scan)[1:] == ("failed", "NO-GO")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"7z\xbc\xaf\x27\x1c" + bytes(64), "a 7-Zip archive, which this tool cannot open"),
        (b"Rar!\x1a\x07\x01\x00" + bytes(64), "a RAR archive, which this tool cannot open"),
    ],
)
def test_what_cannot_be_opened_is_listed_and_inconclusive(
    here: Path, data: bytes, reason: str
) -> None:
    (here / "app").write_bytes(ARM)
    (here / "bundle").write_bytes(data)
    (here / "outer.tgz").write_bytes(tar_bytes({"inner": data}, compression="gz"))
    scan = scan_binaries([Path("app"), Path("bundle"), Path("outer.tgz")])
    assert scan.not_inspected == (
        NotInspected(path="bundle", reason=reason),
        NotInspected(path="outer.tgz!inner", reason=reason),
    )
    assert (scan.problems, scan.ok) == ((), False)
    document = scan.contract_json()
    assert document["ok"] is False
    assert document["not_inspected"] == [
        {"path": "bundle", "reason": reason},
        {"path": "outer.tgz!inner", "reason": reason},
    ]
    assert verdict_on(scan) == ("passed", "inconclusive", "INCONCLUSIVE")


def test_zstd_without_its_package_is_not_inspected(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)  # as if it were not installed
    (here / "app").write_bytes(ARM)
    shutil.copy(ARCHIVES / "x86.tar.zst", here / "x86.tar.zst")
    scan = scan_binaries([Path("app"), Path("x86.tar.zst")])
    assert [n.path for n in scan.not_inspected] == ["x86.tar.zst"]
    assert verdict_on(scan)[1:] == ("inconclusive", "INCONCLUSIVE")


def test_inspect_binaries_exits_1_when_something_was_not_inspected(here: Path) -> None:
    (here / "app").write_bytes(ARM)
    (here / "bundle.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(64))
    result = CliRunner().invoke(app, ["inspect-binaries", "app", "bundle.7z", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["not_inspected"] == [
        {"path": "bundle.7z", "reason": "a 7-Zip archive, which this tool cannot open"}
    ]
    table = CliRunner().invoke(app, ["inspect-binaries", "app", "bundle.7z"])
    assert "NOT INSPECTED bundle.7z: a 7-Zip archive" in table.stdout


def core_of(program: bytes) -> bytes:
    """``program`` with e_type ET_CORE: an AArch64 core dump's header, from real bytes."""
    return program[:16] + struct.pack("<H", 4) + program[18:]


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({"lib.a": (ARCHIVES / "libhello-aarch64.a").read_bytes()}, "ET_REL in an ar archive"),
        ({"hello.o": (BINARIES / "hello-aarch64.o").read_bytes()}, "ET_REL"),
        ({"hello.ko": (BINARIES / "hello-aarch64.ko").read_bytes()}, "ET_REL kernel module"),
        ({"hello.debug": (BINARIES / "hello-aarch64.debug").read_bytes()}, "debug-info file"),
        ({"core": core_of(ARM)}, "ET_CORE"),
    ],
)
def test_only_executables_and_shared_objects_prove_a_build(
    here: Path, files: dict[str, bytes], why: str
) -> None:
    """Each of these is 64-bit little-endian AArch64 ELF, yet proves no build."""
    for name, data in files.items():
        (here / name).write_bytes(data)
    scan = scan_binaries([Path(n) for n in files])
    assert scan.elf_count == 1 and scan.aarch64_count == 1, why
    assert (scan.program_count, scan.ok) == (0, False), why
    assert scan.contract_json()["program_count"] == 0
    assert verdict_on(scan) == ("failed", "skipped", "NO-GO"), why
    (here / "app").write_bytes(ARM)
    with_program = scan_binaries([Path("app"), *(Path(n) for n in files)])
    assert (with_program.program_count, with_program.ok) == (1, True)
    assert verdict_on(with_program) == ("passed", "passed", "GO")


def test_a_real_core_dump_is_listed_not_counted(here: Path) -> None:
    shutil.copy(ARCHIVES / "core-x86_64.xz", here / "core.xz")
    scan = scan_binaries([Path("core.xz")])
    (core,) = scan.elves
    assert (core.path, core.type, core.machine, core.is_program) == (
        "core.xz!core",
        "ET_CORE",
        "EM_X86_64",
        False,
    )
    assert scan.program_count == 0


def test_the_debug_file_is_named_in_the_json(here: Path) -> None:
    shutil.copy(BINARIES / "hello-aarch64.debug", here / "app.debug")
    shutil.copy(BINARIES / "hello-aarch64", here / "app")
    document = scan_binaries([Path("app"), Path("app.debug")]).contract_json()
    assert (document["debug_only"], document["program_count"], document["ok"]) == (
        ["app.debug"],
        1,
        True,
    )


# --- containers this tool cannot open: named, never "not ELF" --------------------------------

# fixture (real tools: fixtures/archives/README.md) -> the format the reason must name
CLOSED = {
    "closed-x86_64.squashfs": "a squashfs image",
    "closed-x86_64.iso": "an ISO 9660 disc image",
    "closed-empty.udf": "a UDF disc image",
    "closed-x86_64.cramfs": "a cramfs image",
    "closed-x86_64.cab": "a Microsoft cabinet (.cab)",
}


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_an_image_that_cannot_be_opened_keeps_elf002_from_passing(here: Path, name: str) -> None:
    """Before these were recognised, each was "not ELF" beside an AArch64 program: GO."""
    (here / "app").write_bytes(ARM)
    shutil.copy(ARCHIVES / name, here / "upload")  # the name says nothing: bytes decide
    (here / "outer.tgz").write_bytes(
        tar_bytes({"inner": (ARCHIVES / name).read_bytes()}, compression="gz")
    )
    assert verdict_on(scan_binaries([Path("app")])) == ("passed", "passed", "GO")
    scan = scan_binaries([Path("app"), Path("upload"), Path("outer.tgz")])
    reason = f"{CLOSED[name]}, which this tool cannot open"
    assert [
        (n.path, n.reason.replace(" (a .snap, an AppImage's payload)", ""))
        for n in scan.not_inspected
    ] == [("upload", reason), ("outer.tgz!inner", reason)]
    assert (scan.elf_count, scan.problems, scan.ok) == (1, (), False)
    assert verdict_on(scan) == ("passed", "inconclusive", "INCONCLUSIVE")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bundle.msi", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        ("bundle.Z", b"\x1f\x9d\x90" + bytes(64)),
        ("bundle.dmg", bytes(4096) + b"koly\x00\x00\x00\x04\x00\x00\x02\x00" + bytes(500)),
    ],
)
def test_msi_compress_and_dmg_are_named_by_their_magic(here: Path, name: str, data: bytes) -> None:
    (here / "app").write_bytes(ARM)
    (here / name).write_bytes(data)
    scan = scan_binaries([Path("app"), Path(name)])
    assert [n.path for n in scan.not_inspected] == [name]
    assert verdict_on(scan)[1:] == ("inconclusive", "INCONCLUSIVE")


def test_an_appimage_is_judged_and_its_squashfs_listed(here: Path) -> None:
    """The ELF runtime is AArch64 (as an AppImage's runtime is for its target): the programs
    are in the squashfs appended to it, which this tool does not open."""
    shutil.copy(ARCHIVES / "closed-aarch64.AppImage", here / "App")
    scan = scan_binaries([Path("App")])
    (runtime,) = scan.elves
    assert (runtime.path, runtime.aarch64, runtime.is_program) == ("App", True, True)
    (payload,) = scan.not_inspected
    assert payload.path == "App"
    assert payload.reason.startswith("a squashfs image")
    assert f"appended to the ELF file at byte {len(ARM)}" in payload.reason
    assert verdict_on(scan) == ("passed", "inconclusive", "INCONCLUSIVE")
    (here / "apps.tgz").write_bytes(
        tar_bytes({"App": (here / "App").read_bytes()}, compression="gz")
    )
    nested = scan_binaries([Path("apps.tgz")])
    assert [f.path for f in nested.elves] == ["apps.tgz!App"]
    assert [n.path for n in nested.not_inspected] == ["apps.tgz!App"]
    assert verdict_on(nested)[1:] == ("inconclusive", "INCONCLUSIVE")


def test_a_plain_elf_with_nothing_appended_lists_nothing(here: Path) -> None:
    shutil.copy(BINARIES / "hello-aarch64", here / "app")
    (here / "padded").write_bytes(ARM + b"\x00" * 4096)  # padding is not a payload
    assert scan_binaries([Path("app"), Path("padded")]).not_inspected == ()


@pytest.mark.parametrize(
    "name",
    [
        "hello-x86_64-makeself-gzip.run",
        "hello-x86_64-makeself-xz.run",
        "hello-x86_64-makeself-tar.run",
        "hello-x86_64-stub-tgz.sh",
    ],
)
def test_an_installer_script_is_opened_where_its_archive_starts(here: Path, name: str) -> None:
    """makeself and a stub plus ``cat``: the x86-64 program after the script's text is found,
    on disk and inside another archive."""
    (here / "app").write_bytes(ARM)
    shutil.copy(ARCHIVES / name, here / "install")
    (here / "outer.zip").write_bytes(zip_bytes({"install": (ARCHIVES / name).read_bytes()}))
    scan = scan_binaries([Path("app"), Path("install"), Path("outer.zip")])
    assert {f.path: f.aarch64 for f in scan.elves} == {
        "app": True,
        "install!usr/bin/hello": False,
        "outer.zip!install!usr/bin/hello": False,
    }
    assert (scan.problems, scan.not_inspected) == ((), ())
    assert verdict_on(scan)[1:] == ("failed", "NO-GO")


def test_a_script_followed_by_unknown_binary_data_is_not_inspected(here: Path) -> None:
    (here / "app").write_bytes(ARM)
    (here / "install.run").write_bytes(b"#!/bin/sh\nexit 0\n" + b"\x00\x01\x02garbage" * 100)
    scan = scan_binaries([Path("app"), Path("install.run")])
    (unknown,) = scan.not_inspected
    assert unknown.reason == (
        "a script followed by binary data in no format this tool knows (at byte 17), "
        "which this tool cannot open"
    )
    assert verdict_on(scan)[1:] == ("inconclusive", "INCONCLUSIVE")


def test_inspect_binaries_exits_1_on_a_snap_and_names_squashfs(here: Path) -> None:
    (here / "app").write_bytes(ARM)
    shutil.copy(ARCHIVES / "closed-x86_64.squashfs", here / "tool_1.0_arm64.snap")
    result = CliRunner().invoke(app, ["inspect-binaries", "app", "tool_1.0_arm64.snap"])
    assert result.exit_code == 1
    assert "NOT INSPECTED tool_1.0_arm64.snap: a squashfs image" in result.stdout
    iso = CliRunner().invoke(app, ["inspect-binaries", "app", str(ARCHIVES / "closed-x86_64.iso")])
    assert iso.exit_code == 1
    assert "an ISO 9660 disc image, which this tool cannot open" in iso.stdout
