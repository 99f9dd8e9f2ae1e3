"""Wiring for ``validate-arm64 demo``: every phase against a running emulator, on its clock.

The core knows nothing of the emulator; this module hands it an ordinary Config and Hooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

from validator.config import Config
from validator.emulator.clock import VirtualClock
from validator.emulator.scenario import load_scenario, scenario_names
from validator.emulator.server import Emulator
from validator.emulator.specs import Scenario
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


def chosen_scenario(name: str | None, file: Path | None, fixtures: Path | None) -> str | Scenario:
    """A shipped scenario by name, or the user's own scenario file (``--scenario-file``),
    whose ``source`` paths are read under ``fixtures`` (default: the file's folder)."""
    if file is None:
        if fixtures is not None:
            raise UsageError("--fixtures goes with --scenario-file: give both, or neither.")
        return known_scenario(name or "healthy")
    if name is not None:
        raise UsageError("--scenario and --scenario-file exclude each other: pick one.")
    if not file.is_file():
        raise UsageError(f"--scenario-file {file}: no such file. Copy a shipped scenario to start.")
    folder = fixtures if fixtures is not None else file.parent
    if not folder.is_dir():
        raise UsageError(f"--fixtures {folder}: no such folder.")
    scenario = load_scenario(file, fixtures_dir=folder)
    if missing := sorted(s for s in _sources(scenario) if not (folder / s).is_file()):
        raise UsageError(
            f"--scenario-file {file}: {len(missing)} source file(s) not found under {folder}, "
            f"e.g. {missing[0]}: copy them there, or pass --fixtures DIR."
        )
    return scenario


def _sources(node: object) -> Iterator[str]:
    """Every fixture path a scenario reads: files' ``source`` and jobs' ``log``."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name in ("source", "log") and isinstance(value, str):
                yield value
            else:
                yield from _sources(value)
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _sources(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _sources(item)


@contextlib.contextmanager
def demo(
    scenario: str | Scenario, *, report: Path, progress: Callable[[str], None]
) -> Iterator[tuple[Config, Hooks]]:
    """A scenario served on loopback for as long as the validation of it runs."""
    clock = VirtualClock()
    with Emulator(scenario, clock=clock) as emu:
        yield emulator_config(emu, report=report), virtual_hooks(clock, progress)


def serve(
    scenario: str | Scenario,
    *,
    host: str,
    port: int,
    advance: float,
    announce: Callable[[str], None],
) -> None:
    """Serve a scenario until interrupted; ``announce`` gets ``serving OWNER/NAME at URL``."""
    emu = Emulator(scenario, host=host, port=port, advance_per_request=advance)
    emu.start()
    announce(f"serving {emu.repository} at {emu.base_url}")
    try:
        emu.serve_forever()
    finally:
        emu.stop()
