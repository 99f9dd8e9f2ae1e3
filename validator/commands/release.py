"""The release gate: a decision from evidence written earlier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from validator.config import DEFAULT_EVIDENCE
from validator.units import parse_duration


def gate(
    evidence: Annotated[
        Path,
        typer.Option("--evidence", metavar="PATH", help="Evidence JSON written by a validation."),
    ] = DEFAULT_EVIDENCE,
    max_age: Annotated[
        str,
        typer.Option(
            "--max-age", metavar="DURATION", help="Refuse evidence older than this, e.g. 26h or 7d."
        ),
    ] = "26h",
    sha: Annotated[
        str | None,
        typer.Option(
            "--sha",
            metavar="COMMIT",
            help="Refuse evidence gathered for another commit (at least 7 hex characters).",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            metavar="OWNER/NAME",
            help="Refuse evidence of another repository [default: $GITHUB_REPOSITORY].",
        ),
    ] = None,
) -> None:
    """Release gate: exit 0 only for fresh GO evidence (1 NO-GO, 2 unreadable, 3 stale/other).

    The age is measured from the completion of the run the evidence judged; evidence from the
    built-in emulator, of another repository or dated in the future is refused.
    """
    import os

    from validator.gate import admit_file

    result = admit_file(
        evidence,
        max_age=parse_duration(max_age, option="--max-age"),
        sha=sha,
        repo=repo,
        environ=os.environ,
    )
    typer.echo(result.line, err=result.code != 0)
    raise typer.Exit(result.code)
