"""The Gateway: one object with every GitHub call the phases make."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from validator.config import DEFAULT_API_URL
from validator.evidence import (
    Artifact,
    Attempt,
    Cost,
    Job,
    Run,
    Runner,
    RunnerGroup,
    WorkflowInfo,
)
from validator.gateway.artifacts import MAX_ARTIFACT_BYTES, MAX_LOG_BYTES, ArtifactsApi
from validator.gateway.checkruns import CheckRunsApi
from validator.gateway.decode import attempt_from_json
from validator.gateway.estate import EstateApi
from validator.gateway.repository import Owner, Repo, RepositoryApi
from validator.gateway.runs import DispatchMark, RunsApi
from validator.gateway.transport import API_VERSION, Transport

_FAILED = frozenset({"failure", "timed_out", "cancelled", "startup_failure", "action_required"})


class Gateway:
    """Everything the phases need from GitHub, as evidence dataclasses and plain values.

    Raises only our errors (:mod:`validator.errors`), each naming what failed and what to do.
    """

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
        min_download_rate: float = 0.0,
        api_version: str = API_VERSION,
    ) -> None:
        """``repository``, ``token`` and ``api_url`` as :class:`~validator.config.Config`
        validated them. A download slower than ``min_download_rate`` bytes/s is stopped.
        ``clock`` measures waiting (monotonic); ``wall_clock`` is epoch seconds, to read
        GitHub's ``x-ratelimit-reset``.
        ``retry_budget`` bounds the time any one call may take, answer included.
        """
        repo = Repo(repository)
        self._api = Transport(
            api_url=api_url,
            token=token,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            retry_budget=retry_budget,
            min_download_rate=min_download_rate,
            api_version=api_version,
        )
        self.repository = repository
        self.api_url = self._api.api_url
        self._repository = RepositoryApi(self._api, repo)
        self._runs = RunsApi(self._api, repo)
        self._artifacts = ArtifactsApi(self._api, repo)
        self._estate = EstateApi(self._api)
        self._check_runs = CheckRunsApi(self._api, repo)

    def close(self) -> None:
        """Release connections."""
        self._api.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def cost(self) -> Cost:
        """API requests made, rate-limit points spent (304s are free), bytes downloaded."""
        return self._api.cost()

    @property
    def emulator(self) -> str | None:
        """The scenario's name when the API answered as the built-in emulator, else None."""
        return self._api.emulator

    def cost_record(self, *, phase_seconds: Mapping[str, float] | None = None) -> Cost:
        """:attr:`cost`, with the phases' durations added."""
        return self._api.cost(phase_seconds=phase_seconds)

    # --- repository, runners, workflow ------------------------------------------------------

    def default_branch(self) -> str:
        """The repository's default branch (the only one a dispatch reads triggers from)."""
        return self._repository.default_branch()

    def runners(self) -> tuple[Runner, ...]:
        """The self-hosted runners registered on the repository."""
        return self._repository.runners()

    def workflow(self, id_or_file: str) -> WorkflowInfo:
        """The workflow by file name (``build-push-arm64.yml``) or numeric id."""
        return self._repository.workflow(id_or_file)

    def owner(self) -> Owner:
        """The repository's owner (an organisation or a user) and whether it is private."""
        return self._repository.owner()

    def organization_runners(self, org: str) -> tuple[Runner, ...]:
        """The self-hosted runners registered on organisation ``org``."""
        return self._estate.organization_runners(org)

    def organization_runner_groups(self, org: str) -> tuple[RunnerGroup, ...]:
        """The organisation's runner groups (with those inherited from its enterprise)."""
        return self._estate.organization_runner_groups(org)

    def group_repositories(self, org: str, group_id: int) -> frozenset[str]:
        """Lower-case full names of the repositories a ``selected`` runner group admits."""
        return self._estate.group_repositories(org, group_id)

    def enterprise_runners(self, enterprise: str) -> tuple[Runner, ...]:
        """The self-hosted runners registered on enterprise ``enterprise``."""
        return self._estate.enterprise_runners(enterprise)

    def workflow_text(self, path: str, ref: str) -> str:
        """The text of the workflow file ``path`` (``.github/workflows/NAME.yml``) at ``ref``."""
        return self._repository.workflow_text(path, ref)

    # --- dispatch and runs ------------------------------------------------------------------

    def mark_runs(self, workflow: str, *, ref: str) -> DispatchMark:
        """Note the existing dispatch runs of ``workflow`` on ``ref``, before dispatching."""
        return self._runs.mark_runs(workflow, ref=ref)

    def dispatch(
        self,
        workflow: str,
        *,
        ref: str,
        inputs: Mapping[str, str],
        mark: DispatchMark | None = None,
    ) -> int | None:
        """Dispatch ``workflow`` on ``ref``; the new run's id, or None if GitHub does not say.

        With ``mark``, a dispatch answered by a fault does not dispatch twice
        (see :meth:`RunsApi.dispatch <validator.gateway.runs.RunsApi.dispatch>`).
        """
        return self._runs.dispatch(workflow, ref=ref, inputs=inputs, mark=mark)

    def find_dispatched_run(self, mark: DispatchMark) -> int | None:
        """The run a dispatch created, when the server did not return its id."""
        return self._runs.find_dispatched_run(mark)

    def latest_completed_run(
        self, workflow: str, ref: str, *, event: str | None = "workflow_dispatch"
    ) -> int | None:
        """The id of the newest completed run of ``workflow`` on ``ref`` triggered by ``event``
        (None: any event), if any."""
        return self._runs.latest_completed_run(workflow, ref, event=event)

    def head_sha(self, ref: str) -> str:
        """The commit a branch or tag points at now."""
        return self._runs.head_sha(ref)

    def unfinished_runs(self, workflow: str, head_sha: str, *, event: str | None) -> list[Run]:
        """Runs of ``workflow`` on commit ``head_sha`` that are queued or in progress."""
        return self._runs.unfinished_runs(workflow, head_sha, event=event)

    def run(self, run_id: int) -> tuple[Run, bool]:
        """The run now, and whether it changed since the last call (304s cost no points)."""
        return self._runs.run(run_id)

    def jobs(self, run_id: int) -> tuple[Job, ...]:
        """The jobs of the run's newest attempt, jobs not re-run included, with steps and
        runners."""
        return self._runs.jobs(run_id)

    def previous_attempts(self, run_id: int, attempt: int) -> tuple[Attempt, ...]:
        """The attempts before ``attempt``, oldest first, each with the jobs that failed in it.

        Costs nothing for a first attempt; otherwise one request per earlier attempt and one
        listing of every job (``filter=all``).
        """
        if attempt <= 1:
            return ()
        failed: dict[int, list[str]] = {}
        for job in self._runs.all_jobs(run_id):
            if job.attempt is not None and job.attempt < attempt and job.conclusion in _FAILED:
                failed.setdefault(job.attempt, []).append(job.name)
        return tuple(
            attempt_from_json(self._runs.attempt(run_id, n), tuple(failed.get(n, ())))
            for n in range(1, attempt)
        )

    def cancel(self, run_id: int) -> bool:
        """Ask GitHub to cancel the run; False if it can no longer be cancelled (409)."""
        return self._runs.cancel(run_id)

    # --- logs and artifacts -----------------------------------------------------------------

    def job_log(self, job_id: int, *, max_bytes: int = MAX_LOG_BYTES) -> str:
        """The plain-text log of a job (fetched from its signed URL without credentials)."""
        return self._artifacts.job_log(job_id, max_bytes=max_bytes)

    def artifacts(self, run_id: int) -> tuple[Artifact, ...]:
        """The artifacts of the run; expired ones carry an error saying when they expired."""
        return self._artifacts.artifacts(run_id)

    def download_artifact(
        self,
        artifact: Artifact,
        dest: Path,
        *,
        max_bytes: int = MAX_ARTIFACT_BYTES,
        on_bytes: Callable[[int], None] | None = None,
    ) -> tuple[int, str]:
        """Stream the artifact's zip to ``dest``: (bytes written, sha256 hex); ``dest`` is
        whole or absent; ``on_bytes`` is told the bytes received so far."""
        return self._artifacts.download_artifact(
            artifact, dest, max_bytes=max_bytes, on_bytes=on_bytes
        )

    # --- publishing ---------------------------------------------------------------------------

    def create_check_run(self, body: Mapping[str, Any]) -> str:
        """Create a completed check run (GitHub's fields in ``body``); its web address.

        A token without ``checks: write`` is refused with an :class:`~validator.errors.AuthError`
        that names the permission.
        """
        return self._check_runs.create(body)
