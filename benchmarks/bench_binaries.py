"""Binaries: `inspect-binaries` over a tree of 20,000 files against `file -b`, `readelf -h` and a
bare Python loop, on the same files in the same run; and whether a bounded pool helps the scan.

The tree mixes the fixture binaries (real builds for AArch64, x86-64, armhf and RISC-V, and the
patched or damaged ones derived from them) grown sparsely to sizes up to 100 MB, with small text
and binary files. It is generated from a fixed seed and cached under ``benchmarks/work/``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, TOOL, Row, env_without_token, median_seconds, peak_rss_mb, row

FIXTURES = ROOT / "fixtures" / "binaries"
SEED = 20260101
LAYOUT = 1  # bump when the generator changes, so cached trees are rebuilt
MAX_ELF_BYTES = 100 << 20
FULL = (20_000, 500)
QUICK = (2_000, 50)

# Fixture binary → weight: mostly what an ARM64 pipeline builds, with foreign and damaged ones.
ELF_MIX = {
    "hello-aarch64": 30,
    "hello-aarch64-static": 10,
    "libhello-aarch64.so": 15,
    "hello-aarch64.o": 8,
    "hello-aarch64.ko": 4,
    "hello-x86_64": 8,
    "hello-armhf": 5,
    "hello-riscv64": 4,
    "hello-aarch64-be": 3,
    "hello-aarch64-ilp32": 3,
    "hello-x86_64-as-aarch64": 4,
    "hello-aarch64-truncated": 3,
    "hello-aarch64-phoff-past-end": 3,
}
# Their damage is their size: growing them would make their headers fit again.
KEEP_SIZE = frozenset({"hello-aarch64-truncated", "hello-aarch64-phoff-past-end"})
FOLDERS = (
    "target/aarch64-unknown-linux-gnu/release/deps",
    "target/aarch64-unknown-linux-gnu/release/build",
    "target/aarch64-unknown-linux-gnu/release/examples",
    "dist/bin",
    "dist/lib",
    "share/doc",
    "coverage/html",
    "logs/jobs",
    "src/generated",
)
WORDS = (
    "arm64",
    "aarch64",
    "runner",
    "build",
    "test",
    "cargo",
    "release",
    "debug",
    "linker",
    "symbol",
    "section",
    "header",
    "program",
    "interpreter",
    "artifact",
    "upload",
    "pipeline",
    "workflow",
    "job",
    "step",
    "cache",
    "layer",
    "image",
)
# A random small file must not start like an archive or an ELF (gzip's magic is two bytes).
SAFE_FIRST = bytes(range(ord("a"), ord("z") + 1))


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One file of the generated tree: a fixture binary grown to ``size``, or a small file."""

    path: str
    size: int
    fixture: str | None
    seed: int


def plan(files: int, elves: int, seed: int, *, elf_total: int | None = None) -> list[Entry]:
    """The tree's files, from ``seed`` alone; ``elf_total`` scales the ELF sizes to that sum."""
    rng = random.Random(seed)
    folders = [
        f"{rng.choice(FOLDERS)}/{rng.choice(WORDS)}-{n:03d}" for n in range(max(1, files // 100))
    ]
    names, weights = list(ELF_MIX), list(ELF_MIX.values())
    elf_at = set(rng.sample(range(files), elves))
    entries = []
    for n in range(files):
        folder = rng.choice(folders)
        if n in elf_at:
            fixture = rng.choices(names, weights)[0]
            base = (FIXTURES / fixture).stat().st_size
            size = base
            if fixture not in KEEP_SIZE:
                size = int(math.exp(rng.uniform(math.log(base), math.log(MAX_ELF_BYTES))))
            suffix = ".so" if ".so" in fixture else ".o" if fixture.endswith((".o", ".ko")) else ""
            name = f"{fixture.split('.')[0]}-{n:05d}{suffix}"
            entries.append(Entry(path=f"{folder}/{name}", size=size, fixture=fixture, seed=0))
        else:
            size = int(math.exp(rng.uniform(math.log(16), math.log(32 << 10))))
            name = f"{rng.choice(WORDS)}-{n:05d}.{rng.choice(('txt', 'json', 'rs', 'log', 'bin'))}"
            entries.append(
                Entry(path=f"{folder}/{name}", size=size, fixture=None, seed=rng.getrandbits(32))
            )
    return entries if elf_total is None else _scaled(entries, elf_total)


def _scaled(entries: list[Entry], elf_total: int) -> list[Entry]:
    grown = [e for e in entries if e.fixture is not None and e.fixture not in KEEP_SIZE]
    kept = sum(e.size for e in entries if e.fixture in KEEP_SIZE)
    factor = (elf_total - kept) / max(1, sum(e.size for e in grown))
    return [
        dataclasses.replace(
            e, size=max((FIXTURES / e.fixture).stat().st_size, int(e.size * factor))
        )
        if e.fixture is not None and e.fixture not in KEEP_SIZE
        else e
        for e in entries
    ]


def small_content(entry: Entry) -> bytes:
    """The bytes of a small non-ELF file: words of text, or random bytes."""
    rng = random.Random(entry.seed)
    if entry.path.endswith(".bin"):
        data = rng.randbytes(entry.size)
        return bytes([rng.choice(SAFE_FIRST)]) + data[1:] if data else data
    text = " ".join(rng.choice(WORDS) for _ in range(entry.size // 5 + 1))
    return text.encode()[: entry.size]


def fixture_bytes() -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in ELF_MIX}


def build_tree(work: Path, files: int, elves: int) -> tuple[Path, list[Entry]]:
    """The tree on disk (binaries grown sparsely), generated once per size and seed."""
    root = work / f"binaries-tree-{files}-{elves}-{SEED}-v{LAYOUT}"
    entries = plan(files, elves, SEED)
    if (root / ".complete").exists():
        return root / "tree", entries
    progress(f"bench_binaries: generating {files} files ({elves} ELF) under {root} ...")
    remove(root)
    fixtures = fixture_bytes()
    for entry in entries:
        path = root / "tree" / entry.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            if entry.fixture is None:
                out.write(small_content(entry))
            else:
                out.write(fixtures[entry.fixture])
                out.truncate(entry.size)  # sparse: the size without the disk use
    (root / ".complete").write_text(f"{len(entries)} files\n")
    return root / "tree", entries


def remove(path: Path) -> None:
    """Remove a generated folder (rm -rf: Python 3.11's rmtree recurses per level)."""
    if path.exists():
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- running and timing -----------------------------------------------------------------------


def call(command: Sequence[str], ok: Sequence[int] = (0, 1)) -> str:
    """Run ``command``; its stdout, or RuntimeError when it exits with a code not in ``ok``."""
    done = subprocess.run(
        list(command), capture_output=True, text=True, check=False, env=env_without_token()
    )
    if done.returncode not in ok:
        raise RuntimeError(f"{command[0]} exited {done.returncode}: {done.stderr[-400:]}")
    return done.stdout


def interleaved(actions: Mapping[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each action, run in turns so that load from others hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def ours(path: Path) -> list[str]:
    return [str(TOOL), "inspect-binaries", "--json", str(path)]


def batched(tree: Path, *command: str) -> list[str]:
    """``command`` over every file of ``tree``, batched by xargs as a shell user would."""
    pipeline = f'find "$1" -type f -print0 | xargs -0 {" ".join(command)}'
    return ["sh", "-c", pipeline, "sh", str(tree)]


FLOOR = """
import os, sys
count = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            f.read(64)
        count += 1
print(count)
"""
# The same scan and document as the CLI, without the CLI framework (typer) around it.
DIRECT = """
import json, sys
from pathlib import Path
from validator.binaries import scan_binaries
scan = scan_binaries([Path(sys.argv[1])])
sys.stdout.write(json.dumps(scan.contract_json(), indent=2, ensure_ascii=False))
"""


def floor_in_process(tree: Path) -> int:
    count = 0
    for folder, _, names in os.walk(tree):
        for name in names:
            with Path(folder, name).open("rb") as f:
                f.read(64)
            count += 1
    return count


# --- readelf's answers ------------------------------------------------------------------------


def readelf_answers(paths: Sequence[str]) -> dict[str, bool]:
    """For each file readelf reads as an ELF: would what it reports pass as AArch64?

    readelf reports the facts (class, data, machine, program interpreter, and errors for
    headers that do not fit in the file); the rule applied to them is the product's.
    """
    from validator.elf import is_aarch64_loader

    answers: dict[str, bool] = {}
    for start in range(0, len(paths), 1000):
        chunk = list(paths[start : start + 1000])
        if len(chunk) == 1:
            chunk.append(chunk[0])  # given two or more files, readelf names each one
        done = subprocess.run(
            ["stdbuf", "-oL", "-eL", "readelf", "-h", "-l", "-W", *chunk],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
        for path, lines in _per_file(done.stdout):
            if any("Not an ELF file" in line for line in lines):
                continue
            facts = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            interpreters = [
                line.split(":", 1)[1].strip().rstrip("]")
                for line in lines
                if "[Requesting program interpreter:" in line
            ]
            answers[path] = (
                facts.get("Class") == "ELF64"
                and "little endian" in facts.get("Data", "")
                and facts.get("Machine") == "AArch64"
                and not any(line.startswith("readelf: Error:") for line in lines)
                and all(is_aarch64_loader(i) for i in interpreters)
            )
    return answers


def _per_file(output: str) -> Iterator[tuple[str, list[str]]]:
    path: str | None = None
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("readelf: Error: /") and path is not None and path not in line:
            continue  # a file too short for a header: named in its own error, before "File:"
        if line.startswith("File: "):
            if path is not None:
                yield path, lines
            path, lines = line.removeprefix("File: "), []
        elif path is not None:
            lines.append(line)
    if path is not None:
        yield path, lines


# --- the pool experiment ----------------------------------------------------------------------


def pool_experiment(files: Sequence[Path], repeat: int) -> dict[str, float]:
    """Median seconds to scan ``files`` in 16 chunks one after the other, and in pools of 2."""
    from validator.binaries import scan_binaries

    chunks = [list(files[i::16]) for i in range(16)]

    def sequential() -> None:
        for chunk in chunks:
            scan_binaries(chunk)

    def pooled(make: Callable[[], Executor]) -> Callable[[], None]:
        def action() -> None:
            with make() as pool:
                list(pool.map(scan_binaries, chunks))

        return action

    return interleaved(
        {
            "sequential": sequential,
            "2 threads": pooled(lambda: ThreadPoolExecutor(2)),
            "2 processes": pooled(lambda: ProcessPoolExecutor(2)),
        },
        repeat,
    )


# --- the benchmark ----------------------------------------------------------------------------


_row = functools.partial(row, "binaries")


def run(*, quick: bool, work: Path) -> list[Row]:
    files, elves = QUICK if quick else FULL
    repeat = 1 if quick else 5
    tree, entries = build_tree(work, files, elves)
    label = f"{files:,} files, {elves} ELF up to 100 MB"

    progress("bench_binaries: inspect-binaries, readelf -h, Python floor ...")
    commands = {
        "ours": ours(tree),
        "direct": [sys.executable, "-c", DIRECT, str(tree)],
        "readelf": batched(tree, "readelf", "-h"),
        "floor": [sys.executable, "-c", FLOOR, str(tree)],
    }
    # xargs exits 123 when readelf refuses some file (every non-ELF one).
    codes = {"readelf": (0, 123)}

    def runner(name: str) -> Callable[[], str]:
        return lambda: call(commands[name], codes.get(name, (0, 1)))

    for name in commands:
        runner(name)()  # warm the page cache and Python's own files
    t = interleaved({name: runner(name) for name in commands}, repeat)
    progress("bench_binaries: file -b (slow: fewer runs) ...")
    t_file = median_seconds(lambda: call(batched(tree, "file", "-b")), 1 if quick else 2)

    from validator.binaries import scan_binaries

    scan_binaries([tree])
    inside = interleaved(
        {"scan": lambda: scan_binaries([tree]), "floor": lambda: floor_in_process(tree)}, repeat
    )

    progress("bench_binaries: agreement with readelf, peak memory, pools ...")
    mine = {f["path"]: f["aarch64"] for f in json.loads(call(ours(tree)))["files"]}
    theirs = readelf_answers([str(tree / e.path) for e in entries])
    elf_paths = [str(tree / e.path) for e in entries if e.fixture is not None]
    agree = [p for p in elf_paths if p in theirs and mine.get(p) == theirs[p]]
    odd = [p for p in elf_paths if p not in agree] + sorted(set(theirs) - set(elf_paths))
    rss = peak_rss_mb(ours(tree))
    listed = [p for p in sorted(tree.rglob("*")) if p.is_file()]
    pool = pool_experiment(listed, repeat=1 if quick else 3)

    aarch64 = sum(1 for p in elf_paths if mine.get(p))
    note = f"{aarch64} of them aarch64"
    if odd:
        note += f"; differ: {', '.join(Path(p).name for p in odd[:3])}"
    measure = f"inspect-binaries --json, {label}"
    return [
        _row(
            measure,
            t["ours"],
            "file -b (xargs)",
            t_file,
            target=">= 10x faster",
            met=t_file >= 10 * t["ours"],
        ),
        _row(
            measure,
            t["ours"],
            "readelf -h (xargs)",
            t["readelf"],
            target="within 2x",
            met=t["ours"] <= 2 * t["readelf"],
        ),
        _row(
            measure,
            t["ours"],
            "python: open + read 64 B",
            t["floor"],
            target="within 1.5x",
            met=t["ours"] <= 1.5 * t["floor"],
        ),
        _row(
            "the same scan and JSON without typer (python -c)",
            t["direct"],
            "python: open + read 64 B",
            t["floor"],
        ),
        _row("scan_binaries in-process", inside["scan"], "loop: open + read 64 B", inside["floor"]),
        _row(
            f"aarch64 answers agree with readelf: {len(agree)}/{len(elf_paths)}",
            len(agree),
            "ELF files",
            len(elf_paths),
            unit="files",
            target="all agree",
            met=len(agree) == len(elf_paths) and not odd,
            note=note,
        ),
        _row(
            "peak RSS of inspect-binaries --json",
            rss,
            "—",
            None,
            unit="MB",
            target="< 150 MB",
            met=rss < 150,
        ),
        *(
            _row(
                f"scan_binaries in 16 chunks, {name}",
                seconds,
                "same, one after the other",
                pool["sequential"],
                target="adopt a pool only if faster",
            )
            for name, seconds in pool.items()
            if name != "sequential"
        ),
    ]
