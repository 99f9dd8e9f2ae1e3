"""Short plain-text summaries for a terminal, a cron mail or a CI log."""

from __future__ import annotations

import re

from validator.checks import BY_ID
from validator.evidence import BinaryScan, TestScan
from validator.report import Report

WORD = {
    "passed": "PASS",
    "failed": "FAIL",
    "inconclusive": "N/C ",
    "skipped": "N/A ",
    "waived": "WAIV",
}


def summary(report: Report) -> str:
    """One line per check, then the verdict line (last, so `tail -1` gives it)."""
    lines = []
    for o in report.outcomes:
        flag = "" if o.check in report.blocking else " (warning)"
        lines.append(f"{WORD[o.status]}  {o.check:<6} {BY_ID[o.check].statement}{flag}")
        if o.status != "passed" and o.detail:
            lines.append(f"              {plain(o.detail)}")
    failed = sum(1 for o in report.blockers if o.status == "failed")
    unchecked = sum(1 for o in report.blockers if o.status == "inconclusive")
    lines.append(
        f"verdict: {report.verdict} for TASK-005 "
        f"({counted(failed, 'blocking check')} failed, {unchecked} not checked)"
    )
    return "\n".join(lines)


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def plain(text: str) -> str:
    """Markdown's inline syntax as a terminal shows text: ``[t](u)`` as ``t (u)``, and no
    backticks or ``**`` (details and messages are written once, for the report)."""
    text = _LINK.sub(lambda m: m[1] if m[1] == m[2] else f"{m[1]} ({m[2]})", text)
    return text.replace("**", "").replace("`", "")


def counted(number: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``0 files``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def binaries_table(scan: BinaryScan) -> str:
    """One line per ELF file and per damaged file, then a count."""
    lines = []
    for f in scan.files:
        if f.kind == "elf":
            what = f"{f.type}, interpreter {f.interpreter}" if f.interpreter else f"{f.type}"
            if f.aarch64:
                lines.append(f"aarch64   {f.path} ({what})")
            else:
                lines.append(f"NOT       {f.path}: {f.reason}")
        elif f.kind == "error":
            lines.append(f"DAMAGED   {f.path}: {f.reason}")
    for image in scan.images:
        arch = f"{image.os}/{image.architecture}" + (f"/{image.variant}" if image.variant else "")
        lines.append(
            f"image     {image.path}: {arch}" + (f" ({image.reason})" if image.reason else "")
        )
    for problem in scan.problems:
        lines.append(f"SKIPPED   {problem}")
    for unopened in scan.not_inspected:
        lines.append(f"NOT INSPECTED {unopened.path}: {unopened.reason}")
    others = sum(1 for f in scan.files if f.kind == "not-elf")
    verdict = "OK" if scan.ok else "NOT OK"
    if scan.elf_count == 0:
        verdict += " (no ELF binary found)"
    lines.append(
        f"{counted(scan.elf_count, 'ELF file')}, {scan.aarch64_count} aarch64, "
        f"{counted(others, 'other file')}: {verdict}"
    )
    return "\n".join(lines)


def tests_table(scan: TestScan) -> str:
    """One line per result file, then the total."""
    lines = []
    for f in scan.files:
        if f.error:
            lines.append(f"ERROR  {f.path}: {f.error}")
            continue
        c = f.counts
        lines.append(
            f"{f.format:<7} {f.path}: {c.tests} tests, {c.passed} passed, {c.failed} failed, "
            f"{c.errors} errors, {c.skipped} skipped" + (f", {c.flaky} flaky" if c.flaky else "")
        )
        lines.extend(f"        warning: {w}" for w in f.warnings)
        lines.extend(f"        {t.outcome}: {t.name} {t.message}".rstrip() for t in f.failures[:10])
    t = scan.total
    lines.append(
        f"total: {t.tests} tests, {t.passed} passed, {t.failed} failed, {t.errors} errors, "
        f"{t.skipped} skipped, {t.flaky} flaky in {counted(len(scan.files), 'file')}"
    )
    return "\n".join(lines)
