"""The repository stands alone: one version, and no test reads outside the checkout."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from subprocess import CompletedProcess

import validator

from conftest import ROOT


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", validator.__version__)


def test_the_command_reports_the_package_version(
    cli: Callable[..., CompletedProcess[str]],
) -> None:
    done = cli("--version")
    assert (done.returncode, done.stdout) == (0, f"validate-arm64 {validator.__version__}\n")


def test_the_changelog_names_the_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{validator.__version__}]" in changelog


def test_no_test_reads_beside_the_checkout() -> None:
    # Every file a test needs is in the repository, so a plain clone runs the whole suite.
    beside = re.compile(r"ROOT\.parent\b|/ \"shared\"|parents\[(\d+)\]")
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        depth = len(path.relative_to(ROOT).parts) - 1  # Path(__file__).parents[depth] is ROOT
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in beside.finditer(line):
                if match[1] is None or int(match[1]) > depth:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
