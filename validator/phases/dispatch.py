"""The dispatch phase: start the workflow (or attach to a run), wait for it, record who ran what."""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from validator.arm64 import context_from_log, job_ran_on_arm64
from validator.errors import GitHubError, InputRefused, StillRunning, UsageError, WaitTimeout
from validator.evidence import Job, Run, Runner, WorkflowInfo
from validator.gateway import seconds_between
from validator.labels import has_labels
from validator.phases.context import NotRun
from validator.phases.health import listed_runners, recordable, runner_matches
from validator.phases.preflight import held_by_preflight
from validator.redact import redact
from validator.units import duration

if TYPE_CHECKING:
    from validator.gateway import Gateway
    from validator.phases.context import Context, Gathered

log = logging.getLogger(__name__)

WAITING = frozenset({"queued", "waiting", "requested", "pending"})
DISPATCH_EVENT = "workflow_dispatch"
FAILED = frozenset({"failure", "timed_out", "startup_failure"})
HEARTBEAT_SECONDS = 60.0
BACKOFF = 1.5  # each unchanged poll waits this much longer, up to MAX_POLL_FACTOR x
MAX_POLL_FACTOR = 6.0
MIN_SLEEP = 0.1  # never a tight loop, whatever the poll interval
NOT_VISIBLE_GRACE = 60.0  # a just-dispatched run may answer 404 for a moment
EXCERPT_LINES = 40
EXCERPT_CHARS = 4000
_TEST_STEP = re.compile(r"\btests?\b|\bcargo\s+(?:nextest|test)\b|\bpytest\b|\bctest\b", re.I)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Waiting:
    """What waiting needs besides the gateway."""

    workflow: str
    labels: Sequence[str]
    runners: Sequence[Runner] | None
    queue_timeout: float
    run_timeout: float
    poll_interval: float
    progress: Callable[[str], None]
    clock: Callable[[], float]
    sleep: Callable[[float], None]


def gather(context: Context, seen: Gathered) -> Gathered | NotRun:
    """The registered phase: the run dispatched (or attached to, or the latest), waited for."""
    gw, config, hooks = context.github, context.config, context.hooks
    if (held := held_by_preflight(seen, config)) is not None:
        return NotRun(reason=held)
    ref = seen.ref or gw.default_branch()
    # Without --allow-other-run only a manual run is judged: GitHub is asked for exactly that.
    event = None if config.allow_other_run else DISPATCH_EVENT
    run_id = config.run_id
    if config.use_latest_run:
        run_id = gw.latest_completed_run(config.workflow, ref, event=event)
        if run_id is None:
            kind = "" if event is None else "manual (workflow_dispatch) "
            raise GitHubError(
                f"No completed {kind}run of {config.workflow} on {ref}: dispatch one (drop "
                "--use-latest-run) or run the workflow once by hand.",
                status=404,
            )
    if config.run_id is not None:
        try:
            first, _changed = gw.run(config.run_id)
        except GitHubError as exc:
            if exc.status != 404:
                raise
            raise InputRefused(str(exc), status=404) from None  # a typo: exit 2, no report
        refuse_foreign_run(
            first,
            asked_workflow=config.workflow,
            workflow=seen.health.workflow if seen.health else None,
            repository=config.repository or gw.repository,
            ref=ref,
            allow_other=config.allow_other_run,
        )
    run = dispatch_and_wait(
        gw,
        workflow=config.workflow,
        ref=ref,
        inputs=dict(config.inputs),
        run_id=run_id,
        labels=config.labels,
        runners=seen.health.runners if seen.health and seen.health.complete else None,
        known=(*seen.health.runners, *seen.health.excluded)
        if seen.health and seen.health.runners is not None
        else None,
        refresh=lambda: listed_runners(gw, seen.health),
        arm64_jobs=config.arm64_jobs,
        queue_timeout=config.queue_timeout,
        run_timeout=config.run_timeout,
        poll_interval=config.poll_interval,
        progress=hooks.progress,
        clock=hooks.clock,
        sleep=hooks.sleep,
        logs_dir=config.work_dir / "logs",
        cancel_on_abort=config.cancel_on_abort,
    )
    if config.use_latest_run:
        run = with_freshness(gw, run, workflow=config.workflow, ref=ref, event=event)
    return dataclasses.replace(seen, run=run, ref=ref)  # the ref used: RUN004 compares with it


def refuse_foreign_run(
    run: Run,
    *,
    asked_workflow: str,
    workflow: WorkflowInfo | None,
    repository: str,
    ref: str,
    allow_other: bool,
) -> None:
    """A --run-id must be a run of the validated workflow in the validated repository, and of
    the asked branch and a manual dispatch unless --allow-other-run: otherwise a usage error
    naming both (exit 2)."""
    asked = f"{asked_workflow} in {repository}"
    own = f"{run.workflow_path or f'workflow id {run.workflow_id}'} in {run.repository or '?'}"
    if not same_workflow(run, asked_workflow, workflow) or (
        run.repository is not None and run.repository.casefold() != repository.casefold()
    ):
        raise UsageError(
            f"--run-id {run.id} is a run of {own}, not of {asked}: pass the id of a run of "
            f"{asked_workflow} (or --workflow / --repo naming the run's own)."
        )
    mismatch = other_branch_or_event(run, ref)
    if mismatch and not allow_other:
        raise UsageError(
            f"--run-id {run.id} is {mismatch}: pass a manual run of {ref}, --ref "
            f"{run.head_branch or ref}, or --allow-other-run to judge it anyway."
        )


def same_workflow(run: Run, asked: str, workflow: WorkflowInfo | None) -> bool:
    """Pure: whether ``run`` is a run of the workflow asked for (by id, path or file name)."""
    if workflow is not None and run.workflow_id is not None:
        return run.workflow_id == workflow.id
    if asked.isdigit() and run.workflow_id is not None:
        return str(run.workflow_id) == asked
    if run.workflow_path:
        return run.workflow_path.rsplit("/", 1)[-1] == asked.rsplit("/", 1)[-1]
    return False  # unknown is never yes


def other_branch_or_event(run: Run, ref: str) -> str | None:
    """Pure: how ``run`` differs from a manual run on ``ref`` (None: it does not)."""
    branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    problems = []
    if run.head_branch != branch:
        problems.append(f"on branch {run.head_branch or 'unknown'}, not {branch}")
    if run.event != DISPATCH_EVENT:
        problems.append(f"triggered by {run.event or 'an unknown event'}, not {DISPATCH_EVENT}")
    return " and ".join(problems) or None


def with_freshness(gw: Gateway, run: Run, *, workflow: str, ref: str, event: str | None) -> Run:
    """A latest run with the ref's head commit and the runs on it still unfinished: a run
    that is not of the head, or that a newer one will replace, is not the evidence to judge.

    Two requests: the head commit, and the runs on it (GitHub filtering by ``head_sha``).
    """
    head = gw.head_sha(ref)
    newer = [r.id for r in gw.unfinished_runs(workflow, head, event=event) if r.id != run.id]
    return dataclasses.replace(run, ref_head_sha=head, newer_runs=tuple(sorted(newer)))


def dispatch_and_wait(
    gw: Gateway,
    *,
    workflow: str,
    ref: str,
    inputs: Mapping[str, str],
    run_id: int | None,
    labels: Sequence[str],
    runners: Sequence[Runner] | None,
    queue_timeout: float,
    run_timeout: float,
    poll_interval: float,
    progress: Callable[[str], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    logs_dir: Path,
    cancel_on_abort: bool = False,
    known: Sequence[Runner] | None = None,
    refresh: Callable[[], Sequence[Runner]] | None = None,
    arm64_jobs: Sequence[str] = (),
) -> Run:
    """Dispatch ``workflow`` on ``ref`` (or attach to ``run_id``), wait, and record the run.

    A deadline does not raise: the run comes back with ``wait_error`` saying what was
    waited for and what to do. Ctrl-C cancels the run first when ``cancel_on_abort``.
    ``known`` are the runners whose labels tell who ran a job (default: ``runners``);
    ``refresh`` lists them again for a runner that registered later (default: the
    repository's). The log of a job meant for ARM64 (asking for ``labels`` or named by
    ``arm64_jobs``) is read when its runner's labels do not prove its architecture.
    """
    w = _Waiting(
        workflow=workflow,
        labels=labels,
        runners=runners,
        queue_timeout=queue_timeout,
        run_timeout=run_timeout,
        poll_interval=poll_interval,
        progress=progress,
        clock=clock,
        sleep=sleep,
    )
    dispatched = run_id is None
    if run_id is None:
        run_id = _dispatch(gw, w, ref=ref, inputs=inputs)
    else:
        progress(f"attaching to run {run_id} of {workflow}")
    try:
        run, stop = _wait(gw, w, run_id, just_dispatched=dispatched)
    except KeyboardInterrupt as stop:
        if cancel_on_abort:
            _cancel(gw, run_id, progress)
            raise
        raise StillRunning(run_id) from stop
    jobs = gw.jobs(run.id)
    jobs = _with_runner_labels(gw, jobs, runners if known is None else known, refresh or gw.runners)
    if run.status == "completed":
        proof = {j.id for j in jobs if _needs_proof(j, labels, arm64_jobs)}  # by id: names repeat
        jobs = _with_logs(gw, jobs, logs_dir, progress, proof=proof)
    wait_error = None if stop is None else _wait_error(w, run, stop, jobs)
    earlier = gw.previous_attempts(run.id, run.attempt)
    for attempt in earlier:
        failed = f" ({', '.join(attempt.failed_jobs)} failed)" if attempt.failed_jobs else ""
        progress(f"run {run.id} attempt {attempt.number} concluded {attempt.conclusion}{failed}")
    run = dataclasses.replace(
        run, dispatched=dispatched, jobs=jobs, wait_error=wait_error, previous_attempts=earlier
    )
    return with_job_timings(run)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Stop:
    """Why waiting stopped before the run completed."""

    deadline: str  # "queue" or "run"
    spent: float


def _dispatch(gw: Gateway, w: _Waiting, *, ref: str, inputs: Mapping[str, str]) -> int:
    """Dispatch and return the new run's id, finding it by elimination if GitHub did not say."""
    mark = gw.mark_runs(w.workflow, ref=ref)
    run_id = gw.dispatch(w.workflow, ref=ref, inputs=inputs, mark=mark)
    if run_id is not None:
        w.progress(f"dispatched {w.workflow} on {ref}: run {run_id}")
        return run_id
    w.progress(f"dispatched {w.workflow} on {ref}; looking for the run it created")
    started = w.clock()
    interval = w.poll_interval
    while True:
        found = gw.find_dispatched_run(mark)
        if found is not None:
            w.progress(f"found run {found} created by the dispatch")
            return found
        waited = w.clock() - started
        if waited >= w.queue_timeout:
            raise WaitTimeout(
                f"Dispatched {w.workflow} on {ref}, but no new run appeared within "
                f"{duration(waited)}. Look at the repository's Actions tab and pass "
                "--run-id N to attach to the run."
            )
        w.sleep(max(MIN_SLEEP, min(interval, w.queue_timeout - waited)))
        interval = min(interval * BACKOFF, w.poll_interval * MAX_POLL_FACTOR)


def _wait(
    gw: Gateway, w: _Waiting, run_id: int, *, just_dispatched: bool
) -> tuple[Run, _Stop | None]:
    """Poll the run until it completes or a deadline passes."""
    started = w.clock()
    running_since: float | None = None
    last_status: str | None = None
    last_beat = started
    while True:
        try:
            run, _changed = gw.run(run_id)
        except GitHubError as exc:
            if not (just_dispatched and exc.status == 404):
                raise
            hidden = w.clock() - started
            if hidden > min(NOT_VISIBLE_GRACE, w.queue_timeout):
                raise WaitTimeout(
                    f"GitHub gave run {run_id} of {w.workflow} for the dispatch but answered "
                    f"404 for it during {duration(hidden)}: it may have been deleted. Look at "
                    "the repository's Actions tab, and pass --run-id N to attach to a run."
                ) from None
            w.sleep(max(MIN_SLEEP, w.poll_interval))
            continue
        now = w.clock()
        if run.status != last_status:
            w.progress(f"run {run.id} of {w.workflow}: {_words(run.status)} {run.html_url}")
            last_status, last_beat = run.status, now
        if run.status == "completed":
            w.progress(f"run {run.id} completed: {run.conclusion}")
            return run, None
        if run.status in WAITING:
            deadline, spent, limit = "queue", now - started, w.queue_timeout
        else:
            running_since = now if running_since is None else running_since
            deadline, spent, limit = "run", now - running_since, w.run_timeout
        if spent >= limit:
            return run, _Stop(deadline=deadline, spent=spent)
        if now - last_beat >= HEARTBEAT_SECONDS:
            w.progress(_heartbeat(w, run, spent))
            last_beat = now
        # An unchanged poll is a conditional request answered 304, which costs no rate-limit
        # point: polling at the same pace keeps completion noticed within one interval.
        w.sleep(max(MIN_SLEEP, min(w.poll_interval, limit - spent)))


def _words(status: str) -> str:
    return status.replace("_", " ")


def _heartbeat(w: _Waiting, run: Run, spent: float) -> str:
    if run.status in WAITING:
        return (
            f"run {run.id} queued for {duration(spent)}, waiting for a runner with labels "
            f"{', '.join(w.labels)}"
        )
    return f"run {run.id} {_words(run.status)} for {duration(spent)}"


def _wait_error(w: _Waiting, run: Run, stop: _Stop, jobs: Sequence[Job]) -> str:
    """What was waited for, why it did not happen (as far as seen), and what to do."""
    # GitHub-hosted jobs (ubuntu-latest) wait for GitHub, not for a runner of ours.
    waiting = [j for j in jobs if j.status in WAITING and _self_hosted(j.labels)]
    reasons = [why_queued(j.labels, w.runners, job=j.name) for j in waiting[:3]]
    if stop.deadline == "queue":
        why = "; ".join(reasons) or why_queued(w.labels, w.runners)
        return (
            f"Run {run.id} of {w.workflow} stayed queued for {duration(stop.spent)}: {why}. "
            "Register or start a runner with those labels (Settings → Actions → Runners), or "
            f"raise --queue-timeout (now {duration(w.queue_timeout)}). The run is still "
            f"queued: {run.html_url}"
        )
    stuck = f" Still waiting: {'; '.join(reasons)}." if reasons else ""
    return (
        f"Run {run.id} of {w.workflow} was still {_words(run.status)} after running for "
        f"{duration(stop.spent)} (--run-timeout {duration(w.run_timeout)}).{stuck} Raise "
        f"--run-timeout if the workflow needs longer, or look at where it is stuck: {run.html_url}"
    )


def why_queued(labels: Sequence[str], runners: Sequence[Runner] | None, *, job: str = "") -> str:
    """Pure: why no runner took a job asking for ``labels``, as far as the runner list tells."""
    subject = (
        f"job {job!r} asks for {', '.join(labels)}"
        if job
        else (f"it needs a runner with labels {', '.join(labels)}")
    )
    if runners is None:
        return f"{subject}, and no runner took it (the runner list could not be read)"
    if not runners:
        return f"{subject}: no self-hosted runner is registered on the repository"
    matching = [r for r in runners if runner_matches(r, labels)]
    if not matching:
        lacking = [f"{r.name} lacks {', '.join(_missing(r, labels))}" for r in runners[:3]]
        detail = f" ({'; '.join(lacking)})" if lacking else ""
        return f"{subject}: no registered runner has them all{detail}"
    online = [r.name for r in matching if r.status == "online"]
    if not online:
        return (
            f"{subject}: the runners with them are offline ({', '.join(r.name for r in matching)})"
        )
    return f"{subject}: runners with them are online ({', '.join(online)}) but none took it"


def _cancel(gw: Gateway, run_id: int, progress: Callable[[str], None]) -> None:
    try:
        cancelled = gw.cancel(run_id)
    except GitHubError as exc:
        progress(f"could not cancel run {run_id}: {exc}")
        return
    progress(f"cancelled run {run_id}" if cancelled else f"run {run_id} had already finished")


def _with_runner_labels(
    gw: Gateway,  # noqa: ARG001 - kept for callers; the refresh knows where to look
    jobs: tuple[Job, ...],
    runners: Sequence[Runner] | None,
    refresh: Callable[[], Sequence[Runner]],
) -> tuple[Job, ...]:
    """Jobs with the labels of the self-hosted runner that ran them, where known.

    A runner missing from the list may have registered after the health phase (autoscaled
    fleets), so the list is read once more in that case.
    """
    if runners is None:
        return jobs
    known = {r.id: r for r in runners}
    if any(
        j.runner_id is not None and not j.hosted and j.runner_labels is None
        and j.runner_id not in known
        for j in jobs
    ):  # fmt: skip
        try:
            known |= {r.id: r for r in refresh()}
        except GitHubError as exc:
            log.warning("runner list not refreshed: %s", exc)
    return attach_runner_labels(jobs, tuple(known.values()))


def attach_runner_labels(jobs: Sequence[Job], runners: Sequence[Runner]) -> tuple[Job, ...]:
    """Pure: each job's ``runner_labels`` from the runner with the job's ``runner_id``.

    Only the id identifies a runner: a runner of the same name may sit at another level (the
    repository's and an organisation's), or a machine re-registered under an old name. A job
    without a runner id keeps unknown labels; its own log can still prove where it ran.
    """
    by_id = {r.id: r for r in runners}

    def labelled(job: Job) -> Job:
        runner = by_id.get(job.runner_id) if job.runner_id is not None else None
        if job.runner_labels is None and runner is not None and runner.name == job.runner_name:
            return dataclasses.replace(job, runner_labels=runner.labels)
        return job

    return tuple(labelled(job) for job in jobs)


def wants_log(job: Job) -> bool:
    """Whether a job's log is evidence: it failed, or one of its steps runs tests."""
    if job.status != "completed" or not job.runner_name:
        return False
    if job.conclusion in FAILED:
        return True
    return bool(_TEST_STEP.search(job.name)) or any(_TEST_STEP.search(s.name) for s in job.steps)


def _needs_proof(job: Job, labels: Sequence[str], arm64_jobs: Sequence[str]) -> bool:
    """Whether a job is meant for ARM64 and only its log can prove where it ran."""
    meant = has_labels(job.labels, labels) or any(
        fnmatch.fnmatchcase(job.name, p) for p in arm64_jobs
    )
    return meant and job.status == "completed" and not job_ran_on_arm64(job).proven


def _with_logs(
    gw: Gateway,
    jobs: tuple[Job, ...],
    logs_dir: Path,
    progress: Callable[[str], None],
    *,
    proof: Collection[int] = (),
) -> tuple[Job, ...]:
    return tuple(
        fetch_log(gw, job, logs_dir, progress)
        if wants_log(job) or (job.id in proof and job.runner_name)
        else job
        for job in jobs
    )


def fetch_log(gw: Gateway, job: Job, logs_dir: Path, progress: Callable[[str], None]) -> Job:
    """The job with its log saved (redacted) under ``logs_dir``, or as it was if unavailable."""
    try:
        text = gw.job_log(job.id)
    except GitHubError as exc:
        if not recordable(exc):
            raise
        progress(f"could not fetch the log of job {job.name!r}: {exc}")
        return job
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / f"{job.id}-{_slug(job.name)}.log"
    text = redact(text)  # a job may print a token: none reaches a file, a report or evidence
    path.write_text(text, encoding="utf-8")
    progress(f"saved the log of job {job.name!r} ({len(text):,} characters) to {path}")
    excerpt = log_tail(text) if job.conclusion in FAILED else None
    return dataclasses.replace(
        job, log_path=str(path), log_excerpt=excerpt, runner_context=context_from_log(text)
    )


def log_tail(text: str, *, lines: int = EXCERPT_LINES, chars: int = EXCERPT_CHARS) -> str:
    """The last ``lines`` lines of a log, at most ``chars`` characters."""
    tail = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return tail[-chars:]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "job"


def with_job_timings(run: Run) -> Run:
    """Pure: queue and run time of the run's attempt, measured to the first job a runner
    started in it.

    GitHub sets ``run_started_at`` when an attempt is created, so ``run_started_at -
    created_at`` is 0 for a first attempt; the first job's ``started_at`` is when a runner
    actually took the run. A re-run is measured from its own start, not from the first
    attempt's creation, and only on its own jobs (those not re-run ran days before).
    Without started jobs, the run's own timestamps are kept.
    """
    since = run.run_started_at if run.attempt > 1 else run.created_at
    waits = [
        (wait, job.started_at)
        for job in run.jobs
        if job.runner_name
        and job.attempt in (None, run.attempt)
        and (wait := seconds_between(since, job.started_at)) is not None
        and wait >= 0
    ]
    if not waits:
        return run
    queued, first_start = min(waits)
    ran = seconds_between(first_start, run.updated_at) if run.status == "completed" else None
    return dataclasses.replace(run, queued_seconds=queued, run_seconds=ran)


def _self_hosted(labels: Sequence[str]) -> bool:
    return any(label.casefold() == "self-hosted" for label in labels)


def _missing(runner: Runner, labels: Sequence[str]) -> list[str]:
    have = {label.casefold() for label in runner.label_names}
    return [label for label in labels if label.casefold() not in have]
