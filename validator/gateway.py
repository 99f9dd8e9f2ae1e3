"""The one door to GitHub: PyGithub underneath, evidence out, our own errors only.

Requests go through PyGithub's ``Requester`` (auth, connection reuse, base-URL handling)
rather than its lazy objects: a lazy object fetches a missing field behind our back, which
would make retries, waiting and rate-limit accounting impossible to bound. PyGithub's own
retry and throttling are switched off; the loop in :meth:`Gateway._with_retries` is the only
one, with injected ``sleep`` and ``clock`` so waiting is bounded and testable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import random
import re
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import github
import requests

from validator import __version__
from validator.errors import AuthError, GitHubError, InputRefused, RetriesExhausted, UsageError
from validator.evidence import Artifact, Cost, Job, Run, Runner, Step, WorkflowInfo
from validator.units import duration

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PER_PAGE = 100
_MAX_PAGES = 50  # 5,000 items: far beyond any real runner, job or artifact list
_BACKOFF_CAP = 30.0
_SECONDARY_WAIT = 60.0  # GitHub's docs: without retry-after, wait at least one minute
_CHUNK = 1 << 16
_MAX_LOG_BYTES = 64 * 1024 * 1024
_MAX_ARTIFACT_BYTES = 16 * 1024**3
_HOSTED_RUNNER = re.compile(r"GitHub Actions \d+|Hosted Agent")
_TIMEOUT_SHARE = 3  # one attempt may take at most a third of the retry budget: room for retries


@dataclass(frozen=True, kw_only=True)
class DispatchMark:
    """The runs that existed before a dispatch, so the run it creates can be told apart."""

    workflow: str
    ref: str
    seen: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class _Response:
    status: int
    headers: Mapping[str, str]  # lower-case keys
    text: str


class _Transient(Exception):
    """A failure worth retrying after ``wait`` seconds (5xx, reset, timeout, rate limit)."""

    def __init__(self, problem: str, *, wait: float, status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait
        self.status = status


class _AnonymousSession(requests.Session):
    """A session that never sends credentials: blob URLs are pre-signed, a token there leaks."""

    def __init__(self) -> None:
        super().__init__()
        self.auth = _strip_authorization  # also stops requests from reading ~/.netrc

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, _response: Any) -> None:
        prepared_request.headers.pop("Authorization", None)


def _strip_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    request.headers.pop("Authorization", None)
    return request


class Gateway:
    """Everything the phases need from GitHub, as evidence dataclasses and plain values."""

    def __init__(
        self,
        *,
        repository: str,
        token: str | None,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        retry_budget: float = 120.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` measures waiting (monotonic); ``wall_clock`` is epoch seconds, to read
        GitHub's ``x-ratelimit-reset``. ``retry_budget`` bounds the time any one call may take,
        answer included: the HTTP ``timeout`` is cut to a third of it, so a server that never
        answers is given up on within the budget.
        """
        parts = (repository or "").split("/")
        if not _REPOSITORY.fullmatch(repository or "") or {".", ".."} & set(parts):
            raise UsageError(
                f"Repository {repository!r} is not in OWNER/NAME form: pass --repo OWNER/NAME "
                "or set GITHUB_REPOSITORY."
            )
        self.repository = repository
        self.api_url = _checked_api_url(api_url)
        self._token = _checked_token(token)
        self._timeout = min(timeout, max(1.0, retry_budget / _TIMEOUT_SHARE))
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._retry_budget = retry_budget
        self._repo_path = "/repos/" + "/".join(urllib.parse.quote(p) for p in repository.split("/"))
        auth = github.Auth.Token(self._token) if self._token else None
        self._github = github.Github(
            auth=auth,
            base_url=self.api_url,
            timeout=max(1, math.floor(self._timeout)),  # PyGithub insists on an int
            user_agent=f"validate-arm64/{__version__} (PyGithub)",
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )
        self._requester = self._github.requester
        self._blobs = _AnonymousSession()
        self._etags: dict[int, tuple[str | None, dict[str, Any]]] = {}
        self._default_branch: str | None = None
        self._requests = 0
        self._points = 0
        self._remaining: int | None = None
        self._bytes = 0

    # --- lifecycle and cost ----------------------------------------------------------------

    def close(self) -> None:
        """Release connections."""
        self._github.close()
        self._blobs.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def cost(self) -> Cost:
        """API requests made, rate-limit points spent (304s are free), bytes downloaded."""
        return self.cost_record()

    def cost_record(self, *, phase_seconds: Mapping[str, float] | None = None) -> Cost:
        """:attr:`cost`, with the phases' durations added."""
        return Cost(
            requests=self._requests,
            rate_limit_points=self._points,
            rate_limit_remaining=self._remaining,
            bytes_downloaded=self._bytes,
            phase_seconds=dict(phase_seconds or {}),
        )

    # --- repository, runners, workflow ------------------------------------------------------

    def default_branch(self) -> str:
        """The repository's default branch (the only one a dispatch reads triggers from)."""
        if self._default_branch is not None:
            return self._default_branch
        what = f"reading repository {self.repository}"
        try:
            resp = self._request("GET", self._repo_path, what=what, not_found=self._repo_missing())
        except GitHubError as exc:
            if exc.status == 404:  # a typo in --repo, or a token that cannot see it: exit 2
                raise AuthError(str(exc), status=404) from None
            raise
        branch = _json(resp, what).get("default_branch")
        if not isinstance(branch, str) or not branch:
            raise GitHubError(f"GitHub's answer to {what} names no default branch.")
        self._default_branch = branch
        return branch

    def runners(self) -> tuple[Runner, ...]:
        """The self-hosted runners registered on the repository."""
        what = f"listing self-hosted runners of {self.repository}"
        forbidden = (
            f"listing self-hosted runners needs a fine-grained token with 'Administration: "
            f"read' on {self.repository}, or a classic token with 'repo' scope"
        )
        items = self._pages(
            f"{self._repo_path}/actions/runners",
            key="runners",
            what=what,
            forbidden=forbidden,
            not_found=self._repo_missing(),
        )
        return tuple(runner_from_json(raw, what) for raw in items)

    def workflow(self, id_or_file: str) -> WorkflowInfo:
        """The workflow by file name (``build-push-arm64.yml``) or numeric id."""
        what = f"reading workflow {id_or_file} of {self.repository}"
        resp = self._request(
            "GET",
            self._workflow_path(id_or_file),
            what=what,
            not_found=self._workflow_missing(id_or_file),
        )
        return workflow_from_json(_json(resp, what), what)

    # --- dispatch and runs ------------------------------------------------------------------

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
        what = f"dispatching {workflow} on {ref} in {self.repository}"
        url = f"{self._workflow_path(workflow)}/dispatches"
        body: dict[str, Any] = {"ref": ref, "inputs": dict(inputs), "return_run_details": True}
        options: dict[str, Any] = {
            "what": what,
            "not_found": self._workflow_missing(workflow),
            "forbidden": (
                f"dispatching a workflow needs a fine-grained token with 'Actions: write' on "
                f"{self.repository}, or a classic token with 'repo' scope"
            ),
            "refused": lambda status, message: _dispatch_refused(workflow, ref, status, message),
        }
        if mark is not None:
            options["recover"] = lambda: self._dispatched_meanwhile(mark)
        try:
            resp = self._request("POST", url, body=body, **options)
        except GitHubError as exc:
            if exc.status not in (400, 422) or "return_run_details" not in str(exc):
                raise
            log.info("server does not know return_run_details; dispatching without it")
            del body["return_run_details"]
            resp = self._request("POST", url, body=body, **options)
        if resp.status == 204 or not resp.text.strip():
            return None
        run_id = _json(resp, what).get("workflow_run_id")
        if not isinstance(run_id, int) or isinstance(run_id, bool):
            return None
        return run_id

    def _dispatched_meanwhile(self, mark: DispatchMark) -> _Response | None:
        """The answer a failed dispatch would have given, if its run can be seen already."""
        found = self.find_dispatched_run(mark)
        if found is None:
            return None
        log.warning("run %d appeared although its dispatch failed: not dispatching again", found)
        return _Response(status=200, headers={}, text=json.dumps({"workflow_run_id": found}))

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

    def latest_completed_run(self, workflow: str, ref: str) -> int | None:
        """The id of the newest completed run of ``workflow`` on ``ref``, if any."""
        what = f"listing completed runs of {workflow} on {ref}"
        resp = self._request(
            "GET",
            f"{self._workflow_path(workflow)}/runs",
            params={"branch": _branch(ref), "status": "completed", "per_page": 1},
            what=what,
            not_found=self._workflow_missing(workflow),
        )
        runs = _items(_json(resp, what), "workflow_runs", what)
        return _int(runs[0], "id", what) if runs else None

    def run(self, run_id: int) -> tuple[Run, bool]:
        """The run now, and whether it changed since the last call (304s cost no points)."""
        what = f"reading run {run_id} of {self.repository}"
        etag, previous = self._etags.get(run_id, (None, None))
        headers = {"If-None-Match": etag} if etag and previous is not None else None
        resp = self._request(
            "GET",
            f"{self._repo_path}/actions/runs/{run_id}",
            headers=headers,
            what=what,
            not_found=f"Run {run_id} was not found in {self.repository} (404): check --run-id.",
        )
        if resp.status == 304 and previous is not None:
            return run_from_json(previous, what), False
        raw = _json(resp, what)
        self._etags[run_id] = (resp.headers.get("etag"), raw)
        return run_from_json(raw, what), raw != previous

    def jobs(self, run_id: int, attempt: int | None = None) -> tuple[Job, ...]:
        """The jobs of the run's ``attempt`` (default: the latest), with steps and runners."""
        what = f"listing jobs of run {run_id}"
        items = self._pages(
            f"{self._repo_path}/actions/runs/{run_id}/jobs",
            params={"filter": "latest" if attempt is None else "all"},
            key="jobs",
            what=what,
            not_found=f"Run {run_id} was not found in {self.repository} (404).",
        )
        jobs = []
        for raw in items:
            if attempt is not None and raw.get("run_attempt", attempt) != attempt:
                continue
            jobs.append(job_from_json(raw, what))
        return tuple(jobs)

    def cancel(self, run_id: int) -> bool:
        """Ask GitHub to cancel the run; False if it can no longer be cancelled (409)."""
        what = f"cancelling run {run_id}"
        try:
            self._request(
                "POST",
                f"{self._repo_path}/actions/runs/{run_id}/cancel",
                what=what,
                forbidden=(
                    f"cancelling a run needs a fine-grained token with 'Actions: write' on "
                    f"{self.repository}, or a classic token with 'repo' scope"
                ),
            )
        except GitHubError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    # --- logs and artifacts -----------------------------------------------------------------

    def job_log(self, job_id: int, *, max_bytes: int = _MAX_LOG_BYTES) -> str:
        """The plain-text log of a job (fetched from its signed URL without credentials)."""
        what = f"fetching the log of job {job_id}"
        url = f"{self._repo_path}/actions/jobs/{job_id}/logs"
        gone = (
            f"The log of job {job_id} is not available: GitHub keeps logs for a limited time, "
            "and only once the job has finished."
        )
        chunks: list[bytes] = []

        def sink(chunk: bytes) -> None:
            chunks.append(chunk)

        def reset() -> None:
            chunks.clear()

        self._fetch_blob(
            url, what=what, gone=gone, sink=sink, reset=reset, max_bytes=max_bytes, inline_ok=True
        )
        return b"".join(chunks).decode("utf-8", errors="replace")

    def artifacts(self, run_id: int) -> tuple[Artifact, ...]:
        """The artifacts of the run; expired ones carry an error saying when they expired."""
        what = f"listing artifacts of run {run_id}"
        items = self._pages(
            f"{self._repo_path}/actions/runs/{run_id}/artifacts",
            key="artifacts",
            what=what,
            not_found=f"Run {run_id} was not found in {self.repository} (404).",
        )
        return tuple(artifact_from_json(raw, what) for raw in items)

    def download_artifact(
        self, artifact: Artifact, dest: Path, *, max_bytes: int = _MAX_ARTIFACT_BYTES
    ) -> tuple[int, str]:
        """Stream the artifact's zip to ``dest``: (bytes written, sha256 hex).

        Written to a temporary file beside ``dest`` and renamed, so ``dest`` is whole or absent.
        """
        what = f"downloading artifact {artifact.name!r} ({artifact.id})"
        url = f"{self._repo_path}/actions/artifacts/{artifact.id}/zip"
        gone = (
            f"Artifact {artifact.name!r} ({artifact.id}) has expired or was deleted (410): "
            "re-run the workflow or raise retention-days."
        )
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:

                def sink(chunk: bytes) -> None:
                    nonlocal written
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)

                def reset() -> None:
                    nonlocal digest, written
                    out.seek(0)
                    out.truncate()
                    digest = hashlib.sha256()
                    written = 0

                self._fetch_blob(
                    url, what=what, gone=gone, sink=sink, reset=reset, max_bytes=max_bytes
                )
            tmp.replace(dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return written, digest.hexdigest()

    # --- plumbing ---------------------------------------------------------------------------

    def _repo_missing(self) -> str:
        return (
            f"Repository {self.repository} was not found (404): check --repo, and that the "
            "token can read it (private repositories answer 404 to tokens without access)."
        )

    def _workflow_missing(self, workflow: str) -> str:
        return (
            f"Workflow {workflow} was not found in {self.repository} (404): check --workflow "
            f"(a file name such as build-push-arm64.yml, or an id). A dispatch only works for "
            "a workflow file that exists on the default branch."
        )

    def _workflow_path(self, workflow: str) -> str:
        return f"{self._repo_path}/actions/workflows/{urllib.parse.quote(str(workflow), safe='')}"

    def _dispatch_run_ids(self, workflow: str, ref: str) -> list[int]:
        what = f"listing dispatched runs of {workflow} on {ref}"
        resp = self._request(
            "GET",
            f"{self._workflow_path(workflow)}/runs",
            params={"event": "workflow_dispatch", "branch": _branch(ref), "per_page": _PER_PAGE},
            what=what,
            not_found=self._workflow_missing(workflow),
        )
        return [_int(r, "id", what) for r in _items(_json(resp, what), "workflow_runs", what)]

    def _pages(
        self,
        url: str,
        *,
        key: str,
        what: str,
        params: Mapping[str, Any] | None = None,
        forbidden: str | None = None,
        not_found: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following GitHub's ``Link: rel="next"``."""
        query: dict[str, Any] | None = {**(params or {}), "per_page": _PER_PAGE}
        next_url: str | None = url
        for _ in range(_MAX_PAGES):
            assert next_url is not None
            resp = self._request(
                "GET", next_url, params=query, what=what, forbidden=forbidden, not_found=not_found
            )
            yield from _items(_json(resp, what), key, what)
            next_url = _next_link(resp.headers.get("link", ""))
            if next_url is None:
                return
            self._check_same_origin(next_url, what)
            query = None  # the next link carries its own query
        raise GitHubError(f"GitHub returned more than {_MAX_PAGES} pages while {what}; stopped.")

    def _check_same_origin(self, url: str, what: str) -> None:
        base = urllib.parse.urlsplit(self.api_url)
        other = urllib.parse.urlsplit(url)
        if (other.scheme, other.hostname, other.port) != (base.scheme, base.hostname, base.port):
            raise GitHubError(
                f"GitHub's pagination link while {what} leaves {self.api_url}; refusing to "
                "follow it (check --api-url)."
            )

    def _request(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        forbidden: str | None = None,
        not_found: str | None = None,
        gone: str | None = None,
        refused: Callable[[int, str], GitHubError] | None = None,
        recover: Callable[[], _Response | None] | None = None,
    ) -> _Response:
        """One API call with retries; any status below 400 is returned (2xx, 302, 304).

        ``recover``, before each retry, may find that the failed attempt took effect anyway
        and give the answer to use instead of sending the request again.
        """

        def attempt(number: int) -> _Response:
            if number > 1 and recover is not None and (answer := recover()) is not None:
                return answer
            resp = self._send(verb, url, params=params, headers=headers, body=body, what=what)
            if resp.status < 400:
                return resp
            transient = self._transient(resp, number)
            if transient is not None:
                raise transient
            raise self._error_for(
                resp,
                what=what,
                forbidden=forbidden,
                not_found=not_found,
                gone=gone,
                refused=refused,
            )

        return self._with_retries(what, attempt)

    def _send(
        self,
        verb: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        body: Any,
        what: str,
    ) -> _Response:
        """One HTTP request through PyGithub's requester, counted; no answer → _Transient."""
        try:
            status, raw_headers, text = self._requester.requestJson(
                verb,
                url,
                parameters=dict(params) if params else None,
                headers=dict(headers) if headers else None,
                input=body,
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            self._requests += 1
            raise _Transient(
                _transport_problem(exc, self.api_url, self._timeout), wait=0.0
            ) from None
        except requests.RequestException as exc:
            raise GitHubError(
                f"Could not send the request to GitHub at {self.api_url} while {what} "
                f"({type(exc).__name__}): check --api-url."
            ) from None
        self._requests += 1
        resp_headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        if status != 304:
            self._points += 1
        remaining = resp_headers.get("x-ratelimit-remaining", "")
        with contextlib.suppress(ValueError):
            self._remaining = int(float(remaining))
        log.debug("%s %s -> %s", verb, url, status)
        return _Response(status=status, headers=resp_headers, text=text or "")

    def _transient(self, resp: _Response, number: int) -> _Transient | None:
        """A retry decision for an error answer, or None if it is final."""
        message = _message(resp)
        wait = rate_limit_wait(resp.status, resp.headers, message, now=self._wall_clock())
        if wait is not None:
            primary = resp.headers.get("x-ratelimit-remaining", "").strip() == "0"
            if not primary and not resp.headers.get("retry-after"):
                wait = _SECONDARY_WAIT * 2 ** (number - 1)  # docs: back off exponentially
            return _Transient(
                f"GitHub's {'primary' if primary else 'secondary'} rate limit was hit "
                f"({resp.status}: {self._clean(message) or 'no message'})",
                wait=wait,
                status=resp.status,
            )
        if resp.status >= 500:
            return _Transient(f"GitHub answered {resp.status}", wait=0.0, status=resp.status)
        return None

    def _with_retries(self, what: str, attempt: Callable[[int], T]) -> T:
        """Run ``attempt`` until it succeeds, retrying _Transient failures within the budget."""
        started = self._clock()
        waited = 0.0
        number = 0
        while True:
            number += 1
            try:
                return attempt(number)
            except _Transient as exc:
                failure = exc
            wait = failure.wait if failure.wait > 0 else _backoff(number)
            spent = max(waited, self._clock() - started)
            # The next attempt may itself take up to the timeout: give up unless it fits too.
            if spent + wait + self._timeout > self._retry_budget:
                raise RetriesExhausted(
                    f"{failure.problem} while {what}; gave up after {number} attempt"
                    f"{'s' if number > 1 else ''}: waiting {duration(wait)} more would exceed "
                    f"the retry budget of {duration(self._retry_budget)}. Try again later.",
                    status=failure.status,
                ) from None
            log.warning("%s while %s; retrying in %s", failure.problem, what, duration(wait))
            self._sleep(wait)
            waited += wait

    def _error_for(
        self,
        resp: _Response,
        *,
        what: str,
        forbidden: str | None,
        not_found: str | None,
        gone: str | None,
        refused: Callable[[int, str], GitHubError] | None,
    ) -> GitHubError:
        """Our error for a final error answer, built from status and message only."""
        status = resp.status
        message = self._clean(_message(resp))
        if status == 401:
            reason = message or "Bad credentials"
            if self._token is None:
                return AuthError(
                    f"GitHub requires a token for {what} (401 {reason}). Set GITHUB_TOKEN "
                    "(or GH_TOKEN) to a token that can read the repository.",
                    status=401,
                )
            return AuthError(
                f"GitHub rejected the token (401 {reason}). Set GITHUB_TOKEN to a valid token "
                "(or GH_TOKEN); check that it has not expired.",
                status=401,
            )
        if status == 403 and forbidden is not None:
            return AuthError(f"GitHub refused {what} (403: {message}): {forbidden}.", status=403)
        specific = {404: not_found, 410: gone}.get(status)
        if specific is not None:
            return GitHubError(specific, status=status)
        if status in (400, 422) and refused is not None:
            return refused(status, message)
        return GitHubError(
            f"GitHub answered {status} while {what}: {message or 'no message'}.", status=status
        )

    def _fetch_blob(
        self,
        url: str,
        *,
        what: str,
        gone: str,
        sink: Callable[[bytes], None],
        reset: Callable[[], None],
        max_bytes: int,
        inline_ok: bool = False,
    ) -> None:
        """Ask the API for a signed URL (302, not followed) and stream it without credentials.

        A signed URL lives about a minute: if the blob store refuses it, ask once more.
        """
        refreshed = False

        def attempt(number: int) -> None:
            nonlocal refreshed
            resp = self._send("GET", url, params=None, headers=None, body=None, what=what)
            if resp.status >= 400:
                transient = self._transient(resp, number)
                if transient is not None:
                    raise transient
                raise self._error_for(
                    resp, what=what, forbidden=None, not_found=gone, gone=gone, refused=None
                )
            if resp.status == 200 and inline_ok:  # some servers answer a log with its text
                data = resp.text.encode("utf-8")
                if len(data) > max_bytes:
                    raise GitHubError(f"Stopped {what}: more than {max_bytes:,} bytes.")
                reset()
                self._bytes += len(data)
                sink(data)
                return
            location = resp.headers.get("location")
            if resp.status not in (301, 302, 303, 307, 308) or not location:
                raise GitHubError(
                    f"GitHub answered {resp.status} without a download location while {what}."
                )
            reset()
            blob_status = self._stream(location, what=what, sink=sink, max_bytes=max_bytes)
            if blob_status in (401, 403):
                if refreshed:
                    raise RetriesExhausted(
                        f"The download host refused the signed link ({blob_status}) while {what}, "
                        "also a fresh one. Try again later.",
                        status=blob_status,
                    )
                refreshed = True
                raise _Transient("the signed download link was refused (expired?)", wait=0.001)
            if blob_status >= 500:
                raise _Transient(f"the download host answered {blob_status}", wait=0.0)
            if blob_status >= 400:
                raise GitHubError(
                    f"The download host answered {blob_status} while {what}: the file is gone. "
                    "Re-run the workflow.",
                    status=blob_status,
                )

        self._with_retries(what, attempt)

    def _stream(
        self, location: str, *, what: str, sink: Callable[[bytes], None], max_bytes: int
    ) -> int:
        """GET a signed URL (no Authorization) into ``sink``; the HTTP status."""
        if urllib.parse.urlsplit(location).scheme not in ("http", "https"):
            raise GitHubError(f"GitHub gave a download location that is not HTTP while {what}.")
        received = 0
        try:
            with self._blobs.get(location, stream=True, timeout=self._timeout) as resp:
                if resp.status_code != 200:
                    return resp.status_code
                for chunk in resp.iter_content(chunk_size=_CHUNK):
                    received += len(chunk)
                    self._bytes += len(chunk)
                    if received > max_bytes:
                        raise GitHubError(
                            f"Stopped {what}: more than {max_bytes:,} bytes. The file is larger "
                            "than this tool accepts."
                        )
                    sink(chunk)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            raise _Transient(
                _transport_problem(exc, "the download host", self._timeout), wait=0.0
            ) from None
        except requests.RequestException as exc:
            raise GitHubError(f"Could not download while {what} ({type(exc).__name__}).") from None
        return 200

    def _clean(self, text: str) -> str:
        """One line, bounded, and never the token, whatever the server echoed back."""
        line = " ".join(text.split())
        if self._token:
            line = line.replace(self._token, "***")
        return line[:300]


# --- pure helpers: decisions and JSON → evidence -------------------------------------------


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, *, now: float
) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None if it is not one.

    Primary limit: 403/429 with ``x-ratelimit-remaining: 0``, wait until ``x-ratelimit-reset``.
    Secondary: ``retry-after`` when given, else at least a minute (GitHub's docs).
    """
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        with contextlib.suppress(ValueError):
            return max(0.0, float(retry_after))
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return _SECONDARY_WAIT
        return max(1.0, reset - now + 1.0)
    lowered = message.lower()
    secondary = (
        "secondary rate limit" in lowered
        or lowered.startswith("api rate limit exceeded")
        or lowered.endswith(
            ("please retry your request again later.", "wait a few minutes before you try again.")
        )
    )
    if secondary or status == 429:
        return _SECONDARY_WAIT
    return None


def runner_from_json(raw: Mapping[str, Any], what: str) -> Runner:
    """A runner from GitHub's ``runner`` object."""
    labels = raw.get("labels")
    names = tuple(
        str(label["name"])
        for label in (labels if isinstance(labels, list) else [])
        if isinstance(label, dict) and isinstance(label.get("name"), str)
    )
    return Runner(
        id=_int(raw, "id", what),
        name=_str(raw, "name") or "",
        os=_str(raw, "os") or "",
        status=_str(raw, "status") or "unknown",
        busy=raw.get("busy") is True,
        labels=names,
    )


def workflow_from_json(raw: Mapping[str, Any], what: str) -> WorkflowInfo:
    """A workflow from GitHub's ``workflow`` object."""
    return WorkflowInfo(
        id=_int(raw, "id", what),
        name=_str(raw, "name") or "",
        path=_str(raw, "path") or "",
        state=_str(raw, "state") or "unknown",
        html_url=_str(raw, "html_url") or "",
    )


def run_from_json(raw: Mapping[str, Any], what: str) -> Run:
    """A run from GitHub's ``workflow-run`` object (``dispatched`` is the caller's to set)."""
    status = _str(raw, "status") or "unknown"
    created = _str(raw, "created_at")
    started = _str(raw, "run_started_at")
    updated = _str(raw, "updated_at")
    attempt = raw.get("run_attempt")
    return Run(
        id=_int(raw, "id", what),
        attempt=attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 1,
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
        queued_seconds=None if status in _WAITING else seconds_between(created, started),
        run_seconds=seconds_between(started, updated) if status == "completed" else None,
    )


_WAITING = frozenset({"queued", "waiting", "requested", "pending"})


def job_from_json(raw: Mapping[str, Any], what: str) -> Job:
    """A job from GitHub's ``job`` object; ``runner_labels`` only for GitHub-hosted runners.

    A GitHub-hosted runner carries the labels the job asked for (``ubuntu-latest``). For a
    self-hosted runner they are unknown here: the phase looks them up in the runner list.
    """
    labels = _strings(raw, "labels")
    runner = _str(raw, "runner_name") or None
    created = _str(raw, "created_at")
    started = _str(raw, "started_at")
    completed = _str(raw, "completed_at")
    steps = raw.get("steps")
    return Job(
        id=_int(raw, "id", what),
        name=_str(raw, "name") or "",
        status=_str(raw, "status") or "unknown",
        conclusion=_str(raw, "conclusion"),
        labels=labels,
        runner_name=runner,
        runner_labels=labels if is_hosted_runner(raw) else None,
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
        number=_int(raw, "number", what),
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
    return Artifact(
        id=_int(raw, "id", what),
        name=_str(raw, "name") or "",
        size_in_bytes=size if isinstance(size, int) and not isinstance(size, bool) else 0,
        expired=expired,
        digest=_str(raw, "digest") or None,
        error=error,
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


def _dispatch_refused(workflow: str, ref: str, status: int, message: str) -> GitHubError:
    """GitHub's own words on a refused dispatch, and the likely fix.

    A refused --ref or --input is the user's to fix (exit 2); a workflow that cannot be
    dispatched is evidence about the workflow.
    """
    lowered = message.lower()
    said = f'GitHub refused to dispatch {workflow} on {ref} ({status}): "{message}".'
    if "disabled" in lowered:
        hint = " Enable the workflow (Actions → the workflow → Enable workflow)."
    elif "workflow_dispatch" in lowered:
        hint = (
            " GitHub reads triggers from the workflow file on the default branch: add "
            "`on: workflow_dispatch` there (merge the workflow into the default branch)."
        )
    elif "no ref found" in lowered or "ref" in lowered.split():
        return InputRefused(
            f"{said} Check --ref {ref}: it must be an existing branch or tag.", status=status
        )
    elif "input" in lowered:
        return InputRefused(
            f"{said} Check the --input KEY=VALUE pairs against the workflow's "
            "workflow_dispatch inputs.",
            status=status,
        )
    else:
        hint = ""
    return GitHubError(said + hint, status=status)


def _message(resp: _Response) -> str:
    """GitHub's ``message`` field of an error answer, or an empty string."""
    with contextlib.suppress(ValueError):
        data = json.loads(resp.text)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
    return ""


def _json(resp: _Response, what: str) -> dict[str, Any]:
    try:
        data = json.loads(resp.text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GitHubError(
            f"GitHub's answer while {what} is not a JSON object (status {resp.status}): "
            "check --api-url points at the REST API."
        )
    return data


def _items(body: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        raise GitHubError(f"GitHub's answer while {what} has no {key!r} list.")
    return [item for item in items if isinstance(item, dict)]


def _int(raw: Mapping[str, Any], key: str, what: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise GitHubError(f"GitHub's answer while {what} has no valid {key!r}.")
    return value


def _str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list) else ()


def _next_link(header: str) -> str | None:
    for link in requests.utils.parse_header_links(header) if header else ():
        if link.get("rel") == "next" and link.get("url"):
            return link["url"]
    return None


def _branch(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _backoff(number: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4 ... s, capped; never zero."""
    ceiling = min(_BACKOFF_CAP, 2.0 ** (number - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)


def _transport_problem(exc: Exception, where: str, timeout: float) -> str:
    if isinstance(exc, requests.Timeout):
        return f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the connection to {where} broke mid-answer"
    return f"could not connect to {where} (connection refused or reset)"


def _checked_api_url(api_url: str) -> str:
    parts = urllib.parse.urlsplit(api_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"API URL {api_url!r} is not an http(s) URL: pass --api-url such as "
            "https://api.github.com or https://HOST/api/v3 (GitHub Enterprise Server)."
        )
    return api_url.rstrip("/")


def _checked_token(token: str | None) -> str | None:
    if token is None:
        return None
    token = token.strip()
    if not token:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise UsageError(
            "The GitHub token contains spaces or control characters: set GITHUB_TOKEN to the "
            "token alone."
        )
    return token
