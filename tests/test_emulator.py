"""The GitHub API emulator over real loopback HTTP: state on the clock, dispatch rules, downloads
through the blob origin, faults, the scenarios' meaning, and PyGithub itself as a client."""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import importlib.util
import io
import json
import re
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import github  # the emulator must satisfy the real client
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.emulator import (
    Emulator,
    Fault,
    VirtualClock,
    load_scenario,
    scenario_names,
)
from validator.emulator.api import created_filter
from validator.emulator.blobs import check_signature, sign
from validator.emulator.clock import START, iso, parse_iso
from validator.emulator.scenario import parse_scenario, scenarios_dir
from validator.emulator.state import ApiError
from validator.errors import UsageError, ValidatorError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = "/repos/tzervas/embeddenator"
BUILD = f"{REPO}/actions/workflows/build-push-arm64.yml"
HEALTHY_RUN = 20961180042
EXPIRED_RUN = 19544410187
INPUTS = {
    "os_selections": "debian-stable-arm64,ubuntu-stable-arm64",
    "tag_suffix": "-dev",
    "push_to_ghcr": "false",
    "run_tests": "true",
    "runner_type": "multi",
}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")
REQUIRED_SCENARIOS = {
    "healthy",
    "no-runners",
    "runner-offline",
    "queue-stuck",
    "tests-failing",
    "tests-below-expected",
    "x86-binaries",
    "x86-test-results",
    "manifest-only",
    "non-arm64-run",
    "non-arm64-runner",
    "artifact-expired",
    "legacy-ghes",
    "not-default-branch",
    "autoscaled-fleet",
    "flaky-rerun",
    "stale-latest-run",
    "run-of-another-workflow",
    "renamed-repository",
    "custom-arm64-label-on-x64",
    "org-runners-shared",
    "org-runners-invisible",
    "scale-set",
    "same-name-org-runner",
    "double-claimed-artifact",
    "hosted-custom-arm64-image",
}


class Api:
    """A tiny ``requests`` client for the emulator's API (redirects are not followed)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.s = requests.Session()
        self.s.headers["Authorization"] = "token t"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.emu.base_url + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.s.get(self.url(path), allow_redirects=False, timeout=10, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.s.post(self.url(path), json=body, allow_redirects=False, timeout=10, **kw)

    def dispatch(self, body: Any, workflow: str = BUILD, **kw: Any) -> requests.Response:
        return self.post(f"{workflow}/dispatches", body, **kw)

    def new_run(self, **extra: Any) -> int:
        resp = self.dispatch({"ref": "main", "inputs": INPUTS, "return_run_details": True, **extra})
        assert resp.status_code == 200, resp.text
        run_id: int = resp.json()["workflow_run_id"]
        return run_id

    def run(self, run_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.get(f"{REPO}/actions/runs/{run_id}").json()
        return body

    def jobs(self, run_id: int) -> list[dict[str, Any]]:
        body: list[dict[str, Any]] = self.get(f"{REPO}/actions/runs/{run_id}/jobs").json()["jobs"]
        return body

    def artifacts(self, run_id: int) -> list[dict[str, Any]]:
        resp = self.get(f"{REPO}/actions/runs/{run_id}/artifacts")
        body: list[dict[str, Any]] = resp.json()["artifacts"]
        return body


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emu(clock: VirtualClock) -> Iterator[Emulator]:
    with Emulator("healthy", clock=clock) as e:
        yield e


@pytest.fixture
def api(emu: Emulator) -> Api:
    return Api(emu)


def raw_scenario(name: str = "healthy") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((scenarios_dir() / f"{name}.json").read_text())
    return data


def custom(mutate: Any, name: str = "healthy", fixtures: Path = FIXTURES) -> Any:
    data = raw_scenario(name)
    mutate(data)
    return parse_scenario(data, name=f"{name}-custom", fixtures_dir=fixtures)


# --- clock ------------------------------------------------------------------------------------


def test_virtual_clock_moves_only_when_told() -> None:
    clock = VirtualClock()
    assert iso(clock.now()) == "2026-01-02T03:00:00Z"
    clock.advance(90)
    clock.sleep(10.5)
    assert clock.now() == START + 100.5
    with pytest.raises(ValueError, match="back in time"):
        clock.advance(-1)


def test_clock_is_thread_safe() -> None:
    clock = VirtualClock()

    def tick() -> None:
        for _ in range(500):
            clock.advance(1)

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == START + 2000


# --- scenarios --------------------------------------------------------------------------------


def test_every_required_scenario_ships_and_loads() -> None:
    assert set(scenario_names()) >= REQUIRED_SCENARIOS
    for name in scenario_names():
        s = load_scenario(name)
        assert s.repository.full_name == "tzervas/embeddenator"
        assert any(w.file_name == s.cli.workflow for w in s.workflows), name
        assert s.description


def test_committed_scenarios_are_what_the_builder_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_scenarios", FIXTURES / "build_scenarios.py"
    )
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = builder.scenarios()
    assert set(built) == REQUIRED_SCENARIOS
    for name, body in built.items():
        committed = json.loads((scenarios_dir() / f"{name}.json").read_text())
        assert committed == json.loads(json.dumps(body)), (
            f"run fixtures/build_scenarios.py ({name})"
        )


def test_unknown_scenario_names_the_choices() -> None:
    with pytest.raises(
        UsageError, match=r"Unknown emulator scenario 'nope': choose one of .*healthy"
    ):
        load_scenario("nope")


def test_broken_scenario_files_fail_with_the_field_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match=r"bad.json is not valid JSON"):
        load_scenario(bad)
    data = raw_scenario()
    data["runners"][0]["status"] = "sleeping"
    bad.write_text(json.dumps(data))
    with pytest.raises(UsageError, match=r"field runners\[0\]\.status: 'sleeping' is not one of"):
        load_scenario(bad)
    with pytest.raises(UsageError, match=r"workflows\[0\]\.on_dispatch\.jobs\[0\]\.runner"):
        custom(lambda d: d["workflows"][0]["on_dispatch"]["jobs"][0].update(runner="ghost"))
    with pytest.raises(UsageError, match=r"run_seconds: shorter than its jobs"):
        custom(lambda d: d["workflows"][0]["on_dispatch"].update(run_seconds=5))
    with pytest.raises(UsageError, match=r"Cannot read scenario file"):
        load_scenario(tmp_path / "missing.json")


def test_a_runner_name_may_repeat_at_another_level_and_jobs_name_their_runner_by_id() -> None:
    scenario = load_scenario("same-name-org-runner")
    assert sorted((r.level, r.name) for r in scenario.runners) == [
        ("organization", "embeddenator-arm64-1"),
        ("repository", "embeddenator-arm64-1"),
    ]
    with Emulator(scenario, clock=VirtualClock(), advance_per_request=300) as emu:
        api = Api(emu)
        assert api.dispatch({"ref": "main", "inputs": INPUTS}).status_code == 204
        run = api.get(f"{REPO}/actions/runs").json()["workflow_runs"][0]
        jobs = api.get(f"{REPO}/actions/runs/{run['id']}/jobs").json()["jobs"]
    test = next(j for j in jobs if j["name"] == "test")
    assert (test["runner_id"], test["runner_name"]) == (90, "embeddenator-arm64-1")

    def twice(d: dict[str, Any]) -> None:
        d["runners"].append(d["runners"][0] | {"id": 91})

    with pytest.raises(UsageError, match=r"runners: level and name 'repository emb"):
        custom(twice)

    def ambiguous(d: dict[str, Any]) -> None:
        d["runners"].append(d["runners"][0] | {"id": 91, "level": "organization"})

    with pytest.raises(UsageError, match=r"several runners are named 'embeddenator-arm64-1'"):
        custom(ambiguous)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_is_a_scenario_or_our_error(value: Any) -> None:
    try:
        parse_scenario(value, name="fuzz", fixtures_dir=FIXTURES)
    except UsageError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["repository", "runners", "workflows", "runs", "cli"]), json_values)
def test_a_mangled_section_is_our_error(section: str, value: Any) -> None:
    data = raw_scenario()
    data[section] = value
    with contextlib.suppress(UsageError):
        parse_scenario(data, name="fuzz", fixtures_dir=FIXTURES)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_as_a_scenario_file_is_our_error(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("s") / "fuzz.json"
    path.write_bytes(data)
    with contextlib.suppress(UsageError):
        load_scenario(path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_created_filter_is_a_predicate_or_a_422(text: str) -> None:
    try:
        predicate = created_filter(text)
    except ApiError as exc:
        assert exc.status == 422
    else:
        assert isinstance(predicate(START), bool)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["se", "sig", "sv"]), st.text(max_size=30)))
def test_any_signature_query_is_refused_unless_signed(query: dict[str, str]) -> None:
    key = b"k" * 32
    assert check_signature(key, "/logs/1.txt", query, START) is not None
    good = dict(parse_qsl(sign(key, "/logs/1.txt", START + 60)))
    assert check_signature(key, "/logs/1.txt", good, START) is None
    assert check_signature(key, "/logs/2.txt", good, START) is not None


def test_created_filter_forms() -> None:
    t = parse_iso("2026-01-02T03:00:00Z")
    assert created_filter(">=2026-01-02T03:00:00Z")(t)
    assert not created_filter(">2026-01-02T03:00:00Z")(t)
    assert created_filter("<=2026-01-02")(t)
    assert not created_filter("<2026-01-02")(t)
    assert created_filter("2026-01-02")(t)
    assert created_filter("2026-01-01..2026-01-02")(t)
    assert created_filter("*..2026-01-02T03:00:00Z")(t)
    assert not created_filter("2026-01-03..*")(t)


# --- the run's life on the clock -------------------------------------------------------------


def test_dispatched_run_follows_the_clock(api: Api, clock: VirtualClock) -> None:
    run_id = api.new_run()
    run = api.run(run_id)
    assert (run["status"], run["conclusion"], run["event"]) == ("queued", None, "workflow_dispatch")
    assert run["created_at"] == iso(clock.now())
    jobs = api.jobs(run_id)
    assert all(j["status"] == "queued" and j["runner_name"] is None for j in jobs)
    clock.advance(6)
    run = api.run(run_id)
    assert run["status"] == "in_progress"
    test = next(j for j in api.jobs(run_id) if j["name"] == "test")
    assert test["status"] == "in_progress"
    assert test["runner_name"] == "embeddenator-arm64-1"
    assert test["runner_group_name"] == "Default"
    assert [s["status"] for s in test["steps"]][:2] == ["in_progress", "queued"]
    clock.advance(2000)
    run = api.run(run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "success")
    for job in api.jobs(run_id):
        assert job["status"] == "completed"
        assert job["created_at"] <= job["started_at"] <= job["completed_at"] <= run["updated_at"]
        times = [(s["started_at"], s["completed_at"]) for s in job["steps"]]
        flat = [t for pair in times for t in pair]
        assert flat == sorted(flat)
        assert all(s["conclusion"] == "success" for s in job["steps"])


def test_arm64_jobs_run_on_runners_with_the_arm64_labels(api: Api, clock: VirtualClock) -> None:
    run_id = api.new_run()
    clock.advance(5000)
    runners = {
        r["name"]: {lab["name"].lower() for lab in r["labels"]}
        for r in api.get(f"{REPO}/actions/runners").json()["runners"]
    }
    arm = [j for j in api.jobs(run_id) if "ARM64" in j["labels"]]
    assert len(arm) == 3
    for job in arm:
        assert {"self-hosted", "linux", "arm64"} <= runners[job["runner_name"]]
    hosted = [j for j in api.jobs(run_id) if j["labels"] == ["ubuntu-latest"]]
    assert {j["runner_group_name"] for j in hosted} == {"GitHub Actions"}


def test_runner_is_busy_only_while_it_runs_a_job(api: Api, clock: VirtualClock) -> None:
    def busy() -> bool:
        result: bool = api.get(f"{REPO}/actions/runners/17").json()["busy"]
        return result

    api.new_run()
    assert not busy()
    clock.advance(10)
    assert busy()
    clock.advance(5000)
    assert not busy()


@pytest.mark.parametrize("name", ["no-runners", "runner-offline", "queue-stuck"])
def test_a_run_nobody_can_pick_up_stays_queued(name: str, clock: VirtualClock) -> None:
    with Emulator(name, clock=clock) as emu:
        api = Api(emu)
        resp = api.dispatch(
            {"ref": "main", "inputs": dict(emu.scenario.cli.inputs), "return_run_details": True}
        )
        run_id = resp.json()["workflow_run_id"]
        clock.advance(10 * 86400)
        assert api.run(run_id)["status"] == "queued"
        jobs = api.jobs(run_id)
        assert jobs and all(j["status"] == "queued" and j["runner_id"] is None for j in jobs)
        assert api.artifacts(run_id) == []
        runners = api.get(f"{REPO}/actions/runners").json()["runners"]
        if name == "no-runners":
            assert runners == []
        elif name == "runner-offline":
            assert [r["status"] for r in runners] == ["offline"]
        else:
            test = next(j for j in jobs if j["name"] == "test")
            have = {lab["name"].lower() for lab in runners[0]["labels"]}
            assert runners[0]["status"] == "online"
            assert "large" in test["labels"] and "large" not in have


def test_cancel_a_queued_run_then_409(api: Api, clock: VirtualClock) -> None:
    run_id = api.new_run()
    resp = api.post(f"{REPO}/actions/runs/{run_id}/cancel")
    assert (resp.status_code, resp.json()) == (202, {})
    run = api.run(run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "cancelled")
    assert all(j["conclusion"] == "cancelled" for j in api.jobs(run_id))
    again = api.post(f"{REPO}/actions/runs/{run_id}/cancel")
    assert again.status_code == 409
    assert again.json()["message"] == "Cannot cancel a workflow run that is completed."
    clock.advance(5000)
    assert api.run(run_id)["conclusion"] == "cancelled"
    assert api.artifacts(run_id) == []


def test_cancel_mid_run_keeps_what_finished(api: Api, clock: VirtualClock) -> None:
    run_id = api.new_run()
    clock.advance(6 + 300)  # the test job (246 s) is done, the first build is running
    assert api.post(f"{REPO}/actions/runs/{run_id}/cancel").status_code == 202
    clock.advance(5000)
    jobs = {j["name"]: j for j in api.jobs(run_id)}
    assert jobs["test"]["conclusion"] == "success"
    build = jobs["build-and-push-arm64 (debian-stable-arm64)"]
    assert build["conclusion"] == "cancelled"
    assert {s["conclusion"] for s in build["steps"]} >= {"success", "cancelled", "skipped"}
    assert [a["name"] for a in api.artifacts(run_id)] == ["test-results"]


def test_cancel_unknown_run_is_404(api: Api) -> None:
    assert api.post(f"{REPO}/actions/runs/5/cancel").status_code == 404


# --- dispatch ---------------------------------------------------------------------------------


def test_dispatch_without_run_details_is_204_and_the_run_can_be_found(
    api: Api, clock: VirtualClock
) -> None:
    since = iso(clock.now())
    resp = api.dispatch({"ref": "main", "inputs": INPUTS})
    assert (resp.status_code, resp.content) == (204, b"")
    found = api.get(
        f"{BUILD}/runs",
        params={"event": "workflow_dispatch", "branch": "main", "created": f">={since}"},
    ).json()
    assert found["total_count"] == 1
    assert found["workflow_runs"][0]["status"] == "queued"


def test_api_version_2026_03_10_always_returns_the_run(api: Api) -> None:
    resp = api.dispatch({"ref": "main"}, headers={"X-GitHub-Api-Version": "2026-03-10"})
    assert resp.status_code == 200
    assert resp.headers["x-github-api-version-selected"] == "2026-03-10"
    body = resp.json()
    assert set(body) == {"workflow_run_id", "run_url", "html_url"}
    assert api.get(body["run_url"]).json()["id"] == body["workflow_run_id"]
    bad = api.get(REPO, headers={"X-GitHub-Api-Version": "2020-01-01"})
    assert bad.status_code == 400


def test_dispatch_uses_declared_defaults_and_numbers_runs(api: Api) -> None:
    first = api.new_run()
    second = api.new_run()
    assert second == first + 1
    assert api.run(second)["run_number"] == api.run(first)["run_number"] + 1
    assert api.dispatch({"ref": "refs/heads/main"}).status_code == 204
    assert api.dispatch({"ref": "v0.20.0"}).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"inputs": {}}, 422, 'Invalid request.\n\n"ref" wasn\'t supplied.'),
        ({"ref": 7}, 422, "Invalid request.\n\nFor 'properties/ref', it is not a string."),
        ({"ref": "nope"}, 422, "No ref found for: nope"),
        (
            {"ref": "main", "inputs": {"x": "1", "os_selections": "a"}},
            422,
            'Unexpected inputs provided: ["x"]',
        ),
        (
            {"ref": "main", "inputs": {"runner_type": "huge"}},
            422,
            "Provided value 'huge' for input 'runner_type' not in the list of allowed values",
        ),
        (
            {"ref": "main", "inputs": {"run_tests": "yes"}},
            422,
            "Provided value 'yes' for input 'run_tests' is not a valid boolean",
        ),
        (
            {"ref": "main", "inputs": {f"i{n}": "v" for n in range(26)}},
            422,
            "Invalid request.\n\nFor 'properties/inputs', 26 properties were given; the maximum is 25.",
        ),
        (
            {"ref": "main", "inputs": ["a"]},
            422,
            "Invalid request.\n\nFor 'properties/inputs', it is not an object.",
        ),
        (
            {"ref": "main", "inputs": {"tag_suffix": {"a": 1}}},
            422,
            "Provided value for input 'tag_suffix' must be a string",
        ),
        (["main"], 400, "Problems parsing JSON"),
    ],
)
def test_dispatch_refusals(api: Api, body: Any, status: int, message: str) -> None:
    resp = api.dispatch(body)
    assert resp.status_code == status
    assert resp.json()["message"] == message
    assert api.get(f"{REPO}/actions/runs").json()["total_count"] == 1  # only the old run


def test_dispatch_boolean_inputs_accept_json_booleans(api: Api) -> None:
    resp = api.dispatch({"ref": "main", "inputs": {"run_tests": False, "push_to_ghcr": "true"}})
    assert resp.status_code == 204


def test_dispatch_unparseable_body_is_400(emu: Emulator) -> None:
    resp = requests.post(f"{emu.base_url}{BUILD}/dispatches", data=b"{ref", timeout=10)
    assert (resp.status_code, resp.json()["message"]) == (400, "Problems parsing JSON")


def test_dispatch_of_unknown_workflow_is_404(api: Api) -> None:
    resp = api.dispatch({"ref": "main"}, workflow=f"{REPO}/actions/workflows/nope.yml")
    assert resp.status_code == 404


def test_missing_required_input_without_default_is_422(clock: VirtualClock) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["workflows"][0]["inputs"]["os_selections"].pop("default")

    with Emulator(custom(mutate), clock=clock) as emu:
        resp = Api(emu).dispatch({"ref": "main"})
        assert (resp.status_code, resp.json()["message"]) == (
            422,
            "Required input 'os_selections' not provided",
        )


def test_disabled_workflow_cannot_be_dispatched(clock: VirtualClock) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["workflows"][0]["state"] = "disabled_manually"

    with Emulator(custom(mutate), clock=clock) as emu:
        resp = Api(emu).dispatch({"ref": "main"})
        assert resp.status_code == 422
        assert "disabled workflow" in resp.json()["message"]


@pytest.mark.parametrize("ref", ["dev", "main"])
def test_workflow_not_on_the_default_branch_is_refused(ref: str, clock: VirtualClock) -> None:
    with Emulator("not-default-branch", clock=clock) as emu:
        api = Api(emu)
        assert emu.scenario.cli.ref == "dev"
        resp = api.dispatch({"ref": ref, "inputs": dict(emu.scenario.cli.inputs)})
        assert resp.status_code == 422
        assert resp.json()["message"] == "Workflow does not have 'workflow_dispatch' trigger"
        wf = api.get(BUILD).json()
        assert "/blob/dev/" in wf["html_url"]
        assert api.get(f"{REPO}/actions/runs").json()["workflow_runs"][0]["head_branch"] == "dev"


def test_legacy_ghes_refuses_the_unknown_field(clock: VirtualClock) -> None:
    with Emulator("legacy-ghes", clock=clock) as emu:
        api = Api(emu)
        since = iso(clock.now())
        resp = api.dispatch({"ref": "main", "inputs": INPUTS, "return_run_details": True})
        assert resp.status_code == 400
        assert '"return_run_details" is not a permitted key' in resp.json()["message"]
        v2026 = api.dispatch({"ref": "main"}, headers={"X-GitHub-Api-Version": "2026-03-10"})
        assert v2026.status_code == 400
        assert "not supported" in v2026.json()["message"]
        assert api.dispatch({"ref": "main", "inputs": INPUTS}).status_code == 204
        clock.advance(3)  # this server lists a new run a few seconds late
        runs = api.get(
            f"{REPO}/actions/runs", params={"event": "workflow_dispatch", "created": f">={since}"}
        ).json()
        assert runs["total_count"] == 1


def test_autoscaled_runners_are_registered_only_while_they_work(clock: VirtualClock) -> None:
    """autoscaled-fleet: one ephemeral runner per ARM64 job, listed only while it runs it."""
    with Emulator("autoscaled-fleet", clock=clock) as emu:
        api = Api(emu)
        assert emu.scenario.cli.autoscaling is True
        assert all(r.autoscaled and r.ephemeral for r in emu.scenario.runners)

        def listed() -> list[str]:
            runners = api.get(f"{REPO}/actions/runners").json()["runners"]
            return [r["name"] for r in runners]

        assert listed() == []
        assert api.get(f"{REPO}/actions/runners/40").status_code == 404
        run_id = api.new_run()
        clock.advance(44)
        assert (api.run(run_id)["status"], listed()) == ("queued", [])
        clock.advance(2)  # 46 s: the first runner booted and took the test job
        assert listed() == ["embeddenator-arm64-k8q2v"]
        one = api.get(f"{REPO}/actions/runners/40").json()
        assert (one["busy"], one["status"]) == (True, "online")
        assert {x["name"] for x in one["labels"]} == {"self-hosted", "Linux", "ARM64"}
        clock.advance(247)  # 293 s: the test job is over, the first build job runs
        assert listed() == ["embeddenator-arm64-p3x7m"]
        assert api.get(f"{REPO}/actions/runners/40").status_code == 404
        clock.advance(5000)
        assert api.run(run_id)["conclusion"] == "success"
        assert listed() == []
        arm = {j["name"]: j["runner_name"] for j in api.jobs(run_id) if "ARM64" in j["labels"]}
        assert arm == {
            "test": "embeddenator-arm64-k8q2v",
            "build-and-push-arm64 (debian-stable-arm64)": "embeddenator-arm64-p3x7m",
            "build-and-push-arm64 (ubuntu-stable-arm64)": "embeddenator-arm64-w9d4n",
        }


def test_a_new_run_can_be_listed_late(clock: VirtualClock) -> None:
    def late(d: dict[str, Any]) -> None:
        d["workflows"][0]["on_dispatch"]["listed_after_seconds"] = 3

    with Emulator(custom(late, name="legacy-ghes"), clock=clock) as emu:
        api = Api(emu)
        assert api.dispatch({"ref": "main", "inputs": INPUTS}).status_code == 204
        params = {"event": "workflow_dispatch", "created": f">={iso(clock.now())}"}
        assert api.get(f"{BUILD}/runs", params=params).json()["total_count"] == 0
        clock.advance(3)
        found = api.get(f"{BUILD}/runs", params=params).json()["workflow_runs"]
        assert [r["status"] for r in found] == ["queued"]


# --- listing and filters ----------------------------------------------------------------------


def test_run_list_filters(api: Api, clock: VirtualClock) -> None:
    new = api.new_run()
    listing = api.get(f"{REPO}/actions/runs").json()["workflow_runs"]
    assert [r["id"] for r in listing] == [new, HEALTHY_RUN]  # newest first

    def ids(**params: str) -> list[int]:
        return [
            r["id"] for r in api.get(f"{REPO}/actions/runs", params=params).json()["workflow_runs"]
        ]

    assert ids(status="queued") == [new]
    assert ids(status="completed") == [HEALTHY_RUN]
    assert ids(status="success") == [HEALTHY_RUN]
    assert ids(status="failure") == []
    assert ids(event="push") == []
    assert ids(branch="dev") == []
    assert ids(head_sha=api.run(new)["head_sha"]) == [new, HEALTHY_RUN]
    assert ids(created=f">{iso(clock.now() - 1)}") == [new]
    assert ids(created="2026-01-01") == [HEALTHY_RUN]
    assert api.get(f"{REPO}/actions/runs", params={"created": "yesterday"}).status_code == 422
    ci = api.get(f"{REPO}/actions/workflows/ci-arm64.yml/runs").json()
    assert ci["total_count"] == 0


def test_jobs_filter_and_single_job(api: Api) -> None:
    jobs = api.get(f"{REPO}/actions/runs/{HEALTHY_RUN}/jobs", params={"filter": "all"}).json()
    assert jobs["total_count"] == 5
    one = api.get(f"{REPO}/actions/jobs/{jobs['jobs'][0]['id']}").json()
    assert one == jobs["jobs"][0]
    assert api.get(f"{REPO}/actions/jobs/{HEALTHY_RUN * 1000 + 99}").status_code == 404


def test_unknown_paths_and_other_repositories_are_404(api: Api) -> None:
    for path in ("/nope", "/repos/tzervas/other", f"{REPO}/actions/runs/x", f"{REPO}/issues"):
        resp = api.get(path)
        assert resp.status_code == 404
        assert resp.json()["message"] == "Not Found"
        assert resp.json()["documentation_url"].startswith("https://docs.github.com/")
    # GitHub's owner and repository names are case-insensitive.
    assert api.get("/repos/TZERVAS/Embeddenator").status_code == 200


# --- downloads --------------------------------------------------------------------------------


def test_artifact_download_302_to_blob_and_digest(api: Api, emu: Emulator) -> None:
    arts = {a["name"]: a for a in api.artifacts(HEALTHY_RUN)}
    assert set(arts) == {
        "test-results",
        "embeddenator-linux-aarch64",
        "manifest-debian-stable-arm64",
        "manifest-ubuntu-stable-arm64",
    }
    art = arts["embeddenator-linux-aarch64"]
    resp = api.get(art["archive_download_url"])
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.startswith(emu.blob_url + "/")
    assert "se=" in location and "sig=" in location
    blob = requests.get(location, timeout=10)
    assert blob.status_code == 200
    assert blob.headers["content-type"] == "application/zip"
    assert art["digest"] == "sha256:" + hashlib.sha256(blob.content).hexdigest()
    assert art["size_in_bytes"] == len(blob.content)
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        assert zf.namelist() == ["embeddenator-linux-aarch64.tar.gz"]
        inner = zf.read("embeddenator-linux-aarch64.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as tar:
        member = tar.extractfile("embeddenator-linux-aarch64/bin/embeddenator")
        assert member is not None
        assert member.read() == (FIXTURES / "binaries" / "hello-aarch64").read_bytes()
    # The same artifact always gives the same bytes, so the digest is stable.
    again = requests.get(api.get(art["archive_download_url"]).headers["location"], timeout=10)
    assert again.content == blob.content


def test_blob_origin_refuses_authorization(api: Api) -> None:
    art = api.artifacts(HEALTHY_RUN)[0]
    location = api.get(art["archive_download_url"]).headers["location"]
    resp = requests.get(location, headers={"Authorization": "token t"}, timeout=10)
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/xml"
    assert "<Code>AuthenticationFailed</Code>" in resp.text
    assert "t" not in resp.headers.get("x-ms-error-code", "").replace("AuthenticationFailed", "")


def test_blob_links_expire_after_60_seconds(api: Api, clock: VirtualClock) -> None:
    art = api.artifacts(HEALTHY_RUN)[0]
    location = api.get(art["archive_download_url"]).headers["location"]
    clock.advance(60)
    assert requests.get(location, timeout=10).status_code == 200
    clock.advance(1)
    resp = requests.get(location, timeout=10)
    assert resp.status_code == 403
    assert "<Code>AuthenticationFailed</Code>" in resp.text
    assert "Signed expiry time" in resp.text
    fresh = api.get(art["archive_download_url"]).headers["location"]
    assert requests.get(fresh, timeout=10).status_code == 200


def test_blob_refuses_tampered_or_unsigned_links(api: Api, emu: Emulator) -> None:
    art = api.artifacts(HEALTHY_RUN)[0]
    location = api.get(art["archive_download_url"]).headers["location"]
    other = re.sub(r"/artifacts/\d+/", f"/artifacts/{art['id'] + 1}/", location)
    assert requests.get(other, timeout=10).status_code == 403
    assert requests.get(location.split("?")[0], timeout=10).status_code == 403
    assert requests.get(f"{emu.blob_url}/nothing", timeout=10).status_code == 403


def test_expired_artifact_is_410(clock: VirtualClock) -> None:
    with Emulator("artifact-expired", clock=clock) as emu:
        api = Api(emu)
        assert emu.scenario.cli.run_id == EXPIRED_RUN
        arts = api.artifacts(EXPIRED_RUN)
        assert arts and all(a["expired"] for a in arts)
        assert all(a["expires_at"] < iso(clock.now()) for a in arts)
        resp = api.get(arts[0]["archive_download_url"])
        assert resp.status_code == 410
        assert resp.json()["message"] == "Artifact has expired"
        new = api.new_run()
        clock.advance(5000)
        assert {a["expired"] for a in api.artifacts(new)} == {True}


def test_artifacts_expire_with_retention(clock: VirtualClock) -> None:
    with Emulator("healthy", clock=clock) as emu:
        api = Api(emu)
        manifest = next(a for a in api.artifacts(HEALTHY_RUN) if a["name"].startswith("manifest"))
        assert not manifest["expired"]
        clock.advance(31 * 86400)  # manifests are kept 30 days
        again = api.get(manifest["url"]).json()
        assert again["expired"]
        assert api.get(manifest["archive_download_url"]).status_code == 410


def test_job_log_is_plain_text_with_timestamps(api: Api, emu: Emulator) -> None:
    job = next(j for j in api.jobs(HEALTHY_RUN) if j["name"] == "test")
    resp = api.get(f"{REPO}/actions/jobs/{job['id']}/logs")
    assert resp.status_code == 302
    log = requests.get(resp.headers["location"], timeout=10)
    assert log.headers["content-type"] == "text/plain; charset=utf-8"
    lines = log.text.splitlines()
    assert all(STAMP.match(line) for line in lines)
    assert f"Runner name: '{job['runner_name']}'" in log.text
    stamps = [line[:28] for line in lines]
    assert stamps == sorted(stamps)
    assert stamps[0] == job["started_at"].replace("Z", ".0000000Z")


def test_libtest_text_appears_in_the_test_job_log(clock: VirtualClock) -> None:
    with Emulator("manifest-only", clock=clock) as emu:
        api = Api(emu)
        run_id = api.new_run()
        test = next(j for j in api.jobs(run_id) if j["name"] == "test")
        assert api.get(f"{REPO}/actions/jobs/{test['id']}/logs").status_code == 404  # not done
        clock.advance(5000)
        loc = api.get(f"{REPO}/actions/jobs/{test['id']}/logs").headers["location"]
        text = requests.get(loc, timeout=10).text
        source = (FIXTURES / "results" / "cargo-test-pass.log").read_text()
        body = [line[29:] for line in text.splitlines()]
        for original in source.splitlines():
            assert original in body
        assert all(STAMP.match(line) for line in text.splitlines())
        names = {a["name"] for a in api.artifacts(run_id)}
        assert names == {"manifest-debian-stable-arm64", "manifest-ubuntu-stable-arm64"}
        for art in api.artifacts(run_id):
            blob = requests.get(
                api.get(art["archive_download_url"]).headers["location"], timeout=10
            ).content
            with zipfile.ZipFile(io.BytesIO(blob)) as zf:
                (name,) = zf.namelist()
                assert json.loads(zf.read(name))["arch"] == "arm64"


def test_a_missing_fixture_is_an_error_answer_not_a_crash(
    tmp_path: Path, clock: VirtualClock
) -> None:
    scenario = custom(lambda d: None, fixtures=tmp_path)
    with Emulator(scenario, clock=clock) as emu:
        resp = Api(emu).get(f"{REPO}/actions/runs/{HEALTHY_RUN}/artifacts")
        assert resp.status_code == 500
        assert "fixture" in resp.json()["message"]
        assert str(tmp_path) in resp.json()["message"]
        assert Api(emu).get(REPO).status_code == 200


def test_stand_in_fixtures_are_used_when_given(tmp_path: Path, clock: VirtualClock) -> None:
    (tmp_path / "binaries").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "binaries" / "hello-aarch64").write_bytes(b"\x7fELF stand-in")
    (tmp_path / "results" / "pytest-pass.xml").write_text("<testsuite/>")
    with Emulator(custom(lambda d: None, fixtures=tmp_path), clock=clock) as emu:
        api = Api(emu)
        art = next(a for a in api.artifacts(HEALTHY_RUN) if a["name"] == "test-results")
        blob = requests.get(api.get(art["archive_download_url"]).headers["location"], timeout=10)
        with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
            assert zf.read("junit.xml") == b"<testsuite/>"


# --- what each scenario shows ----------------------------------------------------------------


def _download(api: Api, art: dict[str, Any]) -> dict[str, bytes]:
    """Every file of an artifact, tarballs opened, keyed ``zip-member[!tar-member]``."""
    blob = requests.get(api.get(art["archive_download_url"]).headers["location"], timeout=10)
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".tar.gz"):
                with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
                    for m in tar.getmembers():
                        f = tar.extractfile(m)
                        assert f is not None
                        out[f"{name}!{m.name}"] = f.read()
            else:
                out[name] = data
    return out


def _finished_run(name: str, clock: VirtualClock) -> tuple[Emulator, Api, int]:
    emu = Emulator(name, clock=clock).start()
    api = Api(emu)
    hints = emu.scenario.cli
    resp = api.dispatch(
        {"ref": hints.ref, "inputs": dict(hints.inputs), "return_run_details": True},
        workflow=f"{REPO}/actions/workflows/{hints.workflow}",
    )
    assert resp.status_code == 200, resp.text
    clock.advance(5000)
    return emu, api, resp.json()["workflow_run_id"]


@pytest.mark.parametrize(
    ("name", "binary", "junit", "conclusion"),
    [
        ("healthy", "hello-aarch64", "pytest-pass.xml", "success"),
        ("tests-below-expected", "hello-aarch64", "pytest-pass.xml", "success"),
        ("x86-binaries", "hello-x86_64", "pytest-pass.xml", "success"),
        ("tests-failing", None, "pytest-fail.xml", "failure"),
    ],
)
def test_scenario_outcomes(
    name: str, binary: str | None, junit: str, conclusion: str, clock: VirtualClock
) -> None:
    emu, api, run_id = _finished_run(name, clock)
    with emu:
        assert api.run(run_id)["conclusion"] == conclusion
        files: dict[str, bytes] = {}
        for art in api.artifacts(run_id):
            files |= _download(api, art)
        assert files["junit.xml"] == (FIXTURES / "results" / junit).read_bytes()
        elves = {k: v for k, v in files.items() if v.startswith(b"\x7fELF")}
        if binary is None:
            assert elves == {}
        else:
            assert list(elves.values()) == [(FIXTURES / "binaries" / binary).read_bytes()]
            assert next(iter(elves)).startswith("embeddenator-linux-aarch64.tar.gz!")
        if name == "tests-below-expected":
            assert emu.scenario.cli.expected_tests == 42
        elif name == "healthy":
            assert emu.scenario.cli.expected_tests == 24


def test_non_arm64_runner_scenario_runs_on_a_hosted_x86_runner(clock: VirtualClock) -> None:
    emu, api, run_id = _finished_run("non-arm64-runner", clock)
    with emu:
        assert emu.scenario.cli.inputs == {"runner_type": "emulation-test"}
        (job,) = api.jobs(run_id)
        assert job["labels"] == ["ubuntu-latest"]
        assert job["runner_name"].startswith("GitHub Actions ")
        assert job["runner_group_name"] == "GitHub Actions"
        assert api.run(run_id)["conclusion"] == "success"


# --- faults -----------------------------------------------------------------------------------


def test_status_fault_hits_the_matching_requests_only(api: Api, emu: Emulator) -> None:
    emu.inject(Fault(method="GET", path=r"/actions/runs/\d+$", status=503, times=2))
    url = f"{REPO}/actions/runs/{HEALTHY_RUN}"
    assert api.get(f"{REPO}/actions/runners").status_code == 200
    assert api.post(f"{url}/cancel").status_code == 409  # not a GET: untouched
    first = api.get(url)
    assert first.status_code == 503
    assert first.json()["message"] == "Service Unavailable"
    assert "x-ratelimit-remaining" in first.headers
    assert api.get(url).status_code == 503
    assert api.get(url).status_code == 200


def test_rate_limit_faults_look_like_github(api: Api, emu: Emulator, clock: VirtualClock) -> None:
    emu.inject(Fault(path="/actions/runners", kind="rate-limit-primary"))
    resp = api.get(f"{REPO}/actions/runners")
    assert resp.status_code == 403
    assert resp.headers["x-ratelimit-remaining"] == "0"
    assert int(resp.headers["x-ratelimit-reset"]) > clock.now()
    assert resp.json()["message"].startswith("API rate limit exceeded")
    emu.inject(Fault(kind="rate-limit-secondary", retry_after=3))
    resp = api.get(REPO)
    assert (resp.status_code, resp.headers["retry-after"]) == (403, "3")
    assert resp.json()["message"].startswith("You have exceeded a secondary rate limit")
    emu.inject(Fault(kind="rate-limit-secondary", status=429, retry_after=None))
    resp = api.get(REPO)
    assert resp.status_code == 429 and "retry-after" not in resp.headers


def test_exhausting_the_window_gives_the_primary_limit_until_reset(
    api: Api, emu: Emulator, clock: VirtualClock
) -> None:
    emu.set_rate_limit_remaining(1)
    assert api.get(REPO).status_code == 200
    resp = api.get(REPO)
    assert resp.status_code == 403
    assert resp.json()["message"].startswith("API rate limit exceeded")
    assert resp.headers["x-ratelimit-remaining"] == "0"
    assert api.get("/rate_limit").status_code == 200  # free, and still answered
    clock.advance(int(resp.headers["x-ratelimit-reset"]) - clock.now())
    again = api.get(REPO)
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining"] == "4999"


def test_reset_fault_drops_the_connection(api: Api, emu: Emulator) -> None:
    emu.inject(Fault(path="/actions/runners", kind="reset"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.base_url}{REPO}/actions/runners", timeout=5)
    assert api.get(f"{REPO}/actions/runners").status_code == 200
    assert [r.status for r in emu.requests if r.path.endswith("/runners")] == [0, 200]


def test_hang_fault_never_answers_and_stop_still_returns(clock: VirtualClock) -> None:
    emu = Emulator("healthy", clock=clock).start()
    emu.inject(Fault(path="/rate_limit", kind="hang"))
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{emu.base_url}/rate_limit", timeout=0.3)
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.base_url}/rate_limit", timeout=2)


def test_blob_faults(api: Api, emu: Emulator) -> None:
    art = api.artifacts(HEALTHY_RUN)[0]
    emu.inject(Fault(origin="blob", path="/artifacts/", status=500))
    location = api.get(art["archive_download_url"]).headers["location"]
    assert requests.get(location, timeout=10).status_code == 500
    assert requests.get(location, timeout=10).status_code == 200


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Fault(times=0)
    with pytest.raises(re.error):
        Fault(path="(")


# --- tokens, clock steps, life cycle ----------------------------------------------------------


def test_token_is_required_when_set_and_never_recorded(clock: VirtualClock) -> None:
    secret = "ghp_SENTINEL_0123456789"
    with Emulator("healthy", clock=clock, token=secret) as emu:
        assert requests.get(emu.base_url + REPO, timeout=10).status_code == 401
        bad = requests.get(emu.base_url + REPO, headers={"Authorization": "token nope"}, timeout=10)
        assert (bad.status_code, bad.json()["message"]) == (401, "Bad credentials")
        for scheme in ("token", "Bearer"):
            ok = requests.get(
                emu.base_url + REPO, headers={"Authorization": f"{scheme} {secret}"}, timeout=10
            )
            assert ok.status_code == 200
        recorded = json.dumps([r.__dict__ for r in emu.requests], default=str)
        assert secret not in recorded
        assert "token <redacted>" in recorded


def test_advance_per_request_moves_the_clock(clock: VirtualClock) -> None:
    with Emulator("healthy", clock=clock, advance_per_request=30) as emu:
        api = Api(emu)
        run_id = api.new_run()
        statuses = [api.run(run_id)["status"] for _ in range(40)]
        assert statuses[0] == "in_progress"
        assert statuses[-1] == "completed"
        assert clock.now() == START + 30 * 41


def test_recorded_requests_carry_clock_time_and_rate_limit_use(
    api: Api, emu: Emulator, clock: VirtualClock
) -> None:
    first = api.get(f"{REPO}/actions/runs/{HEALTHY_RUN}")
    clock.advance(10)
    again = api.get(
        f"{REPO}/actions/runs/{HEALTHY_RUN}", headers={"If-None-Match": first.headers["ETag"]}
    )
    clock.advance(5)
    api.get("/rate_limit")
    api.get(f"{REPO}/nope")
    assert again.status_code == 304
    rec = emu.requests
    assert [r.status for r in rec] == [200, 304, 200, 404]
    assert [r.at - START for r in rec] == [0, 10, 15, 15]
    # A 304 and /rate_limit cost nothing; a 404 costs a point, as on GitHub.
    assert [r.rate_limit_used for r in rec] == [1, 1, 1, 2]
    assert [int(x.headers["X-RateLimit-Used"]) for x in (first, again)] == [1, 1]


def test_server_and_date_headers_follow_github_and_the_clock(api: Api, clock: VirtualClock) -> None:
    clock.advance(65)
    resp = api.get(REPO)
    assert resp.headers["server"] == "GitHub.com"
    assert resp.headers["date"] == "Fri, 02 Jan 2026 03:01:05 GMT"


def test_requests_are_recorded_with_origin_and_status(api: Api, emu: Emulator) -> None:
    api.get(f"{REPO}/actions/runners", params={"per_page": "5"})
    art = api.artifacts(HEALTHY_RUN)[0]
    requests.get(api.get(art["archive_download_url"]).headers["location"], timeout=10)
    rec = emu.requests
    assert rec[0].origin == "api" and rec[0].query == {"per_page": "5"}
    assert rec[0].headers["user-agent"].startswith("python-requests")
    assert [r.origin for r in rec][-1] == "blob"
    assert rec[-1].status == 200 and "authorization" not in rec[-1].headers


def test_emulator_must_be_started_for_urls() -> None:
    emu = Emulator("healthy")
    with pytest.raises(ValidatorError, match="not started"):
        _ = emu.base_url


def test_busy_port_is_our_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ValidatorError, match=f"cannot listen on 127.0.0.1:{port}"):
            Emulator("healthy", port=port).start()


def test_serve_forever_returns_when_stopped_from_another_thread() -> None:
    emu = Emulator("healthy")
    t = threading.Thread(target=emu.serve_forever, daemon=True)
    t.start()
    for _ in range(100):
        if emu._servers:
            break
        threading.Event().wait(0.02)
    assert requests.get(emu.base_url + "/rate_limit", timeout=5).status_code == 200
    emu.stop()
    t.join(timeout=5)
    assert not t.is_alive()


def test_two_emulators_do_not_share_state(clock: VirtualClock) -> None:
    with Emulator("healthy", clock=clock) as a, Emulator("healthy", clock=VirtualClock()) as b:
        Api(a).new_run()
        assert Api(a).get(f"{REPO}/actions/runs").json()["total_count"] == 2
        assert Api(b).get(f"{REPO}/actions/runs").json()["total_count"] == 1
        assert a.base_url != b.base_url and a.blob_url != a.base_url


def test_scenario_objects_are_not_changed_by_serving(clock: VirtualClock) -> None:
    scenario = load_scenario("healthy")
    before = copy.deepcopy(scenario)
    with Emulator(scenario, clock=clock) as emu:
        api = Api(emu)
        api.post(f"{REPO}/actions/runs/{api.new_run()}/cancel")
    assert scenario == before


# --- PyGithub as the client -------------------------------------------------------------------


def test_pygithub_drives_the_emulator(emu: Emulator, clock: VirtualClock) -> None:
    g = github.Github(
        auth=github.Auth.Token("t"),
        base_url=emu.base_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    repo = g.get_repo(emu.repository)
    assert repo.default_branch == "main"
    runners = list(repo.get_self_hosted_runners())
    assert [(r.name, r.status) for r in runners] == [("embeddenator-arm64-1", "online")]
    assert [lab["name"] for lab in runners[0].labels] == ["self-hosted", "Linux", "ARM64"]
    assert repo.get_self_hosted_runner(17).name == "embeddenator-arm64-1"
    wf = repo.get_workflow("build-push-arm64.yml")
    assert (wf.id, wf.state) == (220132581, "active")
    assert repo.get_workflows().totalCount == 2
    run = wf.create_dispatch("main", INPUTS, return_run_details=True)
    assert isinstance(run, github.WorkflowRun.WorkflowRun)
    assert run.status == "queued"
    assert run.update() is False  # unchanged: 304
    clock.advance(10)
    assert run.update() is True
    assert run.status == "in_progress"
    clock.advance(5000)
    run.update()
    assert (run.status, run.conclusion) == ("completed", "success")
    jobs = list(run.jobs())
    assert [j.name for j in jobs][:2] == ["test", "prepare-matrix"]
    assert jobs[0].runner_name == "embeddenator-arm64-1"
    assert jobs[0].steps[0].name == "Set up job"
    log_url = jobs[0].logs_url()
    assert log_url.startswith(emu.blob_url)
    assert STAMP.match(requests.get(log_url, timeout=10).text)
    arts = list(run.get_artifacts())
    assert len(arts) == 4
    status, headers, _ = g.requester.requestBlob("GET", arts[0].archive_download_url)
    assert status == 302
    blob = requests.get(headers["location"], timeout=10)
    assert arts[0].digest == "sha256:" + hashlib.sha256(blob.content).hexdigest()
    assert repo.get_workflow_run(run.id).id == run.id
    assert repo.get_artifact(arts[0].id).name == arts[0].name
    assert repo.get_workflow_runs(status="success").totalCount == 2
    assert run.cancel() is False  # completed: 409
    other = wf.create_dispatch("main", INPUTS, return_run_details=True)
    assert other.cancel() is True
    assert wf.create_dispatch("main", INPUTS) is True  # 204
    rate = g.get_rate_limit()
    assert rate.resources.core.limit == 5000
    assert g.rate_limiting[0] == rate.resources.core.remaining


def test_pygithub_maps_emulator_errors_to_its_exceptions(emu: Emulator) -> None:
    g = github.Github(
        auth=github.Auth.Token("t"),
        base_url=emu.base_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    repo = g.get_repo(emu.repository)
    with pytest.raises(github.UnknownObjectException):
        repo.get_workflow("nope.yml")
    wf = repo.get_workflow("build-push-arm64.yml")
    with pytest.raises(github.GithubException) as info:
        wf.create_dispatch("main", {"bogus": "1"}, throw=True)
    assert info.value.status == 422
    emu.inject(Fault(path="/actions/runners", kind="rate-limit-primary"))
    with pytest.raises(github.RateLimitExceededException):
        list(repo.get_self_hosted_runners())
    with Emulator("healthy", token="right") as locked:
        bad = github.Github(
            auth=github.Auth.Token("wrong"),
            base_url=locked.base_url,
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )
        with pytest.raises(github.BadCredentialsException):
            bad.get_repo(locked.repository)


def test_a_bad_content_length_is_refused(emu: Emulator) -> None:
    host, port = emu.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /rate_limit HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 400 ")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /rate_limit HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        assert sock.recv(4096).decode().startswith("HTTP/1.1 413 ")
