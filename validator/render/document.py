"""The evidence JSON: the versioned input of ``gate`` and of the nightly history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from validator.checks import BY_ID
from validator.evidence import SCHEMA, to_json
from validator.report import Report


def evidence_document(report: Report) -> dict[str, Any]:
    """The evidence as a JSON-ready dict (contract fields first, then everything observed)."""
    ev = report.evidence
    head_sha = ev.run.head_sha if ev.run else None
    return {
        "schema": SCHEMA,
        "verdict": report.verdict,
        "generated_at": ev.generated_at,
        "repository": ev.settings.repository,
        "head_sha": head_sha,
        "tool_version": ev.tool_version,
        "checks": [
            {
                "id": o.check,
                "status": o.status,
                "blocking": o.check in report.blocking,
                "prerequisite": BY_ID[o.check].prerequisite,
                "statement": BY_ID[o.check].statement,
                "detail": o.detail,
                "remedy": o.remedy,
            }
            for o in report.outcomes
        ],
        "waivers": [to_json(w) | {"expires": w.expires.isoformat()} for w in report.waivers],
        "evidence": to_json(ev),
    }


def render_json(report: Report) -> str:
    """The evidence document as stable, readable JSON text."""
    return json.dumps(evidence_document(report), indent=2, ensure_ascii=False) + "\n"


RESULT_SCHEMA = "validate-arm64/result/1"


def result_document(
    report: Report, *, exit_code: int, report_path: Path | None, evidence: Path | None
) -> dict[str, Any]:
    """What ``--json`` prints: the verdict, the checks and where the files went (None: not
    written); the evidence itself is in the evidence file."""
    document = evidence_document(report)
    del document["evidence"]
    run = report.evidence.run
    return {
        **document,
        "schema": RESULT_SCHEMA,
        "exit_code": exit_code,
        "run": None if run is None else {"id": run.id, "html_url": run.html_url},
        "paths": {
            "report": None if report_path is None else str(report_path),
            "evidence": None if evidence is None else str(evidence),
        },
    }
