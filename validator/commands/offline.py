"""Commands on files already on disk: binaries and test results. No token, no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from validator.commands.output import json_text
from validator.errors import UsageError


def inspect_binaries(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Files, folders and archives (zip, also after a shell stub; tar in any "
            "compression; ar: .deb, .a, .rlib; cpio; rpm), docker/OCI image archives.",
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
) -> None:
    """Is every ELF binary here 64-bit little-endian AArch64? Exit 0 yes, 1 no (or none found)."""
    from validator.binaries import scan_binaries
    from validator.render.terminal import binaries_table

    scan = scan_binaries(paths)
    if as_json:
        typer.echo(json_text(scan.contract_json()))
    else:
        typer.echo(binaries_table(scan))
    raise typer.Exit(0 if scan.ok else 1)


def count_tests(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help=(
                "Test results: JUnit XML, `cargo test` text or `--format json` output, "
                "cargo-nextest output, `go test -json`/`-v`, TAP (node, Test::More, prove), "
                "or job logs holding any of them, or folders of them."
            ),
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON document.")] = False,
    expected: Annotated[
        int | None,
        typer.Option(
            "--expected",
            metavar="N",
            min=0,
            help="Exact count of tests that ran (passed, failed or errored; skipped tests do "
            "not count).",
        ),
    ] = None,
    minimum: Annotated[
        int | None,
        typer.Option(
            "--min",
            metavar="N",
            min=0,
            help="Minimum count of tests that ran (passed, failed or errored; skipped tests do "
            "not count).",
        ),
    ] = None,
) -> None:
    """Count tests and failures. Exit 0 when all files read, none failed, and the tests that
    ran (skipped ones do not count) fit: equal --expected, reach --min, or, with neither, are
    more than zero; all skipped is never a fit (TST003's rule)."""
    from validator.checks import count_problem
    from validator.render.terminal import tests_table
    from validator.results import scan_results

    if expected is not None and minimum is not None:
        raise UsageError("--expected and --min exclude each other: pick one.")
    scan = scan_results(paths, explicit=True)
    problem = count_problem(scan, expected=expected, minimum=minimum)
    ok = scan.ok and problem is None
    if as_json:
        typer.echo(
            json_text(scan.contract_json() | {"ok": ok, "expected": expected, "min": minimum})
        )
    else:
        typer.echo(tests_table(scan))
        if problem is not None:
            typer.echo(f"count: {problem}")
    raise typer.Exit(0 if ok else 1)
