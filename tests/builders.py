"""Evidence built by hand, for testing checks, verdicts and renderers without any I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from validator.evidence import (
    Artifact,
    Artifacts,
    BinaryInfo,
    BinaryScan,
    Cost,
    Evidence,
    FailedTest,
    Health,
    Job,
    Origin,
    PhaseRecord,
    Preflight,
    ResultFile,
    Run,
    Runner,
    RunnerContext,
    RunnerLabel,
    Settings,
    Step,
    SuiteCounts,
    TestCounts,
    TestScan,
    WorkflowInfo,
    typed_labels,
)

T = TypeVar("T")

ARM = ("self-hosted", "Linux", "ARM64")


def runner(
    name: str = "arm64-runner-1",
    *,
    status: str = "online",
    busy: bool = False,
    labels: tuple[RunnerLabel | str, ...] = ARM,
) -> Runner:
    return Runner(
        id=7, name=name, os="Linux", status=status, busy=busy, labels=typed_labels(labels)
    )


def job(
    name: str = "test",
    *,
    runner_name: str | None = "arm64-runner-1",
    labels: tuple[str, ...] = ("self-hosted", "linux", "ARM64"),
    runner_labels: tuple[RunnerLabel | str, ...] | None = ARM,
    conclusion: str | None = "success",
    steps: tuple[Step, ...] = (),
) -> Job:
    return Job(
        id=hash(name) % 10_000,
        name=name,
        status="completed",
        conclusion=conclusion,
        labels=labels,
        runner_name=runner_name,
        runner_labels=None if runner_labels is None else typed_labels(runner_labels),
        started_at="2026-01-02T03:01:00Z",
        completed_at="2026-01-02T03:09:00Z",
        queued_seconds=20.0,
        seconds=480.0,
        html_url="https://github.com/o/r/actions/runs/1/job/2",
        steps=steps
        or (
            Step(
                number=1,
                name="Run test suite",
                status="completed",
                conclusion=conclusion,
                seconds=300.0,
            ),
        ),
    )


def uploaded_by(
    job_name: str = "test", artifact: str = "arm64-binaries", artifact_id: int = 1
) -> Origin:
    """The origin of a file in ``artifact``, uploaded by the job named ``job_name``."""
    return Origin(artifact_id=artifact_id, artifact=artifact, job_id=job(job_name).id, job=job_name)


BINARIES_ORIGIN = uploaded_by()
RESULTS_ORIGIN = uploaded_by(artifact="test-results", artifact_id=2)


def aarch64(
    path: str = "arm64-binaries/bin/embeddenator", *, origin: Origin | None = BINARIES_ORIGIN
) -> BinaryInfo:
    return BinaryInfo(
        path=path,
        kind="elf",
        aarch64=True,
        elf_class=64,
        endian="little",
        machine="EM_AARCH64",
        type="ET_DYN",
        interpreter="/lib/ld-linux-aarch64.so.1",
        size=70_000,
        origin=origin,
    )


def x86(
    path: str = "arm64-binaries/bin/embeddenator", *, origin: Origin | None = BINARIES_ORIGIN
) -> BinaryInfo:
    return BinaryInfo(
        path=path,
        kind="elf",
        aarch64=False,
        elf_class=64,
        endian="little",
        machine="EM_X86_64",
        type="ET_DYN",
        interpreter="/lib64/ld-linux-x86-64.so.2",
        size=70_000,
        reason="x86-64 (EM_X86_64)",
        origin=origin,
    )


def results(
    tests: int = 24, failed: int = 0, *, origin: Origin | None = RESULTS_ORIGIN
) -> TestScan:
    counts = TestCounts(tests=tests, passed=tests - failed, failed=failed)
    failures = tuple(
        FailedTest(name=f"suite::t{i}", outcome="failed", message="assertion failed")
        for i in range(failed)
    )
    return TestScan(
        files=(
            ResultFile(
                path="test-results/junit.xml",
                format="junit",
                counts=counts,
                suites=(SuiteCounts(name="suite", counts=counts),),
                failures=failures,
                test_names=tuple(f"suite::t{i}" for i in range(tests)),
                origin=origin,
            ),
        )
    )


def present(value: T | None) -> T:
    """``value``, which the test expects to be there (the test fails where it is None)."""
    assert value is not None
    return value


def ok_phases(*names: str) -> tuple[PhaseRecord, ...]:
    return tuple(PhaseRecord(name=n, state="ok", seconds=0.5) for n in names)


ALL = ("health", "preflight", "dispatch", "artifacts", "binaries", "tests")


def go() -> Evidence:
    """Evidence on which every check passes."""
    return Evidence(
        settings=Settings(
            repository="octo-org/embeddenator",
            workflow="build-push-arm64.yml",
            ref="main",
            inputs={"run_tests": "true"},
            expected_tests=24,
            run_budget_seconds=900.0,
            api_url="https://api.github.com",
        ),
        phases=ok_phases(*ALL),
        health=Health(
            runners=(runner(),),
            default_branch="main",
            workflow=WorkflowInfo(
                id=220132581,
                name="Build and Push ARM64 Images (Self-Hosted)",
                path=".github/workflows/build-push-arm64.yml",
                state="active",
            ),
        ),
        preflight=Preflight(
            path=".github/workflows/build-push-arm64.yml", ref="main", arm64_jobs=("test",)
        ),
        run=Run(
            id=8812,
            attempt=1,
            html_url="https://github.com/octo-org/embeddenator/actions/runs/8812",
            status="completed",
            conclusion="success",
            event="workflow_dispatch",
            head_branch="main",
            head_sha="0123456789abcdef0123456789abcdef01234567",
            created_at="2026-01-02T03:00:00Z",
            run_started_at="2026-01-02T03:00:20Z",
            updated_at="2026-01-02T03:09:20Z",
            dispatched=True,
            queued_seconds=20.0,
            run_seconds=540.0,
            jobs=(
                job("test"),
                job(
                    "prepare-matrix",
                    runner_name="GitHub Actions 2",
                    labels=("ubuntu-latest",),
                    runner_labels=("ubuntu-latest",),
                ),
            ),
        ),
        artifacts=Artifacts(
            items=(
                Artifact(
                    id=1,
                    name="arm64-binaries",
                    size_in_bytes=30_000,
                    expired=False,
                    digest="sha256:" + "ab" * 32,
                    digest_verified=True,
                    downloaded_bytes=30_000,
                    verified_against=("api", "upload log"),
                    run_id=8812,
                    upload_digest="sha256:" + "ab" * 32,
                    job_id=job("test").id,
                    job_name="test",
                ),
                Artifact(
                    id=2,
                    name="test-results",
                    size_in_bytes=2_000,
                    expired=False,
                    digest="sha256:" + "cd" * 32,
                    digest_verified=True,
                    downloaded_bytes=2_000,
                    verified_against=("api", "upload log"),
                    run_id=8812,
                    upload_digest="sha256:" + "cd" * 32,
                    job_id=job("test").id,
                    job_name="test",
                ),
            ),
            directory="work/artifacts",
        ),
        binaries=BinaryScan(files=(aarch64(),)),
        tests=results(),
        tests_source="artifacts",
        cost=Cost(requests=14, rate_limit_points=11, bytes_downloaded=30_000),
        generated_at="2026-01-02T03:10:00Z",
        tool_version="0.1.0",
    )


def with_phase(ev: Evidence, name: str, state: str, error: str | None = None) -> Evidence:
    phases = tuple(p for p in ev.phases if p.name != name)
    return replace(ev, phases=(*phases, PhaseRecord(name=name, state=state, error=error)))  # type: ignore[arg-type]


def hosted_x64(j: Job) -> Job:
    """A job GitHub ran on a hosted x64 runner: its log's Runner Image section says so."""
    return replace(j, hosted=True, runner_context=RunnerContext(image="ubuntu-24.04"))
