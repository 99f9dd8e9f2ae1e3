"""The workflow file read before dispatch: the gateway's contents call, the preflight phase
through the whole pipeline against the emulator, its checks, and RUN003's jobs meant for ARM64.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from validator.checks import BY_ID, arm64_jobs_ran_on_arm64
from validator.cli import main
from validator.config import Config
from validator.emulator import Emulator, Fault, load_scenario
from validator.emulator.demo import emulator_config, virtual_hooks
from validator.errors import AuthError, GitHubError
from validator.evidence import Evidence, Preflight, WorkflowFinding
from validator.gateway import Gateway
from validator.orchestrate import validate
from validator.phases import select
from validator.phases.preflight import preflight_of
from validator.report import assess, default_blocking
from validator.workflow import analyse
from validator.workflow.model import InputSpec

from builders import go, hosted_x64, job, present, with_phase
from conftest import FIXTURES

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
LABELS = ("self-hosted", "linux", "ARM64")
CI = ".github/workflows/ci-arm64.yml"
BUILD = ".github/workflows/build-push-arm64.yml"
EMULATION_RUN = 20962290417  # the non-arm64-run scenario's run, made with emulation-test


def gateway(emu: Emulator) -> Gateway:
    return Gateway(
        repository=emu.repository,
        token=TOKEN,
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


def dispatches(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "POST" and r.path.endswith("/dispatches")]


def contents_calls(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if "/contents/" in r.path]


# --- the gateway --------------------------------------------------------------------------


def test_workflow_text_is_the_file_at_the_ref(emu: Emulator) -> None:
    real = (FIXTURES / "workflows/embeddenator/ci-arm64.yml").read_text(encoding="utf-8")
    sha = emu.scenario.repository.branches["main"]
    with gateway(emu) as gw:
        assert gw.workflow_text(CI, "main") == real
        assert gw.workflow_text(CI, sha) == real  # a commit works as a ref too
        assert gw.cost.requests == 2


def test_a_missing_file_or_ref_is_a_404_that_says_which(emu: Emulator) -> None:
    with gateway(emu) as gw:
        with pytest.raises(GitHubError) as missing:
            gw.workflow_text(".github/workflows/nope.yml", "main")
        with pytest.raises(GitHubError) as no_ref:
            gw.workflow_text(CI, "no-such-branch")
    assert missing.value.status == no_ref.value.status == 404
    assert str(missing.value).startswith(
        "Workflow file .github/workflows/nope.yml was not found at main in tzervas/embeddenator"
    )
    assert "no-such-branch" in str(no_ref.value)


def test_a_403_names_the_permission(emu: Emulator) -> None:
    emu.inject(Fault(path="/contents/", status=403, message="Resource not accessible"))
    with gateway(emu) as gw, pytest.raises(AuthError) as refused:
        gw.workflow_text(CI, "main")
    assert refused.value.status == 403
    assert "'Contents: read'" in str(refused.value)
    assert TOKEN not in str(refused.value)


def test_a_file_over_1_mb_comes_without_content_and_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "big.yml").write_text("# padding\n" * 110_000 + "jobs: {}\n", encoding="utf-8")
    raw = json.loads((FIXTURES / "scenarios/healthy.json").read_text(encoding="utf-8"))
    raw["workflows"][1]["file"] = "big.yml"
    scenario = load_scenario(_write(tmp_path / "big.json", raw), fixtures_dir=tmp_path)
    with (
        Emulator(scenario, token=TOKEN) as server,
        gateway(server) as gw,
        pytest.raises(GitHubError) as refused,
    ):
        gw.workflow_text(CI, "main")
    message = str(refused.value)
    assert message.startswith(f"{CI} at main (1100009 bytes): the contents endpoint answered")
    assert "files over 1 MiB are not served inline" in message


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# --- the phase in the pipeline --------------------------------------------------------------


def run_scenario(emu: Emulator, tmp_path: Path, **overrides: object) -> tuple[Config, object]:
    config = emulator_config(emu, report=tmp_path / "ARM64_TEST_RESULTS.md", **overrides)
    return config, validate(config, virtual_hooks(emu.clock), environ={})


def test_the_seed_trap_is_no_go_before_dispatch_and_nothing_is_dispatched(tmp_path: Path) -> None:
    with Emulator("non-arm64-runner") as emu:
        _, done = run_scenario(emu, tmp_path)
        assert dispatches(emu) == []
        assert len(contents_calls(emu)) == 1
    report = done.report  # type: ignore[attr-defined]
    assert report.verdict == "NO-GO"
    wfl001 = report.outcome("WFL001")
    assert wfl001.status == "failed"
    assert wfl001.detail.startswith(f"`{CI}` line 60: job arm64-build-test")
    assert "asks for ubuntu-latest with runner_type=emulation-test" in wfl001.detail
    assert "--input runner_type=self-hosted" in wfl001.remedy
    dispatch = report.evidence.phase("dispatch")
    assert dispatch.state == "not-run"
    assert dispatch.error == (
        f"nothing was dispatched: WFL001 at {CI}:60 makes GO impossible with these inputs"
    )
    assert report.outcome("RUN002").status == "inconclusive"
    written = json.loads((tmp_path / "ARM64_TEST_RESULTS.json").read_text(encoding="utf-8"))
    assert {c["id"]: c["status"] for c in written["checks"]}["WFL001"] == "failed"
    assert written["evidence"]["preflight"]["findings"][0]["line"] == 60


def test_the_seed_trap_exits_1_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with Emulator("healthy", token=TOKEN) as emu:
        code = main(
            [
                "--all-phases", "--quiet", "--repo", emu.repository, "--api-url", emu.base_url,
                "--workflow", "ci-arm64.yml", "--input", "runner_type=emulation-test",
                "--report", str(tmp_path / "r.md"),
            ]
        )  # fmt: skip
        assert dispatches(emu) == []
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL  WFL001" in out
    assert out.rstrip().splitlines()[-1].startswith("verdict: NO-GO")


def test_an_input_the_dispatch_would_be_refused_for_exits_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    report = tmp_path / "r.md"
    with Emulator("healthy", token=TOKEN) as emu:
        code = main(
            [
                "--all-phases", "--quiet", "--repo", emu.repository, "--api-url", emu.base_url,
                "--workflow", "ci-arm64.yml", "--input", "runner_type=arm64",
                "--input", "debug=1", "--report", str(report),
            ]
        )  # fmt: skip
        assert dispatches(emu) == []
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"validate-arm64: error: {CI}: GitHub would refuse this dispatch; nothing was dispatched."
    )
    assert any("WFL004" in line and "allowed: self-hosted, emulation-test" in line for line in err)
    assert any("WFL003" in line and "declares no input 'debug'" in line for line in err)
    assert not report.exists()
    assert not report.with_suffix(".json").exists()


@pytest.mark.parametrize("status", [403, 404])
def test_an_unreadable_file_is_not_checked_and_the_dispatch_goes_on(
    status: int, tmp_path: Path
) -> None:
    with Emulator("healthy") as emu:
        emu.inject(Fault(path="/contents/", status=status))
        _, done = run_scenario(emu, tmp_path)
        assert len(dispatches(emu)) == 1
    report = done.report  # type: ignore[attr-defined]
    record = report.evidence.phase("preflight")
    assert record.state == "not-run"
    assert f"({status}" in record.error
    assert report.evidence.preflight is None
    wfl001 = report.outcome("WFL001")
    assert wfl001.status == "inconclusive"
    assert wfl001.detail.startswith("Not checked: the preflight phase did not run (")
    # Everything else passes, but what the file says was not seen: never GO.
    assert report.verdict == "INCONCLUSIVE"
    assert {o.check for o in report.blockers} == {"WFL001", "WFL011"}


def test_with_run_id_the_analysis_stops_nothing_and_judges_the_moved_job(tmp_path: Path) -> None:
    with Emulator("non-arm64-run") as emu:
        _, done = run_scenario(
            emu, tmp_path, inputs={"runner_type": "emulation-test", "unknown": "1"}
        )
        assert dispatches(emu) == []
    report = done.report  # type: ignore[attr-defined]
    assert report.evidence.phase("dispatch").state == "ok"
    assert report.evidence.run.id == EMULATION_RUN
    assert report.outcome("WFL001").status == "failed"
    run003 = report.outcome("RUN003")
    assert run003.status == "failed"
    assert run003.detail.startswith(
        "Jobs meant for ARM64 ran elsewhere: `ARM64 Build and Test (Self-Hosted)` ran on"
    )
    usage = [f.id for f in report.evidence.preflight.findings if f.severity == "usage"]
    assert usage == ["WFL003"]  # recorded, but nothing was going to be dispatched


def test_the_healthy_scenario_costs_one_request_more_and_stays_go(tmp_path: Path) -> None:
    with Emulator("healthy") as emu:
        _, done = run_scenario(emu, tmp_path)
        assert contents_calls(emu) == [f"/repos/tzervas/embeddenator/contents/{BUILD}"]
    report = done.report  # type: ignore[attr-defined]
    assert report.verdict == "GO"
    assert report.evidence.preflight.arm64_jobs == ("test", "build-and-push-arm64")
    assert all(report.outcome(f"WFL0{n:02d}").status == "passed" for n in (1, 6, 7, 8, 9, 10, 11))


def test_preflight_runs_whenever_dispatch_does() -> None:
    assert select(["dispatch", "health"]) == ("health", "preflight", "dispatch")
    assert select(["health", "report"]) == ("health", "report")


# --- the jobs RUN003 judges -----------------------------------------------------------------

MATRIX = """\
on: workflow_dispatch
jobs:
  build:
    strategy:
      matrix:
        runner: [ubuntu-latest, "self-hosted,linux,ARM64"]
    runs-on: ${{ matrix.runner == 'ubuntu-latest' && 'ubuntu-latest' || fromJSON('["self-hosted", "linux", "ARM64"]') }}
    steps:
      - run: make
  test:
    runs-on: [self-hosted, linux, ARM64]
    steps:
      - run: make test
  package:
    name: Package
    runs-on: ${{ inputs.where || 'ubuntu-latest' }}
    steps:
      - run: make dist
"""


def test_jobs_judged_are_the_moved_ones_and_those_whose_every_leg_is_arm64() -> None:
    analysis = analyse(MATRIX, path="ci.yml", inputs={}, labels=LABELS)
    assert {j.id: j.status for j in analysis.jobs} == {
        "build": "arm64",
        "test": "arm64",
        "package": "other",
    }
    # The x86 leg of a matrix that spans architectures is not an ARM64 job.
    assert preflight_of(analysis, ref="main").arm64_jobs == ("test",)
    moved = """\
on:
  workflow_dispatch:
    inputs:
      where: {type: choice, options: [arm, x86], default: arm}
jobs:
  build:
    name: Build
    runs-on: ${{ inputs.where == 'arm' && fromJSON('["self-hosted","linux","ARM64"]') || 'ubuntu-latest' }}
    steps:
      - run: make
"""
    analysis = analyse(moved, path="ci.yml", inputs={"where": "x86"}, labels=LABELS)
    assert preflight_of(analysis, ref="main").arm64_jobs == ("Build",)


def _moved_build() -> Evidence:
    """A run where the build job was moved to x86 by an input; the test job ran on ARM64."""
    ev = go()
    build = hosted_x64(job("build (debian)", runner_name="GitHub Actions 3",
                           labels=("ubuntu-latest",), runner_labels=None))  # fmt: skip
    assert ev.run is not None
    return replace(ev, run=replace(ev.run, jobs=(*ev.run.jobs, build)))


def test_run003_judges_a_job_the_file_meant_for_arm64_even_when_moved() -> None:
    ev = _moved_build()
    # Without the workflow's word, the moved job vanishes and RUN003 would pass.
    unaware = replace(ev, preflight=replace(present(ev.preflight), arm64_jobs=("test",)))
    assert arm64_jobs_ran_on_arm64(unaware).status == "passed"
    aware = replace(ev, preflight=replace(present(ev.preflight), arm64_jobs=("test", "build")))
    judged = arm64_jobs_ran_on_arm64(aware)
    assert judged.status == "failed"
    assert judged.detail.startswith(
        "Jobs meant for ARM64 ran elsewhere: `build (debian)` ran on `GitHub Actions 3`"
    )


# --- the checks -----------------------------------------------------------------------------


def _finding(finding_id: str, severity: str, line: int) -> WorkflowFinding:
    return WorkflowFinding(id=finding_id, severity=severity, line=line,  # type: ignore[arg-type]
                           message=f"{finding_id} seen", remedy=f"fix {finding_id}")  # fmt: skip


def test_a_blocking_finding_makes_no_go_and_a_warning_does_not() -> None:
    ev = go()
    assert assess(ev).verdict == "GO"
    pre = Preflight(path=BUILD, ref="main", arm64_jobs=("test",),
                    findings=(_finding("WFL008", "warning", 70),))  # fmt: skip
    warned = assess(replace(ev, preflight=pre))
    assert present(warned.outcome("WFL008")).status == "failed"
    assert present(warned.outcome("WFL008")).detail == f"`{BUILD}` line 70: WFL008 seen"
    assert warned.verdict == "GO"
    blocked = assess(
        replace(ev, preflight=replace(pre, findings=(_finding("WFL001", "blocking", 48),)))
    )
    assert blocked.verdict == "NO-GO"
    assert present(blocked.outcome("WFL001")).remedy == "fix WFL001"


def test_warnings_never_block_and_blocking_findings_do() -> None:
    blocking = default_blocking(go())
    assert {"WFL001", "WFL011"} <= blocking
    assert not {"WFL006", "WFL007", "WFL008", "WFL009", "WFL010"} & blocking
    assert BY_ID["WFL001"].statement == (
        "No job meant for ARM64 is moved off its labels by the inputs."
    )


def test_without_the_preflight_the_workflow_checks_are_not_checked() -> None:
    ev = replace(go(), preflight=None)
    skipped = replace(ev, phases=tuple(p for p in ev.phases if p.name != "preflight"))
    assert present(assess(skipped).outcome("WFL001")).detail == (
        "Not checked: the preflight phase did not run."
    )
    assert assess(skipped).verdict == "INCONCLUSIVE"
    broken = with_phase(ev, "preflight", "error", "GitHub answered 502")
    assert present(assess(broken).outcome("WFL011")).status == "inconclusive"


# --- the emulator's workflow files ----------------------------------------------------------


def _plans(scenario_name: str) -> Iterator[tuple[str, dict[str, str], object, object]]:
    """(scenario workflow, inputs it runs with, its YAML's analysis, a plan of it)."""
    scenario = load_scenario(scenario_name)
    for spec in scenario.workflows:
        assert spec.source is not None, f"{scenario_name}: {spec.path} has no YAML file"
        text = (scenario.fixtures_dir / spec.source).read_text(encoding="utf-8")
        hinted = spec.file_name == scenario.cli.workflow
        inputs = dict(scenario.cli.inputs) if hinted else {}
        analysis = analyse(text, path=spec.path, inputs=inputs, labels=LABELS)
        declared = {(i.name, i.type, i.options) for i in analysis_inputs(text)}
        assert declared == {(i.name, i.type, i.options) for i in spec.inputs}, spec.path
        plans = [spec.on_dispatch] + [
            r.plan for r in scenario.runs if r.workflow_id == spec.id and hinted
        ]
        for plan in plans:
            if plan is not None:
                yield spec.path, inputs, analysis, plan


def analysis_inputs(text: str) -> tuple[InputSpec, ...]:
    from validator.workflow.model import read_workflow

    return read_workflow(text).inputs


@pytest.mark.parametrize("name", sorted(p.stem for p in (FIXTURES / "scenarios").glob("*.json")))
def test_each_scenario_job_asks_for_what_its_workflow_file_says(name: str) -> None:
    """The YAML the emulator serves declares the scenario's inputs, and every job of a plan
    asks for the labels its job's runs-on resolves to with the scenario's inputs."""
    for path, _inputs, analysis, plan in _plans(name):
        by_name = {j.name: j for j in analysis.jobs}  # type: ignore[attr-defined]
        for planned in plan.jobs:  # type: ignore[attr-defined]
            base = next(
                (n for n in by_name if planned.name == n or planned.name.startswith(f"{n} (")),
                None,
            )
            assert base is not None, f"{name}: {path} has no job {planned.name!r}"
            legs = {frozenset(label.casefold() for label in leg) for leg in by_name[base].runs_on}
            asked = frozenset(label.casefold() for label in planned.labels)
            assert asked in legs, f"{name}: {planned.name} asks for {planned.labels}"
