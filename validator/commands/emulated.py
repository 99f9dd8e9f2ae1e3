"""Commands on the built-in GitHub emulator: the demo, and the emulator alone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from validator.commands.output import progress_printer, run_validation
from validator.errors import UsageError


def scenario_lines() -> str:
    """One line per shipped scenario: its name and what it shows."""
    import json

    from validator.emulator import scenario_names
    from validator.emulator.scenario import scenarios_dir

    lines = []
    for name in scenario_names():
        data = json.loads((scenarios_dir() / f"{name}.json").read_text(encoding="utf-8"))
        text = str(data.get("description", "")).split(". ")[0].rstrip(".")
        lines.append(f"{name:<22} {text}")
    return "\n".join(lines)


SCENARIO_FILE_HELP = (
    "Your own scenario (JSON, the shape of fixtures/scenarios/*.json: docs/ci/SCENARIOS.md), to "
    "rehearse a setup offline."
)
FIXTURES_HELP = "Folder the scenario file's `source` paths are read from [default: its folder]."


def demo(
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", metavar="NAME", help="Emulator scenario (see --list) [default: healthy]."
        ),
    ] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario-file", metavar="PATH", help=SCENARIO_FILE_HELP)
    ] = None,
    fixtures: Annotated[
        Path | None, typer.Option("--fixtures", metavar="DIR", help=FIXTURES_HELP)
    ] = None,
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

    \b
    Examples:
      validate-arm64 demo
      validate-arm64 demo --list
      validate-arm64 demo --scenario no-runners --report /tmp/demo/ARM64_TEST_RESULTS.md
      validate-arm64 demo --scenario-file my-setup.json
    """
    from validator.emulator.demo import chosen_scenario
    from validator.emulator.demo import demo as served

    if list_scenarios:
        typer.echo(scenario_lines())
        raise typer.Exit(0)
    chosen = chosen_scenario(scenario, scenario_file, fixtures)
    with served(chosen, report=report, progress=progress_printer(quiet)) as (config, hooks):
        code = run_validation(config, hooks)
    raise typer.Exit(code)


def emulator(
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            metavar="NAME",
            help="Scenario to serve (see demo --list) [default: healthy].",
        ),
    ] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario-file", metavar="PATH", help=SCENARIO_FILE_HELP)
    ] = None,
    fixtures: Annotated[
        Path | None, typer.Option("--fixtures", metavar="DIR", help=FIXTURES_HELP)
    ] = None,
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Loopback address to bind.")
    ] = "127.0.0.1",
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host that is not loopback (the emulator has no authentication).",
        ),
    ] = False,
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
    """Serve the GitHub API emulator until interrupted (first line: `serving OWNER/NAME at URL`).

    \b
    Examples:
      validate-arm64 emulator --scenario healthy --port 8765
      GITHUB_TOKEN=x validate-arm64 --all-phases --repo tzervas/embeddenator \\
          --api-url http://127.0.0.1:8765
    """
    import ipaddress

    from validator.emulator.demo import chosen_scenario, serve

    chosen = chosen_scenario(scenario, scenario_file, fixtures)
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise UsageError(
            f"--host {host}: not a loopback address, so anyone who can reach it could use the "
            "emulator. Bind 127.0.0.1, or add --allow-remote if you mean it."
        )

    def announce(line: str) -> None:
        typer.echo(line)
        sys.stdout.flush()

    serve(chosen, host=host, port=port, advance=advance, announce=announce)
