"""``validate-arm64 lint-workflow``: the analysis on a local file, no token, no network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from validator.errors import UsageError
from validator.workflow.analysis import WorkflowAnalysis, analyse
from validator.workflow.loading import MAX_BYTES, WorkflowError


def read_workflow_file(path: Path) -> str:
    """The text of a local workflow file; ``UsageError`` when it cannot be read."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the workflow ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES // 1024} KiB; not a workflow file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; not a workflow file") from None


def lint_workflow(
    path: Path,
    inputs: Mapping[str, str],
    labels: Sequence[str],
    *,
    arm64_jobs: Sequence[str] = (),
) -> WorkflowAnalysis:
    """Analyse the workflow at ``path`` for a dispatch with ``inputs``.

    Exit with ``analysis.exit_code()``: 0 nothing stands in the way of GO, 1 GO is
    impossible, 2 the dispatch would be refused. ``UsageError`` when the file is unreadable
    or not a workflow.
    """
    text = read_workflow_file(path)
    try:
        return analyse(text, path=str(path), inputs=inputs, labels=labels, arm64_jobs=arm64_jobs)
    except WorkflowError as exc:
        raise WorkflowError(f"{path}: {exc}") from None
