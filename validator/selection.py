"""Which of a run's artifacts to download: ``--artifact NAME`` (names or globs, like gh's
``run download -n/-p``); none given means every one."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from validator.evidence import Artifact


@dataclass(frozen=True, kw_only=True)
class Selection:
    """The artifacts to download, those left out, and the patterns that matched none."""

    chosen: tuple[Artifact, ...]
    skipped: tuple[Artifact, ...]
    unmatched: tuple[str, ...]


def select_artifacts(listed: Sequence[Artifact], patterns: Sequence[str]) -> Selection:
    """Keep the artifacts whose name matches a pattern (case-sensitive, as GitHub names are)."""
    if not patterns:
        return Selection(chosen=tuple(listed), skipped=(), unmatched=())

    def hit(artifact: Artifact, pattern: str) -> bool:
        return fnmatch.fnmatchcase(artifact.name, pattern)

    chosen = tuple(a for a in listed if any(hit(a, p) for p in patterns))
    skipped = tuple(a for a in listed if a not in chosen)
    unmatched = tuple(p for p in patterns if not any(hit(a, p) for a in listed))
    return Selection(chosen=chosen, skipped=skipped, unmatched=unmatched)
