"""The dispatch checked against the workflow's declared inputs, as GitHub checks it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from validator.workflow.expressions import parse_number
from validator.workflow.findings import Finding, finding
from validator.workflow.model import InputSpec, Workflow


def _allowed(spec: InputSpec) -> tuple[str, ...]:
    if spec.type == "choice":
        return spec.options
    if spec.type == "boolean":
        return ("true", "false")
    return ()


def input_findings(workflow: Workflow, given: Mapping[str, str]) -> Iterator[Finding]:
    """WFL002-WFL005: what GitHub would refuse the dispatch for, before it is made."""
    if not workflow.dispatchable:
        yield finding(
            "WFL002",
            message="the workflow has no workflow_dispatch trigger: it cannot be dispatched "
            f"(triggers: {', '.join(workflow.triggers) or 'none'})",
            remedy="add `workflow_dispatch:` under `on:` (on the default branch), or validate "
            "an existing run with --run-id / --use-latest-run",
            line=workflow.on_line,
        )
        return
    declared = ", ".join(spec.name for spec in workflow.inputs) or "none"
    for name, value in given.items():
        spec = workflow.input(name)
        if spec is None:
            yield finding(
                "WFL003",
                message=f"--input {name}={value}: the workflow declares no input {name!r} "
                f"(declared: {declared})",
                remedy=f"drop --input {name}, or declare it under workflow_dispatch.inputs",
                line=workflow.dispatch_line,
            )
            continue
        allowed = _allowed(spec)
        wrong_number = spec.type == "number" and not _is_number(value)
        if (
            allowed
            and value not in allowed
            and not (spec.type == "boolean" and value.lower() in allowed)
        ) or wrong_number:
            expected = ", ".join(allowed) if allowed else "a number"
            yield finding(
                "WFL004",
                message=f"--input {name}={value}: not a value the {spec.type} input allows "
                f"(allowed: {expected})",
                remedy=f"pass one of: {expected}",
                line=spec.line,
            )
    for spec in workflow.inputs:
        if spec.required and spec.default in (None, "") and spec.name not in given:
            allowed = _allowed(spec)
            hint = f" (one of: {', '.join(allowed)})" if allowed else ""
            yield finding(
                "WFL005",
                message=f"the required input {spec.name!r} has no default and is not given",
                remedy=f"pass --input {spec.name}=VALUE{hint}",
                line=spec.line,
            )


def _is_number(text: str) -> bool:
    return not math.isnan(parse_number(text))
