"""The emulator's responses against GitHub's own OpenAPI description, over real HTTP.

Every JSON body is validated against the schema of its operation and status in
``tests/data/github-api/actions-subset.openapi.json`` (or the 2026-03-10 file when the request
asks for that API version), for every scenario; the header contract (rate-limit headers,
ETag/304, Link pagination) is checked on the same traffic. GitHub's own examples are validated
too, so that the validator is known to accept real answers and to catch the known bad ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from validator.emulator import Emulator, VirtualClock, scenario_names

GITHUB_API = Path(__file__).resolve().parent / "data" / "github-api"
V2026 = "2026-03-10"
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
)


def _null_in_nullable_enums(node: Any) -> Any:
    """Let ``nullable: true`` admit null even where an ``enum`` lists no null.

    The description marks ``job.conclusion`` ``nullable`` with an enum of outcomes, and GitHub
    answers ``null`` for every unfinished job; the validator reads OAS 3.0.3 strictly (null must
    be in the enum too), which would reject GitHub's own answers.
    """
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list):
            node["enum"] = [*node["enum"], None] if None not in node["enum"] else node["enum"]
        for value in node.values():
            _null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _null_in_nullable_enums(value)
    return node


class Spec:
    """One OpenAPI file: finds the schema of (method, concrete path, status) and validates."""

    def __init__(self, path: Path) -> None:
        self.doc: dict[str, Any] = _null_in_nullable_enums(json.loads(path.read_text("utf-8")))
        self.templates = []
        for template, ops in self.doc["paths"].items():
            escaped = re.escape(template).replace(r"\{path\}", ".+")  # x-multi-segment
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", escaped)
            self.templates.append((re.compile(pattern), template, ops))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        # GitHub's pagination links name the repository by id: the same operations.
        path = re.sub(r"^/repositories/\d+(?=/|$)", "/repos/owner/repo", path)
        # The most specific template wins (fewest placeholders), as GitHub routes.
        hits = [(t.count("{"), t, ops) for rx, t, ops in self.templates if rx.fullmatch(path)]
        assert hits, f"{method} {path} is not an operation of the OpenAPI subset"
        _, template, ops = min(hits)
        assert method.lower() in ops, f"{method} {template} is not in the OpenAPI subset"
        return template, ops[method.lower()]

    def pointer(self, method: str, path: str, status: int) -> str | None:
        """JSON pointer to the response schema, ``None`` if that status has no body."""
        template, op = self.operation(method, path)
        responses = op["responses"]
        assert str(status) in responses, f"{method} {template} does not declare {status}"
        resp = responses[str(status)]
        if "$ref" in resp:
            resp = self.resolve(resp["$ref"])
        if "content" not in resp:
            return None
        esc = template.replace("~", "~0").replace("/", "~1")
        ref = resp.get("$ref")
        if ref is None and "$ref" in op["responses"][str(status)]:
            ref = op["responses"][str(status)]["$ref"]
        if ref is not None:
            return f"{ref}/content/application~1json/schema"
        return f"#/paths/{esc}/{method.lower()}/responses/{status}/content/application~1json/schema"

    def resolve(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def errors(self, pointer: str, body: Any) -> list[str]:
        schema = {**self.doc, "$ref": pointer}
        validator = OAS30Validator(schema, format_checker=oas30_format_checker)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return {
        "2022-11-28": Spec(GITHUB_API / "actions-subset.openapi.json"),
        V2026: Spec(GITHUB_API / "actions-subset.2026-03-10.openapi.json"),
    }


class Client:
    """``requests`` against the emulator; every answer is checked against the description."""

    def __init__(self, emu: Emulator, specs: dict[str, Spec]) -> None:
        self.emu = emu
        self.specs = specs
        self.session = requests.Session()
        self.session.headers["Authorization"] = "token t"
        self.checked = 0

    def call(
        self,
        method: str,
        url: str,
        *,
        version: str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        if not url.startswith("http"):
            url = self.emu.base_url + url
        extra = dict(headers or {})
        if version:
            extra["X-GitHub-Api-Version"] = version
        resp = self.session.request(
            method,
            url,
            json=json_body,
            headers=extra,
            params=params,
            allow_redirects=False,
            timeout=10,
        )
        self.check(method, resp, version or "2022-11-28")
        return resp

    def check(self, method: str, resp: requests.Response, version: str) -> None:
        path = urlsplit(resp.url).path
        h = resp.headers
        for name in RATE_HEADERS:
            assert name in h, f"{method} {path}: no {name}"
        assert h["x-github-api-version-selected"] == version
        assert resp.status_code != 202 or method == "POST", "never 202 on a GET"
        if resp.status_code in (204, 302, 304):
            assert resp.content == b""
            return
        assert h["content-type"] == "application/json; charset=utf-8"
        if method == "GET" and resp.status_code == 200:
            assert re.fullmatch(r'W/"[0-9a-f]{64}"', h["etag"])  # weak, 64 hex, as GitHub's
        body = resp.json()
        spec = self.specs[version]
        if re.fullmatch(r"/repos/[^/]+/[^/]+/actions/jobs/\d+", path):
            # GET one job is outside the subset (PyGithub's get_workflow_job); its body is a job.
            pointer: str | None = (
                "#/components/schemas/job" if resp.ok else "#/components/schemas/basic-error"
            )
        elif str(resp.status_code) in spec.operation(method, path)[1]["responses"]:
            pointer = spec.pointer(method, path, resp.status_code)
        else:
            pointer = "#/components/schemas/basic-error"
        assert pointer is not None, f"{method} {path} {resp.status_code} should have no body"
        problems = spec.errors(pointer, body)
        assert not problems, f"{method} {path} {resp.status_code}: {problems[:5]}"
        self.checked += 1

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.call("GET", url, **kw)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def walk_run(c: Client, run: dict[str, Any]) -> None:
    """Follow every URL of a run the way the gateway does, checking each answer."""
    c.get(run["url"])
    jobs = c.get(run["jobs_url"], params={"filter": "all"}).json()["jobs"]
    for job in jobs:
        c.get(job["url"])
        logs = c.get(f"{job['url']}/logs")
        if job["status"] == "completed" and job["runner_name"]:
            assert logs.status_code == 302
            assert logs.headers["location"].startswith(c.emu.blob_url + "/")
        else:
            assert logs.status_code == 404
    for art in c.get(run["artifacts_url"]).json()["artifacts"]:
        assert art["archive_download_url"].startswith(c.emu.base_url)
        c.get(art["url"])
        dl = c.get(art["archive_download_url"])
        assert dl.status_code == (410 if art["expired"] else 302)


def walk_estate(c: Client, emu: Emulator) -> None:
    """Organisation and enterprise runners and runner groups, as the health phase reads them."""
    spec = emu.scenario
    org = spec.repository.owner
    answered = c.get(f"/orgs/{org}/actions/runners").status_code
    if spec.repository.owner_type != "Organization":
        assert answered == 404
        return
    if "organization" in spec.forbidden:
        assert answered == 403
        assert c.get(f"/orgs/{org}/actions/runner-groups").status_code == 403
        return
    assert answered == 200
    for group in c.get(f"/orgs/{org}/actions/runner-groups").json()["runner_groups"]:
        c.get(f"/orgs/{org}/actions/runner-groups/{group['id']}/repositories")
    if spec.enterprise:
        c.get(f"/enterprises/{spec.enterprise}/actions/runners")
        c.get(f"/enterprises/{spec.enterprise}/actions/runner-groups")


@pytest.mark.parametrize("name", scenario_names())
def test_every_endpoint_of_every_scenario_matches_the_description(
    name: str, specs: dict[str, Spec], clock: VirtualClock
) -> None:
    with Emulator(name, clock=clock) as emu:
        c = Client(emu, specs)
        repo = f"/repos/{emu.repository}"
        assert c.get(repo).json()["full_name"] == emu.repository
        c.get("/rate_limit")
        for runner in c.get(f"{repo}/actions/runners").json()["runners"]:
            c.get(f"{repo}/actions/runners/{runner['id']}")
        assert c.get(f"{repo}/actions/runners/999999").status_code == 404
        walk_estate(c, emu)
        for wf in c.get(f"{repo}/actions/workflows").json()["workflows"]:
            assert c.get(wf["url"]).json() == wf
            by_file = c.get(f"{repo}/actions/workflows/{wf['path'].rsplit('/', 1)[-1]}")
            assert by_file.json()["id"] == wf["id"]
            c.get(f"{repo}/actions/workflows/{wf['id']}/runs")
        for spec in emu.scenario.workflows:
            branch = spec.branches[0]
            got = c.get(f"{repo}/contents/{spec.path}", params={"ref": branch})
            assert got.status_code == (200 if spec.source else 404)
            if spec.source:
                assert got.json()["encoding"] == "base64"
            assert c.get(f"{repo}/contents/{spec.path}", params={"ref": "nope"}).status_code == 404
        hints = emu.scenario.cli
        sent = c.call(
            "POST",
            f"{repo}/actions/workflows/{hints.workflow}/dispatches",
            json_body={"ref": hints.ref, "inputs": dict(hints.inputs), "return_run_details": True},
        )
        if name == "not-default-branch":
            assert sent.status_code == 422
        elif emu.scenario.legacy_ghes:
            assert sent.status_code == 400
        else:
            assert sent.status_code == 200
            created = sent.json()
            assert created["run_url"].startswith(emu.base_url)
            walk_run(c, c.get(created["run_url"]).json())
            clock.advance(30)
            walk_run(c, c.get(created["run_url"]).json())
        clock.advance(3600)
        runs = c.get(f"{repo}/actions/runs").json()["workflow_runs"]
        for run in runs:
            walk_run(c, run)
            if run["status"] != "completed":
                assert c.call("POST", run["cancel_url"]).status_code == 202
            assert c.call("POST", run["cancel_url"]).status_code == 409
        assert c.get(f"{repo}/actions/runs/1").status_code == 404
        assert c.checked > 10


def test_the_2026_03_10_version_is_validated_against_its_own_description(
    specs: dict[str, Spec],
) -> None:
    with Emulator("healthy") as emu:
        c = Client(emu, specs)
        repo = f"/repos/{emu.repository}"
        limits = c.get("/rate_limit", version=V2026).json()
        assert "rate" not in limits and "core" in limits["resources"]
        full = c.get(repo, version=V2026).json()
        assert "has_downloads" not in full
        # Under 2026-03-10 the dispatch answers 200 with the run even without the flag.
        sent = c.call(
            "POST",
            f"{repo}/actions/workflows/220132581/dispatches",
            version=V2026,
            json_body={"ref": "main"},
        )
        assert sent.status_code == 200
        assert sent.json()["workflow_run_id"] > 0
        # And the older description does not accept the newer rate-limit shape.
        assert specs["2022-11-28"].errors("#/components/schemas/rate-limit-overview", limits)


@pytest.mark.parametrize("version", ["2022-11-28", V2026])
def test_a_created_check_run_matches_the_description(specs: dict[str, Spec], version: str) -> None:
    sha = "a" * 40
    annotation = {
        "path": ".github/workflows/build-push-arm64.yml",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "failure",
        "title": "TST002 No test failed and none errored.",
        "message": "2 tests failed.",
    }
    output = {"title": "NO-GO", "summary": "# report", "annotations": [annotation]}
    body = {"name": "ARM64 readiness", "head_sha": sha, "conclusion": "failure", "output": output}
    with Emulator("healthy") as emu:
        c = Client(emu, specs)
        made = c.call(
            "POST", f"/repos/{emu.repository}/check-runs", version=version, json_body=body
        )
        assert made.status_code == 201
        assert (made.json()["conclusion"], made.json()["status"]) == ("failure", "completed")
        assert made.json()["output"]["annotations_count"] == 1
        # GitHub's limits: 50 annotations per request, 65535 characters of summary.
        for over in ({"annotations": [annotation] * 51}, {"summary": "x" * 65536}):
            refused = c.call(
                "POST",
                f"/repos/{emu.repository}/check-runs",
                version=version,
                json_body=body | {"output": output | over},
            )
            assert refused.status_code == 422
        assert emu.check_runs == [body]


def test_schema_checks_can_fail(specs: dict[str, Spec]) -> None:
    with Emulator("healthy") as emu:
        c = Client(emu, specs)
        run = c.get(f"/repos/{emu.repository}/actions/runs").json()["workflow_runs"][0]
        spec = specs["2022-11-28"]
        assert not spec.errors("#/components/schemas/workflow-run", run)
        broken = {k: v for k, v in run.items() if k != "jobs_url"}
        assert spec.errors("#/components/schemas/workflow-run", broken)
        assert spec.errors("#/components/schemas/workflow-run", run | {"id": "1"})


def _links(resp: requests.Response) -> dict[str, str]:
    out = {}
    for part in resp.headers.get("link", "").split(","):
        m = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"\s*', part)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def _pages(c: Client, url: str, per_page: int) -> Iterator[requests.Response]:
    resp = c.get(url, params={"per_page": per_page})
    yield resp
    while "next" in _links(resp):
        resp = c.get(_links(resp)["next"])
        yield resp


def test_link_pagination_is_absolute_and_complete(
    specs: dict[str, Spec], clock: VirtualClock
) -> None:
    with Emulator("healthy", clock=clock) as emu:
        c = Client(emu, specs)
        repo = f"/repos/{emu.repository}"
        for _ in range(4):
            c.call(
                "POST",
                f"{repo}/actions/workflows/ci-arm64.yml/dispatches",
                json_body={"ref": "main"},
            )
        single = c.get(f"{repo}/actions/runs")
        assert "link" not in single.headers
        total = single.json()["total_count"]
        assert total == 5
        pages = list(_pages(c, f"{repo}/actions/runs", per_page=2))
        assert len(pages) == 3
        first = _links(pages[0])
        assert set(first) == {"next", "last"}
        repo_id = emu.scenario.repository.id  # GitHub's links name the repository by id
        assert first["next"].startswith(f"{emu.base_url}/repositories/{repo_id}/actions/runs?")
        assert parse_qs(urlsplit(first["last"]).query) == {"per_page": ["2"], "page": ["3"]}
        assert set(_links(pages[1])) == {"prev", "next", "last", "first"}
        assert set(_links(pages[2])) == {"prev", "first"}
        ids = [r["id"] for p in pages for r in p.json()["workflow_runs"]]
        assert len(ids) == len(set(ids)) == total
        assert all(p.json()["total_count"] == total for p in pages)
        # per_page is capped at 100, and a page past the end is empty.
        assert (
            len(c.get(f"{repo}/actions/runs", params={"per_page": 500}).json()["workflow_runs"])
            == total
        )
        assert c.get(f"{repo}/actions/runs", params={"page": 9}).json()["workflow_runs"] == []


def test_etag_304_costs_no_rate_limit(specs: dict[str, Spec]) -> None:
    with Emulator("healthy") as emu:
        c = Client(emu, specs)
        url = f"/repos/{emu.repository}/actions/runs/20961180042"
        first = c.get(url)
        remaining = int(first.headers["x-ratelimit-remaining"])
        again = c.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert int(again.headers["x-ratelimit-remaining"]) == remaining
        changed = c.get(url, headers={"If-None-Match": 'W/"0000"'})
        assert changed.status_code == 200
        assert int(changed.headers["x-ratelimit-remaining"]) == remaining - 1
        used = int(changed.headers["x-ratelimit-used"])
        assert used + remaining - 1 == int(changed.headers["x-ratelimit-limit"])
        # /rate_limit itself is free.
        assert int(c.get("/rate_limit").headers["x-ratelimit-remaining"]) == remaining - 1


def test_errors_are_basic_errors(specs: dict[str, Spec]) -> None:
    with Emulator("healthy") as emu:
        c = Client(emu, specs)
        resp = c.session.get(f"{emu.base_url}/repos/someone/else", timeout=10)
        assert resp.status_code == 404
        body = resp.json()
        assert body["message"] == "Not Found"
        assert not specs["2022-11-28"].errors("#/components/schemas/basic-error", body)
        assert body["documentation_url"].startswith("https://docs.github.com/")


# GitHub's own examples that break their own schemas (see tests/data/github-api/README.md).
UPSTREAM_DEFECTS = {
    "repos__get.200.default-response.json": [
        ": 'language' is a required property",
        "source: 'language' is a required property",
    ],
    "actions__cancel-workflow-run.202.default.json": [
        ": None for not nullable",
        ": None is not of type 'object'",
    ],
    "actions__list-jobs-for-workflow-run.200.default.json": [
        "jobs/0: 'created_at' is a required property",
    ],
}


def _examples() -> list[dict[str, Any]]:
    index = json.loads((GITHUB_API / "examples-index.json").read_text("utf-8"))
    return [entry for entry in index if entry["file"]]


def test_every_example_file_is_indexed() -> None:
    on_disk = {p.name for p in (GITHUB_API / "examples").glob("*.json")}
    assert on_disk == {entry["file"] for entry in _examples()}
    assert len(on_disk) == 14


@pytest.mark.parametrize("entry", _examples(), ids=lambda entry: entry["file"])
def test_githubs_examples_against_their_schemas(
    entry: dict[str, Any], specs: dict[str, Spec]
) -> None:
    spec = specs["2022-11-28"]
    body = json.loads((GITHUB_API / "examples" / entry["file"]).read_text("utf-8"))
    if entry["ref"]:
        example = spec.resolve(entry["ref"])
    else:  # written inline in the operation's response
        _, operation = spec.operation(entry["method"], entry["path"])
        content = operation["responses"][entry["status"]]["content"][entry["contentType"]]
        example = content["examples"][entry["example"]]
    assert example["value"] == body
    pointer = spec.pointer(entry["method"], entry["path"], int(entry["status"]))
    assert pointer is not None
    problems = spec.errors(pointer, body)
    assert sorted(problems) == UPSTREAM_DEFECTS.get(entry["file"], [])


def test_enterprise_runners_and_inherited_groups_match_the_description(
    specs: dict[str, Spec],
) -> None:
    from validator.emulator.scenario import parse_scenario, scenarios_dir
    from validator.gateway import Gateway
    from validator.phases.health import check_health
    from validator.resources import data_path

    raw = json.loads((scenarios_dir() / "org-runners-shared.json").read_text(encoding="utf-8"))
    raw["enterprise"] = "octo-enterprise"
    raw["runner_groups"].append(
        {"id": 3, "name": "ent-arm64", "level": "enterprise", "allows_public_repositories": True}
    )
    raw["runners"].append(
        raw["runners"][0] | {"id": 90, "name": "ent-arm64-1", "level": "enterprise", "group_id": 3}
    )
    scenario = parse_scenario(raw, name="enterprise", fixtures_dir=data_path("fixtures"))
    with Emulator(scenario) as emu:
        c = Client(emu, specs)
        walk_estate(c, emu)
        ent = c.get("/enterprises/octo-enterprise/actions/runners").json()["runners"]
        assert [r["name"] for r in ent] == ["ent-arm64-1"]
        groups = c.get(f"/orgs/{emu.scenario.repository.owner}/actions/runner-groups").json()
        assert any(g["inherited"] for g in groups["runner_groups"])
        gw = Gateway(repository=emu.repository, token="t" * 40, api_url=emu.base_url, timeout=5)
        health = check_health(
            gw, workflow="build-push-arm64.yml", labels=("ARM64",), enterprise="octo-enterprise"
        )
    assert health.runners is not None
    usable = {(r.name, r.level, r.group) for r in health.runners}
    assert ("ent-arm64-1", "enterprise", "ent-arm64") in usable
    assert [s.level for s in health.sources] == ["repository", "organization", "enterprise"]
