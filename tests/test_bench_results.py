"""The results benchmark's inputs (benchmarks/bench_results.py), held as tests at small sizes.

The benchmark trusts its generators' counts to check ours; these tests check the generators
against both readers and against the floors it compares with, and that a seed always gives
the same bytes (the cache under benchmarks/work/ depends on it).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from validator.results import read_result_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench: Any = importlib.import_module("bench_results")


def _counts(path: Path) -> Any:
    return bench.ours_in_process(path)


def test_junit_file_holds_what_its_generator_says(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    want = bench.build(path, bench.junit_chunks(3000, 7))
    assert want.tests == 3000 and want.failed > 0 and want.skipped > 0 and want.flaky > 0
    assert want.errors > 0
    assert _counts(path) == want
    assert bench.junit_floor(path) == want.tests
    r = read_result_file(path, display="junit.xml")
    assert r.format == "junit" and len(r.test_names) == want.tests
    assert any("system-out" in line for line in path.read_text(encoding="utf-8").splitlines())


def test_cargo_log_holds_what_its_generator_says(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    want = bench.build(path, bench.libtest_chunks(1 << 20, 7))
    assert path.stat().st_size >= 1 << 20
    assert want.failed > 0 and want.skipped > 0 and want.errors == want.flaky == 0
    assert _counts(path) == want
    r = read_result_file(path, display="job.log")
    assert want.failed < 500  # so every failure is listed, and no warning is due
    assert (r.format, r.error, r.warnings, len(r.failures)) == ("libtest", None, (), want.failed)
    # the floor counts every line that starts with "test ", summaries included
    assert bench.lines_floor(path) == want.tests + len(r.suites)


def test_a_seed_always_gives_the_same_bytes(tmp_path: Path) -> None:
    def digest(name: str, chunks: Any) -> str:
        path = tmp_path / name
        bench.build(path, chunks)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest("a.xml", bench.junit_chunks(500, 3)) == digest(
        "b.xml", bench.junit_chunks(500, 3)
    )
    assert digest("c.xml", bench.junit_chunks(500, 3)) != digest(
        "d.xml", bench.junit_chunks(500, 4)
    )
    assert digest("a.log", bench.libtest_chunks(50_000, 3)) == digest(
        "b.log", bench.libtest_chunks(50_000, 3)
    )


def test_a_cached_input_is_not_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    first = bench.build(path, bench.junit_chunks(200, 1))
    before = path.stat().st_mtime_ns
    assert bench.build(path, iter(())) == first  # nothing generated: read from beside it
    assert path.stat().st_mtime_ns == before


def test_alternating_gives_a_median_per_action() -> None:
    calls: list[str] = []
    times = bench.alternating({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert calls == ["a", "b"] * 3
    assert set(times) == {"a", "b"} and all(t >= 0 for t in times.values())


@pytest.mark.parametrize("fmt", bench.FORMAT_LOGS)
def test_each_runner_log_holds_what_its_generator_says(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"{fmt}.log"
    want = bench.build(path, bench.format_chunks(fmt, 200_000, 7))
    assert path.stat().st_size >= 200_000
    assert want.failed > 0 and want.skipped > 0 and want.passed > want.failed
    r = read_result_file(path, display=path.name)
    assert (r.format, r.error, r.warnings) == (fmt, None, ())
    assert _counts(path) == want
