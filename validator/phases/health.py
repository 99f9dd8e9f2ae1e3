"""The health phase: registered runners, whether the workflow exists, the default branch."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from validator.errors import GitHubError, RetriesExhausted, UsageError
from validator.evidence import Health, Runner, WorkflowInfo
from validator.labels import has_labels

if TYPE_CHECKING:
    from validator.gateway import Gateway
    from validator.phases.context import Context, Gathered

log = logging.getLogger(__name__)


def gather(context: Context, seen: Gathered) -> Gathered:
    """The registered phase: the health of the repository, and its default branch as the ref."""
    health = check_health(
        context.github, workflow=context.config.workflow, labels=context.config.labels
    )
    return dataclasses.replace(seen, health=health, ref=seen.ref or health.default_branch)


def runner_matches(runner: Runner, labels: Sequence[str]) -> bool:
    """Whether ``runner`` carries every label in ``labels`` (case-insensitive, as GitHub does)."""
    return has_labels(runner.labels, labels)


def recordable(exc: GitHubError) -> bool:
    """Whether an error is GitHub's answer about the repository, to keep as evidence.

    A rejected token, a fault that outlasted the retry budget and a value the user mistyped
    (a --workflow that does not exist) say nothing about it.
    """
    return exc.status != 401 and not isinstance(exc, RetriesExhausted | UsageError)


def check_health(gw: Gateway, *, workflow: str, labels: Sequence[str]) -> Health:
    """Look at the repository's runners and the workflow; record what could not be seen.

    A bad token (401), an unknown repository or workflow (a mistyped flag), or a fault that
    outlasted the retry budget stops the phase: what it would have recorded was not seen. A
    token that may not list runners is GitHub's answer: it is recorded and the rest goes on.
    """
    branch = gw.default_branch()
    runners: tuple[Runner, ...] | None = None
    runners_error: str | None = None
    try:
        runners = gw.runners()
    except GitHubError as exc:
        if not recordable(exc):
            raise
        runners_error = str(exc)
        log.warning("runners not listed: %s", exc)
    info: WorkflowInfo | None = None
    workflow_error: str | None = None
    try:
        info = gw.workflow(workflow)
    except GitHubError as exc:
        if not recordable(exc):
            raise
        workflow_error = str(exc)
        log.warning("workflow not read: %s", exc)
    if runners is not None:
        matching = [r for r in runners if runner_matches(r, labels)]
        online = [r for r in matching if r.status == "online"]
        log.info(
            "%d runners registered, %d with labels %s, %d of them online",
            len(runners),
            len(matching),
            ", ".join(labels),
            len(online),
        )
    return Health(
        runners=runners,
        runners_error=runners_error,
        workflow=info,
        workflow_error=workflow_error,
        default_branch=branch,
    )
