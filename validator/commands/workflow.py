"""``lint-workflow``: the preflight's analysis on a local workflow file. No token, no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from validator.commands.output import json_text
from validator.labels import DEFAULT_LABELS


def lint_workflow(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH", help="The workflow file, e.g. .github/workflows/ci-arm64.yml."
        ),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="KEY=VALUE",
            help="A workflow_dispatch input as it will be dispatched (repeatable).",
        ),
    ] = None,
    labels: Annotated[
        str,
        typer.Option(
            "--labels", metavar="LIST", help="Runner labels an ARM64 job needs, comma-separated."
        ),
    ] = ",".join(DEFAULT_LABELS),
    arm64_job: Annotated[
        list[str] | None,
        typer.Option(
            "--arm64-job",
            metavar="PATTERN",
            help="Job id or name (glob) that must run on ARM64 whatever runs-on says (repeatable).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
) -> None:
    """Read a workflow file before spending runner time: no token, no network.

    Resolves each job's runs-on for these inputs (matrix included) and reports what stands
    in the way of GO: a job an input moves off the ARM64 labels, inputs the dispatch would be
    refused for, uploads that hold no binary, test steps that cannot fail, skipped tests.

    \b
    Examples:
      validate-arm64 lint-workflow .github/workflows/ci-arm64.yml --input runner_type=self-hosted
      validate-arm64 lint-workflow .github/workflows/build-push-arm64.yml --json

    \b
    Exit codes: 0 nothing stands in the way of GO, 1 GO is impossible with this workflow and
    these inputs, 2 usage error (unreadable file, not a workflow, an input the dispatch would
    be refused for).
    """
    from validator.config import parse_inputs
    from validator.labels import parse_labels
    from validator.workflow import lint_document, lint_text
    from validator.workflow import lint_workflow as analyse_file

    analysis = analyse_file(
        path, parse_inputs(inputs or []), parse_labels(labels), arm64_jobs=arm64_job or ()
    )
    typer.echo(json_text(lint_document(analysis)) if as_json else lint_text(analysis))
    raise typer.Exit(analysis.exit_code())
