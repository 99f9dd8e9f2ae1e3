"""Shared fixtures. An autouse guard keeps every test away from the real GitHub."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests and the fuzz harness are derandomized so that CI is repeatable: every run
# tries the same examples. `--hypothesis-profile=fuzz` searches longer (CI runs it on
# tests/fuzz under a time bound); `--hypothesis-profile=explore` searches with a fresh seed.
settings.register_profile("default", max_examples=100, deadline=None, derandomize=True)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
DOCS = ROOT / "docs"


def _dead_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(autouse=True)
def _no_real_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token from the environment, and the default API points at a dead loopback port."""
    for name in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
        "GITHUB_OUTPUT",
        "GH_HOST",
        "GH_ENTERPRISE_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GH_CONFIG_DIR", "/nonexistent/gh")  # a developer's gh login is not used
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{_dead_port()}")


@pytest.fixture(autouse=True)
def _no_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The help cache goes to the session's temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``validate-arm64`` console script in a subprocess."""
    script = Path(sys.executable).with_name("validate-arm64")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "validator.cli"]
    merged = dict(os.environ)
    merged.update(env or {})
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli("count-tests", path)`` → the finished process (exit code, stdout, stderr)."""
    return run_cli
