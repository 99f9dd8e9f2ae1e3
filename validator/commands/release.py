"""Decisions from evidence written earlier: the release gate, and the fleet dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer

from validator.config import DEFAULT_EVIDENCE
from validator.units import parse_duration


def gate(
    *,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            metavar="PATH",
            help="Evidence JSON written by a validation [default: beside the settings file's "
            f"report, else {DEFAULT_EVIDENCE}].",
        ),
    ] = None,
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
    config_file: Annotated[
        Path | None,
        typer.Option("--config", metavar="PATH", help="Settings file to take the report from."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="stdout: one JSON document (validate-arm64/gate/1)."),
    ] = False,
) -> None:
    """Release gate: exit 0 only for fresh GO evidence (1 NO-GO, 2 unreadable, 3 stale/other).

    The age is measured from the completion of the run the evidence judged; evidence from the
    built-in emulator, of another repository or dated in the future is refused. Inside GitHub
    Actions it also sets the outputs verdict and evidence-path and writes a step summary.

    \b
    Examples:
      validate-arm64 gate --max-age 26h --sha "$GITHUB_SHA"
      validate-arm64 gate --evidence docs/ci/ARM64_TEST_RESULTS.json --max-age 7d
    """
    import os

    from validator.errors import UsageError
    from validator.gate import GateResult, admit_file

    evidence = evidence or _evidence_from_settings(config_file)
    try:
        result = admit_file(
            evidence,
            max_age=parse_duration(max_age, option="--max-age"),
            sha=sha,
            repo=repo,
            environ=os.environ,
        )
    except UsageError as exc:
        if not as_json:
            raise
        result = GateResult(code=exc.exit_code, line=str(exc))  # a reader still gets a document
    if as_json:
        from validator.commands.output import json_text

        verdict = {0: "GO", 1: "NO-GO", 3: "INCONCLUSIVE"}.get(result.code)  # 2: none read
        document = {
            "schema": "validate-arm64/gate/1",
            "admitted": result.code == 0,
            "verdict": verdict,
            "exit_code": result.code,
            "reason": result.line,
            "paths": {"evidence": str(evidence)},
        }
        typer.echo(json_text(document))
    else:
        from validator.render.terminal import plain

        typer.echo(plain(result.line), err=result.code != 0)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        _to_actions(result.code, result.line, evidence, os.environ)
    raise typer.Exit(result.code)


def _evidence_from_settings(config_file: Path | None) -> Path:
    """The evidence the settings file's validations write, or the default."""
    from validator.options import build_config, read_config_file

    file = read_config_file(config_file, cwd=Path.cwd())
    if not {"report", "evidence"} & set(file.values):
        return DEFAULT_EVIDENCE
    return build_config(phases=(), flags={}, file=file, token=None, check=False).evidence_path


def _to_actions(code: int, line: str, evidence: Path, environ: Mapping[str, str]) -> None:
    """The gate's decision as step outputs and a step summary."""
    verdict = {0: "GO", 1: "NO-GO"}.get(code, "INCONCLUSIVE")
    for variable, text in (
        ("GITHUB_OUTPUT", f"verdict={verdict}\nevidence-path={evidence}\n"),
        ("GITHUB_STEP_SUMMARY", f"## ARM64 release gate: {verdict}\n\n{line}\n"),
    ):
        if target := environ.get(variable):
            with Path(target).open("a", encoding="utf-8") as handle:
                handle.write(text)


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

    code, text = fleet_command(
        paths,
        output=output,
        as_json=as_json,
        max_age=parse_duration(max_age, option="--max-age"),
        now=dt.datetime.now(dt.UTC),
    )
    typer.echo(text)
    raise typer.Exit(code)


def fleet_command(
    paths: Sequence[Path],
    *,
    output: Path | None,
    as_json: bool,
    max_age: float | None,
    now: dt.datetime,
    environ: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """``validate-arm64 fleet``: the exit code (the worst row) and what to print on stdout.

    The dashboard (Markdown, or JSON with ``as_json``) goes to ``output`` when given, else to
    stdout; inside GitHub Actions the Markdown is also appended to the step summary.
    """
    import os

    from validator.files import write_atomic
    from validator.fleet import VERDICTS, build_fleet, load_all
    from validator.render.fleet import render_json, render_markdown

    fleet = build_fleet(load_all(paths), now=now, max_age=max_age)
    markdown = render_markdown(fleet)
    text = render_json(fleet) if as_json else markdown
    env = os.environ if environ is None else environ
    if summary := env.get("GITHUB_STEP_SUMMARY"):
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown)
    if output is None:
        return fleet.exit_code, text.rstrip("\n")
    write_atomic(output, text)
    counts = ", ".join(f"{fleet.count(v)} {v}" for v in VERDICTS)
    return fleet.exit_code, (
        f"fleet: {len(fleet.rows)} rows ({counts}), dashboard written to {output}\n"
        f"verdict: {fleet.verdict}"
    )
