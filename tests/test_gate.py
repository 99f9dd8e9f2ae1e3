"""The release gate: only fresh GO evidence for the right commit passes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from validator.gate import admit
from validator.render.document import evidence_document, render_json
from validator.report import assess

from builders import go, job, present, with_phase

NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)  # nine hours after go()'s evidence


def doc(evidence=None):
    return evidence_document(assess(evidence or go(), today=NOW.date()))


def gate(document, *, max_age=26 * 3600.0, sha=None):
    return admit(document, source="e.json", now=NOW, max_age=max_age, sha=sha)


def test_fresh_go_passes():
    result = gate(doc())
    assert result.code == 0
    assert result.line == "GO: octo-org/embeddenator at 0123456789ab, run completed 8h50m ago."


def test_stale_evidence_fails_with_its_age():
    result = gate(doc(), max_age=3600.0)
    assert result.code == 3
    assert result.line.startswith("e.json: evidence is stale: run completed 2026-01-02T03:09:20Z")


def test_wrong_commit_fails():
    result = gate(doc(), sha="deadbeef")
    assert result.code == 3
    assert "not deadbeef" in result.line
    assert gate(doc(), sha="0123456").code == 0


def test_no_go_names_the_failing_checks():
    from dataclasses import replace

    ev = go()
    failing = replace(
        ev,
        run=replace(
            present(ev.run), conclusion="failure", jobs=(job("test", conclusion="failure"),)
        ),
    )
    result = gate(doc(failing))
    assert result.code == 1
    assert result.line == "NO-GO: failing checks RUN002 (e.json)."


def test_inconclusive_is_not_go():
    result = gate(doc(with_phase(go(), "health", "error", "timeout")))
    assert result.code == 3
    assert result.line.startswith("INCONCLUSIVE: not checked WF001, RUN001")


def test_unknown_schema_is_refused():
    document = doc() | {"schema": "validate-arm64/evidence/99"}
    assert gate(document).code == 2


def test_gate_command_exit_codes(cli, tmp_path: Path):
    good = tmp_path / "e.json"
    good.write_text(render_json(assess(go(), today=NOW.date())))
    fresh = json.loads(good.read_text())
    fresh["generated_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh["evidence"]["run"]["updated_at"] = fresh["generated_at"]
    good.write_text(json.dumps(fresh))
    done = cli("gate", "--evidence", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("GO: octo-org/embeddenator")

    old = tmp_path / "old.json"
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    stamp = two_hours_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    aged = fresh | {"generated_at": stamp}
    aged["evidence"] = fresh["evidence"] | {"run": fresh["evidence"]["run"] | {"updated_at": stamp}}
    old.write_text(json.dumps(aged))
    stale = cli("gate", "--evidence", str(old), "--max-age", "1h")
    assert stale.returncode == 3
    assert "evidence is stale" in stale.stderr

    missing = cli("gate", "--evidence", str(tmp_path / "none.json"))
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[0].startswith("validate-arm64: error: ")
    assert "no evidence file" in missing.stderr

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cli("gate", "--evidence", str(broken)).returncode == 2
    assert cli("gate", "--evidence", str(good), "--max-age", "soon").returncode == 2


# Each rule below guards GO: without it, the document built in the test would pass the gate.


def test_an_empty_or_short_sha_is_refused_not_matched_against_any_commit():
    for bad in ("", "0123", "not-hex-at-all", "0123456789abcdef0123456789abcdef012345678"):
        result = gate(doc(), sha=bad)
        assert result.code == 2, bad
        assert result.line.startswith(f"--sha {bad!r}: give at least 7 hexadecimal characters")
    assert gate(doc(), sha="0123456789AB").code == 0  # case does not matter


def test_age_is_measured_from_the_run_completion_not_from_the_report():
    # A stale run re-reported a minute ago is still a stale run.
    document = doc()
    document["generated_at"] = "2026-01-02T11:59:00Z"
    document["evidence"]["run"]["updated_at"] = "2025-12-20T10:00:00Z"
    result = gate(document, max_age=26 * 3600.0)
    assert result.code == 3
    assert result.line.startswith("e.json: evidence is stale: run completed 2025-12-20T10:00:00Z")


def test_go_evidence_without_a_completed_run_time_is_not_go():
    document = doc()
    document["evidence"]["run"]["updated_at"] = None
    result = gate(document)
    assert result.code == 3
    assert "does not say when its run completed" in result.line
    document["evidence"]["run"] = None
    assert gate(document).code == 3


def test_evidence_dated_in_the_future_is_refused():
    future = doc()
    future["generated_at"] = "2026-01-03T12:00:00Z"
    assert gate(future).code == 2
    assert "in the future" in gate(future).line
    run_future = doc()
    run_future["evidence"]["run"]["updated_at"] = "2026-01-02T13:00:00Z"
    result = gate(run_future)
    assert result.code == 2
    assert result.line.startswith(
        "e.json: its run completed 2026-01-02T13:00:00Z, which is in the future"
    )
    skew = doc()
    skew["evidence"]["run"]["updated_at"] = "2026-01-02T12:03:00Z"  # clocks a little apart
    assert gate(skew).code == 0


def test_emulator_evidence_never_passes_the_gate():
    document = doc()
    document["evidence"]["settings"]["emulator_scenario"] = "healthy"
    result = gate(document)
    assert result.code == 2
    assert "built-in emulator" in result.line


def test_evidence_of_another_repository_is_refused():
    assert (
        admit(
            doc(),
            source="e.json",
            now=NOW,
            max_age=None,
            sha=None,
            repository="octo-org/embeddenator",
        ).code
        == 0
    )
    assert (
        admit(
            doc(),
            source="e.json",
            now=NOW,
            max_age=None,
            sha=None,
            repository="OCTO-ORG/Embeddenator",
        ).code
        == 0
    )
    other = admit(
        doc(), source="e.json", now=NOW, max_age=None, sha=None, repository="octo-org/other"
    )
    assert other.code == 2
    assert other.line == (
        "e.json: evidence is for octo-org/embeddenator, not octo-org/other. "
        "Pass the evidence of this repository (or --repo)."
    )


def test_a_go_verdict_its_own_checks_do_not_earn_is_refused():
    # The verdict field is never trusted alone: without this rule each of these passed.
    failed = doc()
    next(c for c in failed["checks"] if c["id"] == "RUN003")["status"] = "failed"
    result = gate(failed)
    assert result.code == 2
    assert "says GO, but its blocking checks RUN003 did not pass" in result.line
    empty = doc() | {"checks": []}
    assert gate(empty).code == 2
    assert "lists no outcome for WF001" in gate(empty).line
    fewer = doc()
    fewer["checks"] = [c for c in fewer["checks"] if c["id"] != "ELF002"]
    assert "lists no outcome for ELF002" in gate(fewer).line
    waived = doc()
    next(c for c in waived["checks"] if c["id"] == "DUR001")["status"] = "waived"
    assert gate(waived).code == 0
