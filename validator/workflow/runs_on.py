"""``runs-on`` resolved to the labels a job asks for: a string, a list, a group/labels
mapping, or an expression giving either."""

from __future__ import annotations

from validator.workflow.expressions import (
    CannotTell,
    Evaluator,
    Value,
    evaluate_template,
    to_string,
)
from validator.workflow.loading import YList, YMap, YValue


def _label(value: YValue, evaluator: Evaluator) -> str:
    if isinstance(value, str):
        resolved = evaluate_template(value, evaluator)
        if isinstance(resolved, dict | list):
            raise CannotTell("a runs-on list item is itself a list or mapping")
        return to_string(resolved).strip()
    if isinstance(value, YMap | YList):
        raise CannotTell("a runs-on list item is itself a list or mapping")
    return to_string(value if isinstance(value, bool | str) or value is None else float(value))


def _from_value(value: Value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, list):
        if any(isinstance(item, dict | list) for item in value):
            raise CannotTell("runs-on evaluates to a nested list")
        return tuple(to_string(item).strip() for item in value)
    if isinstance(value, dict):
        labels = next((v for k, v in value.items() if k.lower() == "labels"), None)
        if labels is None:
            raise CannotTell("runs-on evaluates to a runner group without labels")
        return _from_value(labels)
    raise CannotTell(f"runs-on evaluates to {to_string(value)!r}, not a label")


def resolve_runs_on(runs_on: YValue, evaluator: Evaluator) -> tuple[str, ...]:
    """The labels a job asks for; ``CannotTell`` when they are known only at run time."""
    labels: tuple[str, ...]
    if runs_on is None:
        raise CannotTell("the job has no runs-on")
    if isinstance(runs_on, str):
        labels = _from_value(evaluate_template(runs_on, evaluator))
    elif isinstance(runs_on, YList):
        labels = tuple(_label(item, evaluator) for item in runs_on)
    elif isinstance(runs_on, YMap):
        if "labels" not in runs_on:
            group = runs_on.get("group")
            raise CannotTell(
                f"runs-on names the runner group {to_string(_group(group))!r} only; "
                "the labels of its runners are not in the file"
            )
        inner = runs_on["labels"]
        labels = (
            tuple(_label(item, evaluator) for item in inner)
            if isinstance(inner, YList)
            else (_label(inner, evaluator),)
        )
    else:
        labels = (_label(runs_on, evaluator),)
    labels = tuple(label for label in labels if label)
    if not labels:
        raise CannotTell("runs-on resolves to no label")
    return labels


def _group(value: YValue) -> Value:
    return value if isinstance(value, str) else None
