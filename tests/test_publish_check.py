"""--publish-check: the verdict as the check run "ARM64 readiness" on the validated commit,
created over HTTP on the emulator, which checks each request as GitHub does and keeps it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from validator.emulator import Emulator, Fault, VirtualClock
from validator.emulator.demo import emulator_config, virtual_hooks
from validator.errors import GitHubError
from validator.gateway import Gateway
from validator.orchestrate import validate
from validator.render.check_run import MAX_ANNOTATIONS, MAX_SUMMARY, check_run_body
from validator.render.markdown import render_markdown

from conftest import run_cli

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
CONCLUSION = {"GO": "success", "NO-GO": "failure", "INCONCLUSIVE": "neutral"}


@pytest.mark.parametrize(
    ("scenario", "verdict"),
    [("healthy", "GO"), ("tests-failing", "NO-GO"), ("stale-latest-run", "INCONCLUSIVE")],
)
def test_the_check_run_carries_verdict_findings_and_report(scenario, verdict, tmp_path):
    clock = VirtualClock()
    report_path = tmp_path / "ARM64_TEST_RESULTS.md"
    with Emulator(scenario, clock=clock) as emu:
        config = emulator_config(emu, report=report_path, publish_check=True)
        done = validate(config, virtual_hooks(clock), environ={})
        received = emu.check_runs
    report = done.report
    assert report.verdict == verdict
    assert len(received) == 1
    body = received[0]
    assert report.evidence.run is not None
    assert body["name"] == "ARM64 readiness"
    assert body["head_sha"] == report.evidence.run.head_sha
    assert body["conclusion"] == CONCLUSION[verdict]
    assert body["output"]["summary"] == report_path.read_text(encoding="utf-8")
    annotated = {
        a["title"].split()[0]: a["annotation_level"] for a in body["output"]["annotations"]
    }
    not_passed = {
        o.check: o.status for o in report.outcomes if o.status in ("failed", "inconclusive")
    }
    assert set(annotated) == set(not_passed)
    blocking_failures = {c for c, s in not_passed.items() if s == "failed" and c in report.blocking}
    assert {c for c, level in annotated.items() if level == "failure"} == blocking_failures
    if verdict == "NO-GO":
        assert "TST002" in blocking_failures
    for a in body["output"]["annotations"]:
        assert a["path"] == ".github/workflows/build-push-arm64.yml"
    assert done.check_note is not None
    assert done.check_note.startswith(f'check run "ARM64 readiness" ({CONCLUSION[verdict]}) ')


def test_github_s_limits_are_kept_and_the_emulator_refuses_what_breaks_them(tmp_path):
    clock = VirtualClock()
    with Emulator("tests-failing", clock=clock) as emu:
        config = emulator_config(emu, report=tmp_path / "r.md")
        report = validate(config, virtual_hooks(clock), environ={}).report
        many = dataclasses.replace(report, outcomes=report.outcomes * 40)  # > 50 findings
        summary = render_markdown(report) * 40  # > 65535 characters
        assert report.evidence.run is not None and report.evidence.run.head_sha
        body = check_run_body(
            many, head_sha=report.evidence.run.head_sha, summary=summary, report_path="r.md"
        )
        assert len(body["output"]["annotations"]) == MAX_ANNOTATIONS
        assert len(body["output"]["summary"]) <= MAX_SUMMARY
        assert body["output"]["summary"].rstrip().endswith("the whole one is r.md.)")
        assert "more findings in the summary" in body["output"]["title"]
        with Gateway(repository=emu.repository, token=TOKEN, api_url=emu.base_url) as gw:
            assert gw.create_check_run(body).startswith("https://github.com/")
            over = {**body, "output": {**body["output"], "summary": summary}}
            with pytest.raises(GitHubError, match=r"422.*65535"):
                gw.create_check_run(over)
            annotations = body["output"]["annotations"] * 2
            over = {**body, "output": {**body["output"], "annotations": annotations}}
            with pytest.raises(GitHubError, match=r"422.*at most 50 annotations"):
                gw.create_check_run(over)
        assert len(emu.check_runs) == 1


def _validate(emu: Emulator, tmp_path: Path, *args: str):
    return run_cli(
        *("--all-phases", "--repo", emu.repository, "--api-url", emu.base_url),
        *("--expected-tests", "24", "--poll-interval", "0.05s"),
        *("--report", str(tmp_path / "docs" / "r.md"), "-q", *args),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )


def test_a_token_without_checks_write_is_one_line_and_keeps_the_verdict(tmp_path):
    with Emulator("healthy", advance_per_request=30.0, token=TOKEN) as emu:
        emu.inject(
            Fault(
                path=r"/check-runs$",
                status=403,
                message="Resource not accessible by integration",
            )
        )
        done = _validate(emu, tmp_path, "--publish-check")
        assert emu.check_runs == []
    assert done.returncode == 0, done.stderr  # GO, as without --publish-check
    assert done.stdout.splitlines()[-1].startswith("verdict: GO")
    refused = [line for line in done.stderr.splitlines() if "check run" in line]
    assert refused == [
        'validate-arm64: check run "ARM64 readiness" not published: GitHub refused creating '
        "check run 'ARM64 readiness' in tzervas/embeddenator (403: Resource not accessible by "
        "integration): the token needs the checks: write permission (in a workflow: "
        "permissions: checks: write; a fine-grained token: 'Checks: write')."
    ]
    assert TOKEN not in done.stdout + done.stderr
    assert (tmp_path / "docs" / "r.md").exists()


def test_publish_check_needs_the_run_s_commit(tmp_path):
    done = run_cli(
        *("--phase", "health", "--repo", "o/r", "--publish-check"),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": TOKEN},
    )
    assert done.returncode == 2
    assert "--publish-check needs the dispatch phase" in done.stderr
