"""Runner trust and runner estates: the architecture comes from the runner, never from a label
someone typed, and runners at every level the repository may use are counted.

Each rule that guards GO has a test here that would say GO without the rule (named ``..._rule``).
Whole validations run in-process against the loopback emulator (real HTTP, real PyGithub).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from validator.arm64 import CONTEXT_STEP, context_from_log, job_ran_on_arm64, runner_is_arm64
from validator.checks import BY_ID
from validator.emulator import Emulator, VirtualClock
from validator.emulator.blobs import job_log
from validator.emulator.demo import emulator_config, virtual_hooks
from validator.emulator.scenario import parse_scenario, scenarios_dir
from validator.emulator.specs import JobSpec, RunnerRef, StepSpec
from validator.errors import AuthError
from validator.evidence import Health, RunnerContext, RunnerLabel, RunnerSource
from validator.gateway import Gateway
from validator.orchestrate import validate
from validator.phases.health import check_health, group_refusal
from validator.resources import data_path

from builders import go, job, present, runner

X64_WITH_ARM64 = (
    RunnerLabel(name="self-hosted", type="read-only"),
    RunnerLabel(name="Linux", type="read-only"),
    RunnerLabel(name="X64", type="read-only"),
    RunnerLabel(name="ARM64", type="custom"),
)
ARM64_CONTEXT = RunnerContext(arch="ARM64", machine="aarch64")
TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"


def status(ev: Any, check: str) -> str:
    return BY_ID[check].run(ev).status


# --- the predicate -------------------------------------------------------------------------------


def test_a_runner_is_arm64_only_by_its_read_only_architecture_label() -> None:
    assert runner_is_arm64(runner()).answer == "yes"
    mislabelled = runner_is_arm64(runner(labels=X64_WITH_ARM64))
    assert mislabelled.answer == "no"
    assert "`X64`" in mislabelled.proof and "custom label says `ARM64`" in mislabelled.proof
    scale_set = runner_is_arm64(runner(labels=("arm64-scale-set",)))
    assert scale_set.answer == "unknown"
    untyped = runner(labels=(RunnerLabel(name="ARM64", type=None),))
    assert runner_is_arm64(untyped).answer == "unknown"  # GitHub did not say who set it


def test_a_jobs_log_proves_or_disproves_arm64() -> None:
    gone = job("test", runner_name="arm64-ephemeral-7", runner_labels=None)
    assert job_ran_on_arm64(gone).answer == "unknown"
    assert job_ran_on_arm64(replace(gone, runner_context=ARM64_CONTEXT)).answer == "yes"
    emulated = RunnerContext(arch="X64", machine="aarch64")  # qemu-user reports aarch64
    proof = job_ran_on_arm64(replace(gone, runner_context=emulated))
    assert proof.answer == "no" and "emulator" in proof.proof
    hosted_arm = replace(gone, runner_context=RunnerContext(image="ubuntu-24.04-arm"))
    assert job_ran_on_arm64(hosted_arm).answer == "yes"
    hosted_x64 = replace(gone, runner_context=RunnerContext(image="ubuntu-24.04"))
    assert job_ran_on_arm64(hosted_x64).answer == "no"
    # The runner's read-only label and the log must agree; any "no" wins.
    both = replace(job("test"), runner_context=RunnerContext(arch="X64", machine="x86_64"))
    assert job_ran_on_arm64(both).answer == "no"


def test_a_hosted_image_is_arm64_only_by_githubs_own_exact_name_rule() -> None:
    # A larger x64 runner whose owner named its custom image after ARM64.
    cross = replace(job("test", runner_labels=None), hosted=True,
                    runner_context=RunnerContext(image="ubuntu-22.04-arm64-cross"))  # fmt: skip
    proof = job_ran_on_arm64(cross)
    assert proof.answer == "unknown"  # without the rule: "yes" (the name matched /arm64/)
    assert "ubuntu-22.04-arm64-cross" in proof.proof and "not proof" in proof.proof
    ev = replace(go(), run=replace(present(go().run), jobs=(cross,)))
    assert status(ev, "RUN003") == "inconclusive"
    for image in ("ubuntu-24.04-arm", "ubuntu-22.04-arm", "windows-11-arm"):
        named = replace(cross, runner_context=RunnerContext(image=image))
        assert job_ran_on_arm64(named).answer == "yes", image
    for image in ("Ubuntu-24.04-ARM", "ubuntu-24.04-arm ", "my-arm", "macos-14-arm64"):
        named = replace(cross, runner_context=RunnerContext(image=image))
        assert job_ran_on_arm64(named).answer == "unknown", image
    # The job's own runner-context line still proves it, whatever the image is called.
    printed = replace(cross, runner_context=RunnerContext(
        image="ubuntu-22.04-arm64-cross", arch="ARM64", machine="aarch64"))  # fmt: skip
    assert job_ran_on_arm64(printed).answer == "yes"
    on_x64 = replace(printed, runner_context=RunnerContext(
        image="ubuntu-22.04-arm64-cross", arch="X64", machine="x86_64"))  # fmt: skip
    assert job_ran_on_arm64(on_x64).answer == "no"


def _log(spec: JobSpec, group: str = "Default") -> str:
    ref = RunnerRef(id=1, name="r-1", group_id=1, group=group)
    return job_log(spec, runner=ref, runner_version="2.330.0", started=0.0, fixtures_dir=Path())


def test_the_context_line_and_the_hosted_image_are_read_from_a_real_log_shape() -> None:
    steps = (StepSpec(name="Verify architecture", seconds=1), StepSpec(name="Build", seconds=2))
    spec = JobSpec(
        name="t", labels=("self-hosted",), runner=None, start=0, steps=steps,
        conclusion="success", runner_context=("ARM64", "aarch64"),
    )  # fmt: skip
    text = _log(spec)
    # The echoed command shows ${{ runner.arch }} already substituted: only the output counts.
    assert 'Run echo "validate-arm64: runner.arch=ARM64 machine=$(uname -m)"' in text
    assert context_from_log(text) == ARM64_CONTEXT
    hosted = JobSpec(
        name="h", labels=("ubuntu-24.04-arm",), runner=None, start=0, steps=steps,
        conclusion="success",
    )  # fmt: skip
    assert context_from_log(_log(hosted, group="GitHub Actions")).image == "ubuntu-24.04-arm"
    assert context_from_log("validate-arm64: runner.arch=${{ runner.arch }} machine=x") == (
        RunnerContext()
    )
    assert "runner.arch" in CONTEXT_STEP


# --- RUN001 / RUN003 / TST001 rules, on evidence built by hand ---------------------------------


def test_custom_arm64_label_on_an_x64_runner_fails_run001_rule() -> None:
    ev = replace(
        go(), health=replace(present(go().health), runners=(runner(labels=X64_WITH_ARM64),))
    )
    outcome = BY_ID["RUN001"].run(ev)
    assert outcome.status == "failed"  # without the rule: passed (it has all three labels)
    assert "`arm64-runner-1`" in outcome.detail and "`X64`" in outcome.detail
    assert "Remove the custom label `ARM64` from `arm64-runner-1`" in outcome.remedy


def test_custom_arm64_label_on_an_x64_runner_fails_run003_rule() -> None:
    moved = job("test", runner_labels=X64_WITH_ARM64)
    ev = replace(go(), run=replace(present(go().run), jobs=(moved,)))
    outcome = BY_ID["RUN003"].run(ev)
    assert outcome.status == "failed"
    assert "Remove the custom label `ARM64`" in outcome.remedy


def test_requested_labels_are_never_proof_rule() -> None:
    # An ephemeral runner gone before its labels were read: GitHub routed the job by its
    # requested labels, and those were typed by a person.
    gone = job("test", runner_name="arm64-ephemeral-7", runner_labels=None)
    ev = replace(go(), run=replace(present(go().run), jobs=(gone,)))
    outcome = BY_ID["RUN003"].run(ev)
    assert outcome.status == "inconclusive"  # without the rule: passed
    assert CONTEXT_STEP in outcome.remedy
    proven = replace(gone, runner_context=ARM64_CONTEXT)
    ev = replace(go(), run=replace(present(go().run), jobs=(proven,)))
    outcome = BY_ID["RUN003"].run(ev)
    assert outcome.status == "passed"
    assert "runner.arch=ARM64 machine=aarch64" in outcome.detail


def test_a_named_arm64_job_without_proof_is_reported_not_dropped_rule() -> None:
    unproven = job("build", runner_name="arm64-ephemeral-9", runner_labels=None)
    ev = replace(
        go(),
        run=replace(present(go().run), jobs=(job("test"), unproven)),
        settings=replace(go().settings, arm64_jobs=("build",)),
    )
    outcome = BY_ID["RUN003"].run(ev)
    assert outcome.status == "inconclusive"  # without the rule: passed ("test" was proven)
    assert "`build` on `arm64-ephemeral-9`" in outcome.detail


def test_tests_from_a_job_not_proven_arm64_are_not_arm64_evidence_rule() -> None:
    unproven = job("test", runner_name="arm64-ephemeral-7", runner_labels=None)
    ev = replace(
        go(), run=replace(present(go().run), jobs=(unproven,)), tests_source="job log: test"
    )
    assert status(ev, "TST001") == "inconclusive"  # without the rule: passed
    proven = replace(unproven, runner_context=ARM64_CONTEXT)
    ev = replace(ev, run=replace(present(go().run), jobs=(proven,)))
    assert status(ev, "TST001") == "passed"


def test_an_invisible_level_makes_run001_inconclusive_with_the_permission() -> None:
    hidden = RunnerSource(
        level="organization", scope="octo-org", visible=False, error="403", permission="needs X"
    )
    seen = RunnerSource(level="repository", scope="octo-org/r", visible=True)
    ev = replace(go(), health=Health(runners=(), sources=(seen, hidden)))
    outcome = BY_ID["RUN001"].run(ev)
    assert outcome.status == "inconclusive"  # not NO-GO: the runner may be there
    assert "Needs X." in outcome.remedy
    assert not present(ev.health).complete


def test_runner_groups_admit_repositories_as_github_does() -> None:
    from validator.evidence import RunnerGroup

    def group(visibility: str, public: bool = False) -> RunnerGroup:
        return RunnerGroup(
            id=2, name="arm", visibility=visibility, allows_public_repositories=public
        )

    repo = "o/r"
    assert group_refusal(group("all", True), repository=repo, private=False, selected=None) is None
    assert "public" in present(
        group_refusal(group("all"), repository=repo, private=False, selected=None)
    )
    assert group_refusal(group("private"), repository=repo, private=True, selected=None) is None
    assert group_refusal(group("selected"), repository=repo, private=True,
                         selected=frozenset({"o/r"})) is None  # fmt: skip
    assert "not one of them" in (
        group_refusal(group("selected"), repository=repo, private=True, selected=frozenset()) or ""
    )
    assert group_refusal(None, repository=repo, private=True, selected=None) is not None


# --- whole validations against the emulator ------------------------------------------------------


def _scenario(name: str, tmp_path: Path, change: Any = None) -> Any:
    raw = json.loads((scenarios_dir() / f"{name}.json").read_text(encoding="utf-8"))
    if change is not None:
        change(raw)
    return parse_scenario(raw, name=name, fixtures_dir=data_path("fixtures"))


def _validate(scenario: Any, tmp_path: Path) -> tuple[Any, Emulator]:
    clock = VirtualClock()
    with Emulator(scenario, clock=clock) as emu:
        config = emulator_config(emu, report=tmp_path / "r.md", poll_interval=0.05)
        done = validate(config, virtual_hooks(clock), environ={})
    return done.report, emu


def _statuses(report: Any) -> dict[str, str]:
    return {o.check: o.status for o in report.outcomes}


def test_autoscaling_with_runners_refused_and_no_log_proof_is_not_go_rule(tmp_path: Path) -> None:
    def refuse(raw: dict[str, Any]) -> None:
        raw["forbidden"] = ["repository"]
        for job_raw in raw["workflows"][0]["on_dispatch"]["jobs"]:
            job_raw.pop("runner_context", None)

    report, _ = _validate(_scenario("autoscaled-fleet", tmp_path, refuse), tmp_path)
    assert report.verdict == "INCONCLUSIVE"  # without the rule: GO from requested labels
    assert _statuses(report)["RUN003"] == "inconclusive"


def test_an_organisation_runner_in_a_group_that_excludes_the_repository_is_not_usable_rule(
    tmp_path: Path,
) -> None:
    def exclude(raw: dict[str, Any]) -> None:
        raw["runner_groups"][0]["repositories"] = ["tzervas/holographic-os"]

    report, _ = _validate(_scenario("org-runners-shared", tmp_path, exclude), tmp_path)
    outcome = next(o for o in report.outcomes if o.check == "RUN001")
    assert outcome.status == "failed"  # without the rule: passed (the runner is listed)
    assert "not one of them" in outcome.detail


def test_organisation_runners_cost_three_requests_more_than_repository_runners(
    tmp_path: Path,
) -> None:
    report, emu = _validate(_scenario("org-runners-shared", tmp_path), tmp_path)
    assert report.verdict == "GO"
    paths = [r.path for r in emu.requests if r.origin == "api"]
    estate = [p for p in paths if "/runners" in p or "/runner-groups" in p]
    assert estate == [
        "/repos/tzervas/embeddenator/actions/runners",
        "/orgs/tzervas/actions/runners",
        "/orgs/tzervas/actions/runner-groups",
        "/orgs/tzervas/actions/runner-groups/2/repositories",
    ]
    health = report.evidence.health
    assert [s.level for s in health.sources] == ["repository", "organization"]
    arm = next(r for r in health.runners if r.name == "embeddenator-arm64-1")
    assert (arm.level, arm.group) == ("organization", "arm64-builders")
    assert {(x.name, x.type) for x in arm.labels} >= {("ARM64", "read-only")}
    assert [r.name for r in health.excluded] == ["embeddenator-x64-1"]  # Default: not public


def test_a_level_the_token_cannot_read_names_its_permission(tmp_path: Path) -> None:
    scenario = _scenario("org-runners-invisible", tmp_path)
    with Emulator(scenario) as emu:
        gw = Gateway(repository=emu.repository, token=TOKEN, api_url=emu.base_url, timeout=5)
        with pytest.raises(AuthError) as caught:
            gw.organization_runners("tzervas")
        health = check_health(gw, workflow="build-push-arm64.yml", labels=("ARM64",))
    assert "Resource not accessible by integration" in str(caught.value)
    assert "Self-hosted runners: read" in str(caught.value) and "admin:org" in str(caught.value)
    assert health.runners == ()
    assert [(s.level, s.visible) for s in health.sources] == [
        ("repository", True),
        ("organization", False),
    ]
