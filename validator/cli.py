"""Command line: options → Config → pipeline → renderers → exit code. Nothing else."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from validator import __version__
from validator.commands import emulated, offline, release, workflow
from validator.commands.output import err, progress_printer, run_validation
from validator.commands.plain import PlainCommand, with_verbosity
from validator.errors import EXIT_INTERRUPTED, EXIT_USAGE, ValidatorError
from validator.options import configure, describe, with_options
from validator.phases import NAMES, select

HELP = """\
Decide from evidence whether an ARM64 CI workflow is ready to run on every push (TASK-005).

Runs the phases health → preflight → dispatch → artifacts → binaries → tests → report and writes
docs/ci/ARM64_TEST_RESULTS.md and its evidence JSON with a GO / NO-GO / INCONCLUSIVE verdict.
Test results: JUnit XML, `cargo test` text or `--format json` output, cargo-nextest output,
`go test -json`/`-v`, TAP (node, Test::More, prove), or job logs holding any of them.

\b
Examples:
  validate-arm64 demo                                   # all phases on the built-in emulator
  validate-arm64 --all-phases --repo OWNER/NAME --expected-tests 24
  validate-arm64 --phase binaries --phase tests --phase report --artifacts-dir ./artifacts
  validate-arm64 inspect-binaries ./artifacts
  validate-arm64 count-tests results/*.xml job.log --expected 24
  validate-arm64 lint-workflow .github/workflows/ci-arm64.yml --input runner_type=self-hosted

\b
Exit codes: 0 GO, 1 NO-GO, 2 usage or configuration error, 3 INCONCLUSIVE
(evidence could not be gathered), 130 interrupted. inspect-binaries and count-tests: 1 also
for a file that cannot be read or parsed, 2 for a path that does not exist.
Token: GITHUB_TOKEN, GH_TOKEN, then `gh auth token` (GH_ENTERPRISE_TOKEN first for another
host; GH_HOST names the host). Repository: --repo, the settings file, or GITHUB_REPOSITORY.
"""

app = typer.Typer(
    help=HELP,
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"validate-arm64 {__version__}")
        raise typer.Exit


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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="stdout: one JSON document (validate-arm64/result/1) instead of lines."
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
        format="validate-arm64: %(levelname)s: %(message)s",
    )
    ctx.obj = {"quiet": quiet}
    if ctx.invoked_subcommand is not None:
        return
    config = configure(
        ctx,
        phases=NAMES if all_phases else select(phase or []),
        config_file=config_file,
        environ=os.environ,
        check=not print_config,
    )
    if print_config:  # needs no token nor phase, but conflicting settings still exit 2
        typer.echo(describe(config))
        dataclasses.replace(config, phases=("report",)).validate()
        raise typer.Exit(0)
    from validator.phases.context import Hooks  # with the evidence model: not needed for --help

    hooks = Hooks(progress=progress_printer(quiet))
    raise typer.Exit(run_validation(config, hooks, as_json=as_json))


for name, command in (
    ("inspect-binaries", offline.inspect_binaries),
    ("count-tests", offline.count_tests),
    ("lint-workflow", workflow.lint_workflow),
    ("gate", release.gate),
    ("fleet", release.fleet),
    ("demo", emulated.demo),
    ("emulator", emulated.emulator),
):
    app.command(name, cls=PlainCommand)(with_verbosity(command))


def main(argv: list[str] | None = None) -> int:
    """Entry point: the one error boundary that maps every failure to an exit code."""
    try:
        app(args=argv, prog_name="validate-arm64")
    except SystemExit as done:  # typer reports usage errors (2), --help (0) and Ctrl-C (130)
        code = done.code
        if code == EXIT_INTERRUPTED:
            err("validate-arm64: interrupted")
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        err("validate-arm64: interrupted")
        return EXIT_INTERRUPTED
    except ValidatorError as exc:
        err(f"validate-arm64: error: {exc}")
        return exc.exit_code
    except Exception as exc:  # a defect: one line, never GO
        import logging

        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        err(
            f"validate-arm64: internal error ({type(exc).__name__}); the verdict is not GO. "
            "Rerun with --verbose and report it."
        )
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
