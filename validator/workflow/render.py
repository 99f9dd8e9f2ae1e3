"""The ``lint-workflow`` output: terminal lines and the ``validate-arm64/workflow-lint/1``
document. Functions of the analysis; no I/O."""

from __future__ import annotations

from validator.workflow.analysis import JobResult, WorkflowAnalysis
from validator.workflow.expressions import to_string

SCHEMA = "validate-arm64/workflow-lint/1"

_WORD = {"blocking": "ERROR", "usage": "USAGE", "warning": "WARN "}
_STATUS = {
    "arm64": "ARM64",
    "moved": "MOVED",
    "other": "other",
    "cannot-tell": "?    ",
}


def lint_document(analysis: WorkflowAnalysis) -> dict[str, object]:
    """The JSON document of ``lint-workflow --json``."""
    return {
        "schema": SCHEMA,
        "ok": analysis.exit_code() == 0,
        "exit_code": analysis.exit_code(),
        "path": analysis.path,
        "event": analysis.event,
        "labels": list(analysis.labels),
        "inputs": {name: to_string(value) for name, value in analysis.inputs.items()},
        "can_tell": analysis.can_tell,
        "dispatch_allowed": analysis.dispatch_allowed,
        "arm64_jobs": [{"id": job.id, "name": job.name} for job in analysis.arm64_jobs],
        "jobs": [job.to_json() for job in analysis.jobs],
        "findings": [f.to_json() for f in analysis.findings],
    }


def _runs_on(job: JobResult) -> str:
    shown = " | ".join(", ".join(labels) for labels in dict.fromkeys(job.runs_on))
    return shown or job.reason


def lint_text(analysis: WorkflowAnalysis) -> str:
    """One line per job, one (plus its fix) per finding, and the outcome line last."""
    lines = [f"{analysis.path}: required labels {', '.join(analysis.labels)}"]
    width = max((len(job.id) for job in analysis.jobs), default=0)
    for job in analysis.jobs:
        lines.append(f"  job {job.id:<{width}}  {_STATUS[job.status]}  {_runs_on(job)}")
    for f in analysis.findings:
        where = f"{analysis.path}:{f.line}"
        certain = " [makes GO impossible]" if f.prevents_go and f.severity == "warning" else ""
        lines.append(f"{_WORD[f.severity]} {f.id} {where}: {f.message}{certain}")
        lines.append(f"      fix: {f.remedy}")
    lines.append(_outcome(analysis))
    return "\n".join(lines)


def _outcome(analysis: WorkflowAnalysis) -> str:
    warnings = sum(f.severity == "warning" for f in analysis.findings)
    counts = (
        f"{len(analysis.blocking)} blocking, {len(analysis.usage_errors)} usage, "
        f"{warnings} warning{'' if warnings == 1 else 's'}"
    )
    code = analysis.exit_code()
    if code == 2:
        return f"lint: this dispatch would be refused ({counts})"
    if code == 1:
        return f"lint: GO is impossible with this workflow and these inputs ({counts})"
    untold = "" if analysis.can_tell else "; some jobs cannot be told before the run"
    return f"lint: nothing in the workflow stands in the way of GO ({counts}{untold})"
