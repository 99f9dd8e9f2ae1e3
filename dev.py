#!/usr/bin/env python3
"""Set up and run validate-arm64 from a checkout, with nothing but Python >= 3.11.

    python3 dev.py demo [OPTIONS]    the whole pipeline on the built-in GitHub emulator
    python3 dev.py test [PYTEST...]  the test suite (pytest), quick tier; `-m slow`: the scale tests
    python3 dev.py check             ruff (lint, format) and mypy on the package, tests, benchmarks
    python3 dev.py run [ARGS...]     any validate-arm64 command, e.g. `run --help`
    python3 dev.py bench [--quick]   the benchmarks

The first call creates .venv/ and installs the project into it (editable, with the test tools);
later calls reinstall only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv() -> None:
    """Create .venv and install the project, unless pyproject.toml is unchanged since last time."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and _python().exists():
        return
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: Python >= 3.11 is needed, this is {sys.version.split()[0]}.")
    if not _python().exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    print("dev.py: installing validate-arm64 and its test tools into .venv", file=sys.stderr)
    pip = [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--editable", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted + "\n")


def check(py: str) -> int:
    """Run every lint, format and type check, and fail if any failed (all are reported)."""
    sources = ["validator", "tests", "benchmarks", "fixtures", "dev.py"]
    steps = {
        "ruff check": [py, "-m", "ruff", "check", *sources],
        "ruff format": [py, "-m", "ruff", "format", "--check", *sources],
        "mypy --strict (validator)": [py, "-m", "mypy"],
        "mypy (tests, benchmarks)": [py, "-m", "mypy", "tests", "benchmarks"],
    }
    failed = [name for name, step in steps.items() if subprocess.call(step, cwd=ROOT)]
    if failed:
        print(f"dev.py check: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def ensure_mermaid() -> None:
    """Install Mermaid's parser (npm, pinned) for the chart tests, where node and npm exist."""
    folder = ROOT / "tests" / "mermaid"
    if not (folder / "package-lock.json").exists() or (folder / "node_modules").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("dev.py: no node/npm: the Mermaid chart tests will be skipped", file=sys.stderr)
        return
    print("dev.py: installing Mermaid's parser for the chart tests (npm ci)", file=sys.stderr)
    subprocess.run(
        [npm, "ci", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder)], check=True
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    tool = str(BIN / "validate-arm64")
    py = str(_python())
    if command == "demo":
        return subprocess.call([tool, "demo", *rest], cwd=ROOT)
    if command == "run":
        return subprocess.call([tool, *rest])
    if command == "test":
        ensure_mermaid()
        return subprocess.call([py, "-m", "pytest", *rest], cwd=ROOT)
    if command == "check":
        return check(py)
    if command == "bench":
        return subprocess.call([py, str(ROOT / "benchmarks" / "run.py"), *rest], cwd=ROOT)
    print(f"dev.py: unknown command {command!r}; see `python3 dev.py --help`.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
