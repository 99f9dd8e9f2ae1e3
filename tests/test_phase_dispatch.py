"""The dispatch phase against the emulator: dispatch, wait on virtual time, record the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from validator.arm64 import job_ran_on_arm64
from validator.emulator import Emulator
from validator.errors import GitHubError
from validator.evidence import Job, Run, Runner, Step, typed_labels
from validator.gateway import Gateway
from validator.phases.dispatch import (
    attach_runner_labels,
    dispatch_and_wait,
    log_tail,
    wants_log,
    why_queued,
    with_job_timings,
)
from validator.phases.health import check_health

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
LABELS = ("self-hosted", "linux", "ARM64")
HEALTHY_RUN = 20961180042
ARM64_RUNNER = Runner(
    id=17,
    name="embeddenator-arm64-1",
    os="Linux",
    status="online",
    busy=False,
    labels=typed_labels(("self-hosted", "Linux", "ARM64")),
)


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


def run_phase(
    emu: Emulator,
    gw: Gateway,
    tmp_path: Path,
    *,
    run_id: int | None = None,
    runners: Sequence[Runner] | None = (ARM64_RUNNER,),
    sleep: Callable[[float], None] | None = None,
    **options: Any,
) -> tuple[Run, list[str]]:
    messages: list[str] = []
    settings: dict[str, Any] = {
        "workflow": emu.scenario.cli.workflow,
        "ref": emu.scenario.cli.ref,
        "inputs": emu.scenario.cli.inputs,
        "run_id": run_id,
        "labels": LABELS,
        "runners": runners,
        "queue_timeout": 1800.0,
        "run_timeout": 3600.0,
        "poll_interval": 10.0,
        "progress": messages.append,
        "clock": emu.clock.now,
        "sleep": sleep or emu.clock.sleep,
        "logs_dir": tmp_path / "logs",
    }
    settings.update(options)
    return dispatch_and_wait(gw, **settings), messages


def statuses(emu: Emulator, path_end: str, method: str = "GET") -> list[int]:
    # The emulator logs a request just after answering it: let the log catch up.
    time.sleep(0.05)
    return [
        r.status
        for r in emu.requests
        if r.origin == "api" and r.method == method and r.path.endswith(path_end)
    ]


# --- the whole way through ----------------------------------------------------------------


def test_healthy_run_is_dispatched_waited_for_and_recorded(tmp_path: Path) -> None:
    started = time.monotonic()
    with Emulator("healthy", token=TOKEN) as emu:
        gw = gateway(emu)
        run, messages = run_phase(emu, gw, tmp_path)
        polls = statuses(emu, f"/actions/runs/{run.id}")
        cost = gw.cost
    assert time.monotonic() - started < 10  # virtual time: no real waiting
    assert (run.status, run.conclusion, run.dispatched, run.wait_error) == (
        "completed",
        "success",
        True,
        None,
    )
    assert run.event == "workflow_dispatch"
    assert run.queued_seconds == 6.0  # the scenario queues for 6 s
    assert run.run_seconds is not None and run.run_seconds > 60
    jobs = {j.name: j for j in run.jobs}
    assert jobs["test"].runner_label_names == ("self-hosted", "Linux", "ARM64")
    # A hosted runner's labels are not readable; its log's Runner Image says what it was.
    assert jobs["prepare-matrix"].hosted and jobs["prepare-matrix"].runner_labels is None
    assert all(j.conclusion == "success" for j in run.jobs)
    assert jobs["test"].steps and all(isinstance(s, Step) for s in jobs["test"].steps)
    # Only the job whose steps run tests has its log fetched; nothing failed.
    logged = [j for j in run.jobs if j.log_path]
    assert [j.name for j in logged] == ["test"]
    assert "Runner name: 'embeddenator-arm64-1'" in Path(logged[0].log_path or "").read_text()
    assert jobs["test"].log_excerpt is None
    # Progress on each state change.
    assert any(
        m.startswith(f"dispatched build-push-arm64.yml on main: run {run.id}") for m in messages
    )
    changes = [m for m in messages if m.startswith(f"run {run.id} of build-push-arm64.yml: ")]
    assert [c.split(": ")[1].rsplit(" ", 1)[0] for c in changes] == [
        "queued",
        "in progress",
        "completed",
    ]
    # Conditional polling: unchanged snapshots came back 304 and cost no point.
    assert 304 in polls and polls[0] == 200
    not_modified = sum(1 for s in polls if s == 304)
    assert cost.requests is not None and cost.rate_limit_points is not None
    assert cost.rate_limit_points <= cost.requests - not_modified


def test_attaching_to_a_run_does_not_dispatch(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        run, messages = run_phase(emu, gateway(emu), tmp_path, run_id=HEALTHY_RUN)
        dispatches = statuses(emu, "/dispatches", "POST")
    assert run.id == HEALTHY_RUN
    assert run.dispatched is False
    assert run.conclusion == "success"
    assert dispatches == []
    assert messages[0] == f"attaching to run {HEALTHY_RUN} of build-push-arm64.yml"


def test_legacy_server_run_is_found_by_elimination(tmp_path: Path) -> None:
    with Emulator("legacy-ghes", token=TOKEN) as emu:
        run, messages = run_phase(emu, gateway(emu), tmp_path)
    assert run.dispatched is True
    assert run.conclusion == "success"
    assert f"found run {run.id} created by the dispatch" in messages


def test_refused_dispatch_raises_githubs_words(tmp_path: Path) -> None:
    with Emulator("not-default-branch", token=TOKEN) as emu, pytest.raises(GitHubError) as info:
        run_phase(emu, gateway(emu), tmp_path)
    assert info.value.status == 422
    assert "workflow_dispatch" in str(info.value)


# --- deadlines ----------------------------------------------------------------------------


def test_queue_deadline_returns_the_run_with_a_reason(tmp_path: Path) -> None:
    with Emulator("no-runners", token=TOKEN) as emu:
        run, messages = run_phase(emu, gateway(emu), tmp_path, runners=(), queue_timeout=600.0)
        polls = statuses(emu, f"/actions/runs/{run.id}")
    assert run.status == "queued"
    assert run.wait_error is not None
    assert run.wait_error.startswith(
        f"Run {run.id} of build-push-arm64.yml stayed queued for 10m00s: job 'test' asks for "
        "self-hosted, linux, ARM64: no self-hosted runner is registered on the repository. "
        "Register or start a runner"
    )
    assert "raise --queue-timeout (now 10m00s)" in run.wait_error
    assert any(
        m.startswith(f"run {run.id} queued for ")
        and m.endswith("waiting for a runner with labels self-hosted, linux, ARM64")
        for m in messages
    )
    # One poll per interval (10 minutes, 10 s): all but the first answered 304, which is free.
    assert 55 <= len(polls) <= 62
    assert polls.count(200) == 1
    assert set(polls[1:]) == {304}
    assert all(j.log_path is None for j in run.jobs)


def test_queue_reason_names_the_missing_label(tmp_path: Path) -> None:
    with Emulator("queue-stuck", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path, queue_timeout=300.0)
    assert run.wait_error is not None
    assert (
        "job 'test' asks for self-hosted, linux, ARM64, large: no registered runner has them "
        "all (embeddenator-arm64-1 lacks large)"
    ) in run.wait_error
    assert "ubuntu-latest" not in run.wait_error  # hosted jobs wait for GitHub, not for us


def test_queue_reason_when_the_runner_is_offline(tmp_path: Path) -> None:
    offline = Runner(**{**ARM64_RUNNER.__dict__, "status": "offline"})
    with Emulator("runner-offline", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path, runners=(offline,), queue_timeout=300.0)
    assert run.wait_error is not None
    assert "the runners with them are offline (embeddenator-arm64-1)" in run.wait_error


def test_run_deadline_returns_the_run_with_a_reason(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path, run_timeout=120.0)
    assert run.status == "in_progress"
    assert run.wait_error is not None
    assert run.wait_error.startswith(
        f"Run {run.id} of build-push-arm64.yml was still in progress after running for 2m00s "
        "(--run-timeout 2m00s)."
    )
    assert "Raise --run-timeout" in run.wait_error
    assert run.run_seconds is None


# --- Ctrl-C ---------------------------------------------------------------------------------


def interrupting_sleep(emu: Emulator, after: int) -> Callable[[float], None]:
    calls = 0

    def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls > after:
            raise KeyboardInterrupt
        emu.clock.sleep(seconds)

    return sleep


def test_interrupt_cancels_the_run_when_asked(tmp_path: Path) -> None:
    with Emulator("no-runners", token=TOKEN) as emu:
        gw = gateway(emu)
        with pytest.raises(KeyboardInterrupt):
            run_phase(emu, gw, tmp_path, sleep=interrupting_sleep(emu, 3), cancel_on_abort=True)
        cancels = statuses(emu, "/cancel", "POST")
        run_id = gw.latest_completed_run("build-push-arm64.yml", "main")
        assert run_id is not None
        run, _ = gw.run(run_id)
    assert cancels == [202]
    assert (run.status, run.conclusion) == ("completed", "cancelled")


def test_interrupt_leaves_the_run_alone_by_default(tmp_path: Path) -> None:
    with Emulator("no-runners", token=TOKEN) as emu:
        with pytest.raises(KeyboardInterrupt):
            run_phase(emu, gateway(emu), tmp_path, sleep=interrupting_sleep(emu, 3))
        assert statuses(emu, "/cancel", "POST") == []


# --- who ran the jobs, and their logs ------------------------------------------------------


def test_failed_job_keeps_its_log_and_a_tail(tmp_path: Path) -> None:
    with Emulator("tests-failing", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path)
    assert run.conclusion == "failure"
    test = next(j for j in run.jobs if j.name == "test")
    assert test.conclusion == "failure"
    assert test.log_path is not None
    text = Path(test.log_path).read_text(encoding="utf-8")
    assert test.log_excerpt is not None
    assert text.rstrip("\n").endswith(test.log_excerpt)
    assert "##[error]" in test.log_excerpt
    skipped = [j for j in run.jobs if j.conclusion == "skipped"]
    assert skipped and all(j.log_path is None and j.runner_name is None for j in skipped)


def test_job_on_a_hosted_runner_is_known_by_the_image_in_its_log(tmp_path: Path) -> None:
    with Emulator("non-arm64-runner", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path)
    (job,) = run.jobs
    assert job.runner_name is not None and job.runner_name.startswith("GitHub Actions")
    assert job.hosted and job.runner_labels is None  # requested labels are not its labels
    assert job.runner_context is not None and job.runner_context.image == "ubuntu-24.04"


def test_runner_missing_from_the_health_list_is_looked_up_again(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path, runners=())
        listed = statuses(emu, "/actions/runners")
    assert listed == [200]
    test = next(j for j in run.jobs if j.name == "test")
    assert test.runner_label_names == ("self-hosted", "Linux", "ARM64")


def test_runner_labels_stay_unknown_without_a_runner_list(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        run, _ = run_phase(emu, gateway(emu), tmp_path, runners=None)
        listed = statuses(emu, "/actions/runners")
    assert listed == []
    test = next(j for j in run.jobs if j.name == "test")
    assert test.runner_labels is None


def test_health_then_dispatch_together(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        gw = gateway(emu)
        health = check_health(gw, workflow="build-push-arm64.yml", labels=LABELS)
        run, _ = run_phase(emu, gw, tmp_path, runners=health.runners)
    assert all(
        j.runner_labels is not None for j in run.jobs if j.runner_name is not None and not j.hosted
    )


def test_token_stays_out_of_progress_logs_and_saved_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Emulator("tests-failing", token=TOKEN) as emu:
        run, messages = run_phase(emu, gateway(emu), tmp_path)
    assert messages and caplog.records
    assert not [m for m in messages if TOKEN in m]
    assert TOKEN not in caplog.text
    saved = [Path(j.log_path) for j in run.jobs if j.log_path]
    assert saved and all(TOKEN not in p.read_text() for p in saved)
    assert TOKEN not in repr(run)


# --- pure pieces ----------------------------------------------------------------------------


def job(name: str = "build", **fields: Any) -> Job:
    values: dict[str, Any] = {
        "id": 1,
        "name": name,
        "status": "completed",
        "conclusion": "success",
        "labels": LABELS,
        "runner_name": "arm-1",
        "runner_labels": None,
    }
    values.update(fields)
    return Job(**values)


def step(name: str) -> Step:
    return Step(number=1, name=name, status="completed", conclusion="success")


def test_attach_runner_labels_by_runner_id() -> None:
    arm = Runner(
        id=1, name="arm-1", os="Linux", status="online", busy=False, labels=typed_labels(LABELS)
    )
    hosted = job("summary", runner_name="GitHub Actions 3", runner_labels=("ubuntu-latest",))
    unknown = job("other", runner_name="gone-runner", runner_id=5)
    out = attach_runner_labels(
        [job(runner_id=1), hosted, unknown, job("q", runner_name=None)], [arm]
    )
    assert [j.runner_label_names for j in out] == [LABELS, ("ubuntu-latest",), None, None]


def test_a_runner_name_alone_never_gives_a_job_its_labels_rule() -> None:
    # The repository's ARM64 runner (id 17) and an organisation x64 runner (id 90) share a
    # name; the job ran on 90, which the token cannot list.
    arm = Runner(id=17, name="ci-runner-1", os="Linux", status="online", busy=False,
                 labels=typed_labels(LABELS))  # fmt: skip
    on_org = job(runner_name="ci-runner-1", runner_id=90)
    no_id = job(runner_name="ci-runner-1")  # an answer without runner_id
    out = attach_runner_labels([on_org, no_id], [arm])
    assert [j.runner_labels for j in out] == [None, None]  # without the rule: ARM64 labels
    assert job_ran_on_arm64(out[0]).answer == "unknown"


@pytest.mark.parametrize(
    ("candidate", "wanted"),
    [
        (job(conclusion="failure"), True),
        (job(conclusion="timed_out"), True),
        (job(steps=(step("Run test suite"),)), True),
        (job(steps=(step("cargo test --verbose"),)), True),
        (job(name="unit-tests"), True),
        (job(steps=(step("Build image"),)), False),
        (job(steps=(step("Attestation"),)), False),  # "test" inside a word is not a test step
        (job(conclusion="failure", runner_name=None), False),  # never started: no log
        (job(status="in_progress", conclusion=None, name="tests"), False),
    ],
)
def test_wants_log(candidate: Job, wanted: bool) -> None:
    assert wants_log(candidate) is wanted


def test_log_tail_keeps_the_last_lines_within_a_size() -> None:
    text = "".join(f"line {i}\n" for i in range(100))
    assert log_tail(text, lines=3) == "line 97\nline 98\nline 99"
    assert log_tail(text, lines=50, chars=7) == "line 99"


def test_why_queued_explains_each_case() -> None:
    offline = Runner(
        id=2, name="arm-2", os="Linux", status="offline", busy=False, labels=typed_labels(LABELS)
    )
    online = Runner(
        id=1, name="arm-1", os="Linux", status="online", busy=True, labels=typed_labels(LABELS)
    )
    x64 = Runner(
        id=3,
        name="x64",
        os="Linux",
        status="online",
        busy=False,
        labels=typed_labels(("self-hosted",)),
    )
    assert why_queued(LABELS, None).endswith("(the runner list could not be read)")
    assert why_queued(LABELS, []).endswith("no self-hosted runner is registered on the repository")
    assert why_queued(LABELS, [x64]).endswith(
        "no registered runner has them all (x64 lacks linux, ARM64)"
    )
    assert why_queued(LABELS, [offline]).endswith("the runners with them are offline (arm-2)")
    assert why_queued(LABELS, [offline, online], job="test") == (
        "job 'test' asks for self-hosted, linux, ARM64: runners with them are online (arm-1) "
        "but none took it"
    )


def test_job_timings_measure_the_queue_to_the_first_started_job() -> None:
    run = Run(
        id=1,
        attempt=1,
        html_url="",
        status="completed",
        conclusion="success",
        event="workflow_dispatch",
        head_branch="main",
        head_sha=None,
        created_at="2026-01-02T03:00:00Z",
        run_started_at="2026-01-02T03:00:00Z",
        updated_at="2026-01-02T03:10:00Z",
        dispatched=True,
        queued_seconds=0.0,
        run_seconds=600.0,
        jobs=(
            job(started_at="2026-01-02T03:02:00Z"),
            job(started_at="2026-01-02T03:01:30Z"),
            job(runner_name=None, started_at="2026-01-02T03:00:00Z"),  # never picked up
        ),
    )
    timed = with_job_timings(run)
    assert (timed.queued_seconds, timed.run_seconds) == (90.0, 510.0)
    no_jobs = with_job_timings(Run(**{**run.__dict__, "jobs": ()}))
    assert (no_jobs.queued_seconds, no_jobs.run_seconds) == (0.0, 600.0)
