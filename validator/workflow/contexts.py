"""The expression contexts of a dispatch: ``inputs``, ``github.event.inputs``, ``matrix``.

``inputs.X`` keeps the declared type (a boolean input is ``true``, a number ``3``), while
``github.event.inputs.X`` is always a string (``'true'``), as on GitHub: the difference is
what makes ``github.event.inputs.flag == true`` false.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from validator.workflow.expressions import Partial, Unknown, Value, parse_number, to_string
from validator.workflow.loading import YList, YMap, YValue
from validator.workflow.model import InputSpec, Workflow

HAPPY_PATH = {"success": True, "always": True, "failure": False, "cancelled": False}
"""Status functions on a run where every earlier step and job succeeded."""


def from_yaml(value: YValue) -> Value:
    """A YAML value as an expression value (numbers become floats)."""
    if isinstance(value, YMap):
        return {key: from_yaml(item) for key, item in value.items()}
    if isinstance(value, YList):
        return [from_yaml(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return float(value)


def typed_input(spec: InputSpec | None, raw: YValue) -> Value:
    """An input's value in the ``inputs`` context, from a given string or a YAML default."""
    kind = spec.type if spec else "string"
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        return isinstance(raw, str) and raw.strip().lower() == "true"
    if kind == "number":
        number = parse_number(raw) if isinstance(raw, str) else from_yaml(raw)
        if isinstance(number, float) and not math.isnan(number):
            return number
        return 0.0 if raw in (None, "") else to_string(from_yaml(raw))
    return to_string(from_yaml(raw))


def dispatch_inputs(workflow: Workflow, given: Mapping[str, str]) -> dict[str, Value]:
    """Every declared input, typed: the given value, else the declared default."""
    values: dict[str, Value] = {}
    for spec in workflow.inputs:
        raw: YValue = given.get(spec.name, spec.default)
        values[spec.name] = typed_input(spec, raw)
    for name, raw_text in given.items():
        if name not in values:
            values[name] = raw_text
    return values


def build_contexts(
    inputs: Mapping[str, Value], *, event: str, matrix: Value | Unknown
) -> dict[str, Value | Unknown]:
    """The contexts an expression in ``runs-on``, ``strategy`` or ``if:`` may read."""
    as_strings: dict[str, Value] = {name: to_string(value) for name, value in inputs.items()}
    event_payload = Partial(
        {"inputs": as_strings} if event == "workflow_dispatch" else {},
        Unknown("github.event is known only at run time"),
    )
    github = Partial(
        {"event_name": event, "event": event_payload},
        Unknown("this github context property is known only at run time"),
    )
    return {
        "inputs": dict(inputs) if event == "workflow_dispatch" else {},
        "github": github,
        "matrix": matrix,
        "strategy": Unknown("the strategy context is known only at run time"),
    }
