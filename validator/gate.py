"""The release gate: is there fresh GO evidence for this commit? A pure reading of the JSON."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import UsageError
from validator.evidence import SCHEMA


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """Exit code and the one line that says why."""

    code: int
    line: str


def _age(generated_at: str, now: dt.datetime) -> dt.timedelta | None:
    try:
        stamp = dt.datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    return now - stamp


def _human(delta: dt.timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m"


def load_document(path: Path) -> dict[str, Any]:
    """Read the evidence JSON, turning every way it can be unusable into one clear line."""
    if not path.is_file():
        raise UsageError(
            f"{path}: no evidence file. Run `validate-arm64 --all-phases` first, or pass "
            "--evidence PATH."
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not readable evidence JSON ({exc}). Regenerate it.") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: not an evidence document (a JSON object is expected).")
    return document


def admit(
    document: dict[str, Any],
    *,
    source: str,
    now: dt.datetime,
    max_age: float | None,
    sha: str | None,
) -> GateResult:
    """Whether the gate lets the release through: exit 0 only for GO evidence of a known schema,
    fresh, and (with ``sha``) of that commit."""
    schema = document.get("schema")
    if schema != SCHEMA:
        return GateResult(
            code=2,
            line=f"{source}: unknown evidence schema {schema!r} (this gate reads {SCHEMA}); "
            "regenerate it with this version of validate-arm64.",
        )
    generated = document.get("generated_at")
    age = _age(generated, now) if isinstance(generated, str) else None
    if age is None:
        return GateResult(code=2, line=f"{source}: generated_at {generated!r} is not a UTC time.")
    if max_age is not None and age.total_seconds() > max_age:
        limit = _human(dt.timedelta(seconds=max_age))
        return GateResult(
            code=3,
            line=f"{source}: evidence is stale: generated {generated}, {_human(age)} ago, "
            f"older than --max-age {limit}. Run validate-arm64 again.",
        )
    head = document.get("head_sha")
    if sha is not None and not (isinstance(head, str) and head.startswith(sha.lower())):
        return GateResult(
            code=3,
            line=f"{source}: evidence is for commit {str(head)[:12] if head else 'unknown'}, "
            f"not {sha[:12]}. Validate that commit first.",
        )
    verdict = document.get("verdict")
    checks = document.get("checks") or []
    if verdict == "GO":
        return GateResult(
            code=0,
            line=f"GO: {document.get('repository')} at {str(head)[:12]}, "
            f"evidence {_human(age)} old.",
        )
    failing = [
        str(c.get("id"))
        for c in checks
        if isinstance(c, dict) and c.get("blocking", True) and c.get("status") == "failed"
    ]
    unchecked = [
        str(c.get("id"))
        for c in checks
        if isinstance(c, dict) and c.get("blocking", True) and c.get("status") == "inconclusive"
    ]
    if verdict == "NO-GO":
        return GateResult(
            code=1, line=f"NO-GO: failing checks {', '.join(failing) or 'unknown'} ({source})."
        )
    return GateResult(
        code=3,
        line=f"{verdict or 'no verdict'}: not checked "
        f"{', '.join(unchecked) or 'unknown'} ({source}).",
    )
