"""The REST API's routes: request in, response out, no sockets (the server does the I/O)."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote, urlencode

from validator.emulator import payloads
from validator.emulator.blobs import LINK_SECONDS, digest, sign, workflow_bytes
from validator.emulator.checkruns import CheckRuns
from validator.emulator.clock import parse_iso
from validator.emulator.payloads import V2026
from validator.emulator.specs import RepositorySpec, RunnerSpec
from validator.emulator.state import (
    ApiError,
    ArtifactView,
    World,
    all_artifacts,
    attempt_count,
    attempt_of,
    run_at,
)
from validator.errors import ValidatorError

V2022 = "2022-11-28"
# GitHub's own words to a token without the permission for a level's runners.
FORBIDDEN = {
    "repository": "Must have admin rights to Repository.",
    "organization": "Resource not accessible by integration",
    "enterprise": "Resource not accessible by integration",
}
RATE_LIMIT = 5000
WINDOW = 3600.0
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, kw_only=True)
class Request:
    """One API request as the routes see it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case keys
    body: bytes = b""


@dataclass(frozen=True, kw_only=True)
class Response:
    """What to send back."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(
        status=status, body=data, headers={"Content-Type": JSON_TYPE, **(headers or {})}
    )


def error_response(status: int, message: str) -> Response:
    return json_response(status, payloads.error(message, status=status))


def page_bounds(query: Mapping[str, str]) -> tuple[int, int]:
    """``(page, per_page)``: GitHub's defaults (1, 30), ``per_page`` capped at 100."""

    def number(key: str, default: int) -> int:
        try:
            value = int(query.get(key, default))
        except ValueError:
            return default
        return value if value >= 1 else default

    return number("page", 1), min(number("per_page", 30), 100)


def link_header(base: str, path: str, query: Mapping[str, str], page: int, last: int) -> str | None:
    """The absolute ``Link`` header for ``page`` of ``last`` (``None`` on a single page)."""
    if last <= 1 and page <= 1:
        return None

    def url(n: int) -> str:
        q = dict(query)
        q["page"] = str(n)
        return f"{base}{path}?{urlencode(q)}"

    links: list[str] = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return ", ".join(links)


def created_filter(text: str) -> Callable[[float], bool]:
    """A predicate for GitHub's ``created`` query: ``>=T``, ``<T``, ``A..B``, ``*..B``, ``DATE``."""

    def bound(value: str, upper: bool) -> float:
        if value == "*":
            return math.inf if upper else -math.inf
        start = parse_iso(value)
        if upper and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            return start + timedelta(days=1).total_seconds() - 1e-6
        return start

    try:
        for op in (">=", "<=", ">", "<"):
            if text.startswith(op):
                raw = text[len(op) :]
                if op == ">=":
                    lo = bound(raw, False)
                    return lambda t: t >= lo
                if op == "<=":
                    hi = bound(raw, True)
                    return lambda t: t <= hi
                if op == ">":
                    gt = bound(raw, True)
                    return lambda t: t > gt
                lt = bound(raw, False)
                return lambda t: t < lt
        if ".." in text:
            a, b = text.split("..", 1)
            lo, hi = bound(a, False), bound(b, True)
            return lambda t: lo <= t <= hi
        lo, hi = bound(text, False), bound(text, True)
        return lambda t: lo <= t <= hi
    except ValueError:
        raise ApiError(422, f"Invalid value for 'created': {text!r}") from None


class RateLimiter:
    """The primary rate limit: a window of 5000 requests that resets every hour of clock time."""

    def __init__(self, now: float, limit: int = RATE_LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._reset = now + WINDOW
        self._used = 0

    def _roll(self, now: float) -> None:
        while now >= self._reset:
            self._reset += WINDOW
            self._used = 0

    def state(self, now: float) -> tuple[int, int]:
        """``(used, reset)`` for the current window."""
        with self._lock:
            self._roll(now)
            return self._used, int(self._reset)

    def exhausted(self, now: float) -> bool:
        """Whether the current window is used up."""
        with self._lock:
            self._roll(now)
            return self._used >= self.limit

    def charge(self, now: float) -> None:
        """Count one request."""
        with self._lock:
            self._roll(now)
            self._used = min(self.limit, self._used + 1)

    def set_remaining(self, remaining: int, now: float) -> None:
        with self._lock:
            self._roll(now)
            self._used = max(0, self.limit - remaining)

    def headers(self, now: float) -> dict[str, str]:
        used, reset = self.state(now)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - used),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
        }


@dataclass(frozen=True, kw_only=True)
class Call:
    """A request matched to a route: the path's groups and the API version asked for."""

    m: re.Match[str]
    req: Request
    version: str


Handler = Callable[[Call], Response]


class Api:
    """Routes of the emulated REST API over a :class:`World`."""

    def __init__(self, world: World, *, base_url: str, blob_url: str, blob_key: bytes) -> None:
        self.world = world
        self.base = base_url
        self.blob_url = blob_url
        self.blob_key = blob_key
        self.check_runs = CheckRuns()
        spec = world.scenario.repository
        repo = re.escape(spec.full_name)
        # GitHub's pagination links name a repository by id: /repositories/{id}/...
        r = f"(?:/repos/(?i:{repo})|/repositories/{spec.id})"
        self.moved = (
            re.compile(f"/repos/(?i:{re.escape(spec.renamed_from)})(/.*)?")
            if spec.renamed_from
            else None
        )
        self.routes: Sequence[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/rate_limit"), self.get_rate_limit),
            ("GET", re.compile(f"{r}"), self.get_repo),
            ("GET", re.compile(f"{r}/actions/runners"), self.list_runners),
            ("GET", re.compile(f"{r}/actions/runners/(\\d+)"), self.get_runner),
            ("GET", re.compile(f"{r}/actions/workflows"), self.list_workflows),
            ("GET", re.compile(f"{r}/actions/workflows/([^/]+)"), self.get_workflow),
            ("POST", re.compile(f"{r}/actions/workflows/([^/]+)/dispatches"), self.dispatch),
            ("GET", re.compile(f"{r}/contents/(.+)"), self.get_contents),
            ("GET", re.compile(f"{r}/actions/workflows/([^/]+)/runs"), self.list_workflow_runs),
            ("GET", re.compile(f"{r}/actions/runs"), self.list_runs),
            ("GET", re.compile(f"{r}/actions/runs/(\\d+)"), self.get_run),
            ("POST", re.compile(f"{r}/actions/runs/(\\d+)/cancel"), self.cancel_run),
            ("GET", re.compile(f"{r}/actions/runs/(\\d+)/jobs"), self.list_jobs),
            ("GET", re.compile(f"{r}/actions/runs/(\\d+)/attempts/(\\d+)"), self.get_attempt),
            (
                "GET",
                re.compile(f"{r}/actions/runs/(\\d+)/attempts/(\\d+)/jobs"),
                self.list_attempt_jobs,
            ),
            ("GET", re.compile(f"{r}/commits/([^/]+)"), self.get_commit_sha),
            ("POST", re.compile(f"{r}/check-runs"), self.create_check_run),
            ("GET", re.compile(f"{r}/actions/jobs/(\\d+)"), self.get_job),
            ("GET", re.compile(f"{r}/actions/jobs/(\\d+)/logs"), self.job_logs),
            ("GET", re.compile(f"{r}/actions/runs/(\\d+)/artifacts"), self.list_artifacts),
            ("GET", re.compile(f"{r}/actions/artifacts/(\\d+)"), self.get_artifact),
            ("GET", re.compile(f"{r}/actions/artifacts/(\\d+)/([^/]+)"), self.download_artifact),
            ("GET", re.compile(r"/orgs/([^/]+)/actions/runners"), self.list_org_runners),
            ("GET", re.compile(r"/orgs/([^/]+)/actions/runner-groups"), self.list_org_groups),
            (
                "GET",
                re.compile(r"/orgs/([^/]+)/actions/runner-groups/(\d+)/repositories"),
                self.list_group_repositories,
            ),
            ("GET", re.compile(r"/enterprises/([^/]+)/actions/runners"), self.list_ent_runners),
            (
                "GET",
                re.compile(r"/enterprises/([^/]+)/actions/runner-groups"),
                self.list_ent_groups,
            ),
        ]
        self.limiter = RateLimiter(world.clock.now())

    @property
    def repo(self) -> RepositorySpec:
        return self.world.scenario.repository

    def now(self) -> float:
        return self.world.clock.now()

    def handle(self, req: Request) -> Response:
        """Answer one request (errors included), without rate-limit or version headers."""
        path = req.path.rstrip("/") or "/"
        version = req.headers.get("x-github-api-version", V2022)
        if self.moved is not None and (m := self.moved.fullmatch(path)):
            return self._moved(req, m.group(1) or "")
        try:
            for method, pattern, handler in self.routes:
                m = pattern.fullmatch(path)
                if m and method == req.method:
                    return handler(Call(m=m, req=req, version=version))
            return error_response(404, "Not Found")
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        except ValidatorError as exc:
            return error_response(500, f"Emulator scenario problem: {exc}")

    def _moved(self, req: Request, rest: str) -> Response:
        """A renamed or transferred repository: 301 for a GET, 307 for anything else."""
        location = f"{self.base}/repositories/{self.repo.id}{rest}"
        if req.query:
            location += f"?{urlencode(req.query)}"
        status = 301 if req.method in ("GET", "HEAD") else 307
        body = {"message": "Moved Permanently", "url": location, "documentation_url": payloads.DOCS}
        return json_response(status, body, {"Location": location})

    # --- pagination ---------------------------------------------------------------------

    def _page(self, req: Request, key: str, items: list[Any]) -> Response:
        page, per_page = page_bounds(req.query)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        path = re.sub(r"^/repos/[^/]+/[^/]+", f"/repositories/{self.repo.id}", req.path)
        link = link_header(self.base, path, req.query, page, last)
        return json_response(
            200, {"total_count": len(items), key: chunk}, {"Link": link} if link else None
        )

    # --- routes -------------------------------------------------------------------------

    def get_rate_limit(self, c: Call) -> Response:
        used, reset = self.limiter.state(self.now())
        return json_response(200, payloads.rate_limit(self.limiter.limit, used, reset, c.version))

    def get_repo(self, c: Call) -> Response:
        return json_response(200, payloads.full_repository(self.base, self.repo, c.version))

    def _runner(self, spec: RunnerSpec) -> dict[str, Any]:
        busy = spec.busy or self.world.runner_busy(spec.id, self.now())
        return payloads.runner(spec, busy)

    def _registered(self) -> list[RunnerSpec]:
        """Runners registered now: an autoscaled one exists only while it runs a job."""
        t = self.now()
        return [
            s
            for s in self.world.scenario.runners
            if not s.autoscaled or self.world.runner_busy(s.id, t)
        ]

    def _level(self, level: str) -> None:
        """403 as GitHub answers a token without the permission for this level's runners."""
        if level in self.world.scenario.forbidden:
            raise ApiError(403, FORBIDDEN[level])

    def _runners_at(self, c: Call, level: str) -> Response:
        self._level(level)
        specs = [s for s in self._registered() if s.level == level]
        if "name" in c.req.query:
            specs = [s for s in specs if s.name == c.req.query["name"]]
        return self._page(c.req, "runners", [self._runner(s) for s in specs])

    def list_runners(self, c: Call) -> Response:
        return self._runners_at(c, "repository")

    def get_runner(self, c: Call) -> Response:
        self._level("repository")
        for spec in self._registered():
            if spec.level == "repository" and spec.id == int(c.m.group(1)):
                return json_response(200, self._runner(spec))
        return error_response(404, "Not Found")

    def _organization(self, name: str) -> str:
        """The scenario's organisation by its login (case-insensitive); 404 otherwise."""
        repo = self.repo
        if repo.owner_type != "Organization" or name.casefold() != repo.owner.casefold():
            raise ApiError(404, "Not Found")
        return repo.owner

    def _enterprise(self, slug: str) -> str:
        ent = self.world.scenario.enterprise
        if ent is None or slug.casefold() != ent.casefold():
            raise ApiError(404, "Not Found")
        return ent

    def list_org_runners(self, c: Call) -> Response:
        self._organization(c.m.group(1))
        return self._runners_at(c, "organization")

    def list_org_groups(self, c: Call) -> Response:
        org = self._organization(c.m.group(1))
        self._level("organization")
        groups = [
            payloads.runner_group(self.base, org, g, inherited=g.level == "enterprise")
            for g in self.world.scenario.runner_groups
        ]
        return self._page(c.req, "runner_groups", groups)

    def list_group_repositories(self, c: Call) -> Response:
        self._organization(c.m.group(1))
        self._level("organization")
        group = next(
            (g for g in self.world.scenario.runner_groups if g.id == int(c.m.group(2))), None
        )
        if group is None:
            raise ApiError(404, "Not Found")
        own = self.repo.full_name.casefold()
        repos = [
            payloads.minimal_repository(self.base, self.repo)
            if name.casefold() == own
            else payloads.other_repository(self.base, name, 900_000_000 + i)
            for i, name in enumerate(group.repositories)
        ]
        return self._page(c.req, "repositories", repos)

    def list_ent_runners(self, c: Call) -> Response:
        self._enterprise(c.m.group(1))
        return self._runners_at(c, "enterprise")

    def list_ent_groups(self, c: Call) -> Response:
        ent = self._enterprise(c.m.group(1))
        self._level("enterprise")
        groups = [
            payloads.runner_group(self.base, ent, g, inherited=False)
            for g in self.world.scenario.runner_groups
            if g.level == "enterprise"
        ]
        return self._page(c.req, "runner_groups", groups)

    def list_workflows(self, c: Call) -> Response:
        items = [payloads.workflow(self.base, self.repo, w) for w in self.world.scenario.workflows]
        return self._page(c.req, "workflows", items)

    def get_workflow(self, c: Call) -> Response:
        w = self.world.workflow(c.m.group(1))
        return json_response(200, payloads.workflow(self.base, self.repo, w))

    def get_contents(self, c: Call) -> Response:
        """A workflow file of the scenario at a branch (or a branch's head commit)."""
        path = unquote(c.m.group(1))
        ref = c.req.query.get("ref") or self.repo.default_branch
        branch = next(
            (name for name, sha in self.repo.branches.items() if ref in (name, sha)), None
        )
        if branch is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        for w in self.world.scenario.workflows:
            if w.path == path and branch in w.branches and w.source is not None:
                data = workflow_bytes(self.world.scenario.fixtures_dir, w.source)
                body = payloads.content_file(self.base, self.repo, path, ref, data)
                return json_response(200, body)
        raise ApiError(404, "Not Found")

    def dispatch(self, c: Call) -> Response:
        try:
            body = json.loads(c.req.body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "Problems parsing JSON") from None
        legacy = self.world.scenario.legacy_ghes
        rec = self.world.dispatch(c.m.group(1), body, strict_keys=legacy)
        wants = isinstance(body, dict) and body.get("return_run_details") is True
        if c.version == V2026 or (wants and not legacy):
            return json_response(
                200,
                {
                    "workflow_run_id": rec.id,
                    "run_url": f"{self.base}/repos/{self.repo.full_name}/actions/runs/{rec.id}",
                    "html_url": f"https://github.com/{self.repo.full_name}/actions/runs/{rec.id}",
                },
            )
        return Response(status=204)

    def _runs(self, req: Request, workflow_id: int | None) -> Response:
        q = req.query
        t = self.now()
        created = created_filter(q["created"]) if "created" in q else None
        views = []
        for rec in self.world.runs():
            if t < rec.created + rec.plan.listed_after_seconds:
                continue
            view = run_at(rec, t)
            fields = {
                "event": rec.event,
                "branch": rec.branch,
                "head_sha": rec.head_sha,
                "actor": payloads.ACTOR,
                "check_suite_id": str(rec.id + 7),
            }
            if (
                (workflow_id is None or rec.workflow.id == workflow_id)
                and all(q[k] == v for k, v in fields.items() if k in q)
                and ("status" not in q or q["status"] in (view.status, view.conclusion))
                and (created is None or created(rec.created))
            ):
                views.append(payloads.run(self.base, self.repo, view))
        return self._page(req, "workflow_runs", views)

    def list_runs(self, c: Call) -> Response:
        return self._runs(c.req, None)

    def list_workflow_runs(self, c: Call) -> Response:
        return self._runs(c.req, self.world.workflow(c.m.group(1)).id)

    def get_run(self, c: Call) -> Response:
        rec = self.world.run(int(c.m.group(1)))
        return json_response(200, payloads.run(self.base, self.repo, run_at(rec, self.now())))

    def cancel_run(self, c: Call) -> Response:
        self.world.cancel(int(c.m.group(1)))
        return json_response(202, {})

    def create_check_run(self, c: Call) -> Response:
        try:
            body = json.loads(c.req.body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "Problems parsing JSON") from None
        made = self.check_runs.create(body, base=self.base, repo=self.repo, now=self.now())
        return json_response(201, made)

    def list_jobs(self, c: Call) -> Response:
        which = c.req.query.get("filter", "latest")
        if which not in ("latest", "all"):
            raise ApiError(422, f"Invalid value for 'filter': {which!r}")
        jobs = self.world.jobs(int(c.m.group(1)), self.now(), which=which)
        return self._page(c.req, "jobs", [payloads.job(self.base, self.repo, j) for j in jobs])

    def get_attempt(self, c: Call) -> Response:
        rec = self.world.run(int(c.m.group(1)))
        number = int(c.m.group(2))
        if not 1 <= number <= attempt_count(rec, self.now()):
            raise ApiError(404, "Not Found")
        view = run_at(attempt_of(rec, number), self.now())
        return json_response(200, payloads.run(self.base, self.repo, view))

    def list_attempt_jobs(self, c: Call) -> Response:
        jobs = self.world.jobs(int(c.m.group(1)), self.now(), attempt=int(c.m.group(2)))
        return self._page(c.req, "jobs", [payloads.job(self.base, self.repo, j) for j in jobs])

    def get_commit_sha(self, c: Call) -> Response:
        """``GET .../commits/{ref}`` with the SHA media type: the commit's SHA as text."""
        if "application/vnd.github.sha" not in c.req.headers.get("accept", ""):
            raise ApiError(415, "Only the application/vnd.github.sha media type is emulated")
        ref = c.m.group(1)
        repo = self.repo
        sha = repo.branches.get(ref) or repo.tags.get(ref)
        if sha is None and re.fullmatch(r"[0-9a-f]{40}", ref):
            sha = ref
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        return Response(
            status=200,
            body=sha.encode(),
            headers={"Content-Type": "application/vnd.github.sha; charset=utf-8"},
        )

    def get_job(self, c: Call) -> Response:
        view = self.world.job(int(c.m.group(1)), self.now())
        return json_response(200, payloads.job(self.base, self.repo, view))

    def _signed(self, path: str) -> str:
        return f"{self.blob_url}{path}?{sign(self.blob_key, path, self.now() + LINK_SECONDS)}"

    def job_logs(self, c: Call) -> Response:
        view = self.world.job(int(c.m.group(1)), self.now())
        if view.status != "completed" or view.runner is None:
            return error_response(404, "Not Found")
        return Response(status=302, headers={"Location": self._signed(f"/logs/{view.id}.txt")})

    def _artifact(self, view: ArtifactView) -> dict[str, Any]:
        data = self.world.zip_bytes(view.spec)
        sha = digest(data) if view.spec.digest else None
        return payloads.artifact(self.base, self.repo, view, len(data), sha)

    def list_artifacts(self, c: Call) -> Response:
        rec = self.world.run(int(c.m.group(1)))
        views = all_artifacts(rec, self.now())
        if "name" in c.req.query:
            views = [v for v in views if v.spec.name == c.req.query["name"]]
        return self._page(c.req, "artifacts", [self._artifact(v) for v in views])

    def get_artifact(self, c: Call) -> Response:
        view = self.world.artifact(int(c.m.group(1)), self.now())
        return json_response(200, self._artifact(view))

    def download_artifact(self, c: Call) -> Response:
        view = self.world.artifact(int(c.m.group(1)), self.now())
        if c.m.group(2) != "zip":
            return error_response(404, "Not Found")
        if view.expired:
            return error_response(410, "Artifact has expired")
        name = quote(view.spec.name, safe="")
        return Response(
            status=302, headers={"Location": self._signed(f"/artifacts/{view.id}/{name}.zip")}
        )
