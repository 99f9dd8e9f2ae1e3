"""One validation from settings to published files: gather, assess, publish, tell Actions.

It returns what the command line says; it prints nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from validator.render.mermaid import DEFAULT_POINTS

if TYPE_CHECKING:
    from validator.config import Config
    from validator.phases.context import Hooks
    from validator.report import Report

HISTORY_SHOWN = DEFAULT_POINTS - 1  # earlier validations in the report's trend charts


@dataclass(frozen=True, kw_only=True)
class Validation:
    """A finished validation: the report, and what to say about where it went."""

    report: Report
    note: str | None = None  # where the report and evidence went; None without the report phase
    check_note: str | None = None  # where the check run went, or why it did not; None: not asked
    annotations: str = ""  # GitHub Actions workflow commands, for stdout


def validate(config: Config, hooks: Hooks, *, environ: Mapping[str, str]) -> Validation:
    """Gather the evidence, assess it against the history, and publish what the phases ask."""
    from validator.files import check_writable, exclusive
    from validator.pipeline import gather
    from validator.publish import publish, with_history
    from validator.report import assess

    if "report" in config.phases:  # found now, not after a dispatch and a wait
        check_writable(config.report, option="--report")
        check_writable(config.evidence_path, option="--evidence")
    with exclusive(config.report):
        config = dataclasses.replace(config, work_dir=private_work_dir(config))
        evidence, past = with_history(gather(config, hooks), config.report)
        report = assess(
            evidence,
            waivers=config.waivers,
            warn_only=config.warn_only,
            history=past[-HISTORY_SHOWN:],
        )
        note = None
        if "report" in config.phases:
            note = publish(
                report,
                report_path=config.report,
                evidence_path=config.evidence_path,
                secrets=(config.token,),
            ).note
        check_note = publish_check(report, config, hooks) if config.publish_check else None
        annotations = ""
        if environ.get("GITHUB_ACTIONS") == "true":
            annotations = to_actions(report, config, environ)
    return Validation(report=report, note=note, annotations=annotations, check_note=check_note)


def publish_check(report: Report, config: Config, hooks: Hooks) -> str:
    """Create the check run on the validated commit; one line on how it went.

    Publishing never changes the verdict: a refusal (no ``checks: write``) is said, not raised.
    """
    from validator.errors import GitHubError
    from validator.pipeline import opened_gateway
    from validator.render.check_run import NAME, check_run_body
    from validator.render.markdown import render_markdown

    run = report.evidence.run
    if run is None or not run.head_sha:
        return f'check run "{NAME}" not published: no run, so no validated commit'
    body = check_run_body(
        report,
        head_sha=run.head_sha,
        summary=render_markdown(report),
        report_path=str(config.report),
    )
    try:
        with opened_gateway(config, hooks) as gateway:
            assert gateway is not None  # --publish-check needs the dispatch phase
            url = gateway.create_check_run(body)
    except GitHubError as exc:
        return f'check run "{NAME}" not published: {exc}'
    return f'check run "{NAME}" ({body["conclusion"]}) published on {run.head_sha[:12]}: {url}'


def private_work_dir(config: Config) -> Path:
    """This validation's own downloads and logs: one folder per report, under the report's lock.

    Validations of other reports from the same folder never share (or empty) each other's.
    """
    report = config.report.resolve()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", report.stem).strip("-.")[:40] or "report"
    digest = hashlib.sha256(str(report).encode()).hexdigest()[:10]
    return config.work_dir / f"{slug}-{digest}"


def to_actions(report: Report, config: Config, environ: Mapping[str, str]) -> str:
    """The report as the step summary, verdict and paths as outputs; annotations returned."""
    from validator.render.actions import outputs, workflow_commands
    from validator.render.markdown import render_markdown

    for variable, text in (
        ("GITHUB_STEP_SUMMARY", render_markdown(report)),
        ("GITHUB_OUTPUT", outputs(report, config.report, config.evidence_path)),
    ):
        if target := environ.get(variable):
            with Path(target).open("a", encoding="utf-8") as handle:
                handle.write(text)
    return workflow_commands(report)
