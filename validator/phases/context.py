"""What a phase works with (settings, the outside world, the gateway) and what it gives back."""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from validator.evidence import Artifacts, BinaryScan, Health, Preflight, Run, TestScan

if TYPE_CHECKING:
    from validator.config import Config
    from validator.gateway import Gateway


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """What the pipeline needs from the outside world, injectable for tests and the demo."""

    progress: Callable[[str], None] = lambda _message: None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], dt.datetime] = _utcnow
    gateway_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Context:
    """One validation's settings, hooks, and the gateway when a phase talks to GitHub."""

    config: Config
    hooks: Hooks
    gateway: Gateway | None = None

    @property
    def github(self) -> Gateway:
        """The gateway; only the phases registered as talking to GitHub ask for it."""
        assert self.gateway is not None, "this phase is not registered as talking to GitHub"
        return self.gateway


@dataclass(frozen=True, kw_only=True)
class Gathered:
    """What the phases have seen so far; each phase returns it with its own part added."""

    health: Health | None = None
    preflight: Preflight | None = None
    run: Run | None = None
    artifacts: Artifacts | None = None
    binaries: BinaryScan | None = None
    tests: TestScan | None = None
    tests_source: str | None = None
    artifacts_dir: Path | None = None  # what the binaries and tests phases inspect
    ref: str | None = None

    @property
    def downloaded(self) -> bool:
        """True when this validation downloaded the artifacts: paths are shown inside them."""
        return self.artifacts is not None


@dataclass(frozen=True, kw_only=True)
class NotRun:
    """A phase had nothing to work on; the reason goes into its record."""

    reason: str


class Gatherer(Protocol):
    """The ``gather`` function of a phase module."""

    def __call__(self, context: Context, seen: Gathered, /) -> Gathered | NotRun: ...


def gatherer(name: str) -> Gatherer:
    """``validator.phases.NAME.gather``, imported now (the gateway's import is not cheap)."""
    module = importlib.import_module(f"validator.phases.{name}")
    return cast(Gatherer, module.gather)
