"""The history beside the report: its size after 200 validations of a 100k-test suite, and the
peak memory of one validation's report step reading it, against names kept on every line."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from common import ROOT, Row, peak_rss_mb, row

SEED_NAMES = "module_{m}::case_{n}_with_a_realistic_name"
GOAL_BYTES = 20 * 1024 * 1024
GOAL_RSS_MB = 300.0


def suite(tests: int, i: int) -> list[str]:
    """Validation ``i``'s names: the same suite, three tests added and two removed each time."""
    names = [SEED_NAMES.format(m=n % 97, n=n) for n in range(2 * i, tests)]
    return names + [f"added_{j}::case_{k}" for j in range(i) for k in range(3)]


def evidence(tests: int, i: int) -> object:
    sys.path.insert(0, str(ROOT / "tests"))
    from validator.evidence import TestScan
    from validator.tally import Tally

    from builders import go

    tally = Tally()
    names = suite(tests, i)
    for start in range(0, len(names), 1000):
        tally.add_run(
            suite=f"crate-{start // 1000}",
            messages={},
            outcomes=dict.fromkeys(names[start : start + 1000], "passed"),
        )
    scan = TestScan(files=(tally.result(path="job.log", format="libtest"),))
    stamp = f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T{i // 336 % 24:02d}:00:00Z"
    return replace(go(), tests=scan, generated_at=stamp)


def report_step(report_path: Path, tests: int, i: int, *, names_on_every_line: bool) -> None:
    """One validation after the evidence is gathered: read the history, assess, render, record.
    With ``names_on_every_line``, the history is read and written as before the names were
    kept on the newest lines only (the baseline)."""
    from validator import history
    from validator.orchestrate import HISTORY_SHOWN
    from validator.render.markdown import render_markdown
    from validator.report import assess

    ev: object = evidence(tests, i)
    path = history.history_path(report_path)
    if names_on_every_line:
        entries = tuple(
            history.Entry.from_json(json.loads(line)) for line in path.read_bytes().splitlines()
        )
    else:
        entries = history.read_history(path)
    past = history.earlier(entries, ev)  # type: ignore[arg-type]
    ev = replace(ev, previous=history.previous_of(past))  # type: ignore[type-var]
    report = assess(ev, history=past[-HISTORY_SHOWN:])  # type: ignore[arg-type]
    report_path.write_text(render_markdown(report), encoding="utf-8")
    new = report.trend[-1]
    if names_on_every_line:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(new.to_json(), sort_keys=True) + "\n")
    else:
        history.record(path, history.read_history(path), new)


def _measure(folder: Path, tests: int, i: int, *, names_on_every_line: bool) -> float:
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "import bench_history as b; "
        "b.report_step(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), "
        "names_on_every_line=sys.argv[5] == '1')"
    )
    command = [
        sys.executable,
        "-c",
        code,
        str(Path(__file__).resolve().parent),
        str(folder / "ARM64_TEST_RESULTS.md"),
        str(tests),
        str(i),
        "1" if names_on_every_line else "0",
    ]
    return peak_rss_mb(command, cwd=ROOT)


def run(*, quick: bool, work: Path) -> list[Row]:
    tests, validations = (5_000, 20) if quick else (100_000, 200)
    ours, before = work / "history-ours", work / "history-every-line"
    for folder in (ours, before):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
    start = time.perf_counter()
    for i in range(validations - 1):
        report_step(ours / "ARM64_TEST_RESULTS.md", tests, i, names_on_every_line=False)
    seconds = (time.perf_counter() - start) / (validations - 1)
    # The baseline file holds the same validations, each line with its names and digests.
    from validator.history import Entry, history_path

    baseline = history_path(before / "ARM64_TEST_RESULTS.md")
    with baseline.open("w", encoding="utf-8") as handle:
        for i in range(validations - 1):
            from validator.history import entry_for

            entry: Entry = entry_for(evidence(tests, i), "GO", ())  # type: ignore[arg-type]
            handle.write(json.dumps(entry.to_json(), sort_keys=True) + "\n")
    last = validations - 1
    rss_ours = _measure(ours, tests, last, names_on_every_line=False)
    rss_before = _measure(before, tests, last, names_on_every_line=True)
    size_ours = history_path(ours / "ARM64_TEST_RESULTS.md").stat().st_size / 1024 / 1024
    size_before = baseline.stat().st_size / 1024 / 1024
    lines = len(history_path(ours / "ARM64_TEST_RESULTS.md").read_bytes().splitlines())
    if lines != validations:
        raise RuntimeError(f"{lines} history lines after {validations} validations")
    label = f"{validations} validations of {tests:,} tests"
    every = "names on every line"
    if quick:
        return [
            row("history", f"history size, {label}", size_ours, every, size_before, unit="MB"),
            row("history", "peak RSS of the report step", rss_ours, every, rss_before, unit="MB"),
        ]
    return [
        row(
            "history",
            f"history size, {label}",
            size_ours,
            every,
            size_before,
            unit="MB",
            target="under 20 MB",
            met=size_ours * 1024 * 1024 < GOAL_BYTES,
        ),
        row(
            "history",
            "peak RSS of the report step (read, assess, render, record)",
            rss_ours,
            every,
            rss_before,
            unit="MB",
            target="under 300 MB",
            met=rss_ours < GOAL_RSS_MB,
        ),
        row("history", "one validation's report step, in process", seconds, "—", None),
    ]
