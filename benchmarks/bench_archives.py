"""Archives: `inspect-binaries` on a 1 GB artifact zip and tar.gz, against extracting to disk
first (`unzip -q`, Python's `extractall`, `tar -xzf`) and then inspecting the folder.

The archives hold the same kind of tree as bench_binaries (20,000 files, 500 of them ELF of
mixed architectures), the binaries grown with pseudo-random bytes so that the archive really
weighs 1 GB. Members over 1 MiB are stored and smaller ones deflated, as `zip` does with
content that does not compress. Generated from a fixed seed, cached under ``benchmarks/work/``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import random
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_binaries import (
    Entry,
    fixture_bytes,
    ours,
    plan,
    progress,
    remove,
    small_content,
)
from common import Row, peak_rss_mb, row

SEED = 20260102
LAYOUT = 1  # bump when the generator changes, so cached archives are rebuilt
FULL = (20_000, 500, 1_000_000_000)
QUICK = (2_000, 50, 50_000_000)
POOL_BYTES = 32 << 20  # the pseudo-random bytes every binary's padding is cut from
STORE_ABOVE = 1 << 20
MTIME = 1767225600  # 2026-01-01: the archives are the same bytes on every run
MB = 1_000_000


# --- the workload -----------------------------------------------------------------------------


class _Content(io.RawIOBase):
    """One member's bytes, produced piece by piece (a 100 MB binary is never held whole)."""

    def __init__(self, pieces: Iterator[bytes | memoryview]) -> None:
        self._pieces = pieces
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = memoryview(piece)
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def content(
    entry: Entry, fixtures: dict[str, bytes], pool: memoryview
) -> Iterator[bytes | memoryview]:
    """The bytes of one member: a small file, or a fixture binary padded from ``pool``."""
    if entry.fixture is None:
        yield small_content(entry)
        return
    head = fixtures[entry.fixture]
    yield head
    left = entry.size - len(head)
    at = zlib.crc32(entry.path.encode()) % len(pool)
    while left > 0:
        piece = pool[at : at + min(left, 1 << 20)]
        yield piece
        left -= len(piece)
        at = (at + len(piece)) % len(pool)


@dataclass(frozen=True, kw_only=True)
class Archives:
    """The generated archives of one tree."""

    zip: Path
    tar_gz: Path
    entries: list[Entry]


def build_archives(work: Path, files: int, elves: int, total: int, *, tar: bool) -> Archives:
    """A zip (and a tar.gz) of ``files`` files weighing about ``total`` bytes, built once."""
    folder = work / f"archives-{files}-{elves}-{total // MB}MB-{SEED}-v{LAYOUT}"
    small = sum(e.size for e in plan(files, elves, SEED) if e.fixture is None)
    # Small files deflate to about half: the binaries make up the rest of the weight.
    entries = plan(files, elves, SEED, elf_total=max(0, total - small // 2))
    found = Archives(
        zip=folder / "artifact.zip", tar_gz=folder / "artifact.tar.gz", entries=entries
    )
    done = folder / (".complete-tar" if tar else ".complete")
    if done.exists():
        return found
    weight = f"about {total // MB:,} MB" if total else "binaries at their own size"
    progress(f"bench_archives: generating archives of {files:,} files ({weight}) in {folder} ...")
    fixtures = fixture_bytes()
    pool = memoryview(random.Random(SEED).randbytes(POOL_BYTES))
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".complete").exists():
        _write_zip(found.zip, entries, fixtures, pool)
        (folder / ".complete").write_text(f"{len(entries)} files\n")
    if tar:
        _write_tar_gz(found.tar_gz, entries, fixtures, pool)
        done.write_text(f"{len(entries)} files\n")
    return found


def _write_zip(
    path: Path, entries: list[Entry], fixtures: dict[str, bytes], pool: memoryview
) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.path, date_time=(2026, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | (0o755 if entry.fixture else 0o644)) << 16
            info.compress_type = (
                zipfile.ZIP_STORED if entry.size > STORE_ABOVE else zipfile.ZIP_DEFLATED
            )
            with archive.open(info, "w") as out:
                for piece in content(entry, fixtures, pool):
                    out.write(piece)


def _write_tar_gz(
    path: Path, entries: list[Entry], fixtures: dict[str, bytes], pool: memoryview
) -> None:
    """gzip -1 compresses in its own process while this one writes the tar: two cores busy."""
    with path.open("wb") as out:
        gzip = subprocess.Popen(["gzip", "-1", "-n"], stdin=subprocess.PIPE, stdout=out)
        assert gzip.stdin is not None
        with tarfile.open(fileobj=gzip.stdin, mode="w|", format=tarfile.GNU_FORMAT) as archive:
            for entry in entries:
                info = tarfile.TarInfo(entry.path)
                info.size, info.mtime = entry.size, MTIME
                info.mode = 0o755 if entry.fixture else 0o644
                archive.addfile(info, io.BufferedReader(_Content(content(entry, fixtures, pool))))
        gzip.stdin.close()
        if gzip.wait() != 0:
            raise RuntimeError(f"gzip failed writing {path}")


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Measured:
    """One run of a command: wall time, bytes it wrote to storage, and its stdout."""

    seconds: float
    written: int
    stdout: bytes


def measured(command: Sequence[str], ok: Sequence[int] = (0, 1)) -> Measured:
    """Run ``command``; its wall time and ``write_bytes`` from /proc/PID/io (Linux)."""
    start = time.perf_counter()
    child = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(child.stdout.read())),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(child.stderr.read())),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    # Wait without reaping, so that the finished child's counters can still be read.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    seconds = time.perf_counter() - start
    counters = Path(f"/proc/{child.pid}/io").read_text().splitlines()
    code = child.wait()
    for reader in readers:
        reader.join()
    if code not in ok:
        raise RuntimeError(f"{command[0]} exited {code}: {b''.join(err)[-400:]!r}")
    written = dict(line.split(": ", 1) for line in counters)["write_bytes"]
    return Measured(seconds=seconds, written=int(written), stdout=b"".join(out))


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def answers(document: dict[str, object], prefix: str) -> dict[str, tuple[str, bool]]:
    """Member path (the archive or folder prefix removed) → (kind, aarch64)."""
    files = document["files"]
    assert isinstance(files, list)
    return {f["path"].removeprefix(prefix): (f["kind"], f["aarch64"]) for f in files}


_row = functools.partial(row, "archives")


def run(*, quick: bool, work: Path) -> list[Row]:
    files, elves, total = QUICK if quick else FULL
    repeat = 1 if quick else 3
    made = build_archives(work, files, elves, total, tar=True)
    # Same files, binaries at their own size: shows memory does not follow the archive's bytes.
    lean = None if quick else build_archives(work, files, elves, 0, tar=False)
    scratch = work / "archives-extracted"
    zip_mb, tar_mb = made.zip.stat().st_size / MB, made.tar_gz.stat().st_size / MB

    def extract_then_inspect(extract: list[str]) -> Measured:
        remove(scratch)
        scratch.mkdir(parents=True)
        unpacked = measured(extract, ok=(0,))
        inspected = measured(ours(scratch))
        remove(scratch)
        return Measured(
            seconds=unpacked.seconds + inspected.seconds,
            written=unpacked.written,
            stdout=inspected.stdout,
        )

    extractall = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"
    steps: dict[str, Callable[[], Measured]] = {
        "zip": lambda: measured(ours(made.zip)),
        "unzip": lambda: extract_then_inspect(["unzip", "-q", str(made.zip), "-d", str(scratch)]),
        "tar.gz": lambda: measured(ours(made.tar_gz)),
        "tar -xzf": lambda: extract_then_inspect(
            ["tar", "-xzf", str(made.tar_gz), "-C", str(scratch)]
        ),
    }
    progress("bench_archives: ours on the zip and tar.gz, against extracting first ...")
    results: dict[str, list[Measured]] = {name: [] for name in steps}
    for _ in range(repeat):  # in turns, so that load from others hits all alike
        for name, step in steps.items():
            results[name].append(step())
    extracted_python = extract_then_inspect(
        [sys.executable, "-c", extractall, str(made.zip), str(scratch)]
    )
    t = {name: median([m.seconds for m in runs]) for name, runs in results.items()}
    written = {name: max(m.written for m in runs) for name, runs in results.items()}

    progress("bench_archives: agreement, peak memory ...")
    documents = {name: json.loads(runs[0].stdout) for name, runs in results.items()}
    for name in ("zip", "tar.gz"):
        if documents[name]["problems"] or len(documents[name]["files"]) != files:
            raise RuntimeError(f"the {name} was not walked whole: {documents[name]['problems']}")
    folder = answers(documents["unzip"], f"{scratch}/")
    agree = {
        "zip": sum(
            v == folder.get(k) for k, v in answers(documents["zip"], f"{made.zip}!").items()
        ),
        "tar.gz": sum(
            v == folder.get(k) for k, v in answers(documents["tar.gz"], f"{made.tar_gz}!").items()
        ),
    }
    rss_zip, rss_tar = peak_rss_mb(ours(made.zip)), peak_rss_mb(ours(made.tar_gz))
    rss_lean = peak_rss_mb(ours(lean.zip)) if lean else None
    lean_mb = lean.zip.stat().st_size / MB if lean else 0

    def megabytes(count: int) -> float:
        return count / MB

    return [
        _row(
            f"inspect-binaries --json on a {zip_mb:,.0f} MB zip of {files:,} files",
            t["zip"],
            "unzip -q, then inspect the folder",
            t["unzip"],
            target=">= 3x faster",
            met=t["unzip"] >= 3 * t["zip"],
        ),
        _row(
            f"inspect-binaries --json on a {zip_mb:,.0f} MB zip of {files:,} files",
            t["zip"],
            "zipfile extractall, then inspect",
            extracted_python.seconds,
            target=">= 3x faster",
            met=extracted_python.seconds >= 3 * t["zip"],
            note="extractall run once",
        ),
        _row(
            f"inspect-binaries --json on a {tar_mb:,.0f} MB tar.gz of {files:,} files",
            t["tar.gz"],
            "tar -xzf, then inspect the folder",
            t["tar -xzf"],
            target=">= 3x faster",
            met=t["tar -xzf"] >= 3 * t["tar.gz"],
        ),
        _row(
            "bytes written to disk inspecting the zip",
            megabytes(written["zip"]),
            "unzip -q",
            megabytes(written["unzip"]),
            unit="MB",
            target="no extraction (< 1% of it)",
            met=written["zip"] < 0.01 * made.zip.stat().st_size,
        ),
        _row(
            "bytes written to disk inspecting the tar.gz",
            megabytes(written["tar.gz"]),
            "tar -xzf",
            megabytes(written["tar -xzf"]),
            unit="MB",
            target="no extraction (< 1% of it)",
            met=written["tar.gz"] < 0.01 * made.tar_gz.stat().st_size,
        ),
        _row(
            f"peak RSS of inspect-binaries on the {zip_mb:,.0f} MB zip",
            rss_zip,
            f"same files in a {lean_mb:,.0f} MB zip" if lean else "—",
            rss_lean,
            unit="MB",
            target="< 150 MB",
            met=rss_zip < 150,
        ),
        _row(
            f"peak RSS of inspect-binaries on the {tar_mb:,.0f} MB tar.gz",
            rss_tar,
            "—",
            None,
            unit="MB",
            target="< 150 MB",
            met=rss_tar < 150,
        ),
        _row(
            f"answers inside the archives agree with the extracted folder: zip "
            f"{agree['zip']}/{files}, tar.gz {agree['tar.gz']}/{files}",
            min(agree.values()),
            "files",
            files,
            unit="files",
            target="all agree",
            met=min(agree.values()) == files == len(folder),
        ),
    ]
