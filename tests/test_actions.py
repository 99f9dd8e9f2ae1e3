"""Inside GitHub Actions: annotations, step summary and outputs; waivers from the settings file."""

from __future__ import annotations

import shutil
from pathlib import Path

from validator.render.actions import workflow_commands

from conftest import FIXTURES


def offline_artifacts(root: Path, *binaries: str) -> Path:
    folder = root / "artifacts"
    folder.mkdir()
    for name in binaries:
        shutil.copy(FIXTURES / "binaries" / name, folder / name)
    shutil.copy(FIXTURES / "results" / "pytest-pass.xml", folder / "junit.xml")
    return folder


def test_annotations_summary_and_outputs_inside_actions(cli, tmp_path):
    folder = offline_artifacts(tmp_path, "hello-aarch64", "hello-x86_64")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    report = tmp_path / "docs" / "r.md"
    # Files read from a folder cannot be traced to a job: counted only when allowed.
    done = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--phase",
        "report",
        "--artifacts-dir",
        str(folder),
        "--report",
        str(report),
        "-q",
        "--allow-unattributed",
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
        },
    )
    assert done.returncode == 1
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error title=ELF002 Every ELF binary found is 64-bit little-endian"
    )
    assert any(line.startswith("::warning title=RUN001 ") for line in done.stdout.splitlines())
    assert summary.read_text(encoding="utf-8") == report.read_text(encoding="utf-8")
    assert outputs.read_text().splitlines() == [
        "verdict=NO-GO",
        f"report-path={report}",
        f"evidence-path={report.with_suffix('.json')}",
    ]


def test_no_annotations_outside_actions(cli, tmp_path):
    folder = offline_artifacts(tmp_path, "hello-x86_64")
    done = cli(
        "--phase",
        "binaries",
        "--artifacts-dir",
        str(folder),
        "-q",
        "--report",
        str(tmp_path / "r.md"),
    )
    assert "::error" not in done.stdout


def test_workflow_commands_escape_newlines_and_percent():
    from dataclasses import replace

    from validator.report import assess

    from builders import go, present

    ev = go()
    broken = replace(ev, run=replace(present(ev.run), conclusion="failure"))
    report = assess(broken)
    text = workflow_commands(report)
    assert "\n" not in text.split("::", 2)[2]  # one line per annotation
    assert (
        "title=RUN002 A manual run of the workflow completed%2C and its conclusion is success."
        in text
    )


def test_waiver_from_the_settings_file_turns_a_failure_into_waived(cli, tmp_path):
    folder = offline_artifacts(tmp_path, "hello-aarch64")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.validate-arm64]\n"
        "expected-tests = 30\n"
        "allow-unattributed = true\n"
        "[[tool.validate-arm64.waivers]]\n"
        'check = "TST003"\nreason = "six tests move to the nightly suite"\n'
        'owner = "@maintainer"\nexpires = 2099-01-01\n'
    )
    report = tmp_path / "r.md"
    done = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--phase",
        "report",
        "--artifacts-dir",
        str(folder),
        "--report",
        str(report),
        "-q",
        cwd=tmp_path,
    )
    assert "WAIV  TST003" in done.stdout
    assert done.returncode == 3  # waived, but the GitHub phases were not checked: never GO
    assert "Waived by @maintainer until 2099-01-01: six tests move to the nightly suite" in (
        report.read_text(encoding="utf-8")
    )

    (tmp_path / "pyproject.toml").write_text(
        (tmp_path / "pyproject.toml").read_text().replace("2099-01-01", "2020-01-01")
    )
    expired = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--artifacts-dir",
        str(folder),
        "-q",
        "--report",
        str(report),
        cwd=tmp_path,
    )
    assert "FAIL  TST003" in expired.stdout
    assert expired.returncode == 1
