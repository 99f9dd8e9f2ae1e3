"""The phase registry: what each phase requires, and "not run because X broke" derived from it."""

from __future__ import annotations

import graphlib
import importlib
from pathlib import Path
from typing import Any

import pytest

from validator.config import Config
from validator.emulator import Emulator, Fault
from validator.errors import UsageError
from validator.phases import BY_NAME, GITHUB, NAMES, PHASES, blocked_by, select
from validator.phases.context import Hooks
from validator.pipeline import gather

from conftest import FIXTURES


def test_pipeline_order_is_an_order_of_the_requirements():
    graph = {p.name: set(p.requires) for p in PHASES}
    graphlib.TopologicalSorter(graph).prepare()  # raises on a cycle
    for phase in PHASES:
        assert all(NAMES.index(r) < NAMES.index(phase.name) for r in phase.requires), phase
        assert set(phase.requires) <= set(NAMES)


def test_every_gathering_phase_is_a_module_with_gather():
    for phase in PHASES:
        module = (
            importlib.import_module(f"validator.phases.{phase.name}") if phase.gathers else None
        )
        assert (module is not None and callable(module.gather)) == phase.gathers


def test_only_the_github_phases_talk_to_github():
    assert {"health", "preflight", "dispatch", "artifacts"} == GITHUB


def test_select_orders_and_refuses_unknown_names():
    assert select(["report", "binaries", "health"]) == ("health", "binaries", "report")
    with pytest.raises(UsageError, match=r"^--phase 'bogus': unknown phase\. Choose from health"):
        select(["tests", "bogus"])


def test_blocked_by_names_the_phase_that_broke_beneath():
    broken = {"health": "health", "dispatch": "health"}
    assert blocked_by(BY_NAME["artifacts"], broken) == "health"
    assert blocked_by(BY_NAME["binaries"], broken) is None  # artifacts did not break
    assert blocked_by(BY_NAME["tests"], {"artifacts": "artifacts"}) == "artifacts"


class _Clock:
    """A clock that moves only when slept on, so retries give up at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _evidence_with_health_broken(phases: tuple[str, ...], tmp_path: Path, **extra: Any):
    clock = _Clock()
    with Emulator("healthy") as emu:  # reachable, but every answer a 502 (an unreachable
        emu.inject(Fault(kind="status", status=502, times=1000))  # --api-url is a usage error)
        config = Config(
            phases=phases,
            repository=emu.repository,
            token="t",
            api_url=emu.base_url,
            retry_budget=1.0,
            work_dir=tmp_path / "work",
            **extra,
        ).validate()
        return gather(config, Hooks(clock=clock, sleep=clock.sleep))


def test_what_builds_on_a_broken_phase_is_not_run_and_names_it(tmp_path):
    evidence = _evidence_with_health_broken(NAMES, tmp_path)
    states = {p.name: (p.state, p.error) for p in evidence.phases}
    assert states["health"][0] == "error"
    for name in ("dispatch", "artifacts", "binaries", "tests"):
        assert states[name] == ("not-run", "the health phase could not gather its evidence")
    assert states["report"] == ("ok", None)


def test_a_phase_whose_requirement_was_not_selected_still_runs(tmp_path):
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "app").write_bytes((FIXTURES / "binaries" / "hello-aarch64").read_bytes())
    evidence = _evidence_with_health_broken(("health", "binaries"), tmp_path, artifacts_dir=folder)
    states = {p.name: p.state for p in evidence.phases}
    assert states == {"health": "error", "binaries": "ok"}
    assert evidence.binaries is not None and evidence.binaries.elf_count == 1
