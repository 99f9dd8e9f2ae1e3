"""The health phase: registered runners, whether the workflow exists, the default branch."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from validator.errors import GitHubError, RetriesExhausted, UsageError
from validator.evidence import Health, Runner, RunnerGroup, RunnerLevel, RunnerSource, WorkflowInfo
from validator.gateway.messages import (
    ENTERPRISE_RUNNERS_PERMISSION,
    ORGANIZATION_RUNNERS_PERMISSION,
    repository_runners_permission,
)
from validator.labels import has_labels

if TYPE_CHECKING:
    from validator.gateway import Gateway, Owner
    from validator.phases.context import Context, Gathered

log = logging.getLogger(__name__)


def gather(context: Context, seen: Gathered) -> Gathered:
    """The registered phase: the health of the repository, and its default branch as the ref."""
    health = check_health(
        context.github,
        workflow=context.config.workflow,
        labels=context.config.labels,
        enterprise=context.config.enterprise,
    )
    return dataclasses.replace(seen, health=health, ref=seen.ref or health.default_branch)


def runner_matches(runner: Runner, labels: Sequence[str]) -> bool:
    """Whether ``runner`` carries every label in ``labels`` (case-insensitive, as GitHub does)."""
    return has_labels(runner.label_names, labels)


def recordable(exc: GitHubError) -> bool:
    """Whether an error is GitHub's answer about the repository, to keep as evidence.

    A rejected token, a fault that outlasted the retry budget and a value the user mistyped
    (a --workflow that does not exist) say nothing about it.
    """
    return exc.status != 401 and not isinstance(exc, RetriesExhausted | UsageError)


def check_health(
    gw: Gateway, *, workflow: str, labels: Sequence[str], enterprise: str | None = None
) -> Health:
    """Look at the runners this repository may use and the workflow; record what could not
    be seen.

    A bad token (401), an unknown repository or workflow (a mistyped flag), or a fault that
    outlasted the retry budget stops the phase: what it would have recorded was not seen. A
    token that may not list runners is GitHub's answer: it is recorded and the rest goes on.
    """
    branch = gw.default_branch()
    estate = read_estate(gw, enterprise=enterprise)
    info: WorkflowInfo | None = None
    workflow_error: str | None = None
    try:
        info = gw.workflow(workflow)
    except GitHubError as exc:
        if not recordable(exc):
            raise
        workflow_error = str(exc)
        log.warning("workflow not read: %s", exc)
    if estate.runners is not None:
        matching = [r for r in estate.runners if runner_matches(r, labels)]
        online = [r for r in matching if r.status == "online"]
        log.info(
            "%d usable runners seen, %d with labels %s, %d of them online",
            len(estate.runners),
            len(matching),
            ", ".join(labels),
            len(online),
        )
    return dataclasses.replace(
        estate, workflow=info, workflow_error=workflow_error, default_branch=branch
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Level:
    """What reading one level gave: its runners, or why they could not be read."""

    runners: tuple[Runner, ...] = ()
    error: GitHubError | None = None


def _read(call: Callable[[], tuple[Runner, ...]], what: str) -> _Level:
    try:
        return _Level(runners=call())
    except GitHubError as exc:
        if not recordable(exc):
            raise
        log.warning("%s not read: %s", what, exc)
        return _Level(error=exc)


def _source(level: RunnerLevel, scope: str, read: _Level, usable: int, needs: str) -> RunnerSource:
    if read.error is None:
        return RunnerSource(level=level, scope=scope, visible=True, usable=usable)
    denied = read.error.status in (403, 404)
    return RunnerSource(
        level=level,
        scope=scope,
        visible=False,
        error=str(read.error),
        permission=needs if denied else None,
    )


def read_estate(gw: Gateway, *, enterprise: str | None = None) -> Health:
    """Every self-hosted runner the repository may use: its own, its organisation's and, with
    ``enterprise``, the enterprise's, kept only when their runner group admits the repository.

    Levels the token cannot read are recorded with the permission they need; ``runners`` is
    ``None`` only when no level could be read.
    """
    repo = _read(gw.runners, "repository runners")
    sources = [
        _source(
            "repository",
            gw.repository,
            repo,
            len(repo.runners),
            repository_runners_permission(gw.repository),
        )
    ]
    usable = list(repo.runners)
    excluded: list[Runner] = []
    owner = gw.owner()
    groups: dict[int, RunnerGroup] | None = None
    group_error: GitHubError | None = None
    if owner.organization:
        org = _read(lambda: gw.organization_runners(owner.login), "organisation runners")
        if org.error is None:
            try:
                groups = {g.id: g for g in gw.organization_runner_groups(owner.login)}
            except GitHubError as exc:
                if not recordable(exc):
                    raise
                group_error = exc
        if org.error is None and group_error is not None:
            org = _Level(error=group_error)
        kept, dropped = (
            _admitted(gw, owner, org.runners, groups) if groups is not None else ((), ())
        )
        usable += kept
        excluded += dropped
        sources.append(
            _source("organization", owner.login, org, len(kept), ORGANIZATION_RUNNERS_PERMISSION)
        )
    if enterprise:
        ent = _read(lambda: gw.enterprise_runners(enterprise), "enterprise runners")
        if ent.error is None and owner.organization and groups is None:
            ent = _Level(
                error=group_error
                or GitHubError("the organisation's runner groups were not read", status=403)
            )
        kept, dropped = (), ()
        if ent.error is None:
            if owner.organization and groups is not None:
                kept, dropped = _admitted(gw, owner, ent.runners, groups)
            else:
                why = "an enterprise runner serves only its organisations' repositories"
                dropped = tuple(dataclasses.replace(r, access=why) for r in ent.runners)
        usable += kept
        excluded += dropped
        sources.append(
            _source("enterprise", enterprise, ent, len(kept), ENTERPRISE_RUNNERS_PERMISSION)
        )
    seen_any = any(s.visible for s in sources)
    return Health(
        runners=tuple(usable) if seen_any else None,
        runners_error=None if repo.error is None else str(repo.error),
        sources=tuple(sources),
        excluded=tuple(excluded),
    )


def _admitted(
    gw: Gateway, owner: Owner, runners: tuple[Runner, ...], groups: Mapping[int, RunnerGroup]
) -> tuple[tuple[Runner, ...], tuple[Runner, ...]]:
    """Runners whose group admits the repository, and the others with the reason."""
    selected: dict[int, frozenset[str]] = {}
    kept: list[Runner] = []
    dropped: list[Runner] = []
    for runner in runners:
        group = groups.get(runner.group_id) if runner.group_id is not None else None
        if group is not None and group.visibility == "selected" and group.id not in selected:
            selected[group.id] = gw.group_repositories(owner.login, group.id)
        why = group_refusal(
            group,
            repository=gw.repository,
            private=owner.private_repository,
            selected=selected.get(group.id) if group is not None else None,
        )
        named = dataclasses.replace(runner, group=group.name if group else None, access=why)
        (kept if why is None else dropped).append(named)
    return tuple(kept), tuple(dropped)


def group_refusal(
    group: RunnerGroup | None, *, repository: str, private: bool, selected: frozenset[str] | None
) -> str | None:
    """Pure: why a runner group does not admit ``repository`` (None: it does), as GitHub
    decides it from the group's visibility and whether it allows public repositories."""
    if group is None:
        return "its runner group is not shared with the repository's organisation"
    name = f"runner group `{group.name}`"
    if not private and not group.allows_public_repositories:
        return f"{name} does not allow public repositories"
    if group.visibility == "all":
        return None
    if group.visibility == "private":
        return None if private else f"{name} admits private repositories only"
    if group.visibility == "selected":
        if selected is not None and repository.casefold() in selected:
            return None
        return f"{name} admits selected repositories, and {repository} is not one of them"
    return f"{name} has visibility `{group.visibility}`"


def listed_runners(gw: Gateway, health: Health | None) -> tuple[Runner, ...]:
    """The runners of every level the health phase could read, listed again now (an
    autoscaled runner registers only while it runs a job): for their labels, not access."""
    found: list[Runner] = []
    for source in health.sources if health is not None else ():
        if not source.visible:
            continue
        try:
            if source.level == "repository":
                found += gw.runners()
            elif source.level == "organization":
                found += gw.organization_runners(source.scope)
            else:
                found += gw.enterprise_runners(source.scope)
        except GitHubError as exc:
            log.warning("%s runners not listed again: %s", source.level, exc)
    return tuple(found)
