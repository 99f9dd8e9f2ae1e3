"""The right run (workflow, commit, event, attempt) and API hygiene: each rule, and the verdict
the same evidence would get without it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from validator.checks import BY_ID, evaluate
from validator.emulator import Emulator, Fault, VirtualClock
from validator.errors import GitHubError, RepositoryMoved, UsageError
from validator.evidence import Evidence, Origin
from validator.gateway import Gateway
from validator.phases.dispatch import other_branch_or_event, refuse_foreign_run, with_job_timings

from builders import go, hosted_x64, job, present

HEAD = "0123456789abcdef0123456789abcdef01234567"
FLAKY = 20912345678
LOGS = r"/actions/jobs/\d+/logs"


def status(ev: Evidence, check_id: str) -> str:
    return BY_ID[check_id].run(ev).status


def go_but(ev: Evidence, check_id: str) -> bool:
    """Whether every other check passes (or does not apply): GO without the rule."""
    return all(o.status in ("passed", "skipped") for o in evaluate(ev) if o.check != check_id)


def latest(**run: Any) -> Evidence:
    """Good evidence about a --use-latest-run run on the head of main."""
    ev = go()
    changes: dict[str, Any] = {"dispatched": False, "ref_head_sha": HEAD} | run
    return replace(
        ev,
        settings=replace(ev.settings, run_source="latest"),
        run=replace(present(ev.run), **changes),
    )


# --- checks -------------------------------------------------------------------------------------


def test_a_latest_run_of_the_head_with_nothing_newer_is_go():
    assert [o.check for o in evaluate(latest()) if o.status not in ("passed", "skipped")] == []


def test_a_latest_run_of_an_older_commit_is_not_go():
    ev = latest(ref_head_sha="f" * 40)
    outcome = BY_ID["RUN004"].run(ev)
    assert outcome.status == "inconclusive"
    assert "not of the head of `main` (`ffffffffffff`)" in outcome.detail
    assert go_but(ev, "RUN004")


def test_a_newer_run_on_the_head_still_in_progress_is_not_go():
    ev = latest(newer_runs=(9001,))
    outcome = BY_ID["RUN004"].run(ev)
    assert outcome.status == "inconclusive"
    assert "(9001)" in outcome.detail
    assert go_but(ev, "RUN004")
    assert status(latest(ref_head_sha=None), "RUN004") == "inconclusive"  # head not read


def test_a_run_of_another_event_or_branch_is_judged_only_when_allowed():
    push = latest(event="push")
    assert status(push, "RUN004") == "failed"
    assert status(push, "RUN002") == "inconclusive"  # not a manual run
    assert status(push, "WF001") == "inconclusive"  # nothing dispatched: not observed
    allowed = replace(push, settings=replace(push.settings, allow_other_run=True))
    assert status(allowed, "RUN004") == "passed"
    assert "accepted by --allow-other-run" in BY_ID["RUN002"].run(allowed).detail
    # Still not GO: that the workflow accepts a manual dispatch was never seen.
    assert status(allowed, "WF001") == "inconclusive"
    assert go_but(allowed, "WF001")
    dev = latest(head_branch="dev")
    assert status(dev, "RUN004") == "failed"
    assert go_but(dev, "RUN004")


def test_wf001_passes_on_a_run_dispatched_by_hand_and_never_unobserved():
    assert status(latest(), "WF001") == "passed"  # the run's event says it was dispatched
    assert "triggered by `workflow_dispatch`" in BY_ID["WF001"].run(latest()).detail
    nothing = replace(latest(), run=None)
    assert status(nothing, "WF001") == "inconclusive"


def test_a_run_of_another_workflow_fails_run004():
    ev = latest(workflow_id=1)
    assert status(ev, "RUN004") == "failed"
    assert go_but(ev, "RUN004")


def test_tests_from_a_job_log_are_traced_to_that_job_by_id_not_by_name():
    # A matrix: two jobs with one display name, the ARM64 one listed first.
    arm = replace(job("test"), id=1)
    x86 = replace(hosted_x64(job("test", runner_name="GitHub Actions 3", runner_labels=None)), id=2)

    def logged_by(job_id: int | None) -> Evidence:
        ev = replace(
            go(), run=replace(present(go().run), jobs=(arm, x86)), tests_source="job log: test"
        )
        origin = None if job_id is None else Origin(job_id=job_id, job="test")
        files = tuple(replace(f, origin=origin) for f in present(ev.tests).files)
        return replace(ev, tests=replace(present(ev.tests), files=files))

    assert status(logged_by(x86.id), "TST001") == "failed"
    # Found by name, the first `test` would be the ARM64 job, and the check would pass.
    assert status(logged_by(arm.id), "TST001") == "passed"
    assert status(logged_by(None), "TST001") == "inconclusive"


def test_an_attempt_is_timed_from_its_own_start_on_its_own_jobs():
    carried = replace(job("build"), attempt=1, started_at="2025-12-27T09:00:06Z")
    rerun = replace(job("test"), attempt=2, started_at="2026-01-01T10:00:06Z")
    run = replace(
        present(go().run),
        attempt=2,
        created_at="2025-12-27T09:00:00Z",
        run_started_at="2026-01-01T10:00:00Z",
        updated_at="2026-01-01T10:04:00Z",
        jobs=(carried, rerun),
        queued_seconds=None,
    )
    timed = with_job_timings(run)
    assert (timed.queued_seconds, timed.run_seconds) == (6.0, 234.0)  # not five days


# --- choosing the run (pure) --------------------------------------------------------------------


def test_a_run_id_of_another_workflow_branch_or_event_is_a_usage_error():
    run = replace(
        present(go().run),
        dispatched=False,
        workflow_id=220132596,
        workflow_path=".github/workflows/ci-arm64.yml",
        repository="o/r",
    )
    kw: dict[str, Any] = {
        "asked_workflow": "build-push-arm64.yml",
        "workflow": present(go().health).workflow,
        "repository": "o/r",
        "ref": "main",
        "allow_other": False,
    }
    with pytest.raises(UsageError, match=r"ci-arm64\.yml in o/r, not of build-push-arm64\.yml"):
        refuse_foreign_run(run, **kw)
    own = replace(
        run, workflow_id=220132581, workflow_path=".github/workflows/build-push-arm64.yml"
    )
    refuse_foreign_run(own, **kw)
    with pytest.raises(UsageError, match="other/r"):
        refuse_foreign_run(replace(own, repository="other/r"), **kw)
    pushed = replace(own, event="push", head_branch="dev")
    assert other_branch_or_event(pushed, "main") == (
        "on branch dev, not main and triggered by push, not workflow_dispatch"
    )
    with pytest.raises(UsageError, match="--allow-other-run"):
        refuse_foreign_run(pushed, **kw)
    refuse_foreign_run(pushed, **(kw | {"allow_other": True}))


# --- the gateway against the emulator -------------------------------------------------------------


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def gateway(emu: Emulator, clock: VirtualClock, repository: str | None = None, **kw: Any):
    return Gateway(
        repository=repository or emu.repository,
        token="t",
        api_url=emu.base_url,
        sleep=clock.sleep,
        clock=clock.now,
        wall_clock=clock.now,
        **kw,
    )


def test_every_request_pins_the_media_type_and_api_version(clock):
    with Emulator("healthy", clock=clock) as emu, gateway(emu, clock) as gw:
        gw.default_branch()
        gw.jobs(20961180042)
        sent = [r.headers for r in emu.requests if r.origin == "api"]
    assert sent and all(h["accept"] == "application/vnd.github+json" for h in sent)
    assert all(h["x-github-api-version"] == "2022-11-28" for h in sent)


def test_dispatch_works_under_api_version_2026_03_10(clock):
    with (
        Emulator("healthy", clock=clock) as emu,
        gateway(emu, clock, api_version="2026-03-10") as gw,
    ):
        run_id = gw.dispatch("build-push-arm64.yml", ref="main", inputs={})
        assert run_id is not None and gw.run(run_id)[0].id == run_id


def test_a_renamed_repository_is_named_and_never_waited_for(clock):
    with (
        Emulator("renamed-repository", clock=clock) as emu,
        gateway(emu, clock, "tzervas/holographic-substrate") as gw,
    ):
        with pytest.raises(RepositoryMoved, match="moved to tzervas/embeddenator"):
            gw.default_branch()
        # A POST answers 307: never a success, neither a dispatch nor a cancel.
        with pytest.raises(RepositoryMoved, match=r"307.*pass --repo tzervas/embeddenator"):
            gw.dispatch("build-push-arm64.yml", ref="main", inputs={})
        with pytest.raises(RepositoryMoved):
            gw.cancel(20961180042)
        assert clock.now() == VirtualClock().now()  # nothing was waited for
        posts = [r.status for r in emu.requests if r.method == "POST"]
    assert posts == [307, 307]
    assert RepositoryMoved("x").exit_code == 2


def test_a_job_log_not_there_yet_is_asked_for_again_briefly(clock):
    with Emulator("healthy", clock=clock) as emu, gateway(emu, clock) as gw:
        test = next(j for j in gw.jobs(20961180042) if j.name == "test")
        emu.inject(Fault(path=LOGS, status=404, times=2, message="Not Found"))
        assert "test result" in gw.job_log(test.id)
        emu.inject(Fault(path=LOGS, status=404, times=4, message="Not Found"))
        with pytest.raises(GitHubError, match="not available"):
            gw.job_log(test.id)
        answers = [r.status for r in emu.requests if r.path.endswith("/logs")]
    assert answers == [404, 404, 302, 404, 404, 404, 404]
    assert clock.now() - VirtualClock().now() == 5 * 2.0  # bounded: 2 s before each ask again


def test_the_latest_run_and_the_head_are_asked_with_github_filters(clock):
    with Emulator("stale-latest-run", clock=clock) as emu, gateway(emu, clock) as gw:
        run_id = gw.latest_completed_run("build-push-arm64.yml", "main")
        head = gw.head_sha("main")
        unfinished = gw.unfinished_runs("build-push-arm64.yml", head, event="workflow_dispatch")
        queries = [r.query for r in emu.requests if r.path.endswith("/runs")]
    assert run_id == 20961180042
    assert head == emu.scenario.repository.branches["main"]
    assert [r.id for r in unfinished] == [20990112358]
    assert dict(queries[0]) | {"per_page": "1"} == {
        "branch": "main",
        "status": "completed",
        "event": "workflow_dispatch",
        "per_page": "1",
    }
    assert queries[1]["head_sha"] == head and queries[1]["event"] == "workflow_dispatch"


def test_jobs_of_the_newest_attempt_and_the_earlier_attempts(clock):
    with Emulator("flaky-rerun", clock=clock) as emu, gateway(emu, clock) as gw:
        run, _ = gw.run(FLAKY)
        jobs = gw.jobs(FLAKY)
        earlier = gw.previous_attempts(FLAKY, run.attempt)
        assert gw.previous_attempts(20912345678, 1) == ()  # a first attempt costs nothing
    assert run.attempt == 2 and run.queued_seconds is None  # not created_at → run_started_at
    assert {j.name: j.attempt for j in jobs}["test"] == 2
    assert sorted({j.attempt for j in jobs}) == [1, 2] and len(jobs) == 5
    assert [(a.number, a.conclusion, a.failed_jobs) for a in earlier] == [(1, "failure", ("test",))]


# --- the emulator ------------------------------------------------------------------------------------


def test_the_emulator_answers_attempts_as_github_does(clock):
    import requests

    with Emulator("flaky-rerun", clock=clock) as emu:
        base = f"{emu.base_url}/repos/{emu.repository}/actions/runs/{FLAKY}"
        get = lambda url, **q: requests.get(url, params=q, timeout=10).json()  # noqa: E731
        run = get(base)
        assert (run["run_attempt"], run["previous_attempt_url"]) == (2, f"{base}/attempts/1")
        assert run["created_at"] < run["run_started_at"]
        first = get(f"{base}/attempts/1")
        assert (first["run_attempt"], first["conclusion"]) == (1, "failure")
        assert first["previous_attempt_url"] is None
        assert len(get(f"{base}/jobs")["jobs"]) == 5
        assert len(get(f"{base}/jobs", filter="all")["jobs"]) == 6
        assert len(get(f"{base}/attempts/1/jobs")["jobs"]) == 5
        assert requests.get(f"{base}/attempts/3", timeout=10).status_code == 404
        steps = get(f"{base}/jobs")["jobs"][0]["steps"]
        numbers = [s["number"] for s in steps]
        assert numbers != list(range(1, len(steps) + 1))  # GitHub skips hidden steps
        assert steps[0]["started_at"].endswith("+01:00")


def test_an_artifact_without_digest_is_served_and_read_as_such(clock):
    import dataclasses

    from validator.emulator import load_scenario

    base = load_scenario("healthy")
    run = base.runs[0]
    plan = dataclasses.replace(
        run.plan, artifacts=tuple(dataclasses.replace(a, digest=False) for a in run.plan.artifacts)
    )
    old = dataclasses.replace(base, runs=(dataclasses.replace(run, plan=plan),))
    with Emulator(old, clock=clock) as emu, gateway(emu, clock) as gw:
        arts = gw.artifacts(run.id)
        raw = requests_json(
            f"{emu.base_url}/repos/{emu.repository}/actions/runs/{run.id}/artifacts"
        )
    assert arts and all(a.digest is None for a in arts)
    assert all("digest" not in a for a in raw["artifacts"])  # older uploads have none


def requests_json(url: str) -> dict[str, Any]:
    import requests

    data: dict[str, Any] = requests.get(url, timeout=10).json()
    return data
