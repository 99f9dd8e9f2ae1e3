"""Workflow YAML as plain values that remember their line, read the way GitHub reads it.

Safety and fidelity rules:
- at most ``MAX_BYTES`` of text, nesting at most ``MAX_DEPTH`` deep, and at most ``MAX_NODES``
  values after aliases are expanded (a "billion laughs" file stops here, not in memory);
- PyYAML only composes the node graph (SafeLoader: no tags run code); scalars are resolved
  here by the YAML 1.2 core schema, as GitHub does, so a bare ``on:`` key stays the string
  ``"on"`` and ``yes``/``no``/``off`` stay strings;
- a duplicate key is refused, as GitHub refuses it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from typing import Union

import yaml

from validator.errors import UsageError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

YValue = Union["YMap", "YList", str, int, float, bool, None]


class WorkflowError(UsageError):
    """The workflow file cannot be read as a workflow: exit 2, with the line when known."""


class YMap(dict[str, YValue]):
    """A YAML mapping; ``line`` is where it starts, ``key_lines`` where each key is (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line)


class YList(list[YValue]):
    """A YAML sequence; ``line`` is where it starts, ``item_lines`` where each item is."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def resolve_plain(text: str) -> YValue:
    """A plain (unquoted) scalar under the YAML 1.2 core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
        return math.inf
    if text in ("-.inf", "-.Inf", "-.INF"):
        return -math.inf
    if text in (".nan", ".NaN", ".NAN"):
        return math.nan
    return text


class _Builder:
    """Turns a composed node graph into YMap/YList/scalars, counting every value made."""

    def __init__(self) -> None:
        self.count = 0

    def build(self, node: yaml.Node, depth: int) -> YValue:
        self.count += 1
        if self.count > MAX_NODES:
            raise WorkflowError(
                f"more than {MAX_NODES} values once YAML aliases are expanded; "
                "a workflow this large is refused (anchor bomb?)"
            )
        if depth > MAX_DEPTH:
            raise WorkflowError(f"line {_line(node)}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            return resolve_plain(node.value) if node.style is None else str(node.value)
        if isinstance(node, yaml.SequenceNode):
            seq = YList(_line(node))
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_lines.append(_line(item))
            return seq
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        raise WorkflowError(f"line {_line(node)}: unsupported YAML node")

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        mapping = YMap(_line(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise WorkflowError(
                    f"line {_line(key_node)}: YAML merge keys (<<) are not "
                    "supported by GitHub Actions"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise WorkflowError(f"line {_line(key_node)}: a mapping key must be a scalar")
            key = str(key_node.value)
            if key in mapping:
                raise WorkflowError(f"line {_line(key_node)}: duplicate key {key!r}")
            mapping[key] = self.build(value_node, depth + 1)
            mapping.key_lines[key] = _line(key_node)
        return mapping


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def load_yaml(text: str) -> YValue:
    """Parse one YAML document; ``WorkflowError`` for anything that is not one."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise WorkflowError(f"larger than {MAX_BYTES // 1024} KiB; not read")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise WorkflowError(f"{where}not valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise WorkflowError(f"not valid YAML ({exc})") from None
    except RecursionError:
        raise WorkflowError("not read: nested too deeply") from None
    if node is None:
        return None
    return _Builder().build(node, 0)


def text_from_contents(document: Mapping[str, object]) -> str:
    """The text of a file from GitHub's contents endpoint (``encoding: base64``)."""
    encoding = document.get("encoding")
    content = document.get("content")
    if encoding != "base64" or not isinstance(content, str):
        raise WorkflowError(
            f"the contents endpoint answered without base64 content (encoding {encoding!r}); "
            f"files over 1 MiB are not served inline"
        )
    try:
        raw = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise WorkflowError("the contents endpoint answered with damaged base64") from None
    if len(raw) > MAX_BYTES:
        raise WorkflowError(f"larger than {MAX_BYTES // 1024} KiB; not read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkflowError("not UTF-8 text") from None
