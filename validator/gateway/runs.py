"""Dispatching a workflow, and the runs and jobs it makes."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validator.errors import GitHubError
from validator.evidence import Job, Run
from validator.gateway.decode import Response, int_field, job_from_json, list_field, run_from_json
from validator.gateway.messages import Wording, dispatch_refused, permission, workflow_missing
from validator.gateway.repository import Repo
from validator.gateway.transport import PER_PAGE, Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DispatchMark:
    """The runs that existed before a dispatch, so the run it creates can be told apart."""

    workflow: str
    ref: str
    seen: frozenset[int]


class RunsApi:
    """Dispatches a workflow; reads, follows and cancels its runs and their jobs."""

    def __init__(self, api: Transport, repo: Repo) -> None:
        self._api = api
        self._repo = repo
        self._etags: dict[int, tuple[str | None, dict[str, Any]]] = {}

    def mark_runs(self, workflow: str, *, ref: str) -> DispatchMark:
        """Note the existing dispatch runs of ``workflow`` on ``ref``, before dispatching."""
        return DispatchMark(
            workflow=workflow, ref=ref, seen=frozenset(self._dispatch_run_ids(workflow, ref))
        )

    def dispatch(
        self,
        workflow: str,
        *,
        ref: str,
        inputs: Mapping[str, str],
        mark: DispatchMark | None = None,
    ) -> int | None:
        """Dispatch ``workflow`` on ``ref``; the new run's id, or None if GitHub does not say.

        Asks for the run details (GitHub, 2026-02); a server that rejects that field (older
        GitHub Enterprise Server answers 400/422 naming it) is asked once more without it.
        A dispatch answered by a fault (5xx, reset, no answer) may still have started a run:
        with ``mark``, a run that appeared since is taken rather than dispatching twice.
        """
        what = f"dispatching {workflow} on {ref} in {self._repo.name}"
        url = f"{self._repo.workflow_path(workflow)}/dispatches"
        body: dict[str, Any] = {"ref": ref, "inputs": dict(inputs), "return_run_details": True}
        wording = Wording(
            not_found=workflow_missing(workflow, self._repo.name),
            not_found_is_input=True,
            forbidden=permission("dispatching a workflow", "Actions: write", self._repo.name),
            refused=lambda status, message: dispatch_refused(workflow, ref, status, message),
        )
        recover = (lambda: self._dispatched_meanwhile(mark)) if mark is not None else None
        try:
            resp = self._api.request(
                "POST", url, body=body, what=what, wording=wording, recover=recover
            )
        except GitHubError as exc:
            if exc.status not in (400, 422) or "return_run_details" not in str(exc):
                raise
            log.info("server does not know return_run_details; dispatching without it")
            del body["return_run_details"]
            resp = self._api.request(
                "POST", url, body=body, what=what, wording=wording, recover=recover
            )
        if resp.status == 204 or not resp.text.strip():
            return None
        run_id = resp.json(what).get("workflow_run_id")
        if not isinstance(run_id, int) or isinstance(run_id, bool):
            return None
        return run_id

    def _dispatched_meanwhile(self, mark: DispatchMark) -> Response | None:
        """The answer a failed dispatch would have given, if its run can be seen already."""
        found = self.find_dispatched_run(mark)
        if found is None:
            return None
        log.warning("run %d appeared although its dispatch failed: not dispatching again", found)
        return Response(status=200, headers={}, text=json.dumps({"workflow_run_id": found}))

    def find_dispatched_run(self, mark: DispatchMark) -> int | None:
        """The run a dispatch created, when the server did not return its id.

        Not "the newest run", which races with anyone else dispatching: the runs that exist
        now minus those in ``mark``. None while it has not appeared; an error if several have.
        """
        fresh = sorted(set(self._dispatch_run_ids(mark.workflow, mark.ref)) - mark.seen)
        if len(fresh) > 1:
            ids = ", ".join(str(i) for i in fresh)
            raise GitHubError(
                f"{len(fresh)} new runs of {mark.workflow} on {mark.ref} appeared after the "
                f"dispatch ({ids}): cannot tell which one is ours. Pass --run-id with the "
                "right one."
            )
        return fresh[0] if fresh else None

    def latest_completed_run(
        self, workflow: str, ref: str, *, event: str | None = "workflow_dispatch"
    ) -> int | None:
        """The id of the newest completed run of ``workflow`` on ``ref`` (of ``event``; None:
        any event), asked of GitHub with its own filters: one request."""
        what = f"listing completed runs of {workflow} on {ref}"
        params: dict[str, Any] = {"branch": _branch(ref), "status": "completed", "per_page": 1}
        if event is not None:
            params["event"] = event
        resp = self._api.request(
            "GET",
            f"{self._repo.workflow_path(workflow)}/runs",
            params=params,
            what=what,
            wording=Wording(
                not_found=workflow_missing(workflow, self._repo.name), not_found_is_input=True
            ),
        )
        runs = list_field(resp.json(what), "workflow_runs", what)
        return int_field(runs[0], "id", what) if runs else None

    def head_sha(self, ref: str) -> str:
        """The commit ``ref`` points at now (``GET .../commits/{ref}``, SHA media type): one
        request, a 40-character answer."""
        what = f"reading the head commit of {ref} in {self._repo.name}"
        resp = self._api.request(
            "GET",
            f"{self._repo.path}/commits/{urllib.parse.quote(ref, safe='')}",
            headers={"Accept": "application/vnd.github.sha"},
            what=what,
            wording=Wording(
                not_found=f"Ref {ref} was not found in {self._repo.name} (404): check --ref."
            ),
        )
        sha = resp.text.strip()
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            raise GitHubError(f"GitHub's answer while {what} is not a commit SHA.")
        return sha

    def unfinished_runs(self, workflow: str, head_sha: str, *, event: str | None) -> list[Run]:
        """Runs of ``workflow`` on commit ``head_sha`` (of ``event``) not completed yet: one
        request, GitHub filtering by ``head_sha`` (its status filter takes one value only)."""
        what = f"listing runs of {workflow} on commit {head_sha[:12]}"
        params: dict[str, Any] = {"head_sha": head_sha, "per_page": PER_PAGE}
        if event is not None:
            params["event"] = event
        resp = self._api.request(
            "GET",
            f"{self._repo.workflow_path(workflow)}/runs",
            params=params,
            what=what,
            wording=Wording(
                not_found=workflow_missing(workflow, self._repo.name), not_found_is_input=True
            ),
        )
        runs = [run_from_json(r, what) for r in list_field(resp.json(what), "workflow_runs", what)]
        return [r for r in runs if r.status != "completed"]

    def run(self, run_id: int) -> tuple[Run, bool]:
        """The run now, and whether it changed since the last call (304s cost no points)."""
        what = f"reading run {run_id} of {self._repo.name}"
        etag, previous = self._etags.get(run_id, (None, None))
        resp = self._api.request(
            "GET",
            f"{self._repo.path}/actions/runs/{run_id}",
            headers={"If-None-Match": etag} if etag and previous is not None else None,
            what=what,
            wording=Wording(
                not_found=f"Run {run_id} was not found in {self._repo.name} (404): check --run-id."
            ),
        )
        if resp.status == 304 and previous is not None:
            return run_from_json(previous, what), False
        raw = resp.json(what)
        self._etags[run_id] = (resp.headers.get("etag"), raw)
        return run_from_json(raw, what), raw != previous

    def jobs(self, run_id: int) -> tuple[Job, ...]:
        """The jobs of the run's newest attempt (``filter=latest``), with steps and runners.

        After "re-run failed jobs", the jobs that did not re-run are there with their earlier
        attempt number: they are part of the run GitHub judges, and so of ours.
        """
        return self._jobs(run_id, "latest")

    def all_jobs(self, run_id: int) -> tuple[Job, ...]:
        """Every job of every attempt of the run (``filter=all``), each with its attempt."""
        return self._jobs(run_id, "all")

    def _jobs(self, run_id: int, which: str) -> tuple[Job, ...]:
        what = f"listing jobs of run {run_id}"
        items = self._api.pages(
            f"{self._repo.path}/actions/runs/{run_id}/jobs",
            params={"filter": which},
            key="jobs",
            what=what,
            wording=Wording(not_found=f"Run {run_id} was not found in {self._repo.name} (404)."),
        )
        return tuple(job_from_json(raw, what) for raw in items)

    def attempt(self, run_id: int, number: int) -> dict[str, Any]:
        """The run as its attempt ``number`` ended (``GET .../runs/{id}/attempts/{n}``)."""
        what = f"reading attempt {number} of run {run_id}"
        resp = self._api.request(
            "GET",
            f"{self._repo.path}/actions/runs/{run_id}/attempts/{number}",
            what=what,
            wording=Wording(
                not_found=f"Attempt {number} of run {run_id} was not found in {self._repo.name}."
            ),
        )
        return resp.json(what)

    def cancel(self, run_id: int) -> bool:
        """Ask GitHub to cancel the run; False if it can no longer be cancelled (409)."""
        try:
            self._api.request(
                "POST",
                f"{self._repo.path}/actions/runs/{run_id}/cancel",
                what=f"cancelling run {run_id}",
                wording=Wording(
                    forbidden=permission("cancelling a run", "Actions: write", self._repo.name)
                ),
            )
        except GitHubError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def _dispatch_run_ids(self, workflow: str, ref: str) -> list[int]:
        what = f"listing dispatched runs of {workflow} on {ref}"
        resp = self._api.request(
            "GET",
            f"{self._repo.workflow_path(workflow)}/runs",
            params={"event": "workflow_dispatch", "branch": _branch(ref), "per_page": PER_PAGE},
            what=what,
            wording=Wording(
                not_found=workflow_missing(workflow, self._repo.name), not_found_is_input=True
            ),
        )
        return [
            int_field(r, "id", what) for r in list_field(resp.json(what), "workflow_runs", what)
        ]


def _branch(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref
