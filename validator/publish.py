"""Writing the report and the evidence, without losing what the user already had."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from validator.errors import UsageError
from validator.evidence import Evidence
from validator.files import write_together
from validator.history import (
    Entry,
    earlier,
    history_path,
    previous_of,
    read_history,
    record,
)
from validator.redact import redact
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


NOTES_START = "<!-- validate-arm64:notes:start -->"
NOTES_END = "<!-- validate-arm64:notes:end -->"
_NOTES = re.compile(re.escape(NOTES_START) + r"(.*?)" + re.escape(NOTES_END), re.DOTALL)


def keep_notes(markdown: str, report_path: Path) -> str:
    """Carry the hand-written notes section of the existing report over, byte for byte."""
    if not report_path.is_file():
        return markdown
    try:
        existing = report_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            f"{report_path}: the existing report is not UTF-8, so its notes cannot be kept. "
            "Move it aside (or fix its encoding) and run again."
        ) from None
    old = _NOTES.search(existing)
    if old is None or _NOTES.search(markdown) is None:
        return markdown
    return _NOTES.sub(lambda _m: NOTES_START + old.group(1) + NOTES_END, markdown, count=1)


def _gather_failed(report: Report) -> list[str]:
    return [f"{p.name}: {p.error}" for p in report.evidence.phases if p.state == "error"]


def with_history(evidence: Evidence, report_path: Path) -> tuple[Evidence, tuple[Entry, ...]]:
    """Evidence that knows the previous validation, and the earlier history for the trend."""
    past = earlier(read_history(history_path(report_path)), evidence)
    return replace(evidence, previous=previous_of(past)), past


def publish(
    report: Report, *, report_path: Path, evidence_path: Path, secrets: Sequence[str | None] = ()
) -> Published:
    """Write report and evidence atomically, with ``secrets`` and token-shaped text redacted.

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
    markdown = keep_notes(redact(render_markdown(report), secrets), report_path)
    document = redact(render_json(report), secrets)
    json.loads(document)  # never write evidence that gate could not read back
    unchanged = report_path.exists() and report_path.read_text(encoding="utf-8") == markdown
    # One unit: a report never stands beside the evidence of another validation.
    write_together([(evidence_path, document)] + ([] if unchanged else [(report_path, markdown)]))
    history = history_path(report_path)
    record(history, read_history(history), report.trend[-1])
    return Published(
        report=report_path,
        evidence=evidence_path,
        written=True,
        note=(
            f"report {report_path} ({'unchanged' if unchanged else 'written'}), "
            f"evidence {evidence_path}"
        ),
    )
