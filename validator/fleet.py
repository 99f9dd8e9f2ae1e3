"""Many validations at once: evidence files → one dashboard row per repository and workflow.

``load`` is the only part that touches files: it reads every evidence JSON it is given (or
finds under a folder) and turns each way a file can be unusable into a reason. ``build_fleet``
is a pure judgement of what was loaded: a row per repository and workflow from its newest
evidence, a row per unreadable file, stale evidence INCONCLUSIVE, worst first. Nothing here
raises on a file's content: a damaged file is a row that says so, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from validator.errors import UsageError
from validator.evidence import SCHEMA
from validator.gate import go_unearned
from validator.history import history_path, read_history
from validator.labels import DEFAULT_LABELS, has_labels
from validator.render.mermaid import DEFAULT_POINTS
from validator.verdict import EXIT_CODES, Verdict

MAX_FILE_BYTES = 64 * 1024 * 1024
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clock skew between runners and this machine
REASON_LIMIT = 160
VERDICTS: tuple[Verdict, ...] = ("NO-GO", "INCONCLUSIVE", "GO")  # worst first


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """One file given to ``fleet``: its document, or why it is not readable evidence."""

    path: str
    document: dict[str, Any] | None = None
    problem: str | None = None
    history: tuple[tuple[str, str], ...] = ()  # (generated_at, verdict) from the history beside it


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A blocking check that stands between a row and GO, with its one-line reason."""

    check: str
    status: Literal["failed", "inconclusive"]
    reason: str


@dataclass(frozen=True, kw_only=True)
class Row:
    """One repository and workflow, from its newest evidence (or one unreadable file)."""

    source: str
    verdict: Verdict  # what the dashboard says: stale or unreadable evidence is INCONCLUSIVE
    repository: str | None = None
    workflow: str | None = None
    scenario: str | None = None  # evidence from the built-in emulator: a demonstration
    evidence_verdict: Verdict | None = None  # what the evidence itself says
    problem: str | None = None  # unreadable, stale, or undated: why the row is INCONCLUSIVE
    findings: tuple[Finding, ...] = ()
    tests_passed: int | None = None
    tests_counted: int | None = None
    expected_tests: int | None = None
    min_tests: int | None = None
    runners_online: int | None = None  # online runners carrying the required labels
    autoscaling: bool = False
    run_id: int | None = None
    run_url: str | None = None
    head_sha: str | None = None
    observed_at: str | None = None  # the judged run's completion, else when evidence was made
    age_seconds: float | None = None
    history: tuple[Verdict, ...] = ()  # oldest first, this evidence last
    older: int = 0  # older evidence files of the same repository and workflow

    @property
    def unreadable(self) -> bool:
        return self.evidence_verdict is None


@dataclass(frozen=True, kw_only=True)
class Fleet:
    """The dashboard: rows worst first, and when and under which limit it was made."""

    generated_at: str
    max_age_seconds: float | None
    rows: tuple[Row, ...]

    @property
    def verdict(self) -> Verdict:
        """The worst row: any NO-GO, else any INCONCLUSIVE; no rows is INCONCLUSIVE."""
        if not self.rows:
            return "INCONCLUSIVE"
        return min((r.verdict for r in self.rows), key=VERDICTS.index)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.rows if r.verdict == verdict)


# --- loading (the only I/O) -----------------------------------------------------------------


def evidence_files(paths: Sequence[Path]) -> tuple[Path, ...]:
    """Every file given, and every ``*.json`` under a folder given (hidden and symlinked folders
    are not entered). A path that does not exist is a usage error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path, followlinks=False):
                # hidden folders hold work files (downloaded artifacts), not evidence
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(folder, f) for f in sorted(files) if f.endswith(".json"))
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(
                f"{path}: no such file or folder. Pass evidence JSON files, or folders holding "
                "them (e.g. the downloaded artifacts of a validation matrix)."
            )
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UsageError(
            f"no evidence JSON found under {', '.join(str(p) for p in paths)}: nothing to show. "
            "Did the validation jobs upload their evidence?"
        )
    return tuple(unique)


def load(path: Path) -> Loaded:
    """Read one file; any way it is not usable evidence becomes ``problem``."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Loaded(path=name, problem=f"{size} bytes: too large for evidence")
        raw = path.read_bytes()
    except OSError as exc:
        return Loaded(path=name, problem=f"not readable ({exc.strerror or type(exc).__name__})")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Loaded(path=name, problem="not UTF-8 text, so not evidence JSON")
    except ValueError as exc:
        return Loaded(path=name, problem=f"not JSON ({_one_line(str(exc))})")
    except RecursionError:
        return Loaded(path=name, problem="not JSON this tool reads (nested too deeply)")
    problem = _not_evidence(document)
    if problem:
        return Loaded(path=name, problem=problem)
    history = tuple((e.generated_at, e.verdict) for e in read_history(history_path(path)))
    return Loaded(path=name, document=document, history=history)


def _not_evidence(document: object) -> str | None:
    if not isinstance(document, dict):
        return f"a JSON {type(document).__name__}, not an evidence document"
    schema = document.get("schema")
    if schema is None:
        return f"no schema field: another tool's file, not {SCHEMA}"
    if schema != SCHEMA:
        return f"schema {_one_line(repr(schema), 60)}, not {SCHEMA}"
    verdict = document.get("verdict")
    if verdict not in VERDICTS:
        return f"verdict {_one_line(repr(verdict), 40)} is not GO, NO-GO or INCONCLUSIVE"
    if not isinstance(document.get("repository"), str) or not document["repository"]:
        return "no repository named: cannot tell which row it belongs to"
    return None


def load_all(paths: Sequence[Path]) -> tuple[Loaded, ...]:
    return tuple(load(p) for p in evidence_files(paths))


# --- judging (pure) -------------------------------------------------------------------------


def _one_line(text: str, limit: int = REASON_LIMIT) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rstrip()
    return cut + ("`…" if cut.count("`") % 2 else "…")  # close a code span cut in half


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


_URL = re.compile(r"https?://[^\s()<>\[\]|\"'`\\]+")
_SHA = re.compile(r"[0-9a-f]{7,64}")


def _findings(document: dict[str, Any]) -> tuple[Finding, ...]:
    found: list[Finding] = []
    for status in ("failed", "inconclusive"):
        for check in _list(document.get("checks")):
            c = _dict(check)
            if c.get("status") != status or c.get("blocking", True) is False:
                continue
            detail = _str(c.get("detail")) or _str(c.get("statement")) or "no detail recorded"
            found.append(
                Finding(
                    check=_one_line(_str(c.get("id")) or "?", 20),
                    status=status,
                    reason=_one_line(detail.removeprefix("Not checked: ")),
                )
            )
    return tuple(found)


def _tests(evidence: dict[str, Any]) -> tuple[int | None, int | None]:
    tests = evidence.get("tests")
    if not isinstance(tests, dict):
        return None, None
    passed = counted = 0
    for f in _list(tests.get("files")):
        counts = _dict(_dict(f).get("counts"))
        passed += _int(counts.get("passed")) or 0
        counted += _int(counts.get("tests")) or 0
    return passed, counted


def _runners_online(evidence: dict[str, Any], labels: Sequence[str]) -> int | None:
    runners = _dict(evidence.get("health")).get("runners")
    if not isinstance(runners, list):
        return None
    return sum(
        1
        for r in map(_dict, runners)
        if r.get("status") == "online" and has_labels(_label_names(r), labels) and _is_arm64(r)
    )


def _label_names(runner: dict[str, Any]) -> list[str]:
    """A runner's label names, whether the evidence lists names or ``{"name", "type"}``."""
    names = (x if isinstance(x, str) else _dict(x).get("name") for x in _list(runner.get("labels")))
    return [n for n in names if isinstance(n, str)]


def _is_arm64(runner: dict[str, Any]) -> bool:
    """ARM64 by its read-only architecture label, when the evidence says the labels' types."""
    typed = [_dict(x) for x in _list(runner.get("labels")) if isinstance(x, dict)]
    if not typed:
        return True  # evidence from before label types: the required labels decide
    return any(
        x.get("type") == "read-only" and str(x.get("name", "")).upper() == "ARM64" for x in typed
    )


def _key(document: dict[str, Any]) -> tuple[str, str, str]:
    settings = _dict(_dict(document.get("evidence")).get("settings"))
    return (
        str(document["repository"]),
        _str(settings.get("workflow")) or str(_int(settings.get("workflow")) or ""),
        _str(settings.get("emulator_scenario")) or "",
    )


def _age_problem(
    observed: dt.datetime | None, stamp: str | None, now: dt.datetime, max_age: float | None
) -> tuple[float | None, str | None]:
    if observed is None:
        return None, "no valid time in the evidence: its age cannot be told"
    age = (now - observed).total_seconds()
    if observed - now > FUTURE_TOLERANCE:
        return age, f"observed at {stamp}, in the future: check the clocks, then validate again"
    age = max(age, 0.0)
    if max_age is not None and age > max_age:
        return age, (
            f"stale: observed {human_age(age)} ago, older than --max-age {human_age(max_age)}; "
            "validate again"
        )
    return age, None


def human_age(seconds: float) -> str:
    """``2700`` → ``45m``; ``93600`` → ``26h00m``; ``273600`` → ``3d04h``."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{rest:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def _row(
    newest: Loaded,
    older: Sequence[Loaded],
    *,
    now: dt.datetime,
    max_age: float | None,
    points: int,
) -> Row:
    document = newest.document or {}
    evidence = _dict(document.get("evidence"))
    settings = _dict(evidence.get("settings"))
    run = _dict(evidence.get("run"))
    verdict: Verdict = document["verdict"]
    stamp = _str(run.get("updated_at")) or _str(document.get("generated_at"))
    observed = _time(run.get("updated_at")) or _time(document.get("generated_at"))
    age, problem = _age_problem(observed, stamp, now, max_age)
    if verdict == "GO" and (unearned := go_unearned(document)) is not None:
        problem = f"says GO, but {unearned}"
    labels = [x for x in _list(settings.get("labels")) if isinstance(x, str)] or DEFAULT_LABELS
    passed, counted = _tests(evidence)
    run_url = _str(run.get("html_url"))
    head = _str(document.get("head_sha")) or _str(run.get("head_sha"))
    repository, workflow, scenario = _key(document)
    return Row(
        source=newest.path,
        verdict="INCONCLUSIVE" if problem else verdict,
        repository=repository,
        workflow=workflow or None,
        scenario=scenario or None,
        evidence_verdict=verdict,
        problem=problem,
        findings=_findings(document),
        tests_passed=passed,
        tests_counted=counted,
        expected_tests=_int(settings.get("expected_tests")),
        min_tests=_int(settings.get("min_tests")),
        runners_online=_runners_online(evidence, labels),
        autoscaling=settings.get("autoscaling") is True,
        run_id=_int(run.get("id")),
        run_url=run_url if run_url and _URL.fullmatch(run_url) else None,
        head_sha=head.lower() if head and _SHA.fullmatch(head.lower()) else None,
        observed_at=stamp if observed else None,
        age_seconds=age,
        history=_history((newest, *older), points),
        older=len(older),
    )


def _history(files: Iterable[Loaded], points: int) -> tuple[Verdict, ...]:
    """Verdicts of this repository and workflow, oldest first: its evidence files and the
    history lines beside them, each validation once (by its generation time)."""
    seen: dict[dt.datetime, Verdict] = {}
    for f in files:
        doc = f.document or {}
        for stamp, verdict in (*f.history, (doc.get("generated_at"), doc.get("verdict"))):
            when = _time(stamp)
            if when is not None and verdict in VERDICTS:
                seen.setdefault(when, verdict)
    return tuple(seen[t] for t in sorted(seen))[-points:]


def _unreadable_row(f: Loaded) -> Row:
    return Row(source=f.path, verdict="INCONCLUSIVE", problem=f.problem or "not evidence")


def _order(row: Row) -> tuple[int, int, str, str, str, str]:
    return (
        VERDICTS.index(row.verdict),
        0 if row.unreadable else 1,
        row.repository or "",
        row.workflow or "",
        row.scenario or "",
        row.source,
    )


def build_fleet(
    loaded: Sequence[Loaded],
    *,
    now: dt.datetime,
    max_age: float | None,
    points: int = DEFAULT_POINTS,
) -> Fleet:
    """One row per repository and workflow from its newest evidence, one per unreadable file."""
    groups: dict[tuple[str, str, str], list[Loaded]] = {}
    rows = [_unreadable_row(f) for f in loaded if f.document is None]
    for f in loaded:
        if f.document is not None:
            groups.setdefault(_key(f.document), []).append(f)
    for files in groups.values():
        files.sort(key=_newest_first)
        rows.append(_row(files[0], files[1:], now=now, max_age=max_age, points=points))
    return Fleet(
        generated_at=now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        max_age_seconds=max_age,
        rows=tuple(sorted(rows, key=_order)),
    )


def _newest_first(f: Loaded) -> tuple[float, str]:
    when = _time((f.document or {}).get("generated_at"))
    return (-when.timestamp() if when else float("inf"), f.path)
