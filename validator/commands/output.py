"""What every command prints the same way: errors, progress, JSON, a validation's outcome."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from validator.config import Config
    from validator.phases.context import Hooks


def err(message: str) -> None:
    """One line on stderr, without the Markdown a message may carry for the report."""
    from validator.render.terminal import plain

    typer.echo(plain(message), err=True)


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr (see :mod:`validator.render.progress`), or none."""
    if quiet:
        return lambda _message: None
    from validator.render.progress import StatusLine

    status = StatusLine(live=sys.stderr.isatty())

    from validator.render.terminal import plain

    def progress(message: str) -> None:
        sys.stderr.write(status.text(plain(message)))
        sys.stderr.flush()

    return progress


def json_text(document: object) -> str:
    """Indented for a person at a terminal; one compact line (C-encoded, fast) for pipes."""
    import json

    if sys.stdout.isatty():
        return json.dumps(document, indent=2, ensure_ascii=False)
    return json.dumps(document, ensure_ascii=False)


def run_validation(config: Config, hooks: Hooks, *, as_json: bool = False) -> int:
    """Run one validation and say how it went: the verdict is stdout's last line, or with
    ``as_json`` stdout is the result document alone."""
    from validator.errors import StillRunning
    from validator.orchestrate import validate
    from validator.render.document import result_document
    from validator.render.terminal import summary
    from validator.verdict import exit_code

    try:
        done = validate(config, hooks, environ=os.environ)
    except StillRunning as stop:
        err(
            f"validate-arm64: run {stop.run_id} is still running on GitHub; "
            f"`--run-id {stop.run_id}` resumes waiting for it."
        )
        raise
    if done.note is not None:
        err(f"validate-arm64: {done.note}")
    if done.check_note is not None:
        err(f"validate-arm64: {done.check_note}")
    code = exit_code(done.report.verdict)
    if done.annotations:
        typer.echo(done.annotations, err=as_json)  # Actions reads workflow commands on both
    if as_json:
        written = done.note is not None
        document = result_document(
            done.report,
            exit_code=code,
            report_path=config.report if written else None,
            evidence=config.evidence_path if written else None,
        )
        typer.echo(json_text(document))
    else:
        typer.echo(summary(done.report))
    return code
