"""The evidence JSON: the versioned input of ``gate`` and of the nightly history."""

from __future__ import annotations

import json
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
