"""The workflow file read before dispatch: where each job runs for the inputs given, and
what in the file stands in the way of a GO (findings WFL001-WFL011)."""

from validator.workflow.analysis import JobResult, WorkflowAnalysis, analyse
from validator.workflow.command import lint_workflow
from validator.workflow.findings import FINDINGS, Finding
from validator.workflow.loading import WorkflowError, text_from_contents
from validator.workflow.render import SCHEMA, lint_document, lint_text

__all__ = [
    "FINDINGS",
    "SCHEMA",
    "Finding",
    "JobResult",
    "WorkflowAnalysis",
    "WorkflowError",
    "analyse",
    "lint_document",
    "lint_text",
    "lint_workflow",
    "text_from_contents",
]
