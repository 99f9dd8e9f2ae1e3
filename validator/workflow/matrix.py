"""``strategy.matrix`` expanded into its combinations, as GitHub expands it.

Dimensions form a cartesian product; ``exclude`` removes each combination that matches an
entry in every key the entry names; each ``include`` entry is added to every combination
whose original values it does not overwrite, or becomes a combination of its own.
"""

from __future__ import annotations

import itertools
import math

from validator.workflow.contexts import from_yaml
from validator.workflow.expressions import (
    CannotTell,
    Evaluator,
    Value,
    evaluate_template,
    has_expression,
    loose_equal,
)
from validator.workflow.loading import YList, YMap, YValue

MAX_COMBINATIONS = 256  # GitHub's limit per workflow run


def _resolve(value: YValue, evaluator: Evaluator) -> Value:
    if isinstance(value, str) and has_expression(value):
        return evaluate_template(value, evaluator)
    if isinstance(value, YMap):
        return {key: _resolve(item, evaluator) for key, item in value.items()}
    if isinstance(value, YList):
        return [_resolve(item, evaluator) for item in value]
    return from_yaml(value)


def _same(left: Value, right: Value) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    return loose_equal(left, right)


def _entries(value: Value, key: str) -> list[dict[str, Value]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise CannotTell(f"matrix {key} is not a list of mappings")
    return [item for item in value if isinstance(item, dict)]


def _product(dimensions: dict[str, Value]) -> list[dict[str, Value]]:
    """The cartesian product of the dimensions (none without dimensions)."""
    columns = [values if isinstance(values, list) else [] for values in dimensions.values()]
    if not columns or math.prod(len(c) for c in columns) > MAX_COMBINATIONS:
        if columns:
            raise CannotTell(f"the matrix has more than {MAX_COMBINATIONS} combinations")
        return []
    keys = list(dimensions)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*columns)]


def expand_matrix(matrix: YValue, evaluator: Evaluator) -> list[dict[str, Value]]:
    """Every combination of ``matrix`` (one empty combination without a matrix)."""
    if matrix is None:
        return [{}]
    resolved = _resolve(matrix, evaluator)
    if not isinstance(resolved, dict):
        raise CannotTell("strategy.matrix is not a mapping")
    include = _entries(resolved.get("include"), "include")
    exclude = _entries(resolved.get("exclude"), "exclude")
    dimensions = {k: v for k, v in resolved.items() if k not in ("include", "exclude")}
    for key, values in dimensions.items():
        if not isinstance(values, list):
            raise CannotTell(f"matrix dimension {key!r} is not a list")
    product = [
        combo
        for combo in _product(dimensions)
        if not any(all(k in combo and _same(combo[k], v) for k, v in e.items()) for e in exclude)
    ]
    combos = [(combo, dict(combo)) for combo in product]
    added: list[dict[str, Value]] = []
    for entry in include:
        matched = False
        for original, extended in combos:
            if all(k not in original or _same(original[k], v) for k, v in entry.items()):
                extended.update(entry)
                matched = True
        if not matched:
            added.append(dict(entry))
    result = [extended for _, extended in combos] + added
    if not result:
        raise CannotTell("the matrix expands to no combination")
    if len(result) > MAX_COMBINATIONS:
        raise CannotTell(f"the matrix has more than {MAX_COMBINATIONS} combinations")
    return result
