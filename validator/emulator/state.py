"""The repository's state over time: runs, their jobs, steps and artifacts, on the clock.

A run is stored once (when it was created, its plan, whether it was cancelled); what it looks
like at any instant is computed by pure functions of that record and the time, so a run moves
queued -> in_progress -> completed only as the clock moves.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from validator.emulator.blobs import artifact_zip
from validator.emulator.clock import VirtualClock
from validator.emulator.specs import (
    ArtifactSpec,
    AttemptSpec,
    InputSpec,
    JobSpec,
    PlanSpec,
    RunnerRef,
    Scenario,
    WorkflowSpec,
)

DAY = 86400.0
MAX_INPUTS = 25
_JOB_BASE = 1000  # job and artifact ids are run_id * 1000 + n, so a lookup needs no index
_ARTIFACT_OFFSET = 501
PER_ATTEMPT = 50  # ids per attempt: jobs at 1 + 50 (a - 1) + i, artifacts at 501 + 50 (a - 1) + i
MAX_ATTEMPTS = 9
_FIRST_RUN_ID = 21_000_000_000


class ApiError(Exception):
    """An error response GitHub would give: HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """A run as stored: what does not change with time, plus a cancellation if any."""

    id: int
    workflow: WorkflowSpec
    run_number: int
    event: str
    branch: str
    head_sha: str
    created: float
    plan: PlanSpec
    inputs: Mapping[str, str] = field(default_factory=dict)
    cancelled_at: float | None = None
    attempt: int = 1  # which attempt this record is; ``created`` and ``plan`` are its own
    attempts: tuple[AttemptSpec, ...] = ()  # the re-runs (attempts 2, 3 ...) of the run
    first_created: float | None = None  # when attempt 1 was created (None: this is attempt 1)

    @property
    def run_created(self) -> float:
        """When the run (its first attempt) was created: GitHub's ``created_at``."""
        return self.created if self.first_created is None else self.first_created

    @property
    def queue_end(self) -> float:
        if self.plan.queue_seconds is None:
            return math.inf
        return self.created + self.plan.queue_seconds

    @property
    def run_end(self) -> float:
        return self.queue_end + self.plan.run_seconds


@dataclass(frozen=True, kw_only=True)
class RunView:
    """A run at one instant."""

    record: RunRecord
    status: str
    conclusion: str | None
    updated: float


@dataclass(frozen=True, kw_only=True)
class StepView:
    """A step at one instant."""

    number: int
    name: str
    status: str
    conclusion: str | None
    started: float | None
    completed: float | None


@dataclass(frozen=True, kw_only=True)
class JobView:
    """A job at one instant."""

    id: int
    run: RunRecord
    spec: JobSpec
    status: str
    conclusion: str | None
    created: float
    started: float
    completed: float | None
    runner: RunnerRef | None
    steps: tuple[StepView, ...]


@dataclass(frozen=True, kw_only=True)
class ArtifactView:
    """An artifact at one instant (it exists only once its job has uploaded it)."""

    id: int
    run: RunRecord
    spec: ArtifactSpec
    created: float
    expires: float
    expired: bool


def attempt_of(rec: RunRecord, number: int) -> RunRecord:
    """Attempt ``number`` of the run ``rec`` (the stored record: attempt 1 and its re-runs)."""
    if number == 1:
        # As an attempt, not as the stored run (which shows its newest attempt).
        return rec if not rec.attempts else replace(rec, attempts=(), cancelled_at=None)
    spec = rec.attempts[number - 2]
    last = number == len(rec.attempts) + 1
    return replace(
        rec,
        attempt=number,
        created=spec.created,
        plan=spec.plan,
        first_created=rec.created,
        cancelled_at=rec.cancelled_at if last else None,
    )


def attempt_count(rec: RunRecord, t: float) -> int:
    """How many attempts of the stored run ``rec`` exist at time ``t`` (at least 1)."""
    return 1 + sum(1 for a in rec.attempts if a.created <= t)


def current(rec: RunRecord, t: float) -> RunRecord:
    """The stored run's newest attempt at time ``t``."""
    return attempt_of(rec, attempt_count(rec, t))


def run_at(rec: RunRecord, t: float) -> RunView:
    """What ``rec`` looks like at time ``t`` (a stored run: as its newest attempt)."""
    if rec.attempt == 1 and rec.attempts:
        rec = current(rec, t)
    c = rec.cancelled_at
    if c is not None and c <= t:
        return RunView(record=rec, status="completed", conclusion="cancelled", updated=c)
    if t < rec.queue_end:
        return RunView(record=rec, status="queued", conclusion=None, updated=rec.created)
    if t < rec.run_end:
        return RunView(record=rec, status="in_progress", conclusion=None, updated=rec.queue_end)
    return RunView(
        record=rec, status="completed", conclusion=rec.plan.conclusion, updated=rec.run_end
    )


def _steps_at(spec: JobSpec, start: float, x: float, cancelled: bool) -> tuple[StepView, ...]:
    views: list[StepView] = []
    at = start
    for number, step in enumerate(spec.steps, start=1):
        end = at + step.seconds
        state: tuple[str, str | None, float | None, float | None]
        if end <= x:
            state = ("completed", step.conclusion, at, end)
        elif at <= x:
            state = (
                ("completed", "cancelled", at, x) if cancelled else ("in_progress", None, at, None)
            )
        elif cancelled:
            state = ("completed", "skipped", None, None)
        else:
            state = ("queued", None, None, None)
        status, conclusion, started, completed = state
        views.append(
            StepView(
                number=number,
                name=step.name,
                status=status,
                conclusion=conclusion,
                started=started,
                completed=completed,
            )
        )
        at = end
    return tuple(views)


def job_at(rec: RunRecord, index: int, t: float) -> JobView:
    """Job number ``index`` (0-based) of ``rec`` at time ``t``."""
    spec = rec.plan.jobs[index]
    job_id = rec.id * _JOB_BASE + (rec.attempt - 1) * PER_ATTEMPT + index + 1
    c = rec.cancelled_at if rec.cancelled_at is not None and rec.cancelled_at <= t else None
    cut = t if c is None else c
    begin = rec.queue_end + spec.start
    end = begin + spec.seconds

    def view(
        status: str,
        conclusion: str | None,
        *,
        started: float,
        completed: float | None = None,
        steps: tuple[StepView, ...] = (),
    ) -> JobView:
        return JobView(
            id=job_id,
            run=rec,
            spec=spec,
            status=status,
            conclusion=conclusion,
            created=rec.created,
            started=started,
            completed=completed,
            runner=spec.runner if steps else None,
            steps=steps,
        )

    if cut < begin:
        if c is not None:
            return view("completed", "cancelled", started=c, completed=c)
        return view("queued", None, started=rec.created)
    if spec.conclusion == "skipped":
        return view("completed", "skipped", started=begin, completed=begin)
    if cut < end:
        steps = _steps_at(spec, begin, cut, cancelled=c is not None)
        if c is not None:
            return view("completed", "cancelled", started=begin, completed=c, steps=steps)
        return view("in_progress", None, started=begin, steps=steps)
    steps = _steps_at(spec, begin, end, cancelled=False)
    return view("completed", spec.conclusion, started=begin, completed=end, steps=steps)


def artifacts_at(rec: RunRecord, t: float) -> list[ArtifactView]:
    """The artifacts ``rec`` has uploaded by time ``t``."""
    out: list[ArtifactView] = []
    ends = {j.name: rec.queue_end + j.end for j in rec.plan.jobs}
    for i, spec in enumerate(rec.plan.artifacts):
        ready = ends[spec.job] if spec.job is not None else rec.run_end
        if t < ready or (rec.cancelled_at is not None and rec.cancelled_at < ready):
            continue
        expires = ready + spec.retention_days * DAY
        out.append(
            ArtifactView(
                id=rec.id * _JOB_BASE + _ARTIFACT_OFFSET + (rec.attempt - 1) * PER_ATTEMPT + i,
                run=rec,
                spec=spec,
                created=ready,
                expires=expires,
                expired=spec.expired or t >= expires,
            )
        )
    return out


def latest_jobs(rec: RunRecord, number: int, t: float) -> list[JobView]:
    """The jobs of attempt ``number`` as GitHub's ``filter=latest`` gives them: its own, and
    after "re-run failed jobs" those of earlier attempts that did not run again."""
    att = attempt_of(rec, number)
    own = [job_at(att, i, t) for i in range(len(att.plan.jobs))]
    if number == 1 or rec.attempts[number - 2].rerun == "all":
        return own
    names = {j.spec.name for j in own}
    kept = [j for j in latest_jobs(rec, number - 1, t) if j.spec.name not in names]
    return kept + own


def all_jobs(rec: RunRecord, t: float) -> list[JobView]:
    """Every job of every attempt of the stored run so far (``filter=all``)."""
    return [
        job_at(attempt_of(rec, n), i, t)
        for n in range(1, attempt_count(rec, t) + 1)
        for i in range(len(attempt_of(rec, n).plan.jobs))
    ]


def all_artifacts(rec: RunRecord, t: float) -> list[ArtifactView]:
    """The artifacts every attempt of the stored run has uploaded by time ``t``."""
    return [
        view
        for n in range(1, attempt_count(rec, t) + 1)
        for view in artifacts_at(attempt_of(rec, n), t)
    ]


def _input_value(spec: InputSpec, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = json.dumps(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ApiError(422, f"Provided value for input '{spec.name}' must be a string")
    if spec.type == "boolean" and text not in ("true", "false"):
        raise ApiError(
            422, f"Provided value '{text}' for input '{spec.name}' is not a valid boolean"
        )
    if spec.type == "choice" and text not in spec.options:
        raise ApiError(
            422,
            f"Provided value '{text}' for input '{spec.name}' not in the list of allowed values",
        )
    if spec.type == "number":
        try:
            float(text)
        except ValueError:
            raise ApiError(
                422, f"Provided value '{text}' for input '{spec.name}' is not a valid number"
            ) from None
    return text


def resolve_inputs(workflow: WorkflowSpec, given: Any) -> dict[str, str]:
    """The inputs a dispatch runs with, checked as GitHub checks them (422 on a problem)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ApiError(422, "Invalid request.\n\nFor 'properties/inputs', it is not an object.")
    if len(given) > MAX_INPUTS:
        raise ApiError(
            422,
            f"Invalid request.\n\nFor 'properties/inputs', {len(given)} properties were given; "
            f"the maximum is {MAX_INPUTS}.",
        )
    declared = {i.name: i for i in workflow.inputs}
    unexpected = sorted(k for k in given if k not in declared)
    if unexpected:
        raise ApiError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
    resolved: dict[str, str] = {}
    for name, spec in declared.items():
        if name in given:
            resolved[name] = _input_value(spec, given[name])
        elif spec.default is not None:
            resolved[name] = spec.default
        elif spec.required:
            raise ApiError(422, f"Required input '{name}' not provided")
    return resolved


class World:
    """Everything the emulator knows, guarded by one lock; time comes from the clock."""

    def __init__(self, scenario: Scenario, clock: VirtualClock) -> None:
        self.scenario = scenario
        self.clock = clock
        self._lock = threading.Lock()
        self._zips: dict[ArtifactSpec, bytes] = {}
        workflows = {w.id: w for w in scenario.workflows}
        self._runs: dict[int, RunRecord] = {
            r.id: RunRecord(
                id=r.id,
                workflow=workflows[r.workflow_id],
                run_number=r.run_number,
                event=r.event,
                branch=r.branch,
                head_sha=r.head_sha,
                created=r.created,
                plan=r.plan,
                attempts=r.attempts,
            )
            for r in scenario.runs
        }
        self._next_id = max([_FIRST_RUN_ID, *self._runs]) + 1

    # --- lookups ------------------------------------------------------------------------

    def workflow(self, key: str) -> WorkflowSpec:
        """A workflow by id or by file name (``build-push-arm64.yml``); 404 if unknown."""
        for w in self.scenario.workflows:
            if key in (str(w.id), w.file_name):
                return w
        raise ApiError(404, "Not Found")

    def runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        with self._lock:
            records = list(self._runs.values())
        return sorted(records, key=lambda r: (r.created, r.id), reverse=True)

    def run(self, run_id: int) -> RunRecord:
        with self._lock:
            rec = self._runs.get(run_id)
        if rec is None:
            raise ApiError(404, "Not Found")
        return rec

    def jobs(
        self, run_id: int, t: float, *, which: str = "latest", attempt: int | None = None
    ) -> list[JobView]:
        """A run's jobs: of its newest attempt (or ``attempt``), or of every attempt."""
        rec = self.run(run_id)
        count = attempt_count(rec, t)
        if attempt is not None and not 1 <= attempt <= count:
            raise ApiError(404, "Not Found")
        if which == "all" and attempt is None:
            return all_jobs(rec, t)
        return latest_jobs(rec, count if attempt is None else attempt, t)

    def job(self, job_id: int, t: float) -> JobView:
        run_id, n = divmod(job_id, _JOB_BASE)
        with self._lock:
            rec = self._runs.get(run_id)
        number, index = divmod(n - 1, PER_ATTEMPT)
        if rec is None or n < 1 or number + 1 > attempt_count(rec, t):
            raise ApiError(404, "Not Found")
        att = attempt_of(rec, number + 1)
        if index >= len(att.plan.jobs):
            raise ApiError(404, "Not Found")
        return job_at(att, index, t)

    def artifact(self, artifact_id: int, t: float) -> ArtifactView:
        run_id = artifact_id // _JOB_BASE
        with self._lock:
            rec = self._runs.get(run_id)
        for view in all_artifacts(rec, t) if rec is not None else []:
            if view.id == artifact_id:
                return view
        raise ApiError(404, "Not Found")

    def zip_bytes(self, spec: ArtifactSpec) -> bytes:
        """The artifact's zip, built once from the fixture files."""
        with self._lock:
            cached = self._zips.get(spec)
        if cached is None:
            cached = artifact_zip(spec.files, self.scenario.fixtures_dir)
            with self._lock:
                self._zips[spec] = cached
        return cached

    def runner_busy(self, runner_id: int, t: float) -> bool:
        """Whether some job is running on this runner at time ``t``."""
        for rec in self.runs():
            for job in all_jobs(rec, t):
                mine = job.spec.runner is not None and job.spec.runner.id == runner_id
                if mine and job.status == "in_progress":
                    return True
        return False

    # --- changes ------------------------------------------------------------------------

    def dispatch(self, key: str, body: Any, *, strict_keys: bool) -> RunRecord:
        """Create a run as ``POST .../dispatches`` does, or raise the error GitHub gives."""
        workflow = self.workflow(key)
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON")
        if strict_keys:
            for k in body:
                if k not in ("ref", "inputs"):
                    raise ApiError(400, f'Invalid request.\n\n"{k}" is not a permitted key.')
        ref = body.get("ref")
        if ref is None:
            raise ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
        if not isinstance(ref, str):
            raise ApiError(422, "Invalid request.\n\nFor 'properties/ref', it is not a string.")
        repo = self.scenario.repository
        name = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if name in repo.branches:
            branch, sha = name, repo.branches[name]
        elif name in repo.tags:
            branch, sha = name, repo.tags[name]
        else:
            raise ApiError(422, f"No ref found for: {ref}")
        if workflow.state != "active":
            raise ApiError(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
        # GitHub only dispatches a workflow whose file is on the default branch, and only
        # at a ref whose copy of the file has the trigger.
        on_default = repo.default_branch in workflow.branches
        at_ref = branch in workflow.branches or name in repo.tags
        if not (workflow.dispatch and on_default and at_ref):
            raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
        inputs = resolve_inputs(workflow, body.get("inputs"))
        plan = workflow.on_dispatch
        if plan is None:
            plan = PlanSpec(queue_seconds=None, run_seconds=0, conclusion="success", jobs=())
        with self._lock:
            run_id = self._next_id
            self._next_id += 1
            number = 1 + max(
                (r.run_number for r in self._runs.values() if r.workflow.id == workflow.id),
                default=0,
            )
            rec = RunRecord(
                id=run_id,
                workflow=workflow,
                run_number=number,
                event="workflow_dispatch",
                branch=branch,
                head_sha=sha,
                created=self.clock.now(),
                plan=plan,
                inputs=inputs,
            )
            self._runs[run_id] = rec
        return rec

    def cancel(self, run_id: int) -> None:
        """Cancel a run now (409 if it already completed)."""
        with self._lock:
            rec = self._runs.get(run_id)
            if rec is None:
                raise ApiError(404, "Not Found")
            t = self.clock.now()
            if run_at(rec, t).status == "completed":
                raise ApiError(409, "Cannot cancel a workflow run that is completed.")
            # A cancel applies to the newest attempt: a later re-run is out of the scenario.
            self._runs[run_id] = replace(rec, cancelled_at=t)
