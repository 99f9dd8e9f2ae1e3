"""The Markdown report, rendered by jinja2 from ``report_templates/``."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jinja2

from validator.arm64 import job_ran_on_arm64, runner_is_arm64
from validator.checks import BY_ID, PREREQUISITES, Check, Outcome, provenance
from validator.evidence import BinaryInfo, Evidence, Job, ResultFile
from validator.labels import has_labels
from validator.render import mermaid
from validator.report import Report
from validator.resources import data_path
from validator.testnames import digests_of, named
from validator.units import duration

TEMPLATE = "ARM64_TEST_RESULTS.md.j2"
TREND_TABLE_ROWS = 10  # the chart shows up to mermaid.DEFAULT_POINTS validations, the table fewer


class CheckRow(NamedTuple):
    """One check as the template shows it."""

    outcome: Outcome
    check: Check
    mark: str
    blocking: bool


STATUS_MARK = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "inconclusive": "⚠️ not checked",
    "skipped": "⏭️ not applicable",
    "waived": "🟡 waived",
}
VERDICT_MARK = {"GO": "🟢 GO", "NO-GO": "🔴 NO-GO", "INCONCLUSIVE": "🟡 INCONCLUSIVE"}
NOT_CHECKED = "not checked"


def duration_or_not_checked(seconds: float | None) -> str:
    """``754.2`` → ``12m34s``; ``None`` → ``not checked``."""
    return NOT_CHECKED if seconds is None else duration(seconds)


def inert(value: object) -> object:
    """Generated text that cannot open an HTML comment, so it can never pose as the notes
    markers (or hide the sections after it): a zero-width space splits ``<!--``. (``-->`` stays:
    Mermaid's axis syntax needs it, and it closes nothing outside a comment.)"""
    if not isinstance(value, str):
        return value
    return value.replace("<!--", "<\u200b!--")


def cell(value: object) -> str:
    """A value made safe for one Markdown table cell."""
    if value is None or value == "":
        return "—"
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|")


def fence(text: str) -> str:
    """A fenced block longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in text.split("\n") if set(run) == {"`"}), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text.rstrip("\n")
    return f"{ticks}text\n{body}\n{ticks}"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("report_templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - the output is Markdown; cell() escapes table content
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=inert,  # every {{ expression }} of the template, whatever filter made it
    )
    env.filters["duration"] = duration_or_not_checked
    env.filters["cell"] = cell
    env.filters["fence"] = fence
    env.filters["mermaid"] = mermaid.block
    env.filters["tests_chart"] = mermaid.tests_chart
    env.filters["minutes_chart"] = mermaid.minutes_chart
    env.filters["verdict_strip"] = mermaid.verdict_strip
    env.globals.update(chart_points=mermaid.DEFAULT_POINTS, table_rows=TREND_TABLE_ROWS)
    return env


def _job_rows(ev: Evidence) -> list[dict[str, Any]]:
    rows = []
    for job in ev.run.jobs if ev.run else ():
        proof = job_ran_on_arm64(job)
        on_arm = None if proof.answer == "unknown" else proof.proven
        rows.append({"job": job, "on_arm64": on_arm, "proof": proof.proof})
    return rows


def _origin(ev: Evidence, item: BinaryInfo | ResultFile) -> str:
    """Where a file came from and whether it counts as ARM64 evidence, for one table cell."""
    o = item.origin
    if o is None:
        where = "not traced"
    elif o.job is None:
        where = f"`{o.artifact}`, job unknown"
    else:
        where = f"job `{o.job}`"
    match provenance(ev, o):
        case "arm64":
            return f"{where} ✅ ARM64"
        case "not-arm64":
            return f"{where} ❌ not ARM64, not counted"
        case _:
            counted = "counted" if ev.settings.allow_unattributed else "not counted"
            return f"{where} ⚠️ origin unknown, {counted}"


def _phase_steps(ev: Evidence) -> list[dict[str, Any]]:
    """Build, test and upload steps with their durations, for the performance section."""
    kinds = (("build", "build"), ("test", "test"), ("upload", "upload"))
    rows = []
    for job in ev.run.jobs if ev.run else ():
        for step in job.steps:
            lowered = step.name.lower()
            kind = next((k for word, k in kinds if word in lowered), None)
            if kind:
                rows.append({"job": job.name, "step": step.name, "kind": kind, "step_obj": step})
    return rows


def _failed_job(ev: Evidence) -> Job | None:
    return next(
        (
            j
            for j in (ev.run.jobs if ev.run else ())
            if j.conclusion not in ("success", "skipped", None)
        ),
        None,
    )


def _limitations(report: Report) -> list[str]:
    ev = report.evidence
    notes = [
        f"{o.check} ({BY_ID[o.check].statement.rstrip('.')}): "
        + o.detail.removeprefix("Not checked: ")
        for o in report.outcomes
        if o.status == "inconclusive"
    ]
    notes.append(
        "Only what the run uploaded or logged is seen: tests that wrote no result file and "
        "printed no `cargo test` output are invisible to this report."
    )
    notes.append(
        "A binary is judged from its ELF headers; whether it runs correctly is shown only by "
        "the tests that ran on the ARM64 runner."
    )
    if ev.tests_source and ev.tests_source.startswith("job log"):
        notes.append("Test results were read from job log text (no result file was uploaded).")
    return notes


def render_markdown(report: Report) -> str:
    """The full report. Same report in, byte-identical text out."""
    ev = report.evidence
    checks = [
        CheckRow(
            outcome=o,
            check=BY_ID[o.check],
            mark=STATUS_MARK[o.status],
            blocking=o.check in report.blocking,
        )
        for o in report.outcomes
    ]
    prerequisites = [
        {"number": n, "title": title, "checks": [c for c in checks if c.check.prerequisite == n]}
        for n, title in sorted(PREREQUISITES.items(), key=lambda kv: (kv[0] == 0, kv[0]))
    ]
    actions = []
    for o in report.blockers:
        if o.remedy and o.remedy not in actions:
            actions.append(o.remedy)
    trend_gone: list[str] = []
    trend_added: list[str] = []
    gone_count = added_count = 0
    if len(report.trend) >= 2:
        # By digest of every name (the names themselves are kept only up to a bound).
        old, new = report.trend[-2], report.trend[-1]
        before = digests_of(old.test_names, old.name_digests)
        now = digests_of(new.test_names, new.name_digests)
        gone_count, added_count = len(before - now), len(now - before)
        trend_gone = named(before - now, old.test_names)
        trend_added = named(now - before, new.test_names)
    template = _environment().get_template(TEMPLATE)
    return template.render(
        report=report,
        ev=ev,
        verdict_mark=VERDICT_MARK[report.verdict],
        checks=checks,
        prerequisites=prerequisites,
        blockers=[
            CheckRow(outcome=o, check=BY_ID[o.check], mark=STATUS_MARK[o.status], blocking=True)
            for o in report.blockers
        ],
        actions=actions,
        runners=[
            {
                "runner": r,
                "matches": has_labels(r.label_names, ev.settings.labels),
                "labels": ", ".join(
                    f"{x.name} ({'custom' if x.type == 'custom' else x.type or 'type not given'})"
                    for x in r.labels
                ),
                "arch": runner_is_arm64(r),
            }
            for r in ((*(ev.health.runners or ()), *ev.health.excluded) if ev.health else ())
        ],
        failures=[f for rf in (ev.tests.files if ev.tests else ()) for f in rf.failures],
        test_warnings=[
            f"`{rf.path}`: {w}" for rf in (ev.tests.files if ev.tests else ()) for w in rf.warnings
        ],
        jobs=_job_rows(ev),
        steps=_phase_steps(ev),
        failed_job=_failed_job(ev),
        limitations=_limitations(report),
        phase_names=("health", "dispatch", "artifacts", "binaries", "tests", "report"),
        trend_gone=trend_gone,
        trend_added=trend_added,
        gone_count=gone_count,
        added_count=added_count,
        origin=functools.partial(_origin, ev),
        NOT_CHECKED=NOT_CHECKED,
    )
