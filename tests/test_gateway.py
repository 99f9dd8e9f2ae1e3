"""The gateway against the loopback emulator: real HTTP, PyGithub underneath, virtual time."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.config import parse_repository
from validator.emulator import Emulator, Fault, RecordedRequest
from validator.emulator.scenario import parse_scenario, scenarios_dir
from validator.errors import (
    ApiUnreachable,
    AuthError,
    GitHubError,
    InputRefused,
    RetriesExhausted,
    UsageError,
)
from validator.gateway import (
    Gateway,
    artifact_from_json,
    job_from_json,
    rate_limit_wait,
    run_from_json,
    runner_from_json,
    seconds_between,
    step_from_json,
    workflow_from_json,
)
from validator.gateway.decode import json_object
from validator.gateway.downloads import FileSink
from validator.resources import data_path

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
HEALTHY_RUN = 20961180042  # a completed run that exists in the "healthy" scenario
EXPIRED_RUN = 19544410187  # the run whose artifacts expired in "artifact-expired"


class Sleeper:
    """An injected sleep that records each wait and moves the emulator's clock."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.emu.clock.sleep(seconds)


def make_gateway(emu: Emulator, **options: Any) -> tuple[Gateway, Sleeper]:
    sleeper = Sleeper(emu)
    settings: dict[str, Any] = {
        "repository": emu.repository,
        "token": TOKEN,
        "api_url": emu.base_url,
        "sleep": sleeper,
        "clock": emu.clock.now,
        "wall_clock": emu.clock.now,
        "timeout": 5,
    }
    settings.update(options)
    return Gateway(**settings), sleeper


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator("healthy", token=TOKEN) as server:
        yield server


@pytest.fixture
def gw(emu: Emulator) -> Iterator[Gateway]:
    gateway, _ = make_gateway(emu)
    with gateway:
        yield gateway


def recorded(emu: Emulator, origin: str, count: int) -> list[RecordedRequest]:
    """The emulator's log once it holds ``count`` requests from ``origin``.

    The emulator records a request just after answering it, so the client can be a moment
    ahead of the log.
    """
    deadline = time.monotonic() + 2.0
    while True:
        seen = [r for r in emu.requests if r.origin == origin]
        if len(seen) >= count or time.monotonic() > deadline:
            return seen
        time.sleep(0.005)


def api_calls(emu: Emulator, path_end: str, method: str = "GET", *, count: int = 1) -> list[int]:
    """Statuses of the API requests whose path ends with ``path_end`` (at least ``count``)."""
    deadline = time.monotonic() + 2.0
    while True:
        statuses = [
            r.status
            for r in emu.requests
            if r.origin == "api" and r.method == method and r.path.endswith(path_end)
        ]
        if len(statuses) >= count or time.monotonic() > deadline:
            return statuses
        time.sleep(0.005)


# --- pure decisions -----------------------------------------------------------------------


def test_primary_rate_limit_waits_until_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}
    assert rate_limit_wait(403, headers, "API rate limit exceeded for x", now=900.0) == 101.0
    assert rate_limit_wait(429, headers, "", now=2000.0) == 1.0  # reset passed: a short pause


def test_secondary_rate_limit_honours_retry_after_else_a_minute() -> None:
    message = "You have exceeded a secondary rate limit. Please wait a few minutes."
    assert rate_limit_wait(403, {"retry-after": "7"}, message, now=0) == 7.0
    assert rate_limit_wait(403, {"x-ratelimit-remaining": "12"}, message, now=0) == 60.0
    assert rate_limit_wait(429, {}, "", now=0) == 60.0


def test_permission_403_and_server_errors_are_not_rate_limits() -> None:
    assert rate_limit_wait(403, {}, "Resource not accessible by integration", now=0) is None
    assert rate_limit_wait(500, {"retry-after": "1"}, "", now=0) is None
    assert rate_limit_wait(404, {}, "Not Found", now=0) is None


def test_seconds_between_reads_githubs_timestamp_forms() -> None:
    assert seconds_between("2026-01-02T03:00:00Z", "2026-01-02T03:02:10Z") == 130.0
    assert seconds_between("2020-01-20T17:42:40Z", "2020-01-20T09:42:41.000-08:00") == 1.0
    assert seconds_between(None, "2026-01-02T03:00:00Z") is None
    assert seconds_between("yesterday", "2026-01-02T03:00:00Z") is None


def test_hosted_job_is_marked_hosted_and_its_requested_labels_are_not_its_runners() -> None:
    raw = {
        "id": 1,
        "name": "summary",
        "status": "completed",
        "labels": ["ubuntu-latest"],
        "runner_name": "GitHub Actions 2",
        "runner_group_name": "GitHub Actions",
    }
    decoded = job_from_json(raw, "test")
    assert decoded.hosted and decoded.runner_group == "GitHub Actions"
    assert decoded.runner_labels is None


def test_self_hosted_job_is_never_given_labels_from_a_runner_name() -> None:
    # A self-hosted runner may be named anything, even like a hosted one: no labels assumed.
    raw = {
        "id": 1,
        "name": "test",
        "status": "completed",
        "labels": ["self-hosted", "linux", "ARM64"],
        "runner_name": "GitHub Actions 2",
        "runner_group_name": "GitHub Actions",
    }
    assert job_from_json(raw, "test").runner_labels is None


def test_a_job_without_an_id_is_our_error() -> None:
    with pytest.raises(GitHubError, match="no valid 'id'"):
        job_from_json({"name": "x"}, "listing jobs of run 1")


@pytest.mark.parametrize("repository", ["", "owner", "a/b/c", "owner/na me", "../x"])
def test_repository_must_be_owner_slash_name(repository: str) -> None:
    # Config validates the repository once; the gateway takes it as given.
    with pytest.raises(UsageError, match="OWNER/NAME"):
        parse_repository(repository)


# --- any answer in: evidence or our error out ------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "id",
        "name",
        "labels",
        "status",
        "conclusion",
        "steps",
        "number",
        "runner_name",
        "runner_group_name",
        "created_at",
        "started_at",
        "completed_at",
        "run_started_at",
        "updated_at",
        "run_attempt",
        "expired",
        "expires_at",
        "digest",
        "size_in_bytes",
        "busy",
    ]
)
OBJECTS = st.dictionaries(FIELDS, JSON | st.just("2026-01-02T03:00:00Z"), max_size=12)
CONVERTERS: list[Callable[[Mapping[str, Any], str], object]] = [
    runner_from_json,
    workflow_from_json,
    run_from_json,
    job_from_json,
    step_from_json,
    artifact_from_json,
]


@settings(max_examples=300, deadline=None)
@given(raw=OBJECTS, index=st.integers(0, len(CONVERTERS) - 1))
def test_any_object_gives_evidence_or_our_error(raw: dict[str, Any], index: int) -> None:
    try:
        CONVERTERS[index](raw, "reading")
    except GitHubError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None)
@given(body=st.text() | JSON.map(json.dumps), status=st.integers(100, 599))
def test_any_body_gives_an_object_or_our_error(body: str, status: int) -> None:
    try:
        data = json_object(body, status=status, what="reading")
    except GitHubError as exc:
        assert "not a JSON object" in str(exc)
    else:
        assert isinstance(data, dict)


def test_labels_must_be_a_list() -> None:
    job = job_from_json({"id": 1, "labels": "self-hosted", "runner_name": "x"}, "reading")
    assert job.labels == ()


# --- repository, runners, workflow ----------------------------------------------------------


def test_reads_default_branch_runners_and_workflow(gw: Gateway) -> None:
    assert gw.default_branch() == "main"
    runners = gw.runners()
    assert [(r.name, r.status, r.label_names) for r in runners] == [
        ("embeddenator-arm64-1", "online", ("self-hosted", "Linux", "ARM64"))
    ]
    assert [x.type for x in runners[0].labels] == ["read-only"] * 3
    wf = gw.workflow("build-push-arm64.yml")
    assert (wf.id, wf.path, wf.state) == (
        220132581,
        ".github/workflows/build-push-arm64.yml",
        "active",
    )
    assert gw.workflow("220132581").name == wf.name


def test_runner_list_follows_pagination(tmp_path: Path) -> None:
    raw = json.loads((scenarios_dir() / "healthy.json").read_text())
    raw["runners"] += [
        {"id": 1000 + i, "name": f"extra-{i}", "status": "offline", "labels": ["self-hosted"]}
        for i in range(149)
    ]
    scenario = parse_scenario(raw, name="many-runners", fixtures_dir=data_path("fixtures"))
    with Emulator(scenario) as emu:
        gw, _ = make_gateway(emu)
        runners = gw.runners()
    assert len(runners) == 150
    assert len({r.id for r in runners}) == 150
    assert api_calls(emu, "/actions/runners", count=2) == [200, 200]  # two pages of 100


def test_unknown_repository_says_what_to_check(emu: Emulator) -> None:
    gw, _ = make_gateway(emu, repository="nobody/nothing")
    with pytest.raises(AuthError) as info:  # a configuration problem: exit 2, nothing written
        gw.default_branch()
    assert info.value.status == 404
    assert info.value.exit_code == 2
    assert "Repository nobody/nothing was not found (404): check --repo" in str(info.value)


def test_unknown_workflow_says_it_must_be_on_the_default_branch(gw: Gateway) -> None:
    with pytest.raises(GitHubError) as info:
        gw.workflow("nope.yml")
    assert info.value.status == 404
    assert str(info.value).startswith("Workflow nope.yml was not found in tzervas/embeddenator")
    assert "default branch" in str(info.value)


def test_bad_token_is_an_auth_error_without_the_token(emu: Emulator) -> None:
    wrong = "ghp_wrong_token_000000000000000000000"
    gw, _ = make_gateway(emu, token=wrong)
    with pytest.raises(AuthError) as info:
        gw.runners()
    message = str(info.value)
    assert message.startswith("GitHub rejected the token (401 Bad credentials). Set GITHUB_TOKEN")
    assert wrong not in message
    assert info.value.status == 401


def test_missing_token_says_to_set_one(emu: Emulator) -> None:
    gw, _ = make_gateway(emu, token=None)
    with pytest.raises(AuthError, match="GitHub requires a token"):
        gw.default_branch()


def test_runners_403_names_the_permission(emu: Emulator, gw: Gateway) -> None:
    emu.inject(
        Fault(
            path=r"/actions/runners$",
            status=403,
            message="Resource not accessible by personal access token",
        )
    )
    with pytest.raises(AuthError) as info:
        gw.runners()
    assert "'Administration: read' on tzervas/embeddenator" in str(info.value)
    assert "classic token with 'repo' scope" in str(info.value)
    assert "Resource not accessible by personal access token" in str(info.value)


# --- dispatch -------------------------------------------------------------------------------


def test_dispatch_returns_the_run_id(emu: Emulator, gw: Gateway) -> None:
    run_id = gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
    assert isinstance(run_id, int)
    assert api_calls(emu, "/dispatches", "POST") == [200]
    run, changed = gw.run(run_id)
    assert (run.id, run.status, run.event, changed) == (run_id, "queued", "workflow_dispatch", True)


def test_legacy_server_dispatch_falls_back_and_finds_the_run() -> None:
    with Emulator("legacy-ghes", token=TOKEN) as emu:
        gw, _ = make_gateway(emu)
        mark = gw.mark_runs("build-push-arm64.yml", ref="main")
        assert gw.find_dispatched_run(mark) is None
        run_id = gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
        assert run_id is None
        assert api_calls(emu, "/dispatches", "POST", count=2) == [
            400,
            204,
        ]  # retried once without it
        found = gw.find_dispatched_run(mark)
        assert found is not None
        assert gw.run(found)[0].event == "workflow_dispatch"
        assert found not in mark.seen


def test_two_new_runs_after_a_dispatch_are_ambiguous() -> None:
    with Emulator("legacy-ghes", token=TOKEN) as emu:
        gw, _ = make_gateway(emu)
        mark = gw.mark_runs("build-push-arm64.yml", ref="main")
        gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
        gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
        with pytest.raises(GitHubError, match=r"2 new runs .* cannot tell which one is ours"):
            gw.find_dispatched_run(mark)


def test_dispatch_of_workflow_not_on_default_branch_shows_githubs_words() -> None:
    with Emulator("not-default-branch", token=TOKEN) as emu:
        gw, _ = make_gateway(emu)
        with pytest.raises(GitHubError) as info:
            gw.dispatch("build-push-arm64.yml", ref="dev", inputs=emu.scenario.cli.inputs)
    assert info.value.status == 422
    message = str(info.value)
    assert message.startswith(
        "GitHub refused to dispatch build-push-arm64.yml on dev (422): "
        "\"Workflow does not have 'workflow_dispatch' trigger\"."
    )
    assert "default branch" in message


def test_dispatch_with_unknown_input_shows_githubs_words(emu: Emulator, gw: Gateway) -> None:
    with pytest.raises(InputRefused) as info:
        gw.dispatch("build-push-arm64.yml", ref="main", inputs={"bogus": "1"})
    assert info.value.status == 422
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2
    assert 'Unexpected inputs provided: ["bogus"]' in str(info.value)
    assert "--input" in str(info.value)


def test_dispatch_of_unknown_ref(gw: Gateway) -> None:
    with pytest.raises(InputRefused, match=r"No ref found for: nope.*Check --ref nope"):
        gw.dispatch("build-push-arm64.yml", ref="nope", inputs={})


# --- runs, jobs, cancel ---------------------------------------------------------------------


def test_unchanged_run_costs_no_rate_limit_point(emu: Emulator, gw: Gateway) -> None:
    first, changed = gw.run(HEALTHY_RUN)
    assert changed
    points = gw.cost.rate_limit_points
    again, changed_again = gw.run(HEALTHY_RUN)
    assert not changed_again
    assert again == first
    assert api_calls(emu, f"/actions/runs/{HEALTHY_RUN}", count=2) == [200, 304]
    cost = gw.cost
    assert cost.requests == 2
    assert cost.rate_limit_points == points == 1
    assert cost.rate_limit_remaining == 4999


def test_run_snapshot_changes_as_the_run_moves(emu: Emulator, gw: Gateway) -> None:
    run_id = gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
    assert run_id is not None
    assert gw.run(run_id)[0].status == "queued"
    emu.clock.advance(30)
    run, changed = gw.run(run_id)
    assert (run.status, changed) == ("in_progress", True)
    emu.clock.advance(3600)
    run, changed = gw.run(run_id)
    assert (run.status, run.conclusion, changed) == ("completed", "success", True)
    assert run.run_seconds is not None and run.run_seconds > 0


def test_jobs_record_steps_labels_and_runners(gw: Gateway) -> None:
    jobs = {j.name: j for j in gw.jobs(HEALTHY_RUN)}
    test = jobs["test"]
    assert test.labels == ("self-hosted", "linux", "ARM64")
    assert test.runner_name == "embeddenator-arm64-1"
    assert test.runner_labels is None  # self-hosted: looked up by the phase
    assert [s.name for s in test.steps][:2] == ["Set up job", "Run actions/checkout@v4"]
    assert test.steps[0].seconds == 2.0
    assert test.seconds == sum(s.seconds or 0 for s in test.steps)
    assert jobs["summary"].hosted and jobs["summary"].runner_labels is None


def test_cancel_then_cancel_again(emu: Emulator) -> None:
    with Emulator("no-runners", token=TOKEN) as emu:
        gw, _ = make_gateway(emu)
        run_id = gw.dispatch("build-push-arm64.yml", ref="main", inputs=emu.scenario.cli.inputs)
        assert run_id is not None
        assert gw.cancel(run_id) is True
        run, _ = gw.run(run_id)
        assert (run.status, run.conclusion) == ("completed", "cancelled")
        assert gw.cancel(run_id) is False  # 409: already finished


def test_latest_completed_run(gw: Gateway) -> None:
    assert gw.latest_completed_run("build-push-arm64.yml", "main") == HEALTHY_RUN
    assert gw.latest_completed_run("build-push-arm64.yml", "dev") is None


# --- logs and artifacts ---------------------------------------------------------------------


def test_job_log_is_fetched_without_authorization(emu: Emulator, gw: Gateway) -> None:
    test_job = next(j for j in gw.jobs(HEALTHY_RUN) if j.name == "test")
    text = gw.job_log(test_job.id)
    assert "Runner name: 'embeddenator-arm64-1'" in text
    blob = recorded(emu, "blob", 1)
    assert [r.status for r in blob] == [200]
    assert all("authorization" not in r.headers for r in blob)
    api = recorded(emu, "api", 2)  # the jobs list and the log's 302
    assert len(api) == 2
    assert all("authorization" in r.headers for r in api)  # the check above can fail
    assert gw.cost.bytes_downloaded == len(text.encode())


def test_artifact_download_is_streamed_whole_and_hashed(
    emu: Emulator, gw: Gateway, tmp_path: Path
) -> None:
    artifacts = {a.name: a for a in gw.artifacts(HEALTHY_RUN)}
    tarball = artifacts["embeddenator-linux-aarch64"]
    dest = tmp_path / "a.zip"
    size, sha = gw.download_artifact(tarball, dest)
    data = dest.read_bytes()
    assert size == len(data) == tarball.size_in_bytes
    assert sha == hashlib.sha256(data).hexdigest()
    assert tarball.digest == f"sha256:{sha}"
    assert data[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]  # no partial file left
    blob = recorded(emu, "blob", 1)
    assert len(blob) == 1
    assert all("authorization" not in r.headers for r in blob)


def test_refused_signed_link_is_requested_again_once(
    emu: Emulator, gw: Gateway, tmp_path: Path
) -> None:
    artifact = gw.artifacts(HEALTHY_RUN)[0]
    emu.inject(Fault(origin="blob", path="/artifacts/", status=403, times=1))
    size, _ = gw.download_artifact(artifact, tmp_path / "a.zip")
    assert size == artifact.size_in_bytes
    assert api_calls(emu, f"/artifacts/{artifact.id}/zip", count=2) == [302, 302]


def test_link_refused_twice_fails_and_leaves_nothing(
    emu: Emulator, gw: Gateway, tmp_path: Path
) -> None:
    artifact = gw.artifacts(HEALTHY_RUN)[0]
    emu.inject(Fault(origin="blob", path="/artifacts/", status=403, times=2))
    with pytest.raises(RetriesExhausted, match=r"refused the signed link .* also a fresh one"):
        gw.download_artifact(artifact, tmp_path / "a.zip")
    assert list(tmp_path.iterdir()) == []


def test_a_restarted_download_is_written_and_hashed_once(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "a.zip"
    with FileSink(dest) as sink:
        sink.write(b"first half of a broken answer")
        sink.restart()
        sink.write(b"PK")
        sink.write(b"\x03\x04")
    assert dest.read_bytes() == b"PK\x03\x04"
    assert (sink.written, sink.sha256) == (4, hashlib.sha256(b"PK\x03\x04").hexdigest())
    assert [p.name for p in dest.parent.iterdir()] == ["a.zip"]


def test_a_download_that_fails_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(GitHubError), FileSink(tmp_path / "a.zip") as sink:
        sink.write(b"PK")
        raise GitHubError("the connection broke")
    assert list(tmp_path.iterdir()) == []


def test_expired_artifacts_say_when(tmp_path: Path) -> None:
    with Emulator("artifact-expired", token=TOKEN) as emu:
        gw, _ = make_gateway(emu)
        artifacts = gw.artifacts(EXPIRED_RUN)
        assert artifacts and all(a.expired for a in artifacts)
        assert all(
            a.error is not None
            and a.error.startswith("expired on 2025-")
            and a.error.endswith("re-run the workflow or raise retention-days")
            for a in artifacts
        )
        with pytest.raises(GitHubError) as info:
            gw.download_artifact(artifacts[0], tmp_path / "a.zip")
    assert info.value.status == 410
    assert list(tmp_path.iterdir()) == []


# --- retries, rate limits -------------------------------------------------------------------


def test_server_errors_that_clear_are_retried_with_backoff(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu)
    emu.inject(Fault(method="GET", path=r"/actions/runs/\d+$", status=503, times=2))
    run, _ = gw.run(HEALTHY_RUN)
    assert run.status == "completed"
    assert api_calls(emu, f"/actions/runs/{HEALTHY_RUN}", count=3) == [503, 503, 200]
    assert len(sleeper.calls) == 2
    assert 0.5 <= sleeper.calls[0] <= 1.0 and 1.0 <= sleeper.calls[1] <= 2.0


def test_persistent_server_errors_give_up_within_the_budget(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu, retry_budget=20.0)
    emu.inject(Fault(path=r"/actions/runners$", status=502, times=1000))
    with pytest.raises(RetriesExhausted) as info:
        gw.runners()
    assert info.value.status == 502
    assert "GitHub answered 502 while listing self-hosted runners" in str(info.value)
    assert "retry budget of 20s" in str(info.value)
    assert sum(sleeper.calls) <= 20.0
    assert 3 <= len(sleeper.calls) <= 8  # backed off, never a tight loop


def test_one_attempt_takes_at_most_a_third_of_the_budget(emu: Emulator) -> None:
    """A server that accepts and never answers is given up on within the retry budget."""
    gw, sleeper = make_gateway(emu, timeout=30, retry_budget=3.0, clock=time.monotonic)
    emu.inject(Fault(path=r"/actions/runners$", kind="hang", times=100))
    started = time.monotonic()
    with pytest.raises(RetriesExhausted, match=r"no (complete )?answer from .* within 1 s") as info:
        gw.runners()
    assert time.monotonic() - started < 3.0
    assert "retry budget of 3s" in str(info.value)
    assert len(sleeper.calls) <= 1


def test_reset_connection_is_retried(emu: Emulator, gw: Gateway) -> None:
    emu.inject(Fault(path=r"/actions/runners$", kind="reset", times=1))
    assert len(gw.runners()) == 1


def test_unanswered_request_times_out_and_is_retried(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu, timeout=0.5)
    emu.inject(Fault(path=r"/actions/runners$", kind="hang", times=1))
    assert len(gw.runners()) == 1
    assert len(sleeper.calls) == 1


def test_unreachable_api_url_is_a_usage_error_at_once(emu: Emulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gw, sleeper = make_gateway(emu, api_url=f"http://127.0.0.1:{port}", retry_budget=120.0)
    with pytest.raises(
        ApiUnreachable, match=r"Could not connect to http://127\.0\.0\.1:\d+ .*check --api-url"
    ):
        gw.default_branch()
    assert sleeper.calls == []  # no retry budget spent on a URL that cannot be right
    unknown, sleeper = make_gateway(emu, api_url="http://no-such-host.invalid", retry_budget=120.0)
    with pytest.raises(ApiUnreachable, match=r"unknown host\): check --api-url"):
        unknown.default_branch()
    assert sleeper.calls == []


def test_a_host_that_answered_then_refuses_keeps_the_retry_budget() -> None:
    emu = Emulator("healthy", token=TOKEN).start()
    gw, sleeper = make_gateway(emu, retry_budget=20.0)
    assert gw.default_branch() == "main"
    emu.stop()
    with pytest.raises(RetriesExhausted, match=r"could not connect to .*Try again later"):
        gw.runners()
    assert sleeper.calls  # retried, within the budget


def test_primary_rate_limit_is_waited_out_within_budget(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu)
    emu.inject(Fault(path=r"/actions/runners$", kind="rate-limit-primary", times=1))
    assert len(gw.runners()) == 1
    assert len(sleeper.calls) == 1 and 1.0 <= sleeper.calls[0] <= 2.0


def test_primary_rate_limit_beyond_budget_is_refused_at_once(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu)
    emu.set_rate_limit_remaining(0)  # the window resets in an hour
    with pytest.raises(GitHubError) as info:
        gw.runners()
    message = str(info.value)
    assert message.startswith("GitHub's primary rate limit was hit (403: API rate limit exceeded")
    assert "retry budget" in message
    assert sleeper.calls == []
    assert len(api_calls(emu, "/actions/runners")) == 1


def test_secondary_rate_limit_honours_retry_after(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu)
    emu.inject(Fault(path=r"/actions/runners$", kind="rate-limit-secondary", retry_after=3))
    assert len(gw.runners()) == 1
    assert sleeper.calls == [3.0]


def test_secondary_rate_limit_without_retry_after_waits_a_minute(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu)
    emu.inject(
        Fault(path=r"/actions/runners$", kind="rate-limit-secondary", status=429, retry_after=None)
    )
    assert len(gw.runners()) == 1
    assert sleeper.calls == [60.0]


def test_secondary_rate_limit_beyond_budget_is_refused(emu: Emulator) -> None:
    gw, sleeper = make_gateway(emu, retry_budget=30.0)
    emu.inject(Fault(path=r"/actions/runners$", kind="rate-limit-secondary", retry_after=None))
    with pytest.raises(GitHubError, match="secondary rate limit"):
        gw.runners()
    assert sleeper.calls == []


# --- the token never shows ------------------------------------------------------------------


def test_token_appears_in_no_message_or_log(
    emu: Emulator, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    gw, _ = make_gateway(emu, retry_budget=5.0)
    errors: list[BaseException] = []
    gw.runners()
    gw.job_log(next(j for j in gw.jobs(HEALTHY_RUN) if j.name == "test").id)
    gw.download_artifact(gw.artifacts(HEALTHY_RUN)[0], tmp_path / "a.zip")
    # A server that echoes the token back in its error message.
    emu.inject(Fault(path=r"/actions/runners$", status=418, message=f"echo token {TOKEN}"))
    emu.inject(Fault(path=r"/actions/workflows/", status=500, times=100, message=TOKEN))
    for call in (gw.runners, lambda: gw.workflow("build-push-arm64.yml")):
        with pytest.raises(GitHubError) as info:
            call()
        errors.append(info.value)
    for exc in errors:
        assert TOKEN not in str(exc)
        assert TOKEN not in "".join(traceback.format_exception(exc))
    assert "***" in str(errors[0])
    assert caplog.records, "the check below must see log records"
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
