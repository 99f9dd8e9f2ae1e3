"""The release gate: is there fresh GO evidence for this commit? A pure reading of the JSON.

Evidence passes only when it is about a real GitHub run (never the built-in emulator), of the
repository being released, of the commit named (at least 7 hex characters, never a prefix of
nothing), and when the run it judged completed recently enough: the age is measured from the
run's completion, not from when the report was written, and a time in the future is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
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


_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
# Clocks of the validating machine and the gate's may disagree a little; more is not skew.
_SKEW = dt.timedelta(minutes=5)


def _stamp(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _section(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``document[keys[0]][keys[1]]...``, or {} where any level is missing or not an object."""
    found: Any = document
    for key in keys:
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def check_sha(sha: str | None) -> str | None:
    """``--sha`` lower-cased, or a UsageError: an empty or short prefix would match any commit."""
    if sha is None:
        return None
    if not _SHA.fullmatch(sha):
        raise UsageError(
            f"--sha {sha!r}: give at least 7 hexadecimal characters of the commit "
            '(e.g. --sha "$GITHUB_SHA").'
        )
    return sha.lower()


def go_unearned(document: dict[str, Any]) -> str | None:
    """Why a document that says GO is not GO by its own checks, or None when it is.

    The verdict field is never trusted alone: every check this version knows must be listed,
    every blocking one passed (or waived, or not applicable), and at least one passed.
    """
    from validator.checks import CHECKS

    checks = [c for c in document.get("checks") or () if isinstance(c, dict)]
    seen = {str(c.get("id")): c for c in checks}
    if missing := [c.id for c in CHECKS if c.id not in seen]:
        return f"it lists no outcome for {', '.join(missing[:5])}"
    open_ = [
        i
        for i, c in seen.items()
        if c.get("blocking", True) is not False
        and c.get("status") not in ("passed", "waived", "skipped")
    ]
    if open_:
        return f"its blocking checks {', '.join(open_[:5])} did not pass"
    if not any(c.get("status") == "passed" for c in checks):
        return "none of its checks passed"
    return None


def _same_repository(a: object, b: str) -> bool:
    return isinstance(a, str) and a.casefold() == b.casefold()


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


def _foreign(document: dict[str, Any], source: str, repository: str | None) -> str | None:
    """Why the evidence is not about this release at all, or None: another schema, the
    emulator, another repository."""
    schema = document.get("schema")
    if schema != SCHEMA:
        return (
            f"{source}: unknown evidence schema {schema!r} (this gate reads {SCHEMA}); "
            "regenerate it with this version of validate-arm64."
        )
    settings = _section(document, "evidence", "settings")
    if settings.get("emulator_scenario") or settings.get("emulator"):
        return (
            f"{source}: evidence from the built-in emulator, not from GitHub: it proves nothing "
            "about a release. Run validate-arm64 --all-phases against the repository."
        )
    if repository is not None and not _same_repository(document.get("repository"), repository):
        return (
            f"{source}: evidence is for {document.get('repository') or 'no repository'}, "
            f"not {repository}. Pass the evidence of this repository (or --repo)."
        )
    return None


def admit(
    document: dict[str, Any],
    *,
    source: str,
    now: dt.datetime,
    max_age: float | None,
    sha: str | None,
    repository: str | None = None,
) -> GateResult:
    """Whether the gate lets the release through: exit 0 only for GO evidence of a known schema,
    fresh, and (with ``sha``) of that commit."""
    try:
        sha = check_sha(sha)
    except UsageError as exc:
        return GateResult(code=2, line=str(exc))
    if (refused := _foreign(document, source, repository)) is not None:
        return GateResult(code=2, line=refused)
    generated_at = document.get("generated_at")
    generated = _stamp(generated_at)
    if generated is None:
        return GateResult(
            code=2, line=f"{source}: generated_at {generated_at!r} is not a UTC time."
        )
    run = _section(document, "evidence", "run")
    completed_at = run.get("updated_at") if run.get("status") == "completed" else None
    completed = _stamp(completed_at)
    for what, stamp, text in (
        ("generated", generated, generated_at),
        ("its run completed", completed, completed_at),
    ):
        if stamp is not None and stamp - now > _SKEW:
            return GateResult(
                code=2,
                line=f"{source}: {what} {text}, which is in the future (now "
                f"{now:%Y-%m-%dT%H:%M:%SZ}). Check the clocks, then regenerate the evidence.",
            )
    verdict = document.get("verdict")
    if verdict == "GO" and completed is None:
        return GateResult(
            code=3,
            line=f"{source}: GO evidence that does not say when its run completed; "
            "regenerate it with this version of validate-arm64.",
        )
    age = now - (completed or generated)
    if max_age is not None and age.total_seconds() > max_age:
        limit = _human(dt.timedelta(seconds=max_age))
        when = f"run completed {completed_at}" if completed else f"generated {generated_at}"
        return GateResult(
            code=3,
            line=f"{source}: evidence is stale: {when}, {_human(age)} ago, "
            f"older than --max-age {limit}. Run validate-arm64 again.",
        )
    head = document.get("head_sha")
    if sha is not None and not (isinstance(head, str) and head.lower().startswith(sha)):
        return GateResult(
            code=3,
            line=f"{source}: evidence is for commit {str(head)[:12] if head else 'unknown'}, "
            f"not {sha[:12]}. Validate that commit first.",
        )
    checks = document.get("checks") or []
    if verdict == "GO" and (unearned := go_unearned(document)) is not None:
        return GateResult(
            code=2,
            line=f"{source}: says GO, but {unearned}: not evidence this gate can trust. "
            "Regenerate it with validate-arm64.",
        )
    if verdict == "GO":
        return GateResult(
            code=0,
            line=f"GO: {document.get('repository')} at {str(head)[:12]}, "
            f"run completed {_human(age)} ago.",
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


def admit_file(
    path: Path,
    *,
    max_age: float | None,
    sha: str | None,
    repo: str | None,
    environ: Mapping[str, str],
    now: dt.datetime | None = None,
) -> GateResult:
    """``admit`` for an evidence file, the repository from ``repo`` or GITHUB_REPOSITORY."""
    from validator.config import parse_repository

    check_sha(sha)
    repository = repo or environ.get("GITHUB_REPOSITORY") or None
    if repository is not None:
        repository = parse_repository(repository, source="--repo" if repo else "GITHUB_REPOSITORY")
    return admit(
        load_document(path),
        source=str(path),
        now=now or dt.datetime.now(dt.UTC),
        max_age=max_age,
        sha=sha,
        repository=repository,
    )
