"""Command line: options → Config → pipeline → renderers → exit code. Nothing else."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from validator import __version__
from validator.config import (
    DEFAULT_API_URL,
    DEFAULT_REPORT,
    DEFAULT_WORKFLOW,
    PHASES,
    Config,
    build_config,
    describe,
    order_phases,
    parse_duration,
    read_config_file,
)
from validator.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError, ValidatorError

if TYPE_CHECKING:
    from validator.pipeline import Hooks
    from validator.report import Report

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

DEFAULT_EVIDENCE = DEFAULT_REPORT.with_suffix(".json")

app = typer.Typer(
    help=HELP,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

PIPELINE = "Pipeline"
GITHUB = "GitHub"
EXPECT = "Expectations"
OUTPUT = "Output"


def _err(message: str) -> None:
    typer.echo(message, err=True)


_HEARTBEAT = re.compile(r"^run \d+ (queued|in progress) for ")


def _progress_printer(quiet: bool) -> Callable[[str], None]:
    """Progress on stderr: plain lines for logs and cron; on a terminal, the waiting
    heartbeat rewrites one status line instead of scrolling."""
    if quiet:
        return lambda _message: None
    live = sys.stderr.isatty()
    state = {"open": False}

    def progress(message: str) -> None:
        line = f"validate-arm64: {message}"
        if live and _HEARTBEAT.match(message):
            sys.stderr.write(f"\r\x1b[2K{line}")
            sys.stderr.flush()
            state["open"] = True
            return
        if state["open"]:
            sys.stderr.write("\n")
            state["open"] = False
        sys.stderr.write(line + "\n")
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


def _token() -> str | None:
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


@app.callback(invoke_without_command=True)
def validate(
    ctx: typer.Context,
    all_phases: Annotated[
        bool, typer.Option("--all-phases", help="Run every phase.", rich_help_panel=PIPELINE)
    ] = False,
    phase: Annotated[
        list[str] | None,
        typer.Option(
            "--phase",
            metavar="NAME",
            help=f"Run only this phase (repeatable; run in pipeline order): {', '.join(PHASES)}.",
            rich_help_panel=PIPELINE,
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            metavar="OWNER/NAME",
            envvar="GITHUB_REPOSITORY",
            help="Repository to validate.",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    workflow: Annotated[
        str,
        typer.Option(
            "--workflow",
            metavar="FILE|ID",
            help="Workflow file name or id.",
            rich_help_panel=GITHUB,
        ),
    ] = DEFAULT_WORKFLOW,
    ref: Annotated[
        str | None,
        typer.Option(
            "--ref",
            metavar="REF",
            help="Branch or tag to dispatch on [default: the repository's default branch].",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="KEY=VALUE",
            help="workflow_dispatch input (repeatable), e.g. --input run_tests=true.",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    run_id: Annotated[
        int | None,
        typer.Option(
            "--run-id",
            metavar="N",
            help="Attach to this existing run instead of dispatching.",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    use_latest_run: Annotated[
        bool,
        typer.Option(
            "--use-latest-run",
            help="Validate the newest completed run on the ref instead of dispatching one "
            "(for nightly jobs: spends no runner time).",
            rich_help_panel=GITHUB,
        ),
    ] = False,
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            metavar="LIST",
            help="Runner labels an ARM64 job needs, comma-separated "
            "[default: self-hosted,linux,ARM64].",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    arm64_job: Annotated[
        list[str] | None,
        typer.Option(
            "--arm64-job",
            metavar="PATTERN",
            help="Job name (glob) that must run on ARM64 (repeatable) [default: jobs whose "
            "runs-on asks for the labels].",
            rich_help_panel=GITHUB,
        ),
    ] = None,
    autoscaling: Annotated[
        bool,
        typer.Option(
            "--autoscaling",
            help="Runners start on demand: zero online runners is not a failure; a job being "
            "picked up decides.",
            rich_help_panel=GITHUB,
        ),
    ] = False,
    queue_timeout: Annotated[
        str,
        typer.Option(
            "--queue-timeout",
            metavar="DURATION",
            help="How long the run may wait for a runner.",
            rich_help_panel=GITHUB,
        ),
    ] = "30m",
    run_timeout: Annotated[
        str,
        typer.Option(
            "--run-timeout",
            metavar="DURATION",
            help="How long the run may take once started.",
            rich_help_panel=GITHUB,
        ),
    ] = "60m",
    poll_interval: Annotated[
        str,
        typer.Option(
            "--poll-interval",
            metavar="DURATION",
            help="First interval between status polls (it backs off; unchanged polls are free).",
            rich_help_panel=GITHUB,
        ),
    ] = "10s",
    retry_budget: Annotated[
        str,
        typer.Option(
            "--retry-budget",
            metavar="DURATION",
            help="How long one GitHub API call may spend on retries and rate-limit waits "
            "before the phase gives up.",
            rich_help_panel=GITHUB,
        ),
    ] = "2m",
    cancel_on_abort: Annotated[
        bool,
        typer.Option(
            "--cancel-on-abort",
            help="On Ctrl-C, cancel the run that was dispatched.",
            rich_help_panel=GITHUB,
        ),
    ] = False,
    api_url: Annotated[
        str,
        typer.Option(
            "--api-url",
            metavar="URL",
            envvar="GITHUB_API_URL",
            help="GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3).",
            rich_help_panel=GITHUB,
        ),
    ] = DEFAULT_API_URL,
    expected_tests: Annotated[
        int | None,
        typer.Option(
            "--expected-tests",
            metavar="N",
            help="Exact test count required.",
            rich_help_panel=EXPECT,
        ),
    ] = None,
    min_tests: Annotated[
        int | None,
        typer.Option(
            "--min-tests", metavar="N", help="Minimum test count required.", rich_help_panel=EXPECT
        ),
    ] = None,
    fail_on_test_drop: Annotated[
        bool,
        typer.Option(
            "--fail-on-test-drop",
            help="Block (TST004) when tests that ran in the previous validation are gone.",
            rich_help_panel=EXPECT,
        ),
    ] = False,
    run_budget: Annotated[
        str,
        typer.Option(
            "--run-budget",
            metavar="DURATION",
            help="Longest acceptable run duration (DUR001).",
            rich_help_panel=EXPECT,
        ),
    ] = "15m",
    report: Annotated[
        Path,
        typer.Option(
            "--report", metavar="PATH", help="Markdown report to write.", rich_help_panel=OUTPUT
        ),
    ] = DEFAULT_REPORT,
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            metavar="PATH",
            help="Evidence JSON to write [default: beside the report, .json].",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    artifacts_dir: Annotated[
        Path | None,
        typer.Option(
            "--artifacts-dir",
            metavar="DIR",
            help="Where artifacts are (offline phases) or are downloaded to (must be empty).",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Settings file [default: [tool.validate-arm64] in ./pyproject.toml, else "
            "./.github/validate-arm64.toml]. Flags override it.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    print_config: Annotated[
        bool,
        typer.Option(
            "--print-config",
            help="Show the merged settings and where each came from, then exit.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress lines on stderr.", rich_help_panel=OUTPUT),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Debug logging on stderr.", rich_help_panel=OUTPUT),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="validate-arm64: %(levelname)s %(name)s: %(message)s",
    )
    if ctx.invoked_subcommand is not None:
        return
    config = build_config(
        phases=PHASES if all_phases else order_phases(phase or []),
        flags=_given(ctx, PARAM_KEYS),
        file=read_config_file(config_file, cwd=Path.cwd()),
        token=_token(),
    )
    if print_config:
        typer.echo(describe(config))
        raise typer.Exit(0)
    from validator.pipeline import Hooks

    raise typer.Exit(_validate(config, Hooks(progress=_progress_printer(quiet))))


# CLI parameter → configuration key (see validator.config.KEYS)
PARAM_KEYS = {
    "repo": "repo",
    "workflow": "workflow",
    "ref": "ref",
    "inputs": "inputs",
    "run_id": "run-id",
    "use_latest_run": "use-latest-run",
    "labels": "labels",
    "arm64_job": "arm64-jobs",
    "autoscaling": "autoscaling",
    "queue_timeout": "queue-timeout",
    "run_timeout": "run-timeout",
    "poll_interval": "poll-interval",
    "retry_budget": "retry-budget",
    "cancel_on_abort": "cancel-on-abort",
    "api_url": "api-url",
    "expected_tests": "expected-tests",
    "min_tests": "min-tests",
    "run_budget": "run-budget",
    "fail_on_test_drop": "fail-on-test-drop",
    "report": "report",
    "evidence": "evidence",
    "artifacts_dir": "artifacts-dir",
}


def _given(ctx: typer.Context, keys: dict[str, str]) -> dict[str, tuple[object, str]]:
    """The options the user actually gave (flag or environment), with where each came from."""
    given: dict[str, tuple[object, str]] = {}
    for param in ctx.command.params:
        if param.name not in keys:
            continue
        source = ctx.get_parameter_source(param.name)
        origin = getattr(source, "name", "DEFAULT")
        if origin == "COMMANDLINE":
            flag = max(param.opts, key=len)
            given[keys[param.name]] = (ctx.params[param.name], flag)
        elif origin == "ENVIRONMENT":
            envvar = param.envvar if isinstance(param.envvar, str) else "environment"
            given[keys[param.name]] = (ctx.params[param.name], f"env {envvar}")
    return given


def _validate(config: Config, hooks: Hooks) -> int:
    from validator.files import exclusive
    from validator.pipeline import gather
    from validator.publish import publish, with_history
    from validator.render.terminal import summary
    from validator.report import judge
    from validator.verdict import exit_code

    with exclusive(config.report):
        evidence, past = with_history(gather(config, hooks), config.report)
        report = judge(
            evidence, waivers=config.waivers, warn_only=config.warn_only, history=past[-9:]
        )
        if "report" in config.phases:
            published = publish(
                report, report_path=config.report, evidence_path=config.evidence_path
            )
            _err(f"validate-arm64: {published.note}")
        if os.environ.get("GITHUB_ACTIONS") == "true":
            _to_actions(report, config)
        typer.echo(summary(report))  # last, so that the verdict is stdout's last line
    return exit_code(report.verdict)


def _to_actions(report: Report, config: Config) -> None:
    """Annotations on stdout; the report as the step summary; verdict and paths as outputs."""
    from validator.render.actions import outputs, workflow_commands
    from validator.render.markdown import render_markdown

    if lines := workflow_commands(report):
        typer.echo(lines)
    for variable, text in (
        ("GITHUB_STEP_SUMMARY", render_markdown(report)),
        ("GITHUB_OUTPUT", outputs(report, config.report, config.evidence_path)),
    ):
        if target := os.environ.get(variable):
            with Path(target).open("a", encoding="utf-8") as handle:
                handle.write(text)


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
    """Count tests and failures. Exit 0 when all files read, none failed, and the count fits."""
    from validator.render.terminal import tests_table
    from validator.results import scan_results

    if expected is not None and minimum is not None:
        raise UsageError("--expected and --min exclude each other: pick one.")
    scan = scan_results(paths, explicit=True)
    total = scan.total.tests
    count_ok = (expected is None or total == expected) and (minimum is None or total >= minimum)
    ok = scan.ok and count_ok
    if as_json:
        document = scan.contract_json()
        document["ok"] = ok
        document["expected"] = expected
        document["min"] = minimum
        typer.echo(_json(document))
    else:
        typer.echo(tests_table(scan))
        if expected is not None and total != expected:
            typer.echo(f"count: {total} tests, {expected} expected ({total - expected:+d})")
        if minimum is not None and total < minimum:
            typer.echo(f"count: {total} tests, at least {minimum} required")
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
            "--sha", metavar="COMMIT", help="Refuse evidence gathered for another commit."
        ),
    ] = None,
) -> None:
    """Release gate: exit 0 only for fresh GO evidence (1 NO-GO, 2 unreadable, 3 stale/other)."""
    import datetime as dt

    from validator.gate import judge_gate, load_document

    result = judge_gate(
        load_document(evidence),
        source=str(evidence),
        now=dt.datetime.now(dt.UTC),
        max_age=parse_duration(max_age, option="--max-age"),
        sha=sha,
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
    from validator.config import emulator_config
    from validator.emulator import Emulator, VirtualClock, scenario_names
    from validator.pipeline import Hooks

    names = scenario_names()
    if list_scenarios:
        typer.echo("\n".join(names))
        raise typer.Exit(0)
    if scenario not in names:
        raise UsageError(f"--scenario {scenario!r}: unknown. Choose from {', '.join(names)}.")
    clock = VirtualClock()
    with Emulator(scenario, clock=clock) as emu:
        config = emulator_config(emu, report=report)
        hooks = Hooks.virtual(clock, _progress_printer(quiet))
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
    from validator.emulator import Emulator, scenario_names

    if scenario not in scenario_names():
        raise UsageError(
            f"--scenario {scenario!r}: unknown. Choose from {', '.join(scenario_names())}."
        )
    emu = Emulator(scenario, host=host, port=port, advance_per_request=advance)
    emu.start()
    typer.echo(f"serving {emu.repository} at {emu.base_url}")
    sys.stdout.flush()
    try:
        emu.serve_forever()
    finally:
        emu.stop()


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
