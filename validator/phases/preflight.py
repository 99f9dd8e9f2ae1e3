"""The preflight phase: read the workflow file at the ref and analyse it before dispatching.

What the analysis finds decides whether runner time is spent: a dispatch GitHub would refuse
(an undeclared input, a value outside its options) stops with a usage error, and a file that
makes GO impossible (a job meant for ARM64 moved off its labels by an input) stops before the
dispatch with NO-GO. With ``--run-id`` or ``--use-latest-run`` nothing is dispatched, so the
analysis only tells RUN003 which jobs are meant for ARM64. A file that cannot be read (403,
404) is "not checked": the dispatch goes on, and the report says so.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from validator.errors import GitHubError, UsageError
from validator.evidence import Preflight, WorkflowFinding
from validator.phases.context import NotRun
from validator.phases.health import recordable

if TYPE_CHECKING:
    from validator.config import Config
    from validator.phases.context import Context, Gathered
    from validator.workflow import WorkflowAnalysis

log = logging.getLogger(__name__)

WORKFLOWS = ".github/workflows/"


def gather(context: Context, seen: Gathered) -> Gathered | NotRun:
    """The registered phase: the workflow file at the ref, analysed for these inputs."""
    from validator.workflow import WorkflowError, analyse

    config = context.config
    path = workflow_path(seen, config.workflow)
    if path is None:
        return NotRun(reason=f"the path of workflow {config.workflow} is not known")
    ref = seen.ref or context.github.default_branch()
    try:
        text = context.github.workflow_text(path, ref)
    except GitHubError as exc:
        if not recordable(exc):
            raise
        log.warning("workflow file not read: %s", exc)
        return NotRun(reason=str(exc))
    try:
        analysis = analyse(
            text,
            path=path,
            inputs=config.inputs,
            labels=config.labels,
            arm64_jobs=config.arm64_jobs,
        )
    except WorkflowError as exc:
        return NotRun(reason=f"{path} at {ref} is not a workflow GitHub can run: {exc}")
    dispatching = config.run_id is None and not config.use_latest_run
    if dispatching and analysis.usage_errors:
        raise UsageError(refused_dispatch(analysis))
    return dataclasses.replace(seen, preflight=preflight_of(analysis, ref=ref))


def workflow_path(seen: Gathered, workflow: str) -> str | None:
    """``.github/workflows/NAME.yml``: from the health phase, or from a ``--workflow`` file name."""
    if seen.health is not None and seen.health.workflow is not None:
        return seen.health.workflow.path
    if workflow.endswith((".yml", ".yaml")) and "/" not in workflow:
        return WORKFLOWS + workflow
    return None


def preflight_of(analysis: WorkflowAnalysis, *, ref: str) -> Preflight:
    """The evidence of an analysis: its findings, and the jobs RUN003 must judge.

    A job moved off the labels by an input is judged; so is one whose every matrix leg asks
    for the labels. A matrix whose other legs deliberately run elsewhere is left to the labels
    each leg asked for, so that its x86 legs are not taken for failed ARM64 jobs.
    """
    judged = tuple(
        job.name
        for job in analysis.jobs
        if job.status == "moved"
        or (job.status == "arm64" and all(_on_labels(labels, analysis) for labels in job.runs_on))
    )
    return Preflight(
        path=analysis.path,
        ref=ref,
        arm64_jobs=judged,
        can_tell=analysis.can_tell,
        findings=tuple(
            WorkflowFinding(
                id=f.id,
                severity=f.severity,
                line=f.line,
                message=f.message,
                remedy=f.remedy,
                job=f.job,
                step=f.step,
                prevents_go=f.prevents_go,
            )
            for f in analysis.findings
        ),
    )


def _on_labels(labels: tuple[str, ...], analysis: WorkflowAnalysis) -> bool:
    from validator.labels import has_labels

    return has_labels(labels, analysis.labels)


def refused_dispatch(analysis: WorkflowAnalysis) -> str:
    """The usage error: each input GitHub would refuse, at its line, with the allowed values."""
    lines = [f"{analysis.path}: GitHub would refuse this dispatch; nothing was dispatched."]
    lines += [
        f"  {f.id} {analysis.path}:{f.line}: {f.message}; fix: {f.remedy}"
        for f in analysis.usage_errors
    ]
    return "\n".join(lines)


def held_by_preflight(seen: Gathered, config: Config) -> str | None:
    """Why nothing may be dispatched (the workflow makes GO impossible), or None."""
    preflight = seen.preflight
    if preflight is None or config.run_id is not None or config.use_latest_run:
        return None
    blocking = [f for f in preflight.findings if f.severity == "blocking"]
    if not blocking:
        return None
    first = blocking[0]
    return (
        f"nothing was dispatched: {first.id} at {preflight.path}:{first.line} makes GO "
        "impossible with these inputs"
    )
