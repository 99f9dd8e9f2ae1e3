"""The API budget while waiting (benchmarks/bench_api.py), held as tests on a 10-minute run.

The figures come from the emulator's record of the requests it answered, so these tests
hold the gateway and the dispatch phase to the budget, not to their own counters.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from validator.emulator.clock import START
from validator.emulator.server import RecordedRequest
from validator.emulator.state import RunRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench: Any = importlib.import_module("bench_api")

TEN_MINUTES = 600.0


def test_points_follow_rate_limit_use_across_a_window_reset() -> None:
    assert bench.points_from_used([]) == 0
    assert bench.points_from_used([1, 2, 2, None, 3]) == 3
    assert bench.points_from_used([4999, 5000, 1, 1, 2], start=4998) == 4
    assert bench.points_from_used([7], start=7) == 0


def _req(method: str, path: str, status: int, at: float, used: int | None) -> RecordedRequest:
    return RecordedRequest(
        origin="api",
        method=method,
        path=path,
        query={},
        headers={},
        status=status,
        at=START + at,
        rate_limit_used=used,
    )


def test_waiting_counts_from_the_dispatch_to_the_poll_that_saw_completion() -> None:
    scenario = bench.stretched_scenario(TEN_MINUTES)
    plan = scenario.workflows[0].on_dispatch
    assert plan.queue_seconds == bench.QUEUE_SECONDS
    assert plan.run_seconds == TEN_MINUTES
    run = RunRecord(
        id=5,
        workflow=scenario.workflows[0],
        run_number=1,
        event="workflow_dispatch",
        branch="main",
        head_sha="0" * 40,
        created=START,
        plan=plan,
    )
    end = run.run_end - START
    path = "/repos/o/r/actions/runs/5"
    recorded = [
        _req("GET", "/repos/o/r", 200, 0, 1),
        _req("POST", "/repos/o/r/actions/workflows/w.yml/dispatches", 200, 0, 2),
        _req("GET", path, 200, 0, 3),  # queued
        _req("GET", path, 304, 10, 3),
        _req("GET", path, 200, 30, 4),  # in progress
        _req("GET", path, 304, 90, 4),
        _req("GET", "/rate_limit", 200, 90, 4),
        _req("GET", path, 200, end + 4, 5),  # completed, seen 4 s late
        _req("GET", f"{path}/jobs", 200, end + 4, 6),
    ]
    seen = bench.waiting(recorded, run)
    assert (seen.requests, seen.polls, seen.not_modified, seen.states) == (6, 5, 2, 3)
    assert seen.points == 3
    assert seen.detection_delay == pytest.approx(4)
    total = bench.spent(recorded)
    assert (total.requests, total.points, total.charged, total.remaining) == (9, 6, 6, 4994)


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("bench")
    return bench.run_ours(bench.stretched_scenario(TEN_MINUTES), work)


def test_the_naive_poller_pays_a_point_for_every_poll() -> None:
    naive = bench.run_naive(bench.stretched_scenario(TEN_MINUTES))
    seen = bench.waiting(naive.recorded, naive.run)
    expected_polls = math.ceil((naive.run.run_end - naive.run.created) / 10) + 1
    assert (seen.polls, seen.not_modified, seen.points) == (expected_polls, 0, expected_polls)
    assert 0 <= seen.detection_delay < bench.NAIVE_INTERVAL
    total = bench.spent(naive.recorded)
    assert total.points == total.charged == total.requests == expected_polls + 1


def test_waiting_costs_a_point_only_per_change_of_state(ours: Any) -> None:
    assert ours.verdict == "GO"
    seen = bench.waiting(ours.recorded, ours.run)
    assert seen.states == 3  # queued, in progress, completed
    assert seen.points == seen.states
    assert seen.not_modified == seen.polls - seen.states


def test_the_whole_run_spends_under_30_points_and_the_evidence_says_so(ours: Any) -> None:
    total = bench.spent(ours.recorded)
    assert total.points == total.charged < bench.POINTS_TARGET
    cost = ours.evidence.cost
    assert (cost.requests, cost.rate_limit_points, cost.rate_limit_remaining) == (
        total.requests,
        total.points,
        total.remaining,
    )


def test_completion_is_noticed_within_10_seconds(tmp_path: Path) -> None:
    # Runs that end at different moments of the polling cycle: the worst one counts.
    delays = bench.sweep(TEN_MINUTES, tmp_path, count=4)
    assert max(delays.naive) <= bench.NAIVE_INTERVAL
    assert max(delays.ours) <= bench.DETECTION_TARGET
