"""Typed reads of decoded TOML or JSON: a value of the wrong kind fails naming where it was.

One reader serves the configuration file and the emulator's scenario files; each says how its
messages read (which file to fix) through ``fail``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from validator.errors import UsageError


def shown(value: Any) -> str:
    """A value as a message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def plain(where: str, problem: str) -> UsageError:
    """``repo: expected text, got 3.``: the message for a setting."""
    return UsageError(f"{where}: {problem}.")


@dataclass(frozen=True)
class Fields:
    """Checks a decoded value's kind and returns it typed, or raises the ``fail`` message."""

    fail: Callable[[str, str], UsageError] = plain

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a table (an object), got {shown(value)}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {shown(value)}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected text, got {shown(value)}")
        return value

    def filled(self, value: Any, where: str) -> str:
        """Text that is not blank, stripped."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected text, got {shown(value)}")
        return value.strip()

    def optional_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def count(self, value: Any, where: str) -> int:
        """A whole number, zero or more (``true`` is not one)."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, f"expected a whole number, zero or more, got {shown(value)}")
        return value

    def number(self, value: Any, where: str) -> float:
        """A number, zero or more."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(where, f"expected a number, zero or more, got {shown(value)}")
        return float(value)

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {shown(value)}")
        return value

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        return tuple(self.text(x, f"{where}[{i}]") for i, x in enumerate(self.items(value, where)))

    def choice(self, value: Any, where: str, allowed: tuple[str, ...]) -> str:
        text = self.text(value, where)
        if text not in allowed:
            raise self.fail(where, f"{text!r} is not one of {', '.join(allowed)}")
        return text

    def unique(self, values: Iterable[str], where: str, key: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(where, f"{key} {value!r} appears twice")
            seen.add(value)
