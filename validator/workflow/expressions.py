"""GitHub Actions expressions: the subset workflows use to pick runners, evaluated exactly.

Rules followed (GitHub's "Evaluate expressions in workflows and actions"):
- literals ``null``, ``true``, ``false``, numbers (JSON, ``0x``, ``0o``, ``Infinity``, ``NaN``),
  ``'strings'`` with ``''`` for a quote;
- ``==``/``!=``/``<``/``<=``/``>``/``>=`` compare loosely: values of different types are coerced
  to numbers (``null`` 0, booleans 1/0, strings parsed as numbers or NaN, ``''`` 0; arrays and
  objects NaN), strings compare case-insensitively, arrays and objects equal only themselves;
- ``&&``/``||`` return an operand (``a || 'x'``), ``!`` a boolean; falsy are ``null``, ``false``,
  ``0``, ``NaN`` and ``''``;
- property access and ``[index]`` are case-insensitive and give ``null`` when absent;
- functions ``contains``, ``startsWith``, ``endsWith``, ``format``, ``join``, ``toJSON``,
  ``fromJSON`` and the status functions.

Anything else (an unknown context such as ``needs`` or ``steps``, ``hashFiles``, the ``.*``
filter, a syntax error) raises ``CannotTell``: an unknown value is never guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

Value = None | bool | float | str | list["Value"] | dict[str, "Value"]

MAX_LENGTH = 10_000
MAX_DEPTH = 50


class CannotTell(Exception):
    """The expression's value depends on something not known before the run."""


class Unknown:
    """A context (or part of one) known only at run time; touching it raises CannotTell."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


class Partial(dict[str, Value]):
    """An object of which only some properties are known; any other one is ``unknown``."""

    def __init__(self, known: Mapping[str, Value], unknown: Unknown) -> None:
        super().__init__(known)
        self.unknown = unknown


Context = Mapping[str, "Value | Unknown"]


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, kw_only=True)
class Token:
    """One lexical token: ``kind`` is num, str, ident, punct or end."""

    kind: str
    text: str
    value: Value = None


_NUMBER = re.compile(r"[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|Infinity)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PUNCT = ("==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", ".", ",", "!", "<", ">", "*")


def tokenize(text: str) -> list[Token]:
    """The tokens of one expression (the text between ``${{`` and ``}}``)."""
    if len(text) > MAX_LENGTH:
        raise CannotTell(f"expression longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "'":
            end, value = _string(text, i)
            tokens.append(Token(kind="str", text=text[i:end], value=value))
            i = end
            continue
        number = _NUMBER.match(text, i)
        after_value = bool(tokens) and (
            tokens[-1].kind in ("num", "str", "ident") or tokens[-1].text in (")", "]")
        )
        if number and (ch.isdigit() or (ch in "-+." and not after_value)):
            literal = number.group()
            tokens.append(Token(kind="num", text=literal, value=parse_number(literal)))
            i = number.end()
            continue
        ident = _IDENT.match(text, i)
        if ident:
            tokens.append(Token(kind="ident", text=ident.group()))
            i = ident.end()
            continue
        for punct in _PUNCT:
            if text.startswith(punct, i):
                tokens.append(Token(kind="punct", text=punct))
                i += len(punct)
                break
        else:
            raise CannotTell(f"unexpected character {ch!r} in expression")
    tokens.append(Token(kind="end", text=""))
    return tokens


def _string(text: str, start: int) -> tuple[int, str]:
    out = []
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if text.startswith("''", i):
                out.append("'")
                i += 2
                continue
            return i + 1, "".join(out)
        out.append(text[i])
        i += 1
    raise CannotTell("unterminated string in expression")


def parse_number(text: str) -> float:
    """A number literal, or a string coerced to a number (NaN when it is none)."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    digits = body[1:] if body[:1] in "+-" else body
    try:
        if digits.startswith(("0x", "0X")):
            return sign * int(digits[2:], 16)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits == "Infinity":
            return sign * math.inf
        if digits == "NaN":
            return math.nan
        if not re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", digits):
            return math.nan
        return sign * float(digits)
    except ValueError:
        return math.nan


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True, kw_only=True)
class Literal:
    """A literal value."""

    value: Value


@dataclass(frozen=True, kw_only=True)
class Name:
    """A top-level context name (``inputs``, ``github``, ``matrix``...)."""

    name: str


@dataclass(frozen=True, kw_only=True)
class Member:
    """``target.name`` or ``target[index]``."""

    target: Node
    index: Node


@dataclass(frozen=True, kw_only=True)
class Call:
    """``name(args...)``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, kw_only=True)
class Unary:
    """``!operand``."""

    operand: Node


@dataclass(frozen=True, kw_only=True)
class Binary:
    """``left op right``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, kw_only=True)
class Filter:
    """``target.*``: object filters are not evaluated here."""

    target: Node


Node = Literal | Name | Member | Call | Unary | Binary | Filter

_LEVELS: tuple[tuple[str, ...], ...] = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))
_KEYWORDS: dict[str, Value] = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("punct",):
            raise CannotTell(f"expected {text!r}, found {token.text or 'the end'!r}")

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek().kind != "end":
            raise CannotTell(f"unexpected {self.peek().text!r} in expression")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek().kind == "punct" and self.peek().text in _LEVELS[level]:
            op = self.take().text
            node = Binary(op=op, left=node, right=self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek().kind == "punct" and self.peek().text == "!":
            self.take()
            self._enter()
            operand = self.unary()
            self.depth -= 1
            return Unary(operand=operand)
        return self.postfix(self.primary())

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CannotTell(f"expression nested more than {MAX_DEPTH} levels deep")

    def primary(self) -> Node:
        token = self.take()
        if token.kind in ("num", "str"):
            return Literal(value=token.value)
        if token.kind == "punct" and token.text == "(":
            self._enter()
            node = self.binary(0)
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "ident":
            if token.text in _KEYWORDS:
                return Literal(value=_KEYWORDS[token.text])
            if token.text in ("NaN", "Infinity"):
                return Literal(value=parse_number(token.text))
            if self.peek().text == "(" and self.peek().kind == "punct":
                return self.call(token.text)
            return Name(name=token.text)
        raise CannotTell(f"unexpected {token.text or 'end'!r} in expression")

    def call(self, name: str) -> Node:
        self.take()
        self._enter()
        args: list[Node] = []
        if not (self.peek().kind == "punct" and self.peek().text == ")"):
            args.append(self.binary(0))
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.take()
                args.append(self.binary(0))
        self.expect(")")
        self.depth -= 1
        return Call(name=name.lower(), args=tuple(args))

    def postfix(self, node: Node) -> Node:
        while self.peek().kind == "punct" and self.peek().text in (".", "["):
            if self.take().text == ".":
                token = self.take()
                if token.kind == "punct" and token.text == "*":
                    node = Filter(target=node)
                elif token.kind == "ident":
                    node = Member(target=node, index=Literal(value=token.text))
                else:
                    raise CannotTell(f"expected a property name after '.', found {token.text!r}")
            else:
                self._enter()
                if self.peek().kind == "punct" and self.peek().text == "*":
                    self.take()
                    self.expect("]")
                    node = Filter(target=node)
                else:
                    index = self.binary(0)
                    self.expect("]")
                    node = Member(target=node, index=index)
                self.depth -= 1
        return node


def parse(text: str) -> Node:
    """The syntax tree of one expression; ``CannotTell`` for what GitHub would reject."""
    try:
        return _Parser(tokenize(text)).parse()
    except RecursionError:
        raise CannotTell("expression nested too deeply") from None


# ---------------------------------------------------------------- coercion


def to_number(value: Value) -> float:
    """GitHub's coercion to a number."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return 0.0 if value.strip() == "" else parse_number(value)
    return math.nan


def to_string(value: Value) -> str:
    """GitHub's coercion to a string (``null`` is ``''``, 1.0 is ``1``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return "Array" if isinstance(value, list) else "Object"


def truthy(value: Value) -> bool:
    """GitHub's truthiness: ``null``, ``false``, ``0``, ``NaN`` and ``''`` are false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def _kind(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def loose_equal(left: Value, right: Value) -> bool:
    """``==``: same type compares directly (strings ignoring case), else as numbers."""
    kl, kr = _kind(left), _kind(right)
    if kl == kr:
        if isinstance(left, str) and isinstance(right, str):
            return left.upper() == right.upper()
        if kl in ("array", "object"):
            return left is right
        return left == right
    if kl in ("array", "object") or kr in ("array", "object"):
        return False
    return to_number(left) == to_number(right)


def compare(op: str, left: Value, right: Value) -> bool:
    """``<``, ``<=``, ``>``, ``>=`` with the same coercion as ``==``."""
    if isinstance(left, str) and isinstance(right, str):
        return _ordered(op, left.upper(), right.upper())
    a, b = to_number(left), to_number(right)
    if math.isnan(a) or math.isnan(b):
        return False
    return _ordered(op, a, b)


_Ordered = TypeVar("_Ordered", str, float)


def _ordered(op: str, a: _Ordered, b: _Ordered) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


# ---------------------------------------------------------------- evaluation

STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


class Evaluator:
    """Evaluates syntax trees against contexts.

    ``status`` gives the value of ``success()``/``failure()``/``cancelled()``/``always()``;
    without it they cannot be told.
    """

    def __init__(self, contexts: Context, *, status: Mapping[str, bool] | None = None) -> None:
        self.contexts = {key.lower(): value for key, value in contexts.items()}
        self.status = status

    def evaluate(self, node: Node) -> Value:
        """The value of ``node``; ``CannotTell`` when it depends on something unknown."""
        try:
            return self._eval(node)
        except RecursionError:
            raise CannotTell("expression nested too deeply") from None

    def _eval(self, node: Node) -> Value:
        match node:
            case Literal(value=value):
                return value
            case Name(name=name):
                return self._known(self.contexts.get(name.lower(), _unrecognised(name)))
            case Member(target=target, index=index):
                return self._member(self._eval(target), self._eval(index))
            case Unary(operand=operand):
                return not truthy(self._eval(operand))
            case Binary(op="&&", left=left, right=right):
                first = self._eval(left)
                return self._eval(right) if truthy(first) else first
            case Binary(op="||", left=left, right=right):
                first = self._eval(left)
                return first if truthy(first) else self._eval(right)
            case Binary(op="==", left=left, right=right):
                return loose_equal(self._eval(left), self._eval(right))
            case Binary(op="!=", left=left, right=right):
                return not loose_equal(self._eval(left), self._eval(right))
            case Binary(op=op, left=left, right=right):
                return compare(op, self._eval(left), self._eval(right))
            case Call(name=name, args=args):
                return self._call(name, args)
            case Filter():
                raise CannotTell("object filters (.*) are not evaluated before the run")
        raise CannotTell("unsupported expression")  # pragma: no cover - the match is exhaustive

    def _known(self, value: Value | Unknown) -> Value:
        if isinstance(value, Unknown):
            raise CannotTell(value.reason)
        return value

    def _member(self, target: Value, index: Value) -> Value:
        if isinstance(target, dict):
            if not isinstance(index, str):
                index = to_string(index)
            for key, item in target.items():
                if key.upper() == index.upper():
                    return self._known(item)
            if isinstance(target, Partial):
                raise CannotTell(f"{target.unknown.reason} ({index})")
            return None
        if (
            isinstance(target, list)
            and isinstance(index, float | int)
            and not isinstance(index, bool)
        ):
            position = float(index)
            if position.is_integer() and 0 <= position < len(target):
                return target[int(position)]
        return None

    def _call(self, name: str, args: tuple[Node, ...]) -> Value:
        if name in STATUS_FUNCTIONS:
            if args:
                raise CannotTell(f"{name}() takes no arguments")
            if self.status is None:
                raise CannotTell(f"{name}() depends on the run")
            return self.status[name]
        function = _FUNCTIONS.get(name)
        if function is None:
            raise CannotTell(f"{name}() is not evaluated before the run")
        low, high, call = function
        if not low <= len(args) <= high:
            raise CannotTell(f"{name}() takes {low} to {high} arguments, {len(args)} given")
        return call([self._eval(arg) for arg in args])


def _unrecognised(name: str) -> Unknown:
    return Unknown(f"the context {name!r} is known only at run time")


def _contains(args: Sequence[Value]) -> Value:
    search, item = args
    if isinstance(search, list):
        return any(loose_equal(element, item) for element in search)
    return to_string(item).upper() in to_string(search).upper()


def _starts_with(args: Sequence[Value]) -> Value:
    return to_string(args[0]).upper().startswith(to_string(args[1]).upper())


def _ends_with(args: Sequence[Value]) -> Value:
    return to_string(args[0]).upper().endswith(to_string(args[1]).upper())


_FORMAT_PART = re.compile(r"\{\{|\}\}|\{(\d+)\}|[{}]")


def _format(args: Sequence[Value]) -> Value:
    template = to_string(args[0])
    values = [to_string(arg) for arg in args[1:]]
    out: list[str] = []
    position = 0
    for match in _FORMAT_PART.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        part = match.group()
        if part in ("{{", "}}"):
            out.append(part[0])
        elif match.group(1) is not None and int(match.group(1)) < len(values):
            out.append(values[int(match.group(1))])
        else:
            raise CannotTell(f"format(): invalid placeholder {part!r} in {template!r}")
    out.append(template[position:])
    return "".join(out)


def _join(args: Sequence[Value]) -> Value:
    items = args[0]
    separator = to_string(args[1]) if len(args) > 1 else ","
    if isinstance(items, list):
        return separator.join(to_string(item) for item in items)
    return to_string(items)


def _plain(value: Value) -> object:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _to_json(args: Sequence[Value]) -> Value:
    return json.dumps(_plain(args[0]), indent=2, ensure_ascii=False)


def from_json_value(data: object) -> Value:
    """A JSON document as expression values (numbers become floats)."""
    if data is None or isinstance(data, bool | str | float):
        return data
    if isinstance(data, int):
        return float(data)
    if isinstance(data, list):
        return [from_json_value(item) for item in data]
    if isinstance(data, dict):
        return {str(key): from_json_value(item) for key, item in data.items()}
    raise CannotTell("fromJSON(): unsupported value")  # pragma: no cover - json gives no other


def _from_json(args: Sequence[Value]) -> Value:
    text = to_string(args[0])
    if len(text) > MAX_LENGTH:
        raise CannotTell("fromJSON(): argument too long")
    try:
        return from_json_value(json.loads(text))
    except (ValueError, RecursionError):
        raise CannotTell(f"fromJSON(): not JSON: {text[:60]!r}") from None


_FUNCTIONS: dict[str, tuple[int, int, Callable[[Sequence[Value]], Value]]] = {
    "contains": (2, 2, _contains),
    "startswith": (2, 2, _starts_with),
    "endswith": (2, 2, _ends_with),
    "format": (1, 99, _format),
    "join": (1, 2, _join),
    "tojson": (1, 1, _to_json),
    "fromjson": (1, 1, _from_json),
}


# ---------------------------------------------------------------- templates

_OPEN = "${{"


def split_template(text: str) -> list[str | Node]:
    """A YAML string as literal parts and expressions (``${{ ... }}``)."""
    parts: list[str | Node] = []
    position = 0
    while True:
        start = text.find(_OPEN, position)
        if start < 0:
            if position < len(text):
                parts.append(text[position:])
            return parts
        if start > position:
            parts.append(text[position:start])
        end = _closing(text, start + len(_OPEN))
        parts.append(parse(text[start + len(_OPEN) : end]))
        position = end + 2


def _closing(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "'":
            i, _ = _string(text, i)
            continue
        if text.startswith("}}", i):
            return i
        i += 1
    raise CannotTell("'${{' without its closing '}}'")


def has_expression(text: str) -> bool:
    """True when ``text`` holds a ``${{ }}`` expression."""
    return _OPEN in text


def evaluate_template(text: str, evaluator: Evaluator) -> Value:
    """A YAML string's value: one whole expression keeps its type, else a joined string."""
    parts = split_template(text)
    if len(parts) == 1 and not isinstance(parts[0], str):
        return evaluator.evaluate(parts[0])
    return "".join(
        part if isinstance(part, str) else to_string(evaluator.evaluate(part)) for part in parts
    )


def evaluate_condition(text: str | bool | float | None, evaluator: Evaluator) -> bool:
    """An ``if:`` value: a bare expression, or ``${{ }}`` text (non-empty text is true).

    No condition (``None``) is true, as a job or step without ``if:`` runs.
    """
    if text is None:
        return True
    if isinstance(text, bool):
        return text
    if isinstance(text, int | float):
        return truthy(float(text))
    stripped = text.strip()
    if not has_expression(stripped):
        return truthy(evaluator.evaluate(parse(stripped)))
    return truthy(evaluate_template(stripped, evaluator))


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents first."""
    yield node
    match node:
        case Member(target=target, index=index):
            yield from walk(target)
            yield from walk(index)
        case Call(args=args):
            for arg in args:
                yield from walk(arg)
        case Unary(operand=operand):
            yield from walk(operand)
        case Binary(left=left, right=right):
            yield from walk(left)
            yield from walk(right)
        case Filter(target=target):
            yield from walk(target)
        case _:
            pass
