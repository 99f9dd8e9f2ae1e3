"""The command line, as a user runs it: exit codes, first lines, files written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES

BINARIES = FIXTURES / "binaries"
RESULTS = FIXTURES / "results"


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """A folder laid out like downloaded artifacts: an AArch64 binary and 24 passing tests."""
    root = tmp_path / "artifacts"
    (root / "bin").mkdir(parents=True)
    (root / "results").mkdir()
    shutil.copy(BINARIES / "hello-aarch64", root / "bin" / "app")
    shutil.copy(RESULTS / "pytest-pass.xml", root / "results" / "junit.xml")
    return root


def test_version_and_help(cli):
    assert cli("--version").stdout == "validate-arm64 0.1.0\n"
    helped = cli("--help")
    assert helped.returncode == 0
    for option in (
        "--all-phases",
        "--phase",
        "--expected-tests",
        "--queue-timeout",
        "--use-latest-run",
        "--fail-on-test-drop",
        "--print-config",
    ):
        assert option in helped.stdout
    for command in ("inspect-binaries", "count-tests", "gate", "demo", "emulator"):
        assert command in helped.stdout


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["--phase", "bogus"], "validate-arm64: error: --phase 'bogus': unknown phase."),
        (
            ["--all-phases", "--repo", "not-a-repo"],
            "validate-arm64: error: --repo 'not-a-repo': expected OWNER/NAME",
        ),
        (
            ["--all-phases", "--repo", "o/r"],
            "validate-arm64: error: No GitHub token: set GITHUB_TOKEN",
        ),
        (
            ["--all-phases", "--repo", "o/r", "--expected-tests", "3", "--min-tests", "2"],
            "validate-arm64: error: --expected-tests and --min-tests exclude each other",
        ),
        (
            ["--all-phases", "--repo", "o/r", "--queue-timeout", "soon"],
            "validate-arm64: error: --queue-timeout 'soon': not a duration.",
        ),
        (["--phase", "binaries"], "validate-arm64: error: --artifacts-dir is needed"),
        (
            ["--phase", "tests", "--artifacts-dir", "/nonexistent/x"],
            "validate-arm64: error: --artifacts-dir /nonexistent/x: no such folder.",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(cli, args, first_line):
    done = cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0].startswith(first_line)
    assert "Traceback" not in done.stderr


def test_offline_phases_write_an_inconclusive_report(cli, artifacts, tmp_path):
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    untraced = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--artifacts-dir",
        str(artifacts),
        "--expected-tests",
        "24",
        "--quiet",
    )
    assert "N/C   ELF002" in untraced.stdout and "N/C   TST003" in untraced.stdout
    # Files in a folder cannot be traced to the job that made them: counted only when allowed.
    done = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--phase",
        "report",
        "--artifacts-dir",
        str(artifacts),
        "--expected-tests",
        "24",
        "--report",
        str(report),
        "--quiet",
        "--allow-unattributed",
    )
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == (
        "verdict: INCONCLUSIVE for TASK-005 (0 blocking checks failed, 9 not checked)"
    )  # RUN004, WFL001, WFL011
    assert "PASS  ELF002" in done.stdout and "PASS  TST003" in done.stdout
    text = report.read_text(encoding="utf-8")
    assert "🟡 INCONCLUSIVE" in text
    assert "Runners: not checked (the health phase did not run)." in text
    evidence = json.loads(report.with_suffix(".json").read_text())
    assert evidence["verdict"] == "INCONCLUSIVE"
    assert evidence["evidence"]["tests"]["files"][0]["counts"]["tests"] == 24


def test_offline_phases_with_x86_binary_is_no_go(cli, artifacts, tmp_path):
    shutil.copy(BINARIES / "hello-x86_64", artifacts / "bin" / "other")
    done = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--artifacts-dir",
        str(artifacts),
        "--expected-tests",
        "24",
        "--report",
        str(tmp_path / "r.md"),
        "-q",
        "--allow-unattributed",
    )
    assert done.returncode == 1
    assert "FAIL  ELF002" in done.stdout
    assert not (tmp_path / "r.md").exists()  # no report phase, no file


def test_inspect_binaries_json_contract(cli):
    done = cli(
        "inspect-binaries",
        str(BINARIES / "hello-aarch64"),
        str(BINARIES / "hello-x86_64"),
        "--json",
    )
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["schema"] == "validate-arm64/binaries/1"
    assert (document["ok"], document["elf_count"], document["aarch64_count"]) == (False, 2, 1)
    first = document["files"][0]
    assert {
        k: first[k]
        for k in ("kind", "aarch64", "class", "endian", "machine", "type", "interpreter", "reason")
    } == {
        "kind": "elf",
        "aarch64": True,
        "class": 64,
        "endian": "little",
        "machine": "EM_AARCH64",
        "type": "ET_DYN",
        "interpreter": "/lib/ld-linux-aarch64.so.1",
        "reason": None,
    }
    assert document["files"][1]["reason"] == "x86-64 (EM_X86_64)"


def test_inspect_binaries_passes_on_aarch64_only(cli):
    done = cli(
        "inspect-binaries", str(BINARIES / "hello-aarch64"), str(BINARIES / "hello-aarch64-static")
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "2 ELF files, 2 aarch64, 0 other files: OK"


def test_inspect_binaries_missing_path(cli, tmp_path):
    done = cli("inspect-binaries", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"validate-arm64: error: {tmp_path / 'nope'}: no such file")


def test_count_tests_expected_and_json(cli):
    ok = cli("count-tests", str(RESULTS / "pytest-pass.xml"), "--expected", "24")
    assert ok.returncode == 0, ok.stdout
    drift = cli("count-tests", str(RESULTS / "pytest-pass.xml"), "--expected", "42")
    assert drift.returncode == 1
    assert "count: 24 tests ran, 42 expected (-18)" in drift.stdout
    document = json.loads(cli("count-tests", str(RESULTS / "cargo-test-fail.log"), "--json").stdout)
    assert document["schema"] == "validate-arm64/tests/1"
    assert document["ok"] is False
    assert document["total"]["failed"] >= 1


def test_count_tests_unreadable_xml_is_an_error_entry(cli, tmp_path):
    xxe = tmp_path / "xxe.xml"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuite><testcase name="a">&x;</testcase></testsuite>'
    )
    done = cli("count-tests", str(xxe), "--json")
    assert done.returncode == 1
    assert "TOP-SECRET-CONTENT" not in done.stdout + done.stderr
    assert json.loads(done.stdout)["files"][0]["error"]


def test_print_config_shows_sources_and_hides_the_token(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.validate-arm64]\nrepo = "o/r"\nexpected-tests = 24\n'
    )
    done = cli(
        "--all-phases",
        "--print-config",
        "--min-tests",
        "3",
        cwd=tmp_path,
        env={"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"},
    )
    assert done.returncode == 2  # expected-tests from the file and --min-tests conflict
    done = cli(
        "--all-phases",
        "--print-config",
        "--workflow",
        "ci.yml",
        cwd=tmp_path,
        env={"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"},
    )
    assert done.returncode == 0, done.stderr
    assert 'repo = "o/r"  # ' + str(tmp_path / "pyproject.toml") in done.stdout
    assert 'workflow = "ci.yml"  # --workflow' in done.stdout
    assert "# token: set (hidden) (env GITHUB_TOKEN)" in done.stdout
    assert "SENTINEL" not in done.stdout + done.stderr


def test_broken_config_file_is_one_line(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.validate-arm64\n")
    done = cli("--all-phases", "--print-config", cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "not valid TOML" in done.stderr


def test_inspect_binaries_fails_on_a_damaged_file_beside_a_good_one(cli, tmp_path):
    shutil.copy(BINARIES / "hello-aarch64", tmp_path / "good")
    shutil.copy(BINARIES / "hello-aarch64-truncated", tmp_path / "cut")
    done = cli("inspect-binaries", str(tmp_path))
    assert done.returncode == 1, done.stdout
    assert "DAMAGED" in done.stdout


def test_a_non_empty_download_folder_is_refused_before_anything_runs(cli, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "old.bin").write_bytes(b"x")
    done = cli(
        "--all-phases",
        "--repo",
        "o/r",
        "--artifacts-dir",
        str(folder),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"},
    )
    assert not (tmp_path / "docs").exists()
    assert done.returncode == 2
    assert done.stderr.startswith(f"validate-arm64: error: --artifacts-dir {folder}: not empty.")


def test_zero_tests_fail_count_tests_as_they_fail_tst003(cli, tmp_path):
    """One rule for the count: with no expectation given, 0 tests is not OK in either place."""
    folder = tmp_path / "artifacts"
    folder.mkdir()
    shutil.copy(BINARIES / "hello-aarch64", folder / "app")
    (folder / "junit.xml").write_text('<?xml version="1.0"?><testsuite name="s"></testsuite>')
    counted = cli("count-tests", str(folder / "junit.xml"))
    assert counted.returncode == 1, counted.stdout
    assert counted.stdout.splitlines()[-1] == "count: 0 tests ran"
    assert cli("count-tests", str(folder / "junit.xml"), "--expected", "0").returncode == 0
    judged = cli(
        "--phase",
        "binaries",
        "--phase",
        "tests",
        "--artifacts-dir",
        str(folder),
        "-q",
        "--allow-unattributed",
    )
    assert "FAIL  TST003" in judged.stdout
    assert (
        "PASS  TST003"
        in cli(
            "--phase",
            "binaries",
            "--phase",
            "tests",
            "--artifacts-dir",
            str(folder),
            "--expected-tests",
            "0",
            "-q",
            "--allow-unattributed",
        ).stdout
    )
