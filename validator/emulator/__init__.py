"""A GitHub REST API emulator on loopback: the endpoints the gateway uses, stateful on a
virtual clock, with a separate blob origin for artifact and log downloads.

Standard library only, so importing it is cheap.
"""

from validator.emulator.clock import VirtualClock
from validator.emulator.faults import Fault
from validator.emulator.scenario import load_scenario, scenario_names
from validator.emulator.server import Emulator, RecordedRequest
from validator.emulator.specs import Scenario

__all__ = [
    "Emulator",
    "Fault",
    "RecordedRequest",
    "Scenario",
    "VirtualClock",
    "load_scenario",
    "scenario_names",
]
