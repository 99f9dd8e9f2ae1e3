"""The health phase against every shipped scenario, and the label matching rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from validator.emulator import Emulator, Fault, scenario_names
from validator.errors import AuthError, UsageError
from validator.evidence import Runner, RunnerLabel, typed_labels
from validator.gateway import Gateway
from validator.phases.health import check_health, runner_matches

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
LABELS = ("self-hosted", "linux", "ARM64")


def gateway(emu: Emulator, token: str | None = TOKEN) -> Gateway:
    return Gateway(
        repository=emu.repository,
        token=token,
        api_url=emu.base_url,
        sleep=emu.clock.sleep,
        clock=emu.clock.now,
        wall_clock=emu.clock.now,
        timeout=5,
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator("healthy", token=TOKEN) as server:
        yield server


def runner(*labels: str, status: str = "online") -> Runner:
    return Runner(
        id=1, name="r", os="Linux", status=status, busy=False, labels=typed_labels(labels)
    )


# --- label matching -------------------------------------------------------------------------


def test_runner_matches_needs_every_label_case_insensitively() -> None:
    assert runner_matches(runner("self-hosted", "Linux", "ARM64"), LABELS)
    assert runner_matches(runner("SELF-HOSTED", "linux", "arm64", "large"), LABELS)
    assert not runner_matches(runner("self-hosted", "linux"), LABELS)
    assert not runner_matches(runner("self-hosted", "linux", "X64"), LABELS)
    assert not runner_matches(runner(), LABELS)


def test_runner_matches_ignores_status() -> None:
    # Online or not is a separate question: an autoscaled runner may be offline when idle.
    assert runner_matches(runner("self-hosted", "linux", "ARM64", status="offline"), LABELS)


# --- every scenario ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", scenario_names())
def test_health_reports_what_the_scenario_holds(name: str) -> None:
    with Emulator(name, token=TOKEN) as emu:
        health = check_health(gateway(emu), workflow=emu.scenario.cli.workflow, labels=LABELS)
    spec = emu.scenario
    assert health.default_branch == spec.repository.default_branch
    assert health.runners_error is None
    # No run is in progress yet, so an autoscaled runner (registered only while busy) is absent.
    # Organisation runners are tested in test_runner_trust.py.
    assert health.runners is not None
    assert tuple(r for r in health.runners if r.level == "repository") == tuple(
        Runner(
            id=r.id,
            name=r.name,
            os=r.os,
            status=r.status,
            busy=r.busy,
            labels=tuple(RunnerLabel(name=x.name, type=x.type) for x in r.labels),  # type: ignore[arg-type]
            group_id=r.group_id,
            ephemeral=r.ephemeral,
        )
        for r in spec.runners
        if not r.autoscaled and r.level == "repository"
    )
    wanted = spec.cli.workflow
    expected = next(w for w in spec.workflows if wanted in (w.file_name, str(w.id)))
    assert health.workflow_error is None
    assert health.workflow is not None
    assert (health.workflow.id, health.workflow.path, health.workflow.state) == (
        expected.id,
        expected.path,
        expected.state,
    )


def _online_matching(name: str) -> int:
    with Emulator(name, token=TOKEN) as emu:
        health = check_health(gateway(emu), workflow=emu.scenario.cli.workflow, labels=LABELS)
    assert health.runners is not None
    return sum(1 for r in health.runners if runner_matches(r, LABELS) and r.status == "online")


@pytest.mark.parametrize(
    ("name", "online"),
    [
        ("healthy", 1),
        ("no-runners", 0),
        ("runner-offline", 0),
        ("queue-stuck", 1),
        ("autoscaled-fleet", 0),
    ],
)
def test_online_arm64_runners_per_scenario(name: str, online: int) -> None:
    assert _online_matching(name) == online


def test_no_runners_scenario_has_an_empty_list_not_an_error() -> None:
    with Emulator("no-runners", token=TOKEN) as emu:
        health = check_health(gateway(emu), workflow=emu.scenario.cli.workflow, labels=LABELS)
    assert health.runners == ()
    assert health.runners_error is None


# --- what could not be seen -------------------------------------------------------------------


def test_runner_permission_missing_is_recorded_and_the_rest_goes_on(emu: Emulator) -> None:
    emu.inject(
        Fault(
            path=r"/actions/runners$", status=403, message="Resource not accessible by integration"
        )
    )
    health = check_health(gateway(emu), workflow="build-push-arm64.yml", labels=LABELS)
    assert health.runners is None
    assert health.runners_error is not None
    assert "'Administration: read' on tzervas/embeddenator" in health.runners_error
    assert health.workflow is not None and health.workflow.state == "active"
    assert health.default_branch == "main"


def test_missing_workflow_stops_the_phase_as_a_usage_error(emu: Emulator) -> None:
    with pytest.raises(
        UsageError, match=r"^Workflow release\.yml was not found .*check --workflow"
    ):
        check_health(gateway(emu), workflow="release.yml", labels=LABELS)


def test_bad_token_stops_the_phase(emu: Emulator) -> None:
    with pytest.raises(AuthError, match="401"):
        check_health(gateway(emu, token="ghp_wrong"), workflow="x.yml", labels=LABELS)
