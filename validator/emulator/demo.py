"""Wiring for ``validate-arm64 demo``: every phase against a running emulator, on its clock.

The core knows nothing of the emulator; this module hands it an ordinary Config and Hooks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from validator.config import Config
from validator.emulator.clock import VirtualClock
from validator.emulator.scenario import scenario_names
from validator.emulator.server import Emulator
from validator.errors import UsageError
from validator.phases import NAMES
from validator.phases.context import Hooks


def known_scenario(name: str) -> str:
    """``name`` when it is a shipped scenario; otherwise a usage error listing them."""
    names = scenario_names()
    if name not in names:
        raise UsageError(f"--scenario {name!r}: unknown. Choose from {', '.join(names)}.")
    return name


def emulator_config(emu: Emulator, *, report: Path, **overrides: object) -> Config:
    """Every phase against a running emulator, with the scenario's own hints."""
    hints = emu.scenario.cli
    settings: dict[str, object] = {
        "phases": NAMES,
        "repository": hints.repository or emu.repository,
        "workflow": hints.workflow,
        "ref": hints.ref,
        "inputs": dict(hints.inputs),
        "run_id": hints.run_id,
        "expected_tests": hints.expected_tests,
        "min_tests": hints.min_tests,
        "autoscaling": hints.autoscaling,
        "use_latest_run": hints.use_latest_run,
        "enterprise": hints.enterprise,
        "report": report,
        "work_dir": report.parent / ".work",
        "api_url": emu.base_url,
        "emulator_scenario": emu.scenario.name,
    }
    if hints.labels is not None:
        settings["labels"] = hints.labels
    return Config(**(settings | overrides)).validate()  # type: ignore[arg-type]


def virtual_hooks(
    clock: VirtualClock, progress: Callable[[str], None] = lambda _message: None
) -> Hooks:
    """Waiting on the emulator's clock: every sleep moves it, and rate limits follow it."""
    return Hooks(
        progress=progress,
        clock=clock.now,
        sleep=clock.sleep,
        gateway_options={"wall_clock": clock.now},
    )


@contextlib.contextmanager
def demo(
    scenario: str, *, report: Path, progress: Callable[[str], None]
) -> Iterator[tuple[Config, Hooks]]:
    """A scenario served on loopback for as long as the validation of it runs."""
    clock = VirtualClock()
    with Emulator(known_scenario(scenario), clock=clock) as emu:
        yield emulator_config(emu, report=report), virtual_hooks(clock, progress)


def serve(
    scenario: str, *, host: str, port: int, advance: float, announce: Callable[[str], None]
) -> None:
    """Serve a scenario until interrupted; ``announce`` gets ``serving OWNER/NAME at URL``."""
    emu = Emulator(known_scenario(scenario), host=host, port=port, advance_per_request=advance)
    emu.start()
    announce(f"serving {emu.repository} at {emu.base_url}")
    try:
        emu.serve_forever()
    finally:
        emu.stop()
