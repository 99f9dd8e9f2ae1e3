"""The report as a GitHub check run: verdict as conclusion, checks that did not pass as
annotations on the workflow file, the report as summary (within GitHub's limits)."""

from __future__ import annotations

from typing import Any

from validator.checks import BY_ID
from validator.report import Report

NAME = "ARM64 readiness"
CONCLUSION = {"GO": "success", "NO-GO": "failure", "INCONCLUSIVE": "neutral"}
MAX_ANNOTATIONS = 50  # GitHub's limit per request
MAX_SUMMARY = 65535  # GitHub's limit on output.summary, in characters
_CUT = "\n\n(The report is cut here: GitHub keeps {limit} characters; the whole one is {path}.)\n"


def check_run_body(
    report: Report, *, head_sha: str, summary: str, report_path: str
) -> dict[str, Any]:
    """The create-check-run request for ``report`` on commit ``head_sha``."""
    run = report.evidence.run
    path = (run.workflow_path if run else None) or (
        f".github/workflows/{report.evidence.settings.workflow}"
    )
    annotations = []
    for o in report.outcomes:
        if o.status not in ("failed", "inconclusive"):
            continue
        level = "failure" if o.status == "failed" and o.check in report.blocking else "warning"
        annotations.append(
            {
                "path": path,
                "start_line": 1,
                "end_line": 1,
                "annotation_level": level,
                "title": f"{o.check} {BY_ID[o.check].statement}"[:255],
                "message": (o.detail + (f" Fix: {o.remedy}" if o.remedy else "")) or o.status,
            }
        )
    title = f"{report.verdict}"
    if len(annotations) > MAX_ANNOTATIONS:
        title += f" ({len(annotations) - MAX_ANNOTATIONS} more findings in the summary)"
    if len(summary) > MAX_SUMMARY:
        cut = _CUT.format(limit=MAX_SUMMARY, path=report_path)
        summary = summary[: MAX_SUMMARY - len(cut)] + cut
    body: dict[str, Any] = {
        "name": NAME,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": CONCLUSION[report.verdict],
        "output": {
            "title": title,
            "summary": summary,
            "annotations": annotations[:MAX_ANNOTATIONS],
        },
    }
    if run is not None:
        body["external_id"] = str(run.id)
        if run.html_url:
            body["details_url"] = run.html_url
    return body
