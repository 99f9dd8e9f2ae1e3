"""API budget while waiting: the whole pipeline on a long run, against a naive poller.

A scenario built here queues the dispatched run briefly, then runs it for 60 minutes (10 with
``--quick``). Ours is the whole ``--all-phases`` pipeline in-process, the way ``demo`` runs it:
the tool's sleep drives the emulator's virtual clock. The baseline is a poller that GETs the run
every 10 s without ETag, with plain ``requests`` on the same kind of clock. Every figure comes
from the emulator's record of the requests it answered (clock time, status, X-RateLimit-Used),
not from the tool's own counters; the evidence's cost record is then compared with it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from common import Row

from validator.emulator import Emulator, RecordedRequest, Scenario, VirtualClock
from validator.emulator.api import RATE_LIMIT
from validator.emulator.demo import emulator_config, virtual_hooks
from validator.emulator.scenario import parse_scenario, scenarios_dir
from validator.emulator.state import RunRecord, run_at
from validator.evidence import Evidence
from validator.pipeline import gather
from validator.report import assess
from validator.resources import data_path

BENCH = "api budget"
QUEUE_SECONDS = 23.0  # "queues briefly"; not a multiple of 10, so no poller is lucky by phase
NAIVE_INTERVAL = 10.0
DETECTION_TARGET = 10.0
POINTS_TARGET = 30
STRETCHED_STEP = "Run test suite"
_RUN_PATH = re.compile(r"/repos/[^/]+/[^/]+/actions/runs/(\d+)")


@dataclass(frozen=True, kw_only=True)
class Spent:
    """What the emulator charged for one client's API requests."""

    requests: int  # answered by the API origin (blob downloads are not API requests)
    points: int  # summed moves of X-RateLimit-Used
    charged: int  # answers that count against the limit: neither 304 nor /rate_limit
    remaining: int | None  # X-RateLimit-Remaining after the last request


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """The requests from the dispatch to the poll that first saw the run completed."""

    requests: int  # every API request in that window
    polls: int  # GETs of the run itself
    not_modified: int  # of those polls, answered 304
    states: int  # polls that saw a state different from the poll before (the first included)
    points: int  # requests in the window that cost a rate-limit point
    detection_delay: float  # clock seconds from completion to the poll that saw it


def stretched_scenario(run_seconds: float) -> Scenario:
    """The healthy scenario, its dispatched run queued briefly and then running ``run_seconds``."""
    raw: dict[str, Any] = json.loads((scenarios_dir() / "healthy.json").read_text(encoding="utf-8"))
    fixtures = data_path("fixtures")
    base = parse_scenario(raw, name="healthy", fixtures_dir=fixtures)
    plan = base.workflows[0].on_dispatch
    if plan is None:
        raise RuntimeError("the healthy scenario no longer dispatches its build workflow")
    extra = run_seconds - max(j.end for j in plan.jobs)
    if extra < 0:
        raise RuntimeError(f"the healthy run already takes longer than {run_seconds:g} s")
    on_dispatch = raw["workflows"][0]["on_dispatch"]
    on_dispatch["queue_seconds"] = QUEUE_SECONDS
    test_job = next(j for j in on_dispatch["jobs"] if j["name"] == "test")
    step = next(s for s in test_job["steps"] if s["name"] == STRETCHED_STEP)
    step["seconds"] += extra
    raw["runs"] = []
    raw["description"] = f"A run that queues {QUEUE_SECONDS:g} s, then runs {run_seconds:g} s."
    return parse_scenario(raw, name=f"api-budget-{run_seconds:g}s", fixtures_dir=fixtures)


def points_from_used(used: Sequence[int | None], *, start: int = 0) -> int:
    """Pure: points spent, from the X-RateLimit-Used after each request (None: no header).

    ``start`` is the use before the first of them. The window resets every hour of clock
    time, so a drop starts the count again from zero.
    """
    total = 0
    last = start
    for value in used:
        if value is None:
            continue
        total += value - last if value >= last else value
        last = value
    return total


def spent(recorded: Sequence[RecordedRequest]) -> Spent:
    """Pure: what the emulator charged, read from its record of the API requests."""
    api = [r for r in recorded if r.origin == "api"]
    last = next((r.rate_limit_used for r in reversed(api) if r.rate_limit_used is not None), None)
    return Spent(
        requests=len(api),
        points=points_from_used([r.rate_limit_used for r in api]),
        charged=sum(
            1 for r in api if r.status not in (0, 304) and r.path.rstrip("/") != "/rate_limit"
        ),
        remaining=None if last is None else RATE_LIMIT - last,
    )


def waiting(recorded: Sequence[RecordedRequest], run: RunRecord) -> Waiting:
    """Pure: the waiting between the dispatch and the poll that saw ``run`` completed."""
    api = [r for r in recorded if r.origin == "api"]
    dispatched = next(
        i for i, r in enumerate(api) if r.method == "POST" and r.path.endswith("/dispatches")
    )

    def is_poll(r: RecordedRequest) -> bool:
        m = _RUN_PATH.fullmatch(r.path.rstrip("/"))
        return r.method == "GET" and m is not None and int(m.group(1)) == run.id

    seen = next(
        (
            i
            for i, r in enumerate(api)
            if i > dispatched and is_poll(r) and r.status in (200, 304) and r.at >= run.run_end
        ),
        None,
    )
    if seen is None:
        raise RuntimeError(f"no poll of run {run.id} came after it completed")
    window = api[dispatched + 1 : seen + 1]
    polls = [r for r in window if is_poll(r)]
    states = [run_at(run, r.at).status for r in polls]
    changes = sum(1 for i, s in enumerate(states) if i == 0 or s != states[i - 1])
    return Waiting(
        requests=len(window),
        polls=len(polls),
        not_modified=sum(1 for r in polls if r.status == 304),
        states=changes,
        points=points_from_used(
            [r.rate_limit_used for r in window], start=api[dispatched].rate_limit_used or 0
        ),
        detection_delay=api[seen].at - run.run_end,
    )


@dataclass(frozen=True, kw_only=True)
class Observed:
    """One client's session against the emulator: what it recorded, and the run waited on."""

    recorded: tuple[RecordedRequest, ...]
    run: RunRecord
    evidence: Evidence | None = None
    verdict: str | None = None
    wall_seconds: float = 0.0


def run_ours(scenario: Scenario, work: Path) -> Observed:
    """The whole ``--all-phases`` pipeline in-process, as ``demo`` runs it."""
    folder = work / "api"
    shutil.rmtree(folder, ignore_errors=True)
    length = _run_seconds(scenario)
    clock = VirtualClock()
    started = time.perf_counter()
    with Emulator(scenario, clock=clock) as emu:
        config = emulator_config(
            emu,
            report=folder / "ARM64_TEST_RESULTS.md",
            # A run this long needs both raised, as a user would: neither is about API cost.
            run_timeout=length + 30 * 60,
            run_budget=length + 15 * 60,
        )
        hooks = virtual_hooks(clock)
        evidence = gather(config, hooks)
        recorded = tuple(emu.requests)
    wall = time.perf_counter() - started
    if evidence.run is None:
        problem = next((p.error for p in evidence.phases if p.error), "no run recorded")
        raise RuntimeError(f"the pipeline recorded no run: {problem}")
    return Observed(
        recorded=recorded,
        run=emu.world.run(evidence.run.id),
        evidence=evidence,
        verdict=assess(evidence).verdict,
        wall_seconds=wall,
    )


def run_naive(scenario: Scenario, *, interval: float = NAIVE_INTERVAL) -> Observed:
    """Dispatch, then GET the run every ``interval`` s without ETag until it completed."""
    clock = VirtualClock()
    hints = scenario.cli
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    started = time.perf_counter()
    with Emulator(scenario, clock=clock) as emu, requests.Session() as http:
        actions = f"{emu.base_url}/repos/{emu.repository}/actions"
        resp = http.post(
            f"{actions}/workflows/{hints.workflow}/dispatches",
            json={"ref": hints.ref, "inputs": dict(hints.inputs), "return_run_details": True},
            headers=headers,
            timeout=10,
        )
        resp.raise_for_status()
        run_id = int(resp.json()["workflow_run_id"])
        record = emu.world.run(run_id)
        give_up = record.run_end + 3600
        while True:
            poll = http.get(f"{actions}/runs/{run_id}", headers=headers, timeout=10)
            poll.raise_for_status()
            if poll.json()["status"] == "completed":
                break
            if clock.now() > give_up:
                raise RuntimeError(f"run {run_id} never completed for the naive poller")
            clock.sleep(interval)
        recorded = tuple(emu.requests)
    return Observed(recorded=recorded, run=record, wall_seconds=time.perf_counter() - started)


def _run_seconds(scenario: Scenario) -> float:
    plan = scenario.workflows[0].on_dispatch
    assert plan is not None
    return plan.run_seconds


@dataclass(frozen=True, kw_only=True)
class Sweep:
    """Detection delays over runs that complete at different moments of the polling cycle."""

    ours: tuple[float, ...]
    naive: tuple[float, ...]


def sweep(run_seconds: float, work: Path, *, count: int, cycle: float = 60.0) -> Sweep:
    """Whole pipeline and naive poller on ``count`` runs spread over ``cycle`` seconds.

    Each run is a little less than ``cycle / count`` s longer than the last, so the runs end
    at different moments of both pollers' cycles (a step that divides 10 s would not).
    """
    step = cycle / count - 0.1
    ours: list[float] = []
    naive: list[float] = []
    for k in range(count):
        scenario = stretched_scenario(run_seconds + k * step)
        mine = run_ours(scenario, work)
        ours.append(waiting(mine.recorded, mine.run).detection_delay)
        theirs = run_naive(scenario)
        naive.append(waiting(theirs.recorded, theirs.run).detection_delay)
    return Sweep(ours=tuple(ours), naive=tuple(naive))


def _row(measure: str, ours: float, naive: float | None, unit: str, **extra: Any) -> Row:
    options: dict[str, Any] = {"target": "—", "met": None} | extra
    return Row(
        benchmark=BENCH,
        measure=measure,
        ours=ours,
        baseline_name=options.pop("baseline_name", f"GET every {NAIVE_INTERVAL:g} s, no ETag"),
        baseline=naive,
        unit=unit,
        **options,
    )


def _known(value: int | None) -> float:
    return float("nan") if value is None else float(value)


def rows_for(ours: Observed, naive: Observed, phases: Sweep) -> list[Row]:
    """Pure: the comparison rows, from the sessions' records."""
    assert ours.evidence is not None
    ow, nw = waiting(ours.recorded, ours.run), waiting(naive.recorded, naive.run)
    os_, ns = spent(ours.recorded), spent(naive.recorded)
    cost = ours.evidence.cost
    span = f"{(ours.run.run_end - ours.run.queue_end) / 60:g}-min run"
    unchanged = ow.polls - ow.states
    worst, worst_naive = max(phases.ours), max(phases.naive)
    return [
        _row(f"API requests while waiting ({span})", ow.requests, nw.requests, "requests"),
        _row(
            f"rate-limit points while waiting ({span})",
            ow.points,
            nw.points,
            "points",
            target="one per state seen",
            met=ow.points <= ow.states,
            note=f"{ow.states} states seen",
        ),
        _row(
            "304 share of waiting polls",
            100 * ow.not_modified / ow.polls,
            100 * nw.not_modified / nw.polls,
            "%",
            target="every unchanged poll",
            met=ow.not_modified >= unchanged,
            note=f"{ow.not_modified} of {ow.polls} polls; {unchanged} unchanged",
        ),
        _row(
            f"completion noticed after ({span})",
            ow.detection_delay,
            nw.detection_delay,
            "s",
            target=f"≤ {DETECTION_TARGET:g} s",
            met=ow.detection_delay <= DETECTION_TARGET,
            note="emulator clock",
        ),
        _row(
            "completion noticed after, worst case",
            worst,
            worst_naive,
            "s",
            target=f"≤ {DETECTION_TARGET:g} s",
            met=worst <= DETECTION_TARGET,
            note=(
                f"{len(phases.ours)} runs ending across a 60 s cycle; "
                f"mean {sum(phases.ours) / len(phases.ours):.1f} s vs "
                f"{sum(phases.naive) / len(phases.naive):.1f} s"
            ),
        ),
        _row(
            f"API requests, whole --all-phases run ({span})",
            os_.requests,
            ns.requests,
            "requests",
            note="baseline: dispatch and waiting only",
        ),
        _row(
            f"rate-limit points, whole --all-phases run ({span})",
            os_.points,
            ns.points,
            "points",
            target=f"< {POINTS_TARGET}",
            met=os_.points < POINTS_TARGET,
            note=f"verdict {ours.verdict}; baseline: dispatch and waiting only",
        ),
        _row(
            "Evidence.cost.requests vs the emulator's record",
            _known(cost.requests),
            os_.requests,
            "requests",
            baseline_name="emulator: API requests answered",
            target="equal",
            met=cost.requests == os_.requests,
        ),
        _row(
            "Evidence.cost.rate_limit_points vs X-RateLimit-Used",
            _known(cost.rate_limit_points),
            os_.points,
            "points",
            baseline_name="emulator: X-RateLimit-Used moves",
            target="equal",
            met=cost.rate_limit_points == os_.points == os_.charged,
            note=f"{os_.charged} answers neither 304 nor /rate_limit",
        ),
        _row(
            "Evidence.cost.rate_limit_remaining vs the last answer",
            _known(cost.rate_limit_remaining),
            os_.remaining,
            "requests",
            baseline_name="emulator: X-RateLimit-Remaining",
            target="equal",
            met=cost.rate_limit_remaining == os_.remaining,
        ),
    ]


def run(*, quick: bool, work: Path) -> list[Row]:
    run_seconds = (10.0 if quick else 60.0) * 60
    scenario = stretched_scenario(run_seconds)
    ours = run_ours(scenario, work)
    naive = run_naive(scenario)
    phases = sweep(run_seconds, work, count=4 if quick else 12)
    shutil.rmtree(work / "api", ignore_errors=True)
    return rows_for(ours, naive, phases)
