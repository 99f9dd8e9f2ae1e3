"""The verdict history beside the report: JSON lines, one per distinct validation, bounded."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.evidence import Evidence, Previous, TestScan
from validator.files import write_atomic
from validator.testnames import NAMES_KEPT, as_text, digests_of, pack_digests

log = logging.getLogger(__name__)

MAX_ENTRIES = 200
SCHEMA = "validate-arm64/history/1"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One validation, as the trend section needs it."""

    fingerprint: str
    generated_at: str
    verdict: str
    run_id: int | None
    attempt: int | None
    head_sha: str | None
    tests: int | None
    test_names: tuple[str, ...]
    queued_seconds: float | None
    run_seconds: float | None
    failed: tuple[str, ...]
    name_digests: str = ""  # every test name's digest (testnames.pack_digests)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "fingerprint": self.fingerprint,
            "generated_at": self.generated_at,
            "verdict": self.verdict,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "head_sha": self.head_sha,
            "tests": self.tests,
            "test_names": list(self.test_names),
            "queued_seconds": self.queued_seconds,
            "run_seconds": self.run_seconds,
            "failed": list(self.failed),
            "name_digests": self.name_digests,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(
            fingerprint=str(data["fingerprint"]),
            generated_at=str(data["generated_at"]),
            verdict=str(data["verdict"]),
            run_id=data.get("run_id"),
            attempt=data.get("attempt"),
            head_sha=data.get("head_sha"),
            tests=data.get("tests"),
            test_names=tuple(str(n) for n in data.get("test_names") or ()),
            queued_seconds=data.get("queued_seconds"),
            run_seconds=data.get("run_seconds"),
            failed=tuple(str(c) for c in data.get("failed") or ()),
            name_digests=str(data.get("name_digests") or ""),
        )


def history_path(report: Path) -> Path:
    return report.with_name(report.stem + ".history.jsonl")


def read_history(path: Path) -> tuple[Entry, ...]:
    """Entries oldest first; damaged lines are skipped (and logged), never fatal."""
    if not path.is_file():
        return ()
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if data.get("schema") == SCHEMA:
                entries.append(Entry.from_json(data))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("%s:%d: skipped a damaged history line", path, number)
    return tuple(entries)


def fingerprint(evidence: Evidence) -> str:
    """What was observed, ignoring when and how fast: equal for a re-validation of the same run."""
    run, tests, health, binaries = evidence.run, evidence.tests, evidence.health, evidence.binaries
    names = _digests(tests)[1] if tests else None
    stable = {
        "phases": [(p.name, p.state, p.error) for p in evidence.phases],
        "run": [run.id, run.attempt, run.status, run.conclusion, run.wait_error] if run else None,
        "tests": [tests.total.tests, tests.total.failed, tests.total.errors, names]
        if tests
        else None,
        "binaries": [binaries.elf_count, binaries.aarch64_count] if binaries else None,
        "runners": [(r.name, r.status, r.busy) for r in health.runners or ()] if health else None,
        "settings": [
            evidence.settings.repository,
            evidence.settings.workflow,
            evidence.settings.expected_tests,
            evidence.settings.min_tests,
        ],
    }
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def entry_for(evidence: Evidence, verdict: str, failed: tuple[str, ...]) -> Entry:
    """The history entry of a validation."""
    run, tests = evidence.run, evidence.tests
    names, digests = _digests(tests) if tests else ((), "")
    return Entry(
        fingerprint=fingerprint(evidence),
        generated_at=evidence.generated_at,
        verdict=verdict,
        run_id=run.id if run else None,
        attempt=run.attempt if run else None,
        head_sha=run.head_sha if run else None,
        tests=tests.total.tests if tests else None,
        test_names=names,
        queued_seconds=run.queued_seconds if run else None,
        run_seconds=run.run_seconds if run else None,
        failed=failed,
        name_digests=digests,
    )


def _digests(tests: TestScan) -> tuple[tuple[str, ...], str]:
    """The names kept of every file (bounded), and the digests of all its tests' names."""
    names = sorted({n for f in tests.files for n in f.test_names})[:NAMES_KEPT]
    digests: set[int] = set()
    for f in tests.files:
        digests |= digests_of(f.test_names, f.name_digests)
    return tuple(names), as_text(pack_digests(digests))


def earlier(entries: tuple[Entry, ...], evidence: Evidence) -> tuple[Entry, ...]:
    """The history before this validation: a repeat of the last entry does not count twice."""
    if entries and entries[-1].fingerprint == fingerprint(evidence):
        return entries[:-1]
    return entries


def previous_of(entries: tuple[Entry, ...]) -> Previous | None:
    if not entries:
        return None
    last = entries[-1]
    return Previous(
        generated_at=last.generated_at,
        verdict=last.verdict,
        run_id=last.run_id,
        tests=last.tests,
        test_names=last.test_names,
        name_digests=last.name_digests,
    )


def record(path: Path, entries: tuple[Entry, ...], new: Entry) -> bool:
    """Append ``new`` unless it repeats the last entry; keep the newest MAX_ENTRIES lines."""
    if entries and entries[-1].fingerprint == new.fingerprint:
        return False
    kept = (*entries, new)[-MAX_ENTRIES:]
    write_atomic(path, "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in kept))
    return True
