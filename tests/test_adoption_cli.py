"""The command line as a team adopting the tool meets it: settings found from the repository
root, tokens found as gh finds them, only the artifacts asked for, durations with units."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from validator.emulator import Emulator

from conftest import run_cli

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"


@pytest.fixture
def emulator():
    """A running ``healthy`` emulator that accepts only ``TOKEN``."""
    emu = Emulator("healthy", advance_per_request=30.0, token=TOKEN).start()
    yield emu
    emu.stop()


def fake_gh(folder: Path, token: str) -> dict[str, str]:
    """A stub ``gh`` on PATH that answers ``gh auth token --hostname HOST`` (and logs HOST)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{folder}/calls"\n'
        f'[ "$1 $2" = "auth token" ] && echo "{token}" && exit 0\n'
        "exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_print_config_needs_no_token_nor_phase_and_speaks_the_file_s_terms(tmp_path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "validate-arm64.toml").write_text(
        'repo = "o/r"\nqueue-timeout = "90m"\nartifacts = ["test-*"]\n'
    )
    done = run_cli("--print-config", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    source = str(tmp_path / ".github" / "validate-arm64.toml")
    assert f'repo = "o/r"  # {source}' in lines
    assert f'queue-timeout = "1h30m"  # {source}' in lines
    assert 'run-timeout = "1h"  # default' in lines
    assert 'poll-interval = "10s"  # default' in lines
    assert f'artifacts = ["test-*"]  # {source}' in lines
    assert lines[-1] == "# token: not set (GITHUB_TOKEN, GH_TOKEN, gh auth token)"


def test_settings_are_found_from_a_subfolder_and_paths_are_relative_to_the_root(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.validate-arm64]\nrepo = "o/r"\nreport = "docs/ci/R.md"\n'
    )
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    done = run_cli("--print-config", cwd=sub)
    assert done.returncode == 0, done.stderr
    assert f'report = "{tmp_path / "docs" / "ci" / "R.md"}"' in done.stdout
    assert 'repo = "o/r"' in done.stdout


def test_the_file_beats_the_environment_ci_sets_for_every_job(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.validate-arm64]\nrepo = "team/product"\n')
    done = run_cli("--print-config", cwd=tmp_path, env={"GITHUB_REPOSITORY": "team/ci-host"})
    assert 'repo = "team/product"' in done.stdout
    flag = run_cli(
        "--print-config", "--repo", "x/y", cwd=tmp_path, env={"GITHUB_REPOSITORY": "team/ci-host"}
    )
    assert 'repo = "x/y"  # --repo' in flag.stdout
    bare = run_cli("--print-config", cwd=tmp_path / "..", env={"GITHUB_REPOSITORY": "team/ci-host"})
    assert 'repo = "team/ci-host"  # env GITHUB_REPOSITORY' in bare.stdout


def test_gh_auth_token_is_the_last_source_and_is_used_over_http(emulator, tmp_path):
    env = fake_gh(tmp_path / "bin", TOKEN)
    report = tmp_path / "docs" / "r.md"
    done = run_cli(
        "--phase",
        "health",
        "--repo",
        emulator.repository,
        "--api-url",
        emulator.base_url,
        "--report",
        str(report),
        "-q",
        cwd=tmp_path,
        env=env,
    )
    assert "No GitHub token" not in done.stderr
    assert "FAIL  WF001" not in done.stdout and "PASS  WF001" in done.stdout, done.stdout
    host = emulator.base_url.split("//")[1].split(":")[0]
    assert (tmp_path / "bin" / "calls").read_text().split() == ["auth", "token", "--hostname", host]
    assert TOKEN not in done.stdout + done.stderr
    shown = run_cli("--print-config", cwd=tmp_path, env={**env, "GH_TOKEN": "from-env"})
    assert "# token: set (hidden) (env GH_TOKEN)" in shown.stdout


def test_gh_host_and_gh_enterprise_token_are_read_as_gh_reads_them(tmp_path):
    env = {"GH_HOST": "ghe.example.com", "GH_ENTERPRISE_TOKEN": "ent", "GH_TOKEN": "dotcom"}
    done = run_cli("--print-config", cwd=tmp_path, env={**env, "GITHUB_API_URL": ""})
    assert 'api-url = "https://ghe.example.com/api/v3"  # env GH_HOST' in done.stdout
    assert "(env GH_ENTERPRISE_TOKEN)" in done.stdout
    dotcom = run_cli("--print-config", "--api-url", "https://api.github.com", cwd=tmp_path, env=env)
    assert "(env GH_TOKEN)" in dotcom.stdout  # an enterprise token is not sent to github.com


def test_only_the_named_artifacts_are_downloaded(emulator, tmp_path):
    report = tmp_path / "docs" / "r.md"
    done = run_cli(
        "--phase",
        "health",  # the runners' labels prove the uploading job ran on ARM64
        "--phase",
        "dispatch",
        "--phase",
        "artifacts",
        "--phase",
        "tests",
        "--repo",
        emulator.repository,
        "--api-url",
        emulator.base_url,
        "--use-latest-run",
        "--artifact",
        "test-*",
        "--artifact",
        "nothing-like-it",
        "--report",
        str(report),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    downloads = [r.path for r in emulator.requests if r.method == "GET" and r.path.endswith("/zip")]
    assert len(downloads) == 1, downloads
    assert "--artifact 'nothing-like-it': no artifact of this run matches" in done.stderr
    assert "not downloading 'embeddenator-linux-aarch64'" in done.stderr
    assert "PASS  TST002" in done.stdout  # the test results were among those downloaded
    assert "PASS  RUN004" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--run-budget", "15"), "--run-budget '15': add a unit, e.g. 15s or 15m."),
        (
            ("--expected-tests", "-1"),
            "--expected-tests: expected a whole number, zero or more, got -1.",
        ),
    ],
)
def test_values_that_cannot_be_right_are_refused(tmp_path, args, message):
    done = run_cli("--print-config", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"validate-arm64: error: {message}"


def test_a_number_without_unit_in_the_file_is_refused(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.validate-arm64]\nqueue-timeout = 15\n")
    done = run_cli("--print-config", cwd=tmp_path)
    assert done.returncode == 2
    assert 'queue-timeout: 15 has no unit; write it as text with one, e.g. "15m"' in done.stderr


def test_a_waiver_error_names_the_missing_key(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.validate-arm64]\n[[tool.validate-arm64.waivers]]\n"
        'check = "DUR001"\nreason = "r"\nexpires = 2099-01-01\n'
    )
    done = run_cli("--print-config", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "waivers: waiver 1 lacks owner; each waiver needs check, reason, owner, expires."
    )
    assert "{" not in done.stderr  # no Python repr


def test_count_tests_refuses_a_negative_count():
    done = run_cli("count-tests", "--expected", "-1", str(Path(__file__)))
    assert done.returncode == 2
    assert "--expected" in done.stderr and "greater than or equal to 0" in done.stderr


def test_demo_list_says_what_each_scenario_shows():
    from validator.emulator import scenario_names

    lines = run_cli("demo", "--list").stdout.splitlines()
    assert [line.split()[0] for line in lines] == scenario_names()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # a name and what it shows
    assert any(line.startswith("no-runners ") and "no self-hosted runner" in line for line in lines)


def test_the_emulator_refuses_a_non_loopback_address_unless_asked():
    done = run_cli("emulator", "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "--allow-remote" in done.stderr


def test_counts_in_terminal_lines_are_singular_for_one():
    sample = Path(__file__).parent.parent / "fixtures" / "results" / "pytest-pass.xml"
    assert run_cli("count-tests", str(sample)).stdout.splitlines()[-1].endswith("in 1 file")
    binary = Path(__file__).parent.parent / "fixtures" / "binaries" / "hello-aarch64"
    assert run_cli("inspect-binaries", str(binary)).stdout.splitlines()[-1] == (
        "1 ELF file, 1 aarch64, 0 other files: OK"
    )


def test_a_latest_run_is_compared_with_the_ref_used_even_without_health(emulator, tmp_path):
    # Without the health phase the default branch is read by the dispatch phase; RUN004 must
    # compare the run with that branch, not with an empty one.
    done = run_cli(
        "--phase",
        "dispatch",
        "--repo",
        emulator.repository,
        "--api-url",
        emulator.base_url,
        "--use-latest-run",
        "--report",
        str(tmp_path / "r.md"),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert "PASS  RUN004" in done.stdout, done.stdout
    assert "not ``" not in done.stdout


def test_a_wrong_api_url_fails_within_seconds_and_names_the_option(tmp_path):
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = tmp_path / "docs" / "r.md"
    started = time.monotonic()
    done = run_cli(
        *("--all-phases", "--repo", "o/r", "--api-url", f"http://127.0.0.1:{port}"),
        *("--report", str(report), "-q"),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"validate-arm64: error: Could not connect to http://127.0.0.1:{port}")
    assert "check --api-url" in line and "try again later" not in line.lower()
    assert not report.exists()


def test_json_on_the_main_command_is_the_verdict_checks_and_paths(emulator, tmp_path):
    import json

    report = tmp_path / "docs" / "r.md"
    done = run_cli(
        *("--all-phases", "--repo", emulator.repository, "--api-url", emulator.base_url),
        *("--expected-tests", "24", "--poll-interval", "0.05s", "--report", str(report)),
        "--json",
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout is the document alone
    evidence = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert document["schema"] == "validate-arm64/result/1"
    assert (document["verdict"], document["exit_code"]) == ("GO", 0)
    assert document["checks"] == evidence["checks"]
    assert document["head_sha"] == evidence["head_sha"] and document["head_sha"]
    assert document["run"]["id"] == evidence["evidence"]["run"]["id"]
    assert document["paths"] == {
        "report": str(report),
        "evidence": str(report.with_suffix(".json")),
    }
    assert "evidence" not in document  # the observations stay in the evidence file


def test_json_on_gate_is_the_decision_and_why(tmp_path):
    import json

    missing = tmp_path / "none.json"
    done = run_cli("gate", "--evidence", str(missing), "--json", cwd=tmp_path)
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["schema"] == "validate-arm64/gate/1"
    assert (document["admitted"], document["exit_code"]) == (False, 2)
    assert str(missing) in document["reason"]
    assert document["paths"] == {"evidence": str(missing)}
    go = run_cli("demo", "--report", str(tmp_path / "d" / "r.md"), "-q", cwd=tmp_path)
    assert go.returncode == 0, go.stderr
    demo = run_cli("gate", "--evidence", str(tmp_path / "d" / "r.json"), "--json", cwd=tmp_path)
    refused = json.loads(demo.stdout)
    assert refused["exit_code"] == demo.returncode != 0  # evidence from the built-in emulator
    assert refused["admitted"] is False and refused["verdict"] is None
    assert "emulator" in refused["reason"]


SUBCOMMANDS = ("inspect-binaries", "count-tests", "gate", "fleet", "demo", "emulator")


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_shows_metavars_not_python_types(command):
    import re

    done = run_cli(*([command] if command else []), "--help")
    assert done.returncode == 0
    usage = done.stdout.splitlines()[0]
    assert "{" not in usage and "}" not in usage, usage
    assert not re.search(r"<[a-z]+(\[[^\]]*\])?>", done.stdout), done.stdout  # <list[Path]>, <int>
    assert "list[" not in done.stdout and "Path]" not in done.stdout
    if command in ("inspect-binaries", "fleet"):
        assert usage.endswith(" PATH...")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_takes_quiet_and_verbose(command, tmp_path):
    done = run_cli(command, "--help")
    for flag in ("-q, --quiet", "-v, --verbose"):
        assert flag in done.stdout, (command, done.stdout)


def test_verbose_on_a_subcommand_turns_on_debug_logging_without_logger_names(tmp_path):
    (tmp_path / "r.xml").write_text('<testsuite><testcase classname="a" name="b"/></testsuite>')
    quiet = run_cli("count-tests", str(tmp_path / "r.xml"), "-q", cwd=tmp_path)
    loud = run_cli("count-tests", str(tmp_path / "r.xml"), "-v", cwd=tmp_path)
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert quiet.stderr == ""
    demo = run_cli("demo", "-v", "--report", str(tmp_path / "d" / "r.md"), cwd=tmp_path)
    debug = [line for line in demo.stderr.splitlines() if ": DEBUG: " in line]
    assert debug, demo.stderr
    for line in debug:
        assert line.startswith("validate-arm64: DEBUG: ")
        assert "validator." not in line.split(": DEBUG: ")[0]


def test_shell_completion_is_offered_and_completes_in_bash(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = run_cli("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert script.returncode == 0
    assert "complete -o default -F _validate_arm64_completion validate-arm64" in script.stdout
    bash = shutil.which("bash")
    assert bash is not None
    (tmp_path / "completion.bash").write_text(script.stdout)
    bin_dir = Path(sys.executable).parent
    words = {"validate-arm64 ga": "gate", "validate-arm64 gate --max": "--max-age"}
    for line, expected in words.items():
        count = len(line.split()) - 1
        done = subprocess.run(
            [
                bash,
                "-c",
                f"source {tmp_path / 'completion.bash'}; COMP_WORDS=({line}); "
                f"COMP_CWORD={count}; _validate_arm64_completion validate-arm64; "
                'printf "%s\\n" "${COMPREPLY[@]}"',
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
            check=False,
            timeout=60,
        )
        assert expected in done.stdout.split(), (line, done.stdout, done.stderr)


def test_the_exit_code_tables_say_what_count_tests_does_with_unreadable_input(tmp_path):
    from pathlib import Path

    (tmp_path / "broken.xml").write_text("<testsuite><testcase name=", encoding="utf-8")
    unreadable = run_cli("count-tests", str(tmp_path / "broken.xml"), cwd=tmp_path)
    missing = run_cli("count-tests", str(tmp_path / "absent.xml"), cwd=tmp_path)
    assert (unreadable.returncode, missing.returncode) == (1, 2)
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    usage = (root / "docs" / "ci" / "USAGE.md").read_text(encoding="utf-8")
    helped = " ".join(run_cli("--help").stdout.split())
    assert "a file could not be read or parsed) |" in readme
    assert "| 2 | usage or configuration error: bad flag" in readme
    assert "a path that does not exist" in readme
    assert "| 1 | NO-GO | the input failed, or a file could not be read |" in usage
    assert "| a path that does not exist |" in usage
    assert (
        "inspect-binaries and count-tests: 1 also for a file that cannot be read or parsed, "
        "2 for a path that does not exist" in helped
    )


@pytest.mark.parametrize("scenario", ["tests-failing", "not-default-branch", "artifact-expired"])
def test_terminal_lines_carry_no_markdown_while_the_report_keeps_it(scenario, tmp_path):
    report = tmp_path / "r.md"
    done = run_cli("demo", "--scenario", scenario, "--report", str(report), cwd=tmp_path)
    assert done.returncode in (1, 3), done.stderr
    for line in (done.stdout + done.stderr).splitlines():
        assert "`" not in line and "**" not in line and "](" not in line, line
    assert "`" in report.read_text(encoding="utf-8")  # the same details, as Markdown


def test_plain_turns_markdown_into_terminal_text():
    from validator.render.terminal import plain

    assert plain("[run 7](https://x/7) concluded `failure`, **not** `success`") == (
        "run 7 (https://x/7) concluded failure, not success"
    )
    assert plain("[https://x](https://x)") == "https://x"
