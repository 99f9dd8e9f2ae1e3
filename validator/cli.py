"""Command line: options → Config → pipeline → renderers → exit code. Nothing else."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from validator import __version__
from validator.config import DEFAULT_EVIDENCE
from validator.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError, ValidatorError
from validator.options import build_config, describe, given, read_config_file, token, with_options
from validator.phases import NAMES, select
from validator.phases.context import Hooks
from validator.units import parse_duration

if TYPE_CHECKING:
    from validator.config import Config

HELP = """\
Decide from evidence whether an ARM64 CI workflow is ready to run on every push (TASK-005).

Runs the phases health → dispatch → artifacts → binaries → tests → report and writes
docs/ci/ARM64_TEST_RESULTS.md and its evidence JSON with a GO / NO-GO / INCONCLUSIVE verdict.

\b
Examples:
  validate-arm64 demo                                   # all phases on the built-in emulator
  validate-arm64 --all-phases --repo OWNER/NAME --expected-tests 24
  validate-arm64 --phase binaries --phase tests --phase report --artifacts-dir ./artifacts
  validate-arm64 inspect-binaries ./artifacts
  validate-arm64 count-tests results/*.xml job.log --expected 24

\b
Exit codes: 0 GO, 1 NO-GO, 2 usage or configuration error, 3 INCONCLUSIVE
(evidence could not be gathered), 130 interrupted.
Token: GITHUB_TOKEN, then GH_TOKEN. Repository: --repo or GITHUB_REPOSITORY.
"""

app = typer.Typer(
    help=HELP,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _progress_printer(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr (see :mod:`validator.render.progress`), or none."""
    if quiet:
        return lambda _message: None
    from validator.render.progress import StatusLine

    status = StatusLine(live=sys.stderr.isatty())

    def progress(message: str) -> None:
        sys.stderr.write(status.text(message))
        sys.stderr.flush()

    return progress


def _version(value: bool) -> None:
    if value:
        typer.echo(f"validate-arm64 {__version__}")
        raise typer.Exit


def _json(document: object) -> str:
    """Indented for a person at a terminal; one compact line (C-encoded, fast) for pipes."""
    import json

    if sys.stdout.isatty():
        return json.dumps(document, indent=2, ensure_ascii=False)
    return json.dumps(document, ensure_ascii=False)


@app.callback(invoke_without_command=True)
@with_options(after="phase")
def validate(
    ctx: typer.Context,
    *,
    all_phases: Annotated[bool, typer.Option("--all-phases", help="Run every phase.")] = False,
    phase: Annotated[
        list[str] | None,
        typer.Option(
            "--phase",
            metavar="NAME",
            help=f"Run only this phase (repeatable; run in pipeline order): {', '.join(NAMES)}.",
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Settings file [default: [tool.validate-arm64] in ./pyproject.toml, else "
            "./.github/validate-arm64.toml]. Flags override it.",
        ),
    ] = None,
    print_config: Annotated[
        bool,
        typer.Option(
            "--print-config", help="Show the merged settings and where each came from, then exit."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    **_settings: object,  # the options table's parameters; read back through ctx by `given`
) -> None:
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="validate-arm64: %(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand is not None:
        return
    config = build_config(
        phases=NAMES if all_phases else select(phase or []),
        flags=given(ctx),
        file=read_config_file(config_file, cwd=Path.cwd()),
        token=token(os.environ),
    )
    if print_config:
        typer.echo(describe(config))
        raise typer.Exit(0)
    raise typer.Exit(_validate(config, Hooks(progress=_progress_printer(quiet))))


def _validate(config: Config, hooks: Hooks) -> int:
    """Run one validation and say how it went: the verdict is stdout's last line."""
    from validator.orchestrate import validate as run_validation
    from validator.render.terminal import summary
    from validator.verdict import exit_code

    done = run_validation(config, hooks, environ=os.environ)
    if done.note is not None:
        _err(f"validate-arm64: {done.note}")
    if done.annotations:
        typer.echo(done.annotations)
    typer.echo(summary(done.report))
    return exit_code(done.report.verdict)


@app.command("inspect-binaries")
def inspect_binaries(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Files, folders, zip/tar archives, docker/OCI image archives.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
) -> None:
    """Is every ELF binary here 64-bit little-endian AArch64? Exit 0 yes, 1 no (or none found)."""
    from validator.binaries import scan_binaries
    from validator.render.terminal import binaries_table

    scan = scan_binaries(paths)
    if as_json:
        typer.echo(_json(scan.contract_json()))
    else:
        typer.echo(binaries_table(scan))
    raise typer.Exit(0 if scan.ok else 1)


@app.command("count-tests")
def count_tests(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="JUnit XML files, `cargo test` output or job logs, or folders of them."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
    expected: Annotated[
        int | None, typer.Option("--expected", metavar="N", help="Exact test count required.")
    ] = None,
    minimum: Annotated[
        int | None, typer.Option("--min", metavar="N", help="Minimum test count required.")
    ] = None,
) -> None:
    """Count tests and failures. Exit 0 when all files read, none failed, and the count fits
    (equals --expected, reaches --min, or, with neither, is more than zero: TST003's rule)."""
    from validator.checks import count_problem
    from validator.render.terminal import tests_table
    from validator.results import scan_results

    if expected is not None and minimum is not None:
        raise UsageError("--expected and --min exclude each other: pick one.")
    scan = scan_results(paths, explicit=True)
    problem = count_problem(scan.total.tests, expected=expected, minimum=minimum)
    ok = scan.ok and problem is None
    if as_json:
        typer.echo(_json(scan.contract_json() | {"ok": ok, "expected": expected, "min": minimum}))
    else:
        typer.echo(tests_table(scan))
        if problem is not None:
            typer.echo(f"count: {problem}")
    raise typer.Exit(0 if ok else 1)


@app.command("gate")
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


@app.command("demo")
def demo(
    scenario: Annotated[
        str, typer.Option("--scenario", metavar="NAME", help="Emulator scenario (see --list).")
    ] = "healthy",
    report: Annotated[
        Path, typer.Option("--report", metavar="PATH", help="Where to write the demo report.")
    ] = Path("validate-arm64-demo/ARM64_TEST_RESULTS.md"),
    list_scenarios: Annotated[
        bool, typer.Option("--list", help="List the scenarios and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Run every phase against the built-in GitHub emulator: no token, no network.

    The emulator's clock is virtual, so a 10-minute run takes a moment. The report says
    plainly that it comes from the emulator.
    """
    from validator.emulator.demo import demo as served

    if list_scenarios:
        from validator.emulator import scenario_names

        typer.echo("\n".join(scenario_names()))
        raise typer.Exit(0)
    with served(scenario, report=report, progress=_progress_printer(quiet)) as (config, hooks):
        code = _validate(config, hooks)
    raise typer.Exit(code)


@app.command("emulator")
def emulator(
    scenario: Annotated[
        str, typer.Option("--scenario", metavar="NAME", help="Scenario to serve (see demo --list).")
    ] = "healthy",
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Loopback address to bind.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="N", help="Port (0: any free port).")] = 0,
    advance: Annotated[
        float,
        typer.Option(
            "--advance",
            metavar="SECONDS",
            help="Move the emulator's clock this much per API request, so runs progress "
            "without waiting.",
        ),
    ] = 30.0,
) -> None:
    """Serve the GitHub API emulator until interrupted (first line: `serving OWNER/NAME at URL`)."""
    from validator.emulator.demo import serve

    def announce(line: str) -> None:
        typer.echo(line)
        sys.stdout.flush()

    serve(scenario, host=host, port=port, advance=advance, announce=announce)


def main(argv: list[str] | None = None) -> int:
    """Entry point: the one error boundary that maps every failure to an exit code."""
    try:
        app(args=argv, prog_name="validate-arm64")
    except SystemExit as done:  # typer reports usage errors (2), --help (0) and Ctrl-C (130)
        code = done.code
        if code == EXIT_INTERRUPTED:
            _err("validate-arm64: interrupted")
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        _err("validate-arm64: interrupted")
        return EXIT_INTERRUPTED
    except ValidatorError as exc:
        _err(f"validate-arm64: error: {exc}")
        return exc.exit_code
    except Exception as exc:  # a defect: one line, never GO
        import logging

        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        _err(
            f"validate-arm64: internal error ({type(exc).__name__}); the verdict is not GO. "
            "Rerun with --verbose and report it."
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
