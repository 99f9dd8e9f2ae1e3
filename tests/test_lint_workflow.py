"""``validate-arm64 lint-workflow``: exit codes, first lines and the JSON document, on the real
embeddenator workflows and the emulator's own. No token, no network."""

from __future__ import annotations

import json

import pytest

from validator.cli import main

from conftest import FIXTURES

REAL = FIXTURES / "workflows" / "embeddenator"
OURS = FIXTURES / "scenarios" / "workflows" / "build-push-arm64.yml"


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["lint-workflow", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_seed_trap_makes_go_impossible(capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL / "ci-arm64.yml"
    code, out, _ = lint(capsys, str(path), "--input", "runner_type=emulation-test")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"{path}: required labels self-hosted, linux, ARM64"
    assert lines[1] == "  job arm64-build-test  MOVED  ubuntu-latest"
    assert lines[2].startswith(f"ERROR WFL001 {path}:60: job arm64-build-test")
    assert lines[3] == (
        "      fix: dispatch with --input runner_type=self-hosted to keep it on self-hosted, "
        "linux, ARM64, or make runs-on independent of the input"
    )
    assert lines[-1] == (
        "lint: GO is impossible with this workflow and these inputs "
        "(1 blocking, 0 usage, 1 warning)"
    )


def test_a_workflow_with_nothing_in_the_way_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = lint(capsys, str(OURS), "--input", "runner_type=large")
    assert code == 0
    assert "  job test                  ARM64  self-hosted, linux, ARM64, large" in out
    assert out.splitlines()[-1] == (
        "lint: nothing in the workflow stands in the way of GO (0 blocking, 0 usage, 0 warnings)"
    )


def test_a_dispatch_github_would_refuse_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = lint(capsys, str(REAL / "release-workspace.yml"))
    assert code == 2
    assert "USAGE WFL005" in out
    assert out.splitlines()[-1].startswith("lint: this dispatch would be refused (")


def test_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL / "build-push-arm64.yml"
    code, out, _ = lint(capsys, str(path), "--json", "--labels", "self-hosted,linux,ARM64")
    document = json.loads(out)
    assert code == document["exit_code"] == 1
    assert document["schema"] == "validate-arm64/workflow-lint/1"
    assert [j["id"] for j in document["arm64_jobs"]] == ["test", "build-and-push-arm64"]
    assert [(f["id"], f["line"], f["prevents_go"]) for f in document["findings"]] == [
        ("WFL007", 262, True)
    ]


def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, out, err = lint(capsys, str(tmp_path / "missing.yml"))
    assert (code, out) == (2, "")
    assert err.startswith(f"validate-arm64: error: {tmp_path / 'missing.yml'}: cannot read")
    code, _, err = lint(capsys, str(OURS), "--input", "runner_type")
    assert code == 2
    assert err.startswith("validate-arm64: error: --input 'runner_type': expected KEY=VALUE")
    broken = tmp_path / "broken.yml"
    broken.write_text("on: [push\njobs: {}\n", encoding="utf-8")
    code, _, err = lint(capsys, str(broken))
    assert code == 2
    assert err.startswith(f"validate-arm64: error: {broken}: line ")
