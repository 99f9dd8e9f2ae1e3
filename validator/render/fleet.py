"""The fleet dashboard as Markdown (people, step summaries) and JSON (machines). No I/O."""

from __future__ import annotations

import json
from typing import Any

from validator.fleet import Fleet, Row, human_age
from validator.render.mermaid import VERDICT_DOTS, verdict_strip

SCHEMA = "validate-arm64/fleet/1"
VERDICT_MARK = {"GO": "🟢 GO", "NO-GO": "🔴 NO-GO", "INCONCLUSIVE": "🟡 INCONCLUSIVE"}
NOT_CHECKED = "not checked"
FINDINGS_SHOWN = 4


def cell(value: object) -> str:
    """Untrusted text made safe for one table cell: no line break, no pipe, no HTML."""
    if value is None or value == "":
        return "—"
    text = " ".join(str(value).split())
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, safe)
    return text


def _what(row: Row) -> str:
    if row.unreadable:
        return f"not readable evidence: {cell(row.source)}"
    name = cell(row.repository)
    if row.scenario:
        name += f" (demo: {cell(row.scenario)})"
    return name


def _blockers(row: Row) -> str:
    lines = []
    if row.problem:
        said = f" (the evidence says {row.evidence_verdict})" if row.evidence_verdict else ""
        lines.append(cell(row.problem + said))
    # a NO-GO row names what failed; checks not evaluated matter only when nothing failed
    failed = [f for f in row.findings if f.status == "failed"]
    shown = failed or list(row.findings)
    lines += [
        f"{'❌' if f.status == 'failed' else '⚠️ not checked:'} {cell(f.check)}: {cell(f.reason)}"
        for f in shown[:FINDINGS_SHOWN]
    ]
    more_shown_kind = len(shown) - len(shown[:FINDINGS_SHOWN])
    kind = "failed" if failed else "not checked"
    extra = [f"{more_shown_kind} more {kind}"] if more_shown_kind else []
    if failed and len(row.findings) > len(failed):
        extra.append(f"{len(row.findings) - len(failed)} not checked")
    if extra:
        lines.append(f"… and {', '.join(extra)} (see the JSON)")
    return "<br>".join(lines) or "—"


def _tests(row: Row) -> str:
    if row.unreadable:
        return "—"
    if row.tests_passed is None:
        return NOT_CHECKED
    if row.expected_tests is not None:
        want = str(row.expected_tests)
    elif row.min_tests is not None:
        want = f"≥ {row.min_tests}"
    else:
        want = "not set"
    return f"{row.tests_passed} / {want}"


def _runners(row: Row) -> str:
    if row.unreadable:
        return "—"
    if row.runners_online is None:
        return NOT_CHECKED
    return f"{row.runners_online}{' (autoscaled)' if row.autoscaling else ''}"


def _run(row: Row) -> str:
    if row.run_id is None:
        return "—" if row.unreadable else NOT_CHECKED
    return f"[{row.run_id}]({row.run_url})" if row.run_url else str(row.run_id)


def render_markdown(fleet: Fleet) -> str:
    """The dashboard: a headline, one row per repository and workflow, worst first."""
    counts = ", ".join(f"{fleet.count(v)} {v}" for v in ("NO-GO", "INCONCLUSIVE", "GO"))
    limit = (
        f"evidence older than {human_age(fleet.max_age_seconds)} is stale"
        if fleet.max_age_seconds is not None
        else "no age limit (--max-age not set)"
    )
    lines = [
        f"# ARM64 fleet: {VERDICT_MARK[fleet.verdict]}",
        "",
        f"{len(fleet.rows)} rows: {counts}. Worst first; {limit}. "
        f"Made {fleet.generated_at} by `validate-arm64 fleet`.",
        "",
        "| Verdict | Repository | Workflow | Why not GO | Tests passed / expected "
        "| ARM64 runners online | Run | Commit | Age | History |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in fleet.rows:
        cells = [
            VERDICT_MARK[row.verdict],
            _what(row),
            cell(row.workflow) if not row.unreadable else "—",
            _blockers(row),
            _tests(row),
            _runners(row),
            _run(row),
            f"`{row.head_sha[:12]}`" if row.head_sha else "—",
            human_age(row.age_seconds) if row.age_seconds is not None else "—",
            verdict_strip(row.history) or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    legend = " ".join(f"{dot} {v}" for v, dot in VERDICT_DOTS.items())
    lines += [
        "",
        f"History: one dot per recorded validation, oldest first ({legend}). Age: since the "
        "judged run completed (else since the evidence was made).",
    ]
    if any(r.scenario for r in fleet.rows):
        lines += [
            "",
            "> Rows marked *demo* come from the built-in GitHub emulator: they show what the "
            "tool does, not the state of any real repository.",
        ]
    return "\n".join(lines) + "\n"


def fleet_document(fleet: Fleet) -> dict[str, Any]:
    """The dashboard as a JSON-ready dict (schema ``validate-arm64/fleet/1``)."""
    return {
        "schema": SCHEMA,
        "verdict": fleet.verdict,
        "generated_at": fleet.generated_at,
        "max_age_seconds": fleet.max_age_seconds,
        "counts": {v: fleet.count(v) for v in ("GO", "NO-GO", "INCONCLUSIVE")},
        "rows": [_row_document(r) for r in fleet.rows],
    }


def _row_document(row: Row) -> dict[str, Any]:
    return {
        "source": row.source,
        "verdict": row.verdict,
        "readable": not row.unreadable,
        "problem": row.problem,
        "repository": row.repository,
        "workflow": row.workflow,
        "emulator_scenario": row.scenario,
        "evidence_verdict": row.evidence_verdict,
        "blocking": [{"id": f.check, "status": f.status, "reason": f.reason} for f in row.findings],
        "tests": {
            "passed": row.tests_passed,
            "counted": row.tests_counted,
            "expected": row.expected_tests,
            "minimum": row.min_tests,
        },
        "runners_online": row.runners_online,
        "autoscaling": row.autoscaling,
        "run": {"id": row.run_id, "url": row.run_url, "head_sha": row.head_sha},
        "observed_at": row.observed_at,
        "age_seconds": row.age_seconds,
        "history": list(row.history),
        "older_evidence": row.older,
    }


def render_json(fleet: Fleet) -> str:
    """The JSON document as stable, readable text."""
    return json.dumps(fleet_document(fleet), indent=2, ensure_ascii=False) + "\n"
