"""GitHub Actions output: workflow-command annotations and step outputs."""

from __future__ import annotations

from pathlib import Path

from validator.checks import BY_ID
from validator.report import Report


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: Report) -> str:
    """``::error`` for failed blocking checks, ``::warning`` for the rest that did not pass."""
    lines = []
    for o in report.outcomes:
        if o.status not in ("failed", "inconclusive"):
            continue
        level = "error" if o.status == "failed" and o.check in report.blocking else "warning"
        title = _property(f"{o.check} {BY_ID[o.check].statement}")
        message = o.detail + (f" Fix: {o.remedy}" if o.remedy else "")
        lines.append(f"::{level} title={title}::{_data(message)}")
    return "\n".join(lines)


def outputs(report: Report, report_path: Path, evidence_path: Path) -> str:
    """Lines for ``$GITHUB_OUTPUT``."""
    return f"verdict={report.verdict}\nreport-path={report_path}\nevidence-path={evidence_path}\n"
