"""Decisions from evidence written earlier: the release gate, and the fleet dashboard."""

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


def fleet(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Evidence JSON files, or folders holding them (e.g. downloaded matrix artifacts).",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="PATH", help="Write the dashboard here, not to stdout."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="The validate-arm64/fleet/1 JSON document.")
    ] = False,
    max_age: Annotated[
        str,
        typer.Option(
            "--max-age", metavar="DURATION", help="Older evidence is stale (INCONCLUSIVE): 26h, 7d."
        ),
    ] = "26h",
) -> None:
    """One dashboard for many validations: a row per repository and workflow, worst first.

    \b
    Examples:
      validate-arm64 fleet artifacts/                          # Markdown on stdout
      validate-arm64 fleet artifacts/ --output ARM64_FLEET.md  # and the step summary in Actions
      validate-arm64 fleet a.json b.json --json --max-age 7d

    \b
    Exit codes: 0 all GO, 1 any NO-GO, 3 otherwise (stale, unreadable, not checked), 2 usage.
    """
    import datetime as dt

    from validator.fleet import fleet_command

    code, text = fleet_command(
        paths,
        output=output,
        as_json=as_json,
        max_age=parse_duration(max_age, option="--max-age"),
        now=dt.datetime.now(dt.UTC),
    )
    typer.echo(text)
    raise typer.Exit(code)
