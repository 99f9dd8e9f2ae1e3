"""Writing the report and the evidence, without losing what the user already had."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from validator.files import write_atomic
from validator.render.document import render_json
from validator.render.markdown import render_markdown
from validator.report import Report


@dataclass(frozen=True, kw_only=True)
class Published:
    """What happened to the output files."""

    report: Path
    evidence: Path
    written: bool
    note: str


def _gather_failed(report: Report) -> list[str]:
    return [f"{p.name}: {p.error}" for p in report.evidence.phases if p.state == "error"]


def publish(report: Report, *, report_path: Path, evidence_path: Path) -> Published:
    """Write report and evidence atomically.

    When a phase could not gather its evidence and a previous report exists, the previous
    files are kept: a fault must not replace a real verdict with a lesser one.
    """
    broken = _gather_failed(report)
    if broken and (report_path.exists() or evidence_path.exists()):
        return Published(
            report=report_path,
            evidence=evidence_path,
            written=False,
            note=(
                f"kept the previous {report_path} and {evidence_path}: evidence could not be "
                f"gathered ({'; '.join(broken)})"
            ),
        )
    markdown = render_markdown(report)
    document = render_json(report)
    json.loads(document)  # never write evidence that gate could not read back
    write_atomic(evidence_path, document)
    unchanged = report_path.exists() and report_path.read_text(encoding="utf-8") == markdown
    if not unchanged:
        write_atomic(report_path, markdown)
    return Published(
        report=report_path,
        evidence=evidence_path,
        written=True,
        note=(
            f"report {report_path} ({'unchanged' if unchanged else 'written'}), "
            f"evidence {evidence_path}"
        ),
    )
