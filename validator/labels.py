"""Runner label matching, as GitHub does it: every required label, compared case-insensitively."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_LABELS: tuple[str, ...] = ("self-hosted", "linux", "ARM64")


def has_labels(have: Iterable[str], required: Iterable[str]) -> bool:
    """True when ``have`` carries every label in ``required`` (case-insensitive)."""
    folded = {label.casefold() for label in have}
    return all(label.casefold() in folded for label in required)


def parse_labels(text: str) -> tuple[str, ...]:
    """``"self-hosted, linux,ARM64"`` → ``("self-hosted", "linux", "ARM64")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())
