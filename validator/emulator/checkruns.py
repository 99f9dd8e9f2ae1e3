"""Check runs as GitHub creates them: the request checked as GitHub checks it, then kept.

GitHub refuses (422) more than 50 annotations in one request and a summary longer than
65535 characters; the emulator does too, so a client that would be refused is refused here.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from validator.emulator.clock import iso
from validator.emulator.payloads import node_id
from validator.emulator.specs import RepositorySpec
from validator.emulator.state import ApiError

MAX_ANNOTATIONS = 50
MAX_SUMMARY = 65535
CONCLUSIONS = frozenset(
    {"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}
)
LEVELS = frozenset({"notice", "warning", "failure"})
_ANNOTATION_KEYS = ("path", "start_line", "end_line", "annotation_level", "message")


def refusal(body: Any) -> str | None:
    """Why GitHub would answer 422 to this create-check-run body, or None."""
    if not isinstance(body, dict):
        return "Invalid request: a JSON object is required."
    for key in ("name", "head_sha"):
        if not isinstance(body.get(key), str) or not body[key]:
            return f"Invalid request: {key} is missing."
    if not re.fullmatch(r"[0-9a-f]{40}", body["head_sha"]):
        return f"No commit found for SHA: {body['head_sha']}"
    if "conclusion" in body and body["conclusion"] not in CONCLUSIONS:
        return f"Invalid request: {body['conclusion']!r} is not a conclusion."
    output = body.get("output")
    if output is None:
        return None
    if not isinstance(output, dict) or not all(
        isinstance(output.get(k), str) for k in ("title", "summary")
    ):
        return "Invalid request: output needs a title and a summary."
    if len(output["summary"]) > MAX_SUMMARY:
        return f"Invalid request: output.summary is longer than {MAX_SUMMARY} characters."
    annotations = output.get("annotations", [])
    if not isinstance(annotations, list) or len(annotations) > MAX_ANNOTATIONS:
        return f"Invalid request: at most {MAX_ANNOTATIONS} annotations per request."
    for a in annotations:
        if not isinstance(a, dict) or any(k not in a for k in _ANNOTATION_KEYS):
            return f"Invalid request: an annotation needs {', '.join(_ANNOTATION_KEYS)}."
        if a["annotation_level"] not in LEVELS:
            return f"Invalid request: {a['annotation_level']!r} is not an annotation level."
    return None


class CheckRuns:
    """The check runs created so far, each the body received and its id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []

    def create(self, body: Any, *, base: str, repo: RepositorySpec, now: float) -> dict[str, Any]:
        """Keep the body (422 if GitHub would refuse it) and answer as GitHub does (201)."""
        if (problem := refusal(body)) is not None:
            raise ApiError(422, problem)
        with self._lock:
            self.received.append(body)
            number = len(self.received)
        return check_run(body, number=number, base=base, repo=repo, now=now)


def check_run(
    body: dict[str, Any], *, number: int, base: str, repo: RepositorySpec, now: float
) -> dict[str, Any]:
    """A ``check-run`` for a created one (created by a token, so no GitHub App)."""
    url = f"{base}/repos/{repo.full_name}/check-runs/{number}"
    output = body.get("output") or {}
    conclusion = body.get("conclusion")
    return {
        "id": number,
        "node_id": node_id("CheckRun", number),
        "head_sha": body["head_sha"],
        "external_id": body.get("external_id", ""),
        "url": url,
        "html_url": f"https://github.com/{repo.full_name}/runs/{number}",
        "details_url": body.get("details_url"),
        "status": "completed" if conclusion else body.get("status", "queued"),
        "conclusion": conclusion,
        "started_at": body.get("started_at", iso(now)),
        "completed_at": body.get("completed_at", iso(now)) if conclusion else None,
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(output.get("annotations", [])),
            "annotations_url": f"{url}/annotations",
        },
        "name": body["name"],
        "check_suite": {"id": 1},
        "app": None,
        "pull_requests": [],
    }
