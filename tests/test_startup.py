"""Start-up: what `--help` imports, and the help cache that answers it without typer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from validator import helpcache
from validator.cli import app
from validator.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [(), *((command.name,) for command in app.registered_commands if command.name)]
FRAMEWORKS = ("typer", "click", "pydantic", "rich")

# Runs the console entry point in-process once per argv and reports what it printed and which
# modules it loaded: a cache hit must not load the CLI framework.
ENTRY = """
import contextlib, io, json, sys
from validator.__main__ import main
answers = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["validate-arm64", *argv]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main()
    answers.append({"code": code, "stdout": printed.getvalue()})
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"answers": answers, "loaded": loaded}))
"""


@pytest.fixture
def typers_help(monkeypatch, capsys):
    """The help text typer itself prints for a command path at a terminal width."""

    def render(command: tuple[str, ...], width: int) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        capsys.readouterr()
        assert cli([*command, "--help"]) == 0
        out: str = capsys.readouterr().out
        return out

    return render


def environment(cache: Path, *, width: int = 80, pythonpath: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS")}
    env.update(XDG_CACHE_HOME=str(cache), COLUMNS=str(width))
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


@dataclass(frozen=True, kw_only=True)
class Seen:
    """What the console entry point printed for each argv, and the packages it loaded."""

    answers: list[tuple[int, str]]
    loaded: frozenset[str]

    @property
    def typer(self) -> bool:
        return "typer" in self.loaded


def entry(argvs: list[list[str]], env: dict[str, str], cwd: Path) -> Seen:
    """Run the console entry point on each argv in one fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, json.dumps(argvs)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    return Seen(
        answers=[(a["code"], a["stdout"]) for a in seen["answers"]],
        loaded=frozenset(seen["loaded"]),
    )


def cached_files(cache: Path) -> list[Path]:
    return sorted((cache / "validate-arm64").glob("help-*.txt"))


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """A working folder nothing is written to (``python -c`` puts it on sys.path)."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


def test_help_imports_neither_the_evidence_model_nor_the_readers(cwd):
    script = (
        "import sys; from validator.cli import main; code = main(['--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('validator.'))); "
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, check=True
    )
    ours, everything = done.stdout.splitlines()[-2:]
    for module in (
        "validator.evidence",
        "validator.phases.context",
        "validator.checks",
        "validator.orchestrate",
        "validator.gateway",
        "validator.render",
    ):
        assert f"'{module}'" not in ours
    for package in ("github", "requests", "jinja2", "elftools", "junitparser", "pydantic", "rich"):
        assert f"'{package}'" not in everything


def test_cached_help_equals_typers_for_every_command_and_skips_typer(tmp_path, cwd, typers_help):
    cache = tmp_path / "cache"
    env = environment(cache)
    script = Path(sys.executable).with_name("validate-arm64")
    for command in COMMANDS:  # a miss: typer renders the help through the console script
        done = subprocess.run(
            [str(script), *command, "--help"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == typers_help(command, 80)
    assert len(cached_files(cache)) == len(COMMANDS)

    seen = entry([[*c, "--help"] for c in COMMANDS] + [[*c, "-h"] for c in COMMANDS], env, cwd)
    assert seen.answers == [(0, typers_help(command, 80)) for command in COMMANDS * 2]
    assert not seen.loaded & set(FRAMEWORKS)


def test_a_changed_source_file_or_width_misses_the_cache(tmp_path, cwd, typers_help):
    copy = tmp_path / "copy"
    shutil.copytree(
        ROOT / "validator", copy / "validator", ignore=shutil.ignore_patterns("__pycache__")
    )
    cache = tmp_path / "cache"
    env = environment(cache, pythonpath=copy)

    first = entry([["--help"], ["--help"]], env, cwd)
    assert first.answers == [(0, typers_help((), 80))] * 2
    assert first.typer
    assert not entry([["--help"]], env, cwd).typer

    cli_py = copy / "validator" / "cli.py"
    cli_py.write_text(cli_py.read_text().replace("(TASK-005)", "(TASK-005, edited)"))
    edited = entry([["--help"]], env, cwd)
    assert edited.typer
    stdout = edited.answers[0][1]
    assert "(TASK-005, edited)" in stdout
    again = entry([["--help"]], env, cwd)
    assert not again.typer
    assert again.answers == edited.answers

    narrow_env = environment(cache, width=60, pythonpath=copy)
    narrow = entry([["--help"]], narrow_env, cwd)
    assert narrow.typer
    assert "  Decide from evidence whether an ARM64 CI workflow is\n" in narrow.answers[0][1]
    assert not entry([["--help"]], narrow_env, cwd).typer
    assert entry([["--help"]], env, cwd).answers == edited.answers  # the 80 columns entry stays
    assert len(cached_files(cache)) == 2  # one per width: an edit replaces, never accumulates


def test_an_unusable_cache_folder_is_refused_and_help_still_printed(tmp_path, cwd, typers_help):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for _ in range(2):
        seen = entry([["--help"]], environment(blocked), cwd)
        assert seen.answers == [(0, typers_help((), 80))]
        assert seen.typer

    copy = tmp_path / "copy"  # a cache folder inside the checkout is never written
    shutil.copytree(
        ROOT / "validator", copy / "validator", ignore=shutil.ignore_patterns("__pycache__")
    )
    entry([["--help"]], environment(copy, pythonpath=copy), cwd)
    assert sorted(p.name for p in copy.iterdir()) == ["validator"]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--help"], ()),
        (["-h"], ()),
        (["gate", "--help"], ("gate",)),
        (["count-tests", "-h"], ("count-tests",)),
        (["--repo", "--help"], None),  # an option, not a command
        (["--help", "gate"], None),
        (["gate", "x", "--help"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_only_plain_help_requests_use_the_cache(argv, command):
    assert helpcache.request(argv) == command


@pytest.mark.parametrize("value", ["", "0", "abc", "37", "200"])
def test_width_is_the_one_click_sizes_help_by(monkeypatch, value):
    monkeypatch.setenv("COLUMNS", value)
    assert helpcache.columns(os.environ) == shutil.get_terminal_size().columns


def test_no_cache_for_completion_or_a_folder_inside_the_package(tmp_path):
    usable = {"XDG_CACHE_HOME": str(tmp_path)}
    assert helpcache.entry(("gate",), usable) is not None
    assert (
        helpcache.entry(("gate",), {**usable, "_VALIDATE_ARM64_COMPLETE": "bash_complete"}) is None
    )
    assert helpcache.entry((), {"XDG_CACHE_HOME": helpcache.PACKAGE}) is None
