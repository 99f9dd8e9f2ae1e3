"""JSON bodies shaped like GitHub's: every field the OpenAPI description requires, with the
emulator's own absolute URLs, so PyGithub follows them back to the emulator."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from validator.emulator.clock import iso, iso_offset
from validator.emulator.specs import RepositorySpec, RunnerGroupSpec, RunnerSpec, WorkflowSpec
from validator.emulator.state import ArtifactView, JobView, RunView, StepView

V2026 = "2026-03-10"
DOCS = "https://docs.github.com/rest"
ACTOR = "octo-maintainer"
ACTOR_ID = 583231


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode().rstrip("=")


def error(message: str, doc: str = DOCS, status: int | None = None) -> dict[str, Any]:
    """A ``basic-error`` body."""
    body: dict[str, Any] = {"message": message, "documentation_url": doc}
    if status is not None:
        body["status"] = str(status)
    return body


def user(base: str, login: str, number: int) -> dict[str, Any]:
    """A ``simple-user``."""
    u = f"{base}/users/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": node_id("User", number),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def _repo_urls(base: str, repo: RepositorySpec) -> dict[str, Any]:
    u = f"{base}/repos/{repo.full_name}"
    html = f"https://github.com/{repo.full_name}"
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user(base, repo.owner, ACTOR_ID + 1) | {"type": repo.owner_type},
        "html_url": html,
        "description": repo.description,
        "fork": False,
        "url": u,
        "archive_url": f"{u}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{u}/assignees{{/user}}",
        "blobs_url": f"{u}/git/blobs{{/sha}}",
        "branches_url": f"{u}/branches{{/branch}}",
        "collaborators_url": f"{u}/collaborators{{/collaborator}}",
        "comments_url": f"{u}/comments{{/number}}",
        "commits_url": f"{u}/commits{{/sha}}",
        "compare_url": f"{u}/compare/{{base}}...{{head}}",
        "contents_url": f"{u}/contents/{{+path}}",
        "contributors_url": f"{u}/contributors",
        "deployments_url": f"{u}/deployments",
        "downloads_url": f"{u}/downloads",
        "events_url": f"{u}/events",
        "forks_url": f"{u}/forks",
        "git_commits_url": f"{u}/git/commits{{/sha}}",
        "git_refs_url": f"{u}/git/refs{{/sha}}",
        "git_tags_url": f"{u}/git/tags{{/sha}}",
        "git_url": f"git://github.com/{repo.full_name}.git",
        "hooks_url": f"{u}/hooks",
        "issue_comment_url": f"{u}/issues/comments{{/number}}",
        "issue_events_url": f"{u}/issues/events{{/number}}",
        "issues_url": f"{u}/issues{{/number}}",
        "keys_url": f"{u}/keys{{/key_id}}",
        "labels_url": f"{u}/labels{{/name}}",
        "languages_url": f"{u}/languages",
        "merges_url": f"{u}/merges",
        "milestones_url": f"{u}/milestones{{/number}}",
        "notifications_url": f"{u}/notifications{{?since,all,participating}}",
        "pulls_url": f"{u}/pulls{{/number}}",
        "releases_url": f"{u}/releases{{/id}}",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "stargazers_url": f"{u}/stargazers",
        "statuses_url": f"{u}/statuses/{{sha}}",
        "subscribers_url": f"{u}/subscribers",
        "subscription_url": f"{u}/subscription",
        "tags_url": f"{u}/tags",
        "teams_url": f"{u}/teams",
        "trees_url": f"{u}/git/trees{{/sha}}",
        "clone_url": f"{html}.git",
        "mirror_url": None,
        "svn_url": html,
    }


def full_repository(base: str, repo: RepositorySpec, version: str) -> dict[str, Any]:
    """``GET /repos/{owner}/{repo}``."""
    body = _repo_urls(base, repo) | {
        "homepage": None,
        "language": repo.language,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 3,
        "watchers": 3,
        "watchers_count": 3,
        "size": 2048,
        "default_branch": repo.default_branch,
        "open_issues": 0,
        "open_issues_count": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "pushed_at": "2026-01-01T22:10:00Z",
        "created_at": "2025-11-02T09:00:00Z",
        "updated_at": "2026-01-01T22:10:00Z",
        "permissions": {
            "admin": True,
            "maintain": True,
            "push": True,
            "triage": True,
            "pull": True,
        },
        "allow_rebase_merge": True,
        "allow_squash_merge": True,
        "allow_merge_commit": True,
        "allow_auto_merge": False,
        "delete_branch_on_merge": False,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "use_squash_pr_title_as_default": False,
        "temp_clone_token": None,
        "license": {
            "key": "mit",
            "name": "MIT License",
            "spdx_id": "MIT",
            "url": f"{base}/licenses/mit",
            "node_id": "MDc6TGljZW5zZTEz",
        },
        "network_count": 0,
        "subscribers_count": 1,
    }
    if version == V2026:
        for gone in ("has_downloads", "use_squash_pr_title_as_default", "master_branch"):
            body.pop(gone, None)
    return body


def minimal_repository(base: str, repo: RepositorySpec) -> dict[str, Any]:
    """The ``repository`` object embedded in a run."""
    return _repo_urls(base, repo)


def runner(spec: RunnerSpec, busy: bool) -> dict[str, Any]:
    """A ``runner``, each label with the type the scenario gives it."""
    return {
        "id": spec.id,
        "name": spec.name,
        "os": spec.os,
        "status": spec.status,
        "busy": busy,
        "ephemeral": spec.ephemeral,
        "runner_group_id": spec.group_id,
        "version": spec.version,
        "labels": [
            {"id": i + 1, "name": label.name, "type": label.type}
            for i, label in enumerate(spec.labels)
        ],
    }


def runner_group(
    base: str, owner: str, group: RunnerGroupSpec, *, inherited: bool
) -> dict[str, Any]:
    """A ``runner-groups-org`` (or, seen from the enterprise, ``runner-groups-enterprise``)."""
    where = (
        f"{base}/enterprises/{owner}"
        if group.level == "enterprise" and not inherited
        else (f"{base}/orgs/{owner}")
    )
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "visibility": group.visibility,
        "default": group.default,
        "runners_url": f"{where}/actions/runner-groups/{group.id}/runners",
        "allows_public_repositories": group.allows_public_repositories,
        "restricted_to_workflows": False,
        "selected_workflows": [],
        "workflow_restrictions_read_only": inherited,
    }
    if group.level == "enterprise" and not inherited:
        body["selected_organizations_url"] = (
            f"{where}/actions/runner-groups/{group.id}/organizations"
        )
        return body
    body["inherited"] = inherited
    if inherited:
        body["inherited_allows_public_repositories"] = group.allows_public_repositories
    if group.visibility == "selected":
        body["selected_repositories_url"] = f"{where}/actions/runner-groups/{group.id}/repositories"
    return body


def other_repository(base: str, full_name: str, number: int) -> dict[str, Any]:
    """A ``minimal-repository`` for a repository the scenario only names."""
    owner, _, name = full_name.partition("/")
    spec = RepositorySpec(
        owner=owner, name=name, id=number, default_branch="main", branches={"main": "0" * 40}
    )
    return _repo_urls(base, spec)


def workflow(base: str, repo: RepositorySpec, w: WorkflowSpec) -> dict[str, Any]:
    """A ``workflow``."""
    html_branch = w.branches[0] if w.branches else repo.default_branch
    return {
        "id": w.id,
        "node_id": node_id("Workflow", w.id),
        "name": w.name,
        "path": w.path,
        "state": w.state,
        "created_at": w.created_at,
        "updated_at": w.created_at,
        "url": f"{base}/repos/{repo.full_name}/actions/workflows/{w.id}",
        "html_url": f"https://github.com/{repo.full_name}/blob/{html_branch}/{w.path}",
        "badge_url": f"https://github.com/{repo.full_name}/workflows/{w.file_name}/badge.svg",
    }


def content_file(
    base: str, repo: RepositorySpec, path: str, ref: str, data: bytes
) -> dict[str, Any]:
    """A ``content-file``: the text base64-encoded in lines of 60, as GitHub sends it.

    Above 1 MB GitHub sends no content (encoding ``none``), and so does this.
    """
    sha = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    inline = len(data) <= 1024 * 1024
    encoded = base64.b64encode(data).decode("ascii") if inline else ""
    url = f"{base}/repos/{repo.full_name}/contents/{path}?ref={ref}"
    git = f"{base}/repos/{repo.full_name}/git/blobs/{sha}"
    html = f"https://github.com/{repo.full_name}/blob/{ref}/{path}"
    return {
        "type": "file",
        "encoding": "base64" if inline else "none",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60)),
        "sha": sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
        "_links": {"self": url, "git": git, "html": html},
    }


def run(base: str, repo: RepositorySpec, view: RunView) -> dict[str, Any]:
    """A ``workflow-run``."""
    rec = view.record
    u = f"{base}/repos/{repo.full_name}/actions/runs/{rec.id}"
    actor = user(base, ACTOR, ACTOR_ID)
    minimal = minimal_repository(base, repo)
    kind = "tags" if rec.branch in repo.tags and rec.branch not in repo.branches else "heads"
    return {
        "id": rec.id,
        "name": rec.workflow.name,
        "node_id": node_id("WorkflowRun", rec.id),
        "check_suite_id": rec.id + 7,
        "check_suite_node_id": node_id("CheckSuite", rec.id + 7),
        "head_branch": rec.branch,
        "head_sha": rec.head_sha,
        "path": f"{rec.workflow.path}@refs/{kind}/{rec.branch}",
        "run_number": rec.run_number,
        "run_attempt": rec.attempt,
        "referenced_workflows": [],
        "event": rec.event,
        "display_title": rec.workflow.name,
        "status": view.status,
        "conclusion": view.conclusion,
        "workflow_id": rec.workflow.id,
        "url": u,
        "html_url": f"https://github.com/{repo.full_name}/actions/runs/{rec.id}",
        "pull_requests": [],
        "created_at": iso(rec.run_created),
        "updated_at": iso(view.updated),
        "run_started_at": iso(rec.created),  # when this attempt started
        "actor": actor,
        "triggering_actor": actor,
        "jobs_url": f"{u}/jobs",
        "logs_url": f"{u}/logs",
        "check_suite_url": f"{base}/repos/{repo.full_name}/check-suites/{rec.id + 7}",
        "artifacts_url": f"{u}/artifacts",
        "cancel_url": f"{u}/cancel",
        "rerun_url": f"{u}/rerun",
        "previous_attempt_url": f"{u}/attempts/{rec.attempt - 1}" if rec.attempt > 1 else None,
        "workflow_url": f"{base}/repos/{repo.full_name}/actions/workflows/{rec.workflow.id}",
        "head_commit": {
            "id": rec.head_sha,
            "tree_id": rec.head_sha[::-1],
            "message": "Run the ARM64 pipeline",
            "timestamp": iso(rec.run_created - 600),
            "author": {"name": ACTOR, "email": f"{ACTOR}@users.noreply.github.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": minimal,
        "head_repository": minimal,
        "head_repository_id": repo.id,
    }


STEP_OFFSET = 3600  # steps carry the runner's own UTC offset (+01:00), as GitHub's do


def _step(s: StepView) -> dict[str, Any]:
    return {
        "name": s.name,
        "status": s.status,
        "conclusion": s.conclusion,
        "number": s.number,
        "started_at": None if s.started is None else iso_offset(s.started, STEP_OFFSET),
        "completed_at": None if s.completed is None else iso_offset(s.completed, STEP_OFFSET),
    }


def step_numbers(names: list[str]) -> list[int]:
    """GitHub's step numbers: from the first post step on they skip one (hidden steps)."""
    numbers, gap = [], 0
    for i, name in enumerate(names, start=1):
        gap = 1 if gap or name.startswith(("Post ", "Complete job")) else 0
        numbers.append(i + gap)
    return numbers


def job(base: str, repo: RepositorySpec, view: JobView) -> dict[str, Any]:
    """A ``job`` with its steps, requested labels and the runner that picked it."""
    rec = view.run
    r = view.runner
    return {
        "id": view.id,
        "run_id": rec.id,
        "run_url": f"{base}/repos/{repo.full_name}/actions/runs/{rec.id}",
        "run_attempt": rec.attempt,
        "node_id": node_id("CheckRun", view.id),
        "head_sha": rec.head_sha,
        "head_branch": rec.branch,
        "workflow_name": rec.workflow.name,
        "url": f"{base}/repos/{repo.full_name}/actions/jobs/{view.id}",
        "html_url": f"https://github.com/{repo.full_name}/actions/runs/{rec.id}/job/{view.id}",
        "status": view.status,
        "conclusion": view.conclusion,
        "created_at": iso(view.created),
        "started_at": iso(view.started),
        "completed_at": None if view.completed is None else iso(view.completed),
        "name": view.spec.name,
        "steps": [
            _step(s) | {"number": n}
            for s, n in zip(view.steps, step_numbers([s.name for s in view.steps]), strict=True)
        ],
        "check_run_url": f"{base}/repos/{repo.full_name}/check-runs/{view.id}",
        "labels": list(view.spec.labels),
        "runner_id": None if r is None else r.id,
        "runner_name": None if r is None else r.name,
        "runner_group_id": None if r is None else r.group_id,
        "runner_group_name": None if r is None else r.group,
    }


def artifact(
    base: str, repo: RepositorySpec, view: ArtifactView, size: int, sha: str | None
) -> dict[str, Any]:
    """An ``artifact``."""
    u = f"{base}/repos/{repo.full_name}/actions/artifacts/{view.id}"
    rec = view.run
    body: dict[str, Any] = {
        "id": view.id,
        "node_id": node_id("Artifact", view.id),
        "name": view.spec.name,
        "size_in_bytes": size,
        "url": u,
        "archive_download_url": f"{u}/zip",
        "expired": view.expired,
        "created_at": iso(view.created),
        "updated_at": iso(view.created),
        "expires_at": iso(view.expires),
        "digest": sha,
        "workflow_run": {
            "id": rec.id,
            "repository_id": repo.id,
            "head_repository_id": repo.id,
            "head_branch": rec.branch,
            "head_sha": rec.head_sha,
        },
    }
    if not view.spec.digest:  # uploaded before upload-artifact v4: GitHub gives no digest
        del body["digest"]
    return body


def rate_limit(limit: int, used: int, reset: int, version: str) -> dict[str, Any]:
    """``GET /rate_limit`` (no top-level ``rate`` under API version 2026-03-10)."""

    def rate(lim: int, u: int) -> dict[str, int]:
        return {"limit": lim, "used": u, "remaining": lim - u, "reset": reset}

    body: dict[str, Any] = {
        "resources": {
            "core": rate(limit, used),
            "search": rate(30, 0),
            "graphql": rate(5000, 0),
            "integration_manifest": rate(5000, 0),
            "code_search": rate(10, 0),
            "actions_runner_registration": rate(10000, 0),
        }
    }
    if version != V2026:
        body["rate"] = rate(limit, used)
    return body
