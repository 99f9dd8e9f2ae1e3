"""GitHub's JSON answers turned into evidence: pure functions, no I/O.

Any value in, evidence or our ``GitHubError`` out: a field of the wrong type is read as
missing, and only an identifier we cannot do without (an ``id``) is an error.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from validator.errors import GitHubError
from validator.evidence import (
    Artifact,
    Attempt,
    Job,
    LabelType,
    Run,
    Runner,
    RunnerGroup,
    RunnerLabel,
    RunnerLevel,
    Step,
    WorkflowInfo,
)

_HOSTED_RUNNER = re.compile(r"GitHub Actions \d+|Hosted Agent")
_WAITING = frozenset({"queued", "waiting", "requested", "pending"})


def json_object(text: str, *, status: int, what: str) -> dict[str, Any]:
    """The JSON object of an answer, or our error if the answer is anything else."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GitHubError(
            f"GitHub's answer while {what} is not a JSON object (status {status}): "
            "check --api-url points at the REST API."
        )
    return data


def error_message(text: str) -> str:
    """GitHub's ``message`` field of an error answer, or an empty string."""
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
    return ""


def list_field(body: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    """The objects of a list answer's ``key`` (``runners``, ``jobs`` ...); others are skipped."""
    items = body.get(key)
    if not isinstance(items, list):
        raise GitHubError(f"GitHub's answer while {what} has no {key!r} list.")
    return [item for item in items if isinstance(item, dict)]


def int_field(raw: Mapping[str, Any], key: str, what: str) -> int:
    """A required integer field (an id): our error if it is missing or not an integer."""
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise GitHubError(f"GitHub's answer while {what} has no valid {key!r}.")
    return value


def runner_from_json(
    raw: Mapping[str, Any], what: str, level: RunnerLevel = "repository"
) -> Runner:
    """A runner from GitHub's ``runner`` object, each label with its type."""
    labels = raw.get("labels")
    typed = tuple(
        RunnerLabel(name=str(label["name"]), type=_label_type(label.get("type")))
        for label in (labels if isinstance(labels, list) else [])
        if isinstance(label, dict) and isinstance(label.get("name"), str)
    )
    group = raw.get("runner_group_id")
    return Runner(
        id=int_field(raw, "id", what),
        name=_str(raw, "name") or "",
        os=_str(raw, "os") or "",
        status=_str(raw, "status") or "unknown",
        busy=raw.get("busy") is True,
        labels=typed,
        level=level,
        group_id=group if isinstance(group, int) and not isinstance(group, bool) else None,
        ephemeral=raw.get("ephemeral") is True,
    )


def _label_type(value: Any) -> LabelType | None:
    """A label's ``type`` as GitHub gives it; anything else is "not said", never a guess."""
    if value == "read-only":
        return "read-only"
    if value == "custom":
        return "custom"
    return None


def runner_group_from_json(raw: Mapping[str, Any], what: str) -> RunnerGroup:
    """A runner group from GitHub's ``runner-groups-org`` object (ids may come as numbers)."""
    number = raw.get("id")
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool):
        raise GitHubError(f"GitHub's answer while {what} has no valid 'id'.")
    inherited = raw.get("inherited") is True
    public_key = "inherited_allows_public_repositories" if inherited else ""
    public = raw.get(public_key) if public_key in raw else raw.get("allows_public_repositories")
    return RunnerGroup(
        id=number,
        name=_str(raw, "name") or "",
        visibility=_str(raw, "visibility") or "unknown",
        allows_public_repositories=public is True,
        inherited=inherited,
    )


def workflow_from_json(raw: Mapping[str, Any], what: str) -> WorkflowInfo:
    """A workflow from GitHub's ``workflow`` object."""
    return WorkflowInfo(
        id=int_field(raw, "id", what),
        name=_str(raw, "name") or "",
        path=_str(raw, "path") or "",
        state=_str(raw, "state") or "unknown",
        html_url=_str(raw, "html_url") or "",
    )


def run_from_json(raw: Mapping[str, Any], what: str) -> Run:
    """A run from GitHub's ``workflow-run`` object (``dispatched`` is the caller's to set).

    ``created_at`` is when the run's first attempt was created; ``run_started_at`` when the
    current attempt started. A re-run's queue time is therefore not ``run_started_at -
    created_at`` (days, for a re-run next week): it is left to the jobs of the attempt.
    """
    status = _str(raw, "status") or "unknown"
    created = _str(raw, "created_at")
    started = _str(raw, "run_started_at")
    updated = _str(raw, "updated_at")
    attempt = _int(raw, "run_attempt") or 1
    repository = raw.get("repository")
    return Run(
        id=int_field(raw, "id", what),
        attempt=attempt,
        html_url=_str(raw, "html_url") or "",
        status=status,
        conclusion=_str(raw, "conclusion"),
        event=_str(raw, "event") or "",
        head_branch=_str(raw, "head_branch"),
        head_sha=_str(raw, "head_sha"),
        created_at=created,
        run_started_at=started,
        updated_at=updated,
        dispatched=False,
        queued_seconds=(
            None if status in _WAITING or attempt > 1 else seconds_between(created, started)
        ),
        run_seconds=seconds_between(started, updated) if status == "completed" else None,
        workflow_id=_int(raw, "workflow_id"),
        workflow_path=(_str(raw, "path") or "").partition("@")[0] or None,
        repository=_str(repository, "full_name") if isinstance(repository, dict) else None,
    )


def attempt_from_json(raw: Mapping[str, Any], failed_jobs: tuple[str, ...] = ()) -> Attempt:
    """An earlier attempt from ``GET .../runs/{id}/attempts/{n}`` (a ``workflow-run``)."""
    return Attempt(
        number=_int(raw, "run_attempt") or 1,
        status=_str(raw, "status") or "unknown",
        conclusion=_str(raw, "conclusion"),
        run_started_at=_str(raw, "run_started_at"),
        updated_at=_str(raw, "updated_at"),
        html_url=_str(raw, "html_url") or "",
        failed_jobs=failed_jobs,
    )


def job_from_json(raw: Mapping[str, Any], what: str) -> Job:
    """A job from GitHub's ``job`` object, and the runner (and runner group) that took it.

    The runner's labels are unknown here: the phase looks a self-hosted runner up in the
    runner lists. A job's requested labels are never its runner's labels.
    """
    labels = _strings(raw, "labels")
    created = _str(raw, "created_at")
    started = _str(raw, "started_at")
    completed = _str(raw, "completed_at")
    steps = raw.get("steps")
    return Job(
        id=int_field(raw, "id", what),
        name=_str(raw, "name") or "",
        status=_str(raw, "status") or "unknown",
        conclusion=_str(raw, "conclusion"),
        labels=labels,
        runner_name=_str(raw, "runner_name") or None,
        runner_labels=None,
        runner_group=_str(raw, "runner_group_name") or None,
        runner_id=_int(raw, "runner_id"),
        hosted=is_hosted_runner(raw),
        created_at=created,
        started_at=started,
        completed_at=completed,
        queued_seconds=seconds_between(created, started),
        seconds=seconds_between(started, completed),
        html_url=_str(raw, "html_url") or "",
        steps=tuple(
            step_from_json(s, what)
            for s in (steps if isinstance(steps, list) else [])
            if isinstance(s, dict)
        ),
        attempt=_int(raw, "run_attempt"),
    )


def is_hosted_runner(raw: Mapping[str, Any]) -> bool:
    """Whether a job ran on a GitHub-hosted runner (never for a job that asked for self-hosted)."""
    if any(label.casefold() == "self-hosted" for label in _strings(raw, "labels")):
        return False
    name = _str(raw, "runner_name") or ""
    return (
        bool(_HOSTED_RUNNER.fullmatch(name)) or _str(raw, "runner_group_name") == "GitHub Actions"
    )


def step_from_json(raw: Mapping[str, Any], what: str) -> Step:
    """A step of a job."""
    started = _str(raw, "started_at")
    completed = _str(raw, "completed_at")
    return Step(
        number=int_field(raw, "number", what),
        name=_str(raw, "name") or "",
        status=_str(raw, "status") or "unknown",
        conclusion=_str(raw, "conclusion"),
        started_at=started,
        completed_at=completed,
        seconds=seconds_between(started, completed),
    )


def artifact_from_json(raw: Mapping[str, Any], what: str) -> Artifact:
    """An artifact from GitHub's ``artifact`` object; an expired one says since when."""
    expired = raw.get("expired") is True
    size = raw.get("size_in_bytes")
    error = None
    if expired:
        when = (_str(raw, "expires_at") or "an unknown date")[:10]
        error = f"expired on {when}: re-run the workflow or raise retention-days"
    run = raw.get("workflow_run")
    run_id = run.get("id") if isinstance(run, Mapping) else None
    return Artifact(
        id=int_field(raw, "id", what),
        name=_str(raw, "name") or "",
        size_in_bytes=size if isinstance(size, int) and not isinstance(size, bool) else 0,
        expired=expired,
        digest=_str(raw, "digest") or None,
        error=error,
        run_id=run_id if isinstance(run_id, int) and not isinstance(run_id, bool) else None,
    )


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one GitHub timestamp to another; None if either is missing or malformed."""
    a, b = _parse_time(start), _parse_time(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 3)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list) else ()


@dataclass(frozen=True, kw_only=True)
class Response:
    """One answer of the API: status, headers (lower-case names) and body text."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self, what: str) -> dict[str, Any]:
        """The body as a JSON object, or our error."""
        return json_object(self.text, status=self.status, what=what)


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the scheme, host and port of ``base`` (pagination must stay)."""
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
