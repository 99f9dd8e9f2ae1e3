"""The release gate: only fresh GO evidence for the right commit passes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from validator.gate import admit
from validator.render.document import evidence_document, render_json
from validator.report import assess

from builders import go, job, with_phase

NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)  # nine hours after go()'s evidence


def doc(evidence=None):
    return evidence_document(assess(evidence or go(), today=NOW.date()))


def gate(document, *, max_age=26 * 3600.0, sha=None):
    return admit(document, source="e.json", now=NOW, max_age=max_age, sha=sha)


def test_fresh_go_passes():
    result = gate(doc())
    assert result.code == 0
    assert result.line == "GO: octo-org/embeddenator at 0123456789ab, evidence 8h50m old."


def test_stale_evidence_fails_with_its_age():
    result = gate(doc(), max_age=3600.0)
    assert result.code == 3
    assert result.line.startswith("e.json: evidence is stale: generated 2026-01-02T03:10:00Z")


def test_wrong_commit_fails():
    result = gate(doc(), sha="deadbeef")
    assert result.code == 3
    assert "not deadbeef" in result.line
    assert gate(doc(), sha="0123456").code == 0


def test_no_go_names_the_failing_checks():
    from dataclasses import replace

    ev = go()
    failing = replace(ev, run=replace(ev.run, conclusion="failure",
                                      jobs=(job("test", conclusion="failure"),)))
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
    good.write_text(json.dumps(fresh))
    done = cli("gate", "--evidence", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("GO: octo-org/embeddenator")

    old = tmp_path / "old.json"
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    old.write_text(json.dumps(fresh | {"generated_at": two_hours_ago.strftime("%Y-%m-%dT%H:%M:%SZ")}))
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
