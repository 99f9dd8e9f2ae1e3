"""Gatherers: each phase does the I/O for one part of the evidence. This is their registry.

A phase names the phases whose evidence it builds on (``requires``). When one of those could
not gather its evidence, the phase is not run, and the record says which phase broke: that
follows from ``requires``, as a check whose requirement failed is skipped. A required phase
that was not selected does not stop it (the offline phases read ``--artifacts-dir`` instead).

Each gathering phase is the module ``validator.phases.NAME`` with a ``gather(context, seen)``
function (see :mod:`validator.phases.context`); modules are imported when the phase runs, so
that the registry is cheap to read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from validator.errors import UsageError


@dataclass(frozen=True, kw_only=True)
class Phase:
    """A registered phase: its name, the phases it builds on, and whether it talks to GitHub."""

    name: str
    requires: tuple[str, ...] = ()
    github: bool = False
    gathers: bool = True  # False for ``report``: it renders what the others gathered


PHASES: tuple[Phase, ...] = (
    Phase(name="health", github=True),
    Phase(name="preflight", requires=("health",), github=True),
    Phase(name="dispatch", requires=("health",), github=True),
    Phase(name="artifacts", requires=("dispatch",), github=True),
    Phase(name="binaries", requires=("artifacts",)),
    Phase(name="tests", requires=("dispatch", "artifacts")),
    Phase(name="report", gathers=False),
)

BY_NAME: dict[str, Phase] = {p.name: p for p in PHASES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
GITHUB: frozenset[str] = frozenset(p.name for p in PHASES if p.github)


def select(names: Iterable[str]) -> tuple[str, ...]:
    """The named phases in pipeline order, refusing unknown names."""
    chosen = list(names)
    unknown = [n for n in chosen if n not in BY_NAME]
    if unknown:
        raise UsageError(f"--phase {unknown[0]!r}: unknown phase. Choose from {', '.join(NAMES)}.")
    if "dispatch" in chosen:  # on with dispatch: the workflow file is read before dispatching
        chosen.append("preflight")
    return tuple(n for n in NAMES if n in chosen)


def blocked_by(phase: Phase, broken: dict[str, str]) -> str | None:
    """The phase that broke beneath ``phase`` (from ``broken``: phase → phase that broke)."""
    return next((broken[r] for r in phase.requires if r in broken), None)
