"""Runner label matching, as GitHub does it: every required label, compared case-insensitively."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_LABELS: tuple[str, ...] = ("self-hosted", "linux", "ARM64")


def has_labels(have: Iterable[Any], required: Iterable[str]) -> bool:
    """True when ``have`` (names, or labels with a ``name``) carries every label in
    ``required`` (case-insensitive)."""
    folded = {str(getattr(label, "name", label)).casefold() for label in have}
    return all(label.casefold() in folded for label in required)


def parse_labels(text: str) -> tuple[str, ...]:
    """``"self-hosted, linux,ARM64"`` → ``("self-hosted", "linux", "ARM64")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


# The labels the runner application sets from the machine itself ("read-only" in GitHub's API);
# every other label was typed by a person ("custom").
READ_ONLY_LABELS = frozenset(
    {"self-hosted", "linux", "windows", "macos", "x64", "arm64", "arm", "x86"}
)
ARCHITECTURE_LABELS: dict[str, str] = {"x64": "X64", "arm64": "ARM64", "arm": "ARM", "x86": "X86"}
# Words a person may type for an architecture in a custom label.
ARCHITECTURE_WORDS: dict[str, str] = {
    "arm64": "ARM64",
    "aarch64": "ARM64",
    "armv8": "ARM64",
    "arm": "ARM",
    "armv7": "ARM",
    "x64": "X64",
    "x86_64": "X64",
    "x86-64": "X64",
    "amd64": "X64",
    "x86": "X86",
    "i386": "X86",
    "i686": "X86",
}


def default_label_type(name: str) -> str:
    """The type GitHub gives a label of this name: ``read-only`` for the runner's own, else
    ``custom``."""
    return "read-only" if name.casefold() in READ_ONLY_LABELS else "custom"


def architecture_named(name: str) -> str | None:
    """The architecture a label's name stands for (``aarch64`` → ``ARM64``), if any."""
    return ARCHITECTURE_WORDS.get(name.casefold())
