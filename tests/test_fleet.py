"""The fleet dashboard: one row per repository and workflow, unreadable files and stale evidence
shown as such, worst first, and the exit code of the worst row."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.commands.release import fleet_command
from validator.errors import UsageError
from validator.fleet import Loaded, build_fleet, load, load_all
from validator.history import Entry, entry_for, history_path, record
from validator.render.document import evidence_document
from validator.render.fleet import SCHEMA, fleet_document, render_json, render_markdown
from validator.report import assess

from builders import go, present, results, runner

NOW = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)  # go() ran at 03:09:20Z, 8h50m before
DAY = 24 * 3600.0
COLUMNS = 10


def document(ev=None, **settings):
    ev = ev or go()
    if settings:
        ev = replace(ev, settings=replace(ev.settings, **settings))
    return evidence_document(assess(ev, today=NOW.date()))


def no_go():
    return replace(go(), tests=results(24, failed=2))


def inconclusive():
    return replace(
        go(),
        health=replace(
            present(go().health), runners=None, runners_error="the token may not list runners"
        ),
    )


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def fleet_of(tmp_path, max_age=26 * 3600.0, now=NOW):
    return build_fleet(load_all([tmp_path]), now=now, max_age=max_age)


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]


def test_one_row_per_repository_and_workflow_worst_first(tmp_path):
    write(tmp_path, "a/ARM64_TEST_RESULTS.json", document(repository="octo/alpha"))
    write(tmp_path, "b/ARM64_TEST_RESULTS.json", document(no_go(), repository="octo/beta"))
    write(tmp_path, "c/ARM64_TEST_RESULTS.json", document(inconclusive(), repository="octo/gamma"))
    write(
        tmp_path,
        "d/ARM64_TEST_RESULTS.json",
        document(repository="octo/alpha", workflow="nightly-arm64.yml"),
    )
    fleet = fleet_of(tmp_path)
    assert [(r.repository, r.workflow, r.verdict) for r in fleet.rows] == [
        ("octo/beta", "build-push-arm64.yml", "NO-GO"),
        ("octo/gamma", "build-push-arm64.yml", "INCONCLUSIVE"),
        ("octo/alpha", "build-push-arm64.yml", "GO"),
        ("octo/alpha", "nightly-arm64.yml", "GO"),
    ]
    assert fleet.verdict == "NO-GO" and fleet.exit_code == 1
    beta, gamma, alpha = fleet.rows[:3]
    assert [(f.check, f.status) for f in beta.findings] == [("TST002", "failed")]
    assert "2 failed" in beta.findings[0].reason
    assert (beta.tests_passed, beta.expected_tests) == (22, 24)
    assert gamma.runners_online is None and gamma.findings[0].check == "RUN001"
    assert "token may not list runners" in gamma.findings[0].reason
    assert alpha.runners_online == 1 and alpha.tests_passed == 24
    assert alpha.run_url == "https://github.com/octo-org/embeddenator/actions/runs/8812"
    assert alpha.head_sha == "0123456789abcdef0123456789abcdef01234567"
    assert alpha.age_seconds == (NOW - dt.datetime(2026, 1, 2, 3, 9, 20, tzinfo=dt.UTC)).seconds

    text = render_markdown(fleet)
    assert text.startswith("# ARM64 fleet: 🔴 NO-GO\n")
    rows = table_rows(text)
    assert len(rows) == 4
    assert rows[0].startswith("| 🔴 NO-GO | octo/beta | build-push-arm64.yml | ❌ TST002: 2 failed")
    assert (
        "| 22 / 24 | 1 | [8812](https://github.com/octo-org/embeddenator/actions/runs/8812) "
        "| `0123456789ab` | 8h50m | 🔴 |" in rows[0]
    )
    assert "⚠️ not checked: RUN001" in rows[1] and "| not checked |" in rows[1]


@pytest.mark.parametrize(
    ("docs", "code"),
    [
        ([go()], 0),
        ([go(), inconclusive()], 3),
        ([inconclusive(), no_go(), go()], 1),
    ],
)
def test_exit_code_is_the_worst_verdict(tmp_path, docs, code):
    for i, ev in enumerate(docs):
        write(tmp_path, f"{i}.json", document(ev, repository=f"octo/r{i}"))
    assert fleet_of(tmp_path).exit_code == code


def test_newest_evidence_makes_the_row_and_older_ones_the_history(tmp_path):
    for day, ev in ((1, go()), (3, no_go()), (2, inconclusive())):
        doc = document(ev) | {"generated_at": f"2026-01-0{day}T04:00:00Z"}
        write(tmp_path, f"run-{day}/ARM64_TEST_RESULTS.json", doc)
    (row,) = fleet_of(tmp_path, max_age=None).rows
    assert row.source.endswith("run-3/ARM64_TEST_RESULTS.json")
    assert row.verdict == "NO-GO" and row.older == 2
    assert row.history == ("GO", "INCONCLUSIVE", "NO-GO")
    assert table_rows(render_markdown(fleet_of(tmp_path, max_age=None)))[0].endswith("| 🟢🟡🔴 |")


def test_history_beside_the_evidence_is_one_line_of_verdicts(tmp_path):
    evidence = write(tmp_path, "ARM64_TEST_RESULTS.json", document())
    kept: tuple[Entry, ...] = ()
    for day, verdict in ((1, "GO"), (2, "NO-GO"), (3, "GO")):
        ev = replace(go(), generated_at=f"2026-01-0{day}T00:00:00Z", tests=results(20 + day))
        record(history_path(evidence), kept, entry_for(ev, verdict, ()))
        kept = (*kept, entry_for(ev, verdict, ()))
    with history_path(evidence).open("a") as handle:
        handle.write("{damaged\n")
    (row,) = fleet_of(tmp_path).rows
    assert row.history == ("GO", "NO-GO", "GO", "GO")


def test_stale_evidence_is_inconclusive_measured_from_the_run(tmp_path):
    """The gate's rule: age runs from the judged run's completion, not from when the evidence
    was written, so re-validating an old run does not make it fresh."""
    doc = document() | {"generated_at": "2026-01-05T11:00:00Z"}  # written today, run is old
    write(tmp_path, "e.json", doc)
    now = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    (row,) = fleet_of(tmp_path, now=now).rows
    assert (row.verdict, row.evidence_verdict) == ("INCONCLUSIVE", "GO")
    assert row.observed_at == "2026-01-02T03:09:20Z"
    assert row.problem.startswith("stale: observed 3d08h ago, older than --max-age 26h00m")
    assert fleet_of(tmp_path, now=now).exit_code == 3
    assert "(the evidence says GO)" in render_markdown(fleet_of(tmp_path, now=now))
    assert fleet_of(tmp_path, now=now, max_age=4 * DAY).rows[0].verdict == "GO"
    assert fleet_of(tmp_path, now=now, max_age=None).rows[0].verdict == "GO"


def test_a_stale_no_go_is_inconclusive_too(tmp_path):
    write(tmp_path, "e.json", document(no_go()))
    (row,) = fleet_of(tmp_path, now=NOW + dt.timedelta(days=3)).rows
    assert (row.verdict, row.evidence_verdict) == ("INCONCLUSIVE", "NO-GO")


def test_without_a_run_age_runs_from_generated_at(tmp_path):
    write(tmp_path, "e.json", document(replace(inconclusive(), run=None)))
    (row,) = fleet_of(tmp_path).rows
    assert row.observed_at == "2026-01-02T03:10:00Z" and row.age_seconds == 8 * 3600 + 50 * 60


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [
        ("2026-01-09T00:00:00Z", "in the future"),
        ("yesterday", "age cannot be told"),
        ("2026-01-02T03:10:00", "age cannot be told"),  # no time zone
    ],
)
def test_evidence_whose_time_cannot_be_trusted_is_inconclusive(tmp_path, stamp, problem):
    doc = document() | {"generated_at": stamp}
    doc["evidence"]["run"]["updated_at"] = None
    write(tmp_path, "e.json", doc)
    (row,) = fleet_of(tmp_path).rows
    assert row.verdict == "INCONCLUSIVE" and problem in row.problem


UNREADABLE = {
    "broken.json": (
        '{"schema": "validate-arm64/evidence/1", "verdict": ',
        "not JSON (Expecting value",
    ),
    "empty.json": ("", "not JSON"),
    "latin1.json": ("caf\xe9", None),
    "list.json": ("[1, 2]", "a JSON list, not an evidence document"),
    "other-tool.json": ('{"name": "left-pad", "version": "1.3.0"}', "no schema field"),
    "binaries.json": (
        '{"schema": "validate-arm64/binaries/1", "ok": true}',
        "schema 'validate-arm64/binaries/1', not validate-arm64/evidence/1",
    ),
    "future.json": (
        '{"schema": "validate-arm64/evidence/2", "verdict": "GO"}',
        "schema 'validate-arm64/evidence/2'",
    ),
    "verdict.json": (
        '{"schema": "validate-arm64/evidence/1", "verdict": "MAYBE"}',
        "verdict 'MAYBE' is not GO, NO-GO or INCONCLUSIVE",
    ),
    "anonymous.json": (
        '{"schema": "validate-arm64/evidence/1", "verdict": "GO"}',
        "no repository named",
    ),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


def test_every_unreadable_file_is_a_row_saying_why(tmp_path):
    write(tmp_path, "good/ARM64_TEST_RESULTS.json", document())
    for name, (text, _) in UNREADABLE.items():
        write(tmp_path, f"bad/{name}", text)
    (tmp_path / "bad" / "latin1.json").write_bytes(b'{"x": "caf\xe9"}')
    fleet = fleet_of(tmp_path)
    by_file = {Path(r.source).name: r for r in fleet.rows if r.unreadable}
    assert set(by_file) == set(UNREADABLE)
    assert "not UTF-8" in by_file["latin1.json"].problem
    for name, (_, reason) in UNREADABLE.items():
        assert by_file[name].verdict == "INCONCLUSIVE"
        assert reason is None or reason in by_file[name].problem, (name, by_file[name].problem)
    assert fleet.rows[-1].verdict == "GO"  # the good file still has its row, last
    assert fleet.exit_code == 3
    text = render_markdown(fleet)
    assert len(table_rows(text)) == len(UNREADABLE) + 1
    assert f"| 🟡 INCONCLUSIVE | not readable evidence: {tmp_path}/bad/broken.json |" in text


def test_a_file_that_cannot_be_read_is_a_row(tmp_path):
    folder = write(tmp_path, "folder.json/inner.txt", "x").parent  # a folder named like a file
    loaded = load(folder)
    assert loaded.document is None and present(loaded.problem).startswith("not readable")


def test_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        load_all([tmp_path / "missing"])
    write(tmp_path, "notes.txt", "no evidence here")
    with pytest.raises(UsageError, match="no evidence JSON found"):
        load_all([tmp_path])


def test_hidden_folders_are_work_files_not_evidence(tmp_path):
    write(tmp_path, "ARM64_TEST_RESULTS.json", document())
    write(tmp_path, ".work/run-1/artifacts/manifest.json", '{"arch": "arm64"}')
    assert [r.verdict for r in fleet_of(tmp_path).rows] == ["GO"]


def test_text_from_evidence_cannot_break_the_table(tmp_path):
    doc = document(repository="octo/a|b<script>", workflow="wf\n| x |")
    doc["checks"][0] |= {"status": "failed", "detail": "bad | cell\nnext <b>line</b> `code"}
    doc["verdict"] = "NO-GO"
    doc["evidence"]["run"]["html_url"] = "javascript:alert(1)"
    doc["head_sha"] = "not-a-sha) [x](y"
    write(tmp_path, "e.json", doc)
    (line,) = table_rows(render_markdown(fleet_of(tmp_path)))
    assert len(re.findall(r"(?<!\\)\|", line)) == COLUMNS + 1
    assert "<script>" not in line and "<b>" not in line
    assert "javascript:" not in line and "| 8812 |" in line and "| — |" in line


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    st.sampled_from(
        [
            "checks",
            "evidence",
            "head_sha",
            "generated_at",
            "settings",
            "run",
            "health",
            "tests",
            "labels",
            "counts",
        ]
    ),
)
def test_any_value_in_any_field_gives_a_row_never_a_traceback(value, field):
    doc = document()
    ev = doc["evidence"]
    targets = {
        "checks": doc,
        "evidence": doc,
        "head_sha": doc,
        "generated_at": doc,
        "settings": ev,
        "run": ev,
        "health": ev,
        "tests": ev,
        "labels": ev["settings"],
        "counts": ev["tests"]["files"][0],
    }
    targets[field][field] = value
    fleet = build_fleet([Loaded(path="e.json", document=doc)], now=NOW, max_age=DAY)
    assert len(fleet.rows) == 1 and fleet.rows[0].verdict in ("GO", "INCONCLUSIVE")
    render_markdown(fleet)
    json.loads(render_json(fleet))


def test_json_dashboard(tmp_path):
    write(tmp_path, "ok.json", document())
    write(tmp_path, "nogo.json", document(no_go(), repository="octo/beta"))
    write(tmp_path, "junk.json", "{")
    data = fleet_document(fleet_of(tmp_path))
    assert data["schema"] == SCHEMA == "validate-arm64/fleet/1"
    assert data["verdict"] == "NO-GO" and data["counts"] == {"GO": 1, "NO-GO": 1, "INCONCLUSIVE": 1}
    assert data["generated_at"] == "2026-01-02T12:00:00Z" and data["max_age_seconds"] == 93600
    first, unreadable, ok = data["rows"]
    assert first["repository"] == "octo/beta" and first["readable"] is True
    assert first["blocking"][0]["id"] == "TST002" and first["blocking"][0]["status"] == "failed"
    assert first["tests"] == {"passed": 22, "counted": 24, "expected": 24, "minimum": None}
    assert first["run"]["id"] == 8812 and first["history"] == ["NO-GO"]
    assert unreadable["readable"] is False and unreadable["problem"].startswith("not JSON")
    assert ok["verdict"] == "GO" and ok["runners_online"] == 1


def test_same_evidence_same_bytes(tmp_path):
    write(tmp_path, "a.json", document())
    write(tmp_path, "b.json", document(no_go(), repository="octo/b"))
    assert render_markdown(fleet_of(tmp_path)) == render_markdown(fleet_of(tmp_path))
    assert render_json(fleet_of(tmp_path)) == render_json(fleet_of(tmp_path))


def test_runners_online_counts_only_labelled_online_runners(tmp_path):
    ev = replace(
        go(),
        health=replace(
            present(go().health),
            runners=(
                runner("a"),
                runner("b", status="offline"),
                runner("c", labels=("self-hosted", "X64")),
                runner("d", labels=("self-hosted", "linux", "arm64")),
            ),
        ),
    )
    write(tmp_path, "e.json", document(ev))
    assert fleet_of(tmp_path).rows[0].runners_online == 2


def test_command_writes_output_and_appends_the_step_summary(tmp_path):
    write(tmp_path, "in/a.json", document())
    write(tmp_path, "in/b.json", document(inconclusive(), repository="octo/b"))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = tmp_path / "out" / "fleet.md"
    code, text = fleet_command(
        [tmp_path / "in"],
        output=out,
        as_json=False,
        max_age=DAY,
        now=NOW,
        environ={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert code == 3
    assert text.splitlines()[-1] == "verdict: INCONCLUSIVE"
    assert f"dashboard written to {out}" in text
    assert out.read_text().startswith("# ARM64 fleet: 🟡 INCONCLUSIVE")
    assert summary.read_text() == "earlier step\n" + out.read_text()

    code, text = fleet_command(
        [tmp_path / "in"], output=None, as_json=True, max_age=DAY, now=NOW, environ={}
    )
    assert code == 3 and json.loads(text)["schema"] == SCHEMA


# --- real evidence, from the demo scenarios -------------------------------------------------

SCENARIOS = {
    "healthy": "GO",
    "tests-failing": "NO-GO",
    "no-runners": "NO-GO",
    "autoscaled-fleet": "GO",
    "legacy-ghes": "GO",
}


@pytest.fixture(scope="module")
def demo_evidence(tmp_path_factory):
    """Evidence of several demo scenarios, laid out as downloaded matrix artifacts."""
    from conftest import run_cli

    root = tmp_path_factory.mktemp("fleet-artifacts")
    verdicts = {}
    for name in SCENARIOS:
        report = root / f"arm64-evidence-{name}" / "ARM64_TEST_RESULTS.md"
        done = run_cli("demo", "--quiet", "--scenario", name, "--report", str(report))
        assert done.returncode in (0, 1, 3), done.stderr
        verdicts[name] = json.loads(report.with_suffix(".json").read_text())["verdict"]
    return root, verdicts


@pytest.mark.slow
def test_demo_scenarios_make_a_dashboard(demo_evidence):
    root, verdicts = demo_evidence
    assert verdicts == SCENARIOS
    write(root, "stray/notes.json", '{"owner": "someone else"}')
    now = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)  # the emulator's runs end 2026-01-02
    fleet = build_fleet(load_all([root]), now=now, max_age=26 * 3600.0)
    rows = [(r.scenario, r.verdict) for r in fleet.rows]
    assert rows[:2] == [("no-runners", "NO-GO"), ("tests-failing", "NO-GO")]
    assert rows[2] == (None, "INCONCLUSIVE")
    assert sorted(rows[3:]) == [
        ("autoscaled-fleet", "GO"),
        ("healthy", "GO"),
        ("legacy-ghes", "GO"),
    ]
    failing = fleet.rows[1]
    assert {f.check for f in failing.findings if f.status == "failed"} >= {"RUN002", "TST002"}
    assert failing.tests_passed == 19 and failing.expected_tests == 24
    healthy = next(r for r in fleet.rows if r.scenario == "healthy")
    assert healthy.history == ("GO",) and healthy.runners_online == 1
    assert fleet.exit_code == 1
    later = build_fleet(load_all([root]), now=now + dt.timedelta(days=30), max_age=26 * 3600.0)
    assert {r.verdict for r in later.rows} == {"INCONCLUSIVE"}


# --- the ready workflow (actionlint runs on it in CI; here: what it must do) ----------------

WORKFLOW = Path(__file__).resolve().parents[1] / "docs" / "ci" / "workflows" / "arm64-fleet.yml"


def plan_script() -> str:
    import textwrap

    text = WORKFLOW.read_text()
    return textwrap.dedent(
        present(re.search(r"python3 - <<'PY'\n(.*?)\n\s*PY\n", text, re.S)).group(1)
    )


def run_plan(tmp_path, config=None, repositories=""):
    import subprocess
    import sys

    if config is not None:
        write(tmp_path, ".github/arm64-fleet.json", config)
    out = tmp_path / "github_output"
    out.write_text("")
    done = subprocess.run(
        [sys.executable, "-c", plan_script()],
        cwd=tmp_path,
        text=True,
        capture_output=True,
        check=False,
        env={"GITHUB_OUTPUT": str(out), "REPOSITORIES": repositories},
    )
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    return done, outputs


def test_workflow_spreads_one_job_per_repository_and_collects_once():
    text = WORKFLOW.read_text()
    assert "fail-fast: false" in text
    assert "concurrency:\n  group: arm64-fleet-dashboard" in text
    assert "permissions:\n  contents: read\n" in text and "write" not in text.split("jobs:")[0]
    assert 'use-latest-run: "true"' in text
    assert "matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}" in text
    assert "validate-arm64 fleet evidence fleet-history" in text
    assert "if-no-files-found: error" in text


def test_workflow_plan_reads_the_config_file(tmp_path):
    done, outputs = run_plan(
        tmp_path,
        {
            "repositories": [
                "octo/a",
                {"repo": "octo/b", "workflow": "ci-arm64.yml", "expected-tests": 24},
            ]
        },
    )
    assert done.returncode == 0, done.stderr
    include = json.loads(outputs["matrix"])["include"]
    assert include == [
        {
            "repo": "octo/a",
            "workflow": "build-push-arm64.yml",
            "expected-tests": "",
            "min-tests": "",
            "slug": "octo-a-build-push-arm64.yml",
        },
        {
            "repo": "octo/b",
            "workflow": "ci-arm64.yml",
            "expected-tests": "24",
            "min-tests": "",
            "slug": "octo-b-ci-arm64.yml",
        },
    ]
    assert outputs["slugs"] == "octo-a-build-push-arm64.yml octo-b-ci-arm64.yml"


@pytest.mark.parametrize(
    ("repositories", "message"),
    [
        ("octo/a, not-a-repo", "'not-a-repo': expected OWNER/NAME"),
        (" ".join(f"octo/r{i}" for i in range(257)), "at most 256 jobs"),
        ("octo/a octo/a", "listed twice"),
    ],
)
def test_workflow_plan_refuses_what_github_would_not_run(tmp_path, repositories, message):
    done, outputs = run_plan(tmp_path, repositories=repositories)
    assert done.returncode == 1 and message in done.stderr and outputs == {}


def test_a_go_its_own_checks_do_not_earn_is_not_shown_as_go(tmp_path):
    tampered = document()
    next(c for c in tampered["checks"] if c["id"] == "ELF002")["status"] = "failed"
    write(tmp_path, "a/e.json", tampered)
    row = fleet_of(tmp_path).rows[0]
    assert row.verdict == "INCONCLUSIVE"
    assert "says GO, but its blocking checks ELF002 did not pass" in (row.problem or "")
