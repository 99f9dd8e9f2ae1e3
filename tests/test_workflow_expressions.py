"""GitHub's expression language, as the workflow analysis evaluates it (table-driven)."""

from __future__ import annotations

import math

import pytest

from validator.workflow.expressions import (
    CannotTell,
    Evaluator,
    Partial,
    Unknown,
    Value,
    evaluate_condition,
    evaluate_template,
    parse,
)

CONTEXTS: dict[str, Value | Unknown] = {
    "inputs": {"runner_type": "self-hosted", "flag": True, "count": 3.0, "empty": ""},
    "github": Partial(
        {"event_name": "workflow_dispatch", "event": {"inputs": {"flag": "true"}}},
        Unknown("github.sha is known only at run time"),
    ),
    "matrix": {"os": "Linux", "list": ["a", "B"], "obj": {"k": "v"}},
    "needs": Unknown("needs is known only at run time"),
}


def run(text: str) -> Value:
    return Evaluator(CONTEXTS).evaluate(parse(text))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # literals
        ("null", None),
        ("true", True),
        ("false", False),
        ("711", 711.0),
        ("-9.2", -9.2),
        ("0xff", 255.0),
        ("-2.99e-2", -0.0299),
        ("'It''s open source!'", "It's open source!"),
        # loose equality: different types are compared as numbers
        ("null == 0", True),
        ("true == 1", True),
        ("false == 0", True),
        ("'' == 0", True),
        ("' 123 ' == 123", True),
        ("'0xff' == 255", True),
        ("'abc' == 0", False),
        ("'true' == true", False),  # 'true' is NaN as a number
        ("github.event.inputs.flag == true", False),  # the string 'true', not the boolean
        ("inputs.flag == true", True),
        ("inputs.count == '3'", True),
        ("null == false", True),
        ("null == ''", True),
        # strings compare ignoring case
        ("'ABC' == 'abc'", True),
        ("matrix.os == 'linux'", True),
        ("'abc' != 'ABC'", False),
        ("'a' < 'B'", True),
        ("'b' > 'A'", True),
        # ordering coerces too; NaN compares false
        ("1 < 2", True),
        ("'2' > 1", True),
        ("'x' < 1", False),
        ("'x' >= 1", False),
        ("true > false", True),
        ("3 <= 3", True),
        ("NaN == NaN", False),
        # arrays and objects are equal only to themselves
        ("matrix.list == matrix.list", True),
        ("fromJSON('[1]') == fromJSON('[1]')", False),
        ("matrix.obj == 'Object'", False),
        # && and || return an operand; ! a boolean
        ("inputs.runner_type == 'self-hosted' && 'arm' || 'x86'", "arm"),
        ("inputs.empty || 'fallback'", "fallback"),
        ("0 || null", None),
        ("'a' && ''", ""),
        ("!inputs.empty", True),
        ("!'false'", False),  # a non-empty string is truthy
        ("!0", True),
        ("!(1 == 1)", False),
        ("1 == 1 && 2 == 3 || 4 == 4", True),
        ("1 == 2 || 3 < 4 && 5 > 6", False),
        # property access: case-insensitive, null when absent
        ("INPUTS.Runner_Type", "self-hosted"),
        ("inputs['runner_type']", "self-hosted"),
        ("inputs.missing", None),
        ("inputs.missing.deeper", None),
        ("matrix.list[1]", "B"),
        ("matrix.list[5]", None),
        ("github.event_name", "workflow_dispatch"),
        # functions
        ("contains('Hello world', 'WORLD')", True),
        ("contains(matrix.list, 'b')", True),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("contains(matrix.list, 'c')", False),
        ("startsWith('ubuntu-latest', 'UBUNTU')", True),
        ("endsWith('ubuntu-latest', 'latest')", True),
        ("endsWith(12, 2)", True),
        ("format('{0}-{1}', 'linux', 3)", "linux-3"),
        ("format('{{0}} {0}', 'x')", "{0} x"),
        ("join(matrix.list, ', ')", "a, B"),
        ("join(matrix.list)", "a,B"),
        ("join('one')", "one"),
        ("toJSON(fromJSON('[\"self-hosted\", 1]'))", '[\n  "self-hosted",\n  1\n]'),
        ("toJSON(true)", "true"),
        ('fromJSON(\'["self-hosted", "linux"]\')', ["self-hosted", "linux"]),
        ("fromJSON('{\"a\": 1}').a", 1.0),
        ("fromJSON('true') && 'yes'", "yes"),
        ("FromJson('1') == 1", True),
    ],
)
def test_expression_values(expression: str, expected: Value) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "because"),
    [
        ("needs.build.outputs.runner", "needs is known only at run time"),
        ("github.sha", "github.sha is known only at run time"),
        ("steps.x.outputs.y", "'steps' is known only at run time"),
        ("hashFiles('**/Cargo.lock')", "hashfiles() is not evaluated"),
        ("success()", "success() depends on the run"),
        ("matrix.*.os", "object filters"),
        ("fromJSON('not json')", "not JSON"),
        ("format('{1}', 'a')", "invalid placeholder"),
        ("contains('a')", "takes 2 to 2 arguments"),
        ("1 ==", "unexpected"),
        ("(1", "expected ')'"),
        ("'open", "unterminated string"),
        ('"double"', "unexpected character"),
        ("1 === 1", "unexpected"),
        ("(" * 200 + "1" + ")" * 200, "nested"),
        ("a" * 10_001, "longer than"),
    ],
)
def test_what_cannot_be_told_is_never_guessed(expression: str, because: str) -> None:
    with pytest.raises(
        CannotTell,
        match=because.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("*", r"\*")
        .replace("[", r"\["),
    ):
        run(expression)


def test_short_circuit_does_not_touch_what_it_does_not_need() -> None:
    assert run("inputs.runner_type == 'self-hosted' || needs.x.outputs.y") is True
    assert run("inputs.empty && needs.x.outputs.y") == ""
    with pytest.raises(CannotTell):
        run("inputs.empty || needs.x.outputs.y")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("ubuntu-latest", "ubuntu-latest"),
        ("${{ inputs.count }}", 3.0),  # one whole expression keeps its type
        ("${{ fromJSON('[\"a\"]') }}", ["a"]),
        ("runner-${{ matrix.os }}-${{ inputs.count }}", "runner-Linux-3"),
        ("${{ '}}' }}", "}}"),
        ("x ${{ inputs.flag }}", "x true"),
    ],
)
def test_templates(template: str, expected: Value) -> None:
    assert evaluate_template(template, Evaluator(CONTEXTS)) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("inputs.flag", True),
        ("${{ inputs.empty }}", False),
        ("${{ inputs.empty }} ", False),  # stripped: still the one expression
        ("prefix ${{ false }}", True),  # text around ${{ }} is a non-empty string: always true
        ("always()", True),
        ("failure()", False),
        ("success() && inputs.flag", True),
        (True, True),
        (0, False),
        (None, True),
    ],
)
def test_conditions(condition: str | bool | int | None, expected: bool) -> None:
    status = {"success": True, "always": True, "failure": False, "cancelled": False}
    evaluator = Evaluator(CONTEXTS, status=status)
    assert evaluate_condition(condition, evaluator) is expected


def test_numbers_print_as_github_prints_them() -> None:
    assert run("format('{0} {1} {2} {3}', 1.0, 1.5, fromJSON('1e3'), null)") == "1 1.5 1000 "
    assert run("format('{0}', 1 == 1)") == "true"
    assert run("format('{0} {1}', fromJSON('[1]'), fromJSON('{}'))") == "Array Object"
    assert run("format('{0}', fromJSON('1e400'))") == "Infinity"
    assert math.isnan(float(str(run("fromJSON('1') && NaN"))))
