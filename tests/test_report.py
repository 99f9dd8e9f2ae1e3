"""The rendered report: one reviewed snapshot per verdict kind, and what it must never contain."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from validator.evidence import Health
from validator.publish import publish
from validator.render.document import render_json
from validator.render.markdown import cell, fence, render_markdown
from validator.report import assess

from builders import go, job, present, results, runner, with_phase

TODAY = dt.date(2026, 1, 2)


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


@pytest.fixture
def md_snapshot(snapshot):
    return snapshot.use_extension(MarkdownSnapshot)


def no_go():
    """The seed report's situation: no runner registered, the dispatched run never left the queue."""
    ev = go()
    run = replace(
        present(ev.run),
        status="queued",
        conclusion=None,
        run_started_at=None,
        run_seconds=None,
        queued_seconds=None,
        wait_error="run 8812 stayed queued for 30m00s: no online "
        "runner has labels self-hosted, linux, ARM64",
        jobs=(
            replace(
                job("test", runner_name=None, runner_labels=None, conclusion=None),
                queued_seconds=None,
                seconds=None,
                started_at=None,
                completed_at=None,
                steps=(),
            ),
        ),
    )
    return replace(
        ev,
        health=replace(present(ev.health), runners=()),
        run=run,
        artifacts=None,
        binaries=None,
        tests=None,
        tests_source=None,
        phases=(
            *ev.phases[:2],
            *(
                p
                for p in with_phase(
                    with_phase(
                        with_phase(ev, "artifacts", "not-run", "no completed run"),
                        "binaries",
                        "not-run",
                        "no artifacts",
                    ),
                    "tests",
                    "not-run",
                    "no artifacts",
                ).phases
                if p.name in ("artifacts", "binaries", "tests")
            ),
        ),
    )


def inconclusive():
    """Offline phases only: binaries and tests pass, everything on GitHub is not checked."""
    ev = go()
    return replace(
        ev,
        health=None,
        run=None,
        artifacts=None,
        cost=replace(ev.cost, requests=None, rate_limit_points=None, bytes_downloaded=None),
        settings=replace(ev.settings, artifacts_dir="./artifacts", api_url=None),
        phases=tuple(p for p in ev.phases if p.name in ("binaries", "tests")),
        tests_source="files in ./artifacts",
    )


@pytest.mark.parametrize(
    ("name", "build", "verdict"),
    [
        ("go", go, "GO"),
        ("no-go", no_go, "NO-GO"),
        ("inconclusive", inconclusive, "INCONCLUSIVE"),
    ],
)
def test_report_snapshot(name, build, verdict, md_snapshot):
    report = assess(build(), today=TODAY)
    assert report.verdict == verdict
    assert render_markdown(report) == md_snapshot


@pytest.mark.parametrize("build", [go, no_go, inconclusive])
def test_report_never_contains_what_the_seed_report_did(build):
    text = render_markdown(assess(build(), today=TODAY))
    assert not re.search(r"^(<<<<<<<|=======|>>>>>>>)", text, re.MULTILINE)
    assert "â" not in text and "ðŸ" not in text
    assert "[To be filled" not in text and "TODO" not in text
    text.encode("utf-8")
    assert "✅" in text or "⚠️" in text


def test_not_observed_figures_say_not_checked():
    text = render_markdown(assess(inconclusive(), today=TODAY))
    assert "Runners: not checked (the health phase did not run)." in text
    assert "| Run duration | not checked |" in text


def test_same_evidence_gives_byte_identical_report():
    assert render_markdown(assess(go(), today=TODAY)) == render_markdown(assess(go(), today=TODAY))


def test_report_escapes_table_cells_from_untrusted_names():
    odd = replace(
        go(), health=Health(runners=(runner("a|b\nc"),), workflow=present(go().health).workflow)
    )
    text = render_markdown(assess(odd, today=TODAY))
    assert "| a\\|b c |" in text
    assert cell(None) == "—"
    assert fence("x\n````\ny").startswith("`````text")


def test_failing_tests_appear_by_name():
    text = render_markdown(assess(replace(go(), tests=results(24, failed=2)), today=TODAY))
    assert "- `suite::t0` (failed): assertion failed" in text


def test_evidence_json_contract_fields():
    document = json.loads(render_json(assess(go(), today=TODAY)))
    assert document["schema"] == "validate-arm64/evidence/1"
    assert document["verdict"] == "GO"
    assert document["generated_at"] == "2026-01-02T03:10:00Z"
    assert document["repository"] == "octo-org/embeddenator"
    assert document["head_sha"] == "0123456789abcdef0123456789abcdef01234567"
    assert {c["status"] for c in document["checks"]} <= {
        "passed",
        "failed",
        "inconclusive",
        "skipped",
        "waived",
    }
    assert [c["id"] for c in document["checks"]][:2] == ["WF001", "RUN001"]


def test_publish_writes_both_files_and_keeps_them_on_a_later_fault(tmp_path: Path):
    report_path, evidence_path = tmp_path / "r.md", tmp_path / "r.json"
    first = publish(assess(go(), today=TODAY), report_path=report_path, evidence_path=evidence_path)
    assert first.written
    before = (report_path.read_bytes(), evidence_path.read_bytes())
    faulty = with_phase(go(), "dispatch", "error", "GitHub did not answer (503)")
    second = publish(
        assess(faulty, today=TODAY), report_path=report_path, evidence_path=evidence_path
    )
    assert not second.written
    assert "kept the previous" in second.note
    assert (report_path.read_bytes(), evidence_path.read_bytes()) == before


def test_publish_leaves_an_unchanged_report_untouched(tmp_path: Path):
    report_path, evidence_path = tmp_path / "r.md", tmp_path / "r.json"
    publish(assess(go(), today=TODAY), report_path=report_path, evidence_path=evidence_path)
    stamp = report_path.stat().st_mtime_ns
    later = replace(go(), generated_at="2026-01-03T03:10:00Z")
    result = publish(
        assess(later, today=TODAY), report_path=report_path, evidence_path=evidence_path
    )
    assert "unchanged" in result.note
    assert report_path.stat().st_mtime_ns == stamp
    assert json.loads(evidence_path.read_text())["generated_at"] == "2026-01-03T03:10:00Z"


def test_generated_text_cannot_pose_as_the_notes_markers(tmp_path: Path):
    # A failure message and a job name that hold the markers, as a hostile test could print.
    from validator.evidence import FailedTest

    ev = go()
    hostile = "<!-- validate-arm64:notes:start --> boom"
    scan = results(tests=24, failed=1)
    failing = replace(
        scan.files[0], failures=(FailedTest(name="suite::t0", outcome="failed", message=hostile),)
    )
    ev = replace(
        ev,
        tests=replace(scan, files=(failing,)),
        run=replace(present(ev.run), jobs=(job("test --> <!-- validate-arm64:notes:end -->"),)),
    )
    report_path, evidence_path = tmp_path / "r.md", tmp_path / "r.json"
    publish(assess(ev, today=TODAY), report_path=report_path, evidence_path=evidence_path)
    notes = (
        "<!-- validate-arm64:notes:start -->\nOwned by the platform team.\n"
        "<!-- validate-arm64:notes:end -->"
    )
    text = report_path.read_text(encoding="utf-8")
    assert text.count("<!-- validate-arm64:notes:start -->") == 1  # only the real marker
    start = text.index("<!-- validate-arm64:notes:start -->")
    end = text.index("<!-- validate-arm64:notes:end -->") + len("<!-- validate-arm64:notes:end -->")
    report_path.write_text(text[:start] + notes + text[end:], encoding="utf-8")

    publish(assess(ev, today=TODAY), report_path=report_path, evidence_path=evidence_path)
    again = report_path.read_text(encoding="utf-8")
    assert notes in again
    for section in ("## Performance", "## Architecture validation", "## Trend", "## Notes"):
        assert section in again
    assert "boom" in again  # the message is still shown, only made inert
