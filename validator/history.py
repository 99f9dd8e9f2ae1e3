"""The verdict history beside the report: JSON lines, one per distinct validation, bounded.

Only the newest :data:`NAMES_LINES` lines hold their test names and digests: the next validation
compares against the last line, or against the one before it when it repeats the last (see
:func:`earlier`). Older lines keep a 16-byte fingerprint of their set of tests
(``names_fingerprint``), enough to tell that the set changed, and the small figures the trend
charts draw. The file is bounded by a count of lines and by a size in bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from validator.evidence import Evidence, Previous, TestScan
from validator.files import write_atomic
from validator.testnames import NAMES_KEPT, as_text, digests_of, pack_digests

log = logging.getLogger(__name__)

MAX_ENTRIES = 200  # lines kept in the history file unless the caller asks for another count
# Bytes the history file may reach; the oldest lines go first. The newest line is always kept
# (the next comparison needs it), so a suite of over a million tests may exceed it on its own.
MAX_BYTES = 16 * 1024 * 1024
NAMES_LINES = 2  # newest lines that keep their names and digests (the last, and the one before)
SCHEMA = "validate-arm64/history/1"


T = TypeVar("T")


def _optional(data: dict[str, Any], key: str, check: Callable[[Any], T | None]) -> T | None:
    value = data.get(key)
    if value is None:
        return None
    checked = check(value)
    if checked is None:
        raise TypeError(f"{key}: {value!r} is not valid")
    return checked


# Larger figures are damage, not observations, and would overflow the trend chart.
_MOST_TESTS = 10**9
_MOST_SECONDS = 10.0**8


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= _MOST_TESTS else None


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= _MOST_SECONDS else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{key}: not a list of strings")
    return tuple(value)


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
    passed: int | None = None  # absent from lines written before the trend chart existed
    name_digests: str = ""  # every test name's digest (testnames.pack_digests)
    names_fingerprint: str = ""  # of the set of tests (names_fingerprint()); "" without tests

    @property
    def has_names(self) -> bool:
        return bool(self.test_names or self.name_digests)

    def without_names(self) -> Entry:
        """This entry as an older line keeps it: the fingerprint of its tests, not their names."""
        if not self.has_names:
            return self
        packed = digests_of(self.test_names, self.name_digests)
        return replace(
            self,
            test_names=(),
            name_digests="",
            names_fingerprint=self.names_fingerprint or names_fingerprint(pack_digests(packed)),
        )

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
            "passed": self.passed,
            "test_names": list(self.test_names),
            "queued_seconds": self.queued_seconds,
            "run_seconds": self.run_seconds,
            "failed": list(self.failed),
            "name_digests": self.name_digests,
            "names_fingerprint": self.names_fingerprint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        """An entry from one history line; ``TypeError``/``KeyError`` when a field is damaged."""
        fingerprint, generated_at = _text(data["fingerprint"]), _text(data["generated_at"])
        verdict = data["verdict"]
        if fingerprint is None or generated_at is None:
            raise TypeError("fingerprint and generated_at must be strings")
        if verdict not in ("GO", "NO-GO", "INCONCLUSIVE"):
            raise TypeError(f"verdict {verdict!r} is not GO, NO-GO or INCONCLUSIVE")
        return cls(
            fingerprint=fingerprint,
            generated_at=generated_at,
            verdict=verdict,
            run_id=_optional(data, "run_id", _id),
            attempt=_optional(data, "attempt", _id),
            head_sha=_optional(data, "head_sha", _text),
            tests=_optional(data, "tests", _count),
            passed=_optional(data, "passed", _count),
            test_names=_texts(data, "test_names"),
            queued_seconds=_optional(data, "queued_seconds", _seconds),
            run_seconds=_optional(data, "run_seconds", _seconds),
            failed=_texts(data, "failed"),
            name_digests=str(data.get("name_digests") or ""),
            names_fingerprint=str(data.get("names_fingerprint") or ""),
        )


def names_fingerprint(packed: bytes) -> str:
    """A short digest of a set of tests (their packed name digests), equal for equal sets."""
    return hashlib.blake2b(packed, digest_size=16).hexdigest()


def history_path(report: Path) -> Path:
    return report.with_name(report.stem + ".history.jsonl")


def read_history(path: Path) -> tuple[Entry, ...]:
    """Entries oldest first, names kept on the newest :data:`NAMES_LINES` only (also for files
    written before, with names on every line). A damaged line (not JSON, not UTF-8, a field of
    the wrong type) is skipped with a warning and the rest is kept: a history is never fatal."""
    try:
        with path.open("rb") as handle:
            return _entries(path, handle)
    except FileNotFoundError:
        return ()
    except OSError as exc:
        log.warning("%s: history not read (%s); the trend starts afresh", path, exc.strerror)
        return ()


def _entries(path: Path, lines: Iterable[bytes]) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
            if data.get("schema") != SCHEMA:
                log.warning("%s:%d: skipped a line of another schema", path, number)
                continue
            entries.append(Entry.from_json(data))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            log.warning("%s:%d: skipped a damaged history line", path, number)
            continue
        if len(entries) > NAMES_LINES:  # an old file's names would cost memory for nothing
            entries[-NAMES_LINES - 1] = entries[-NAMES_LINES - 1].without_names()
    return tuple(entries)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def fingerprint(evidence: Evidence) -> str:
    """What was observed, ignoring when and how fast: equal for a re-validation of the same run."""
    run, tests, health, binaries = evidence.run, evidence.tests, evidence.health, evidence.binaries
    names = as_text(_digests(tests)[1]) if tests else None
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
    names, packed = _digests(tests) if tests else ((), b"")
    return Entry(
        fingerprint=fingerprint(evidence),
        generated_at=evidence.generated_at,
        verdict=verdict,
        run_id=run.id if run else None,
        attempt=run.attempt if run else None,
        head_sha=run.head_sha if run else None,
        tests=tests.total.tests if tests else None,
        passed=tests.total.passed if tests else None,
        test_names=names,
        queued_seconds=run.queued_seconds if run else None,
        run_seconds=run.run_seconds if run else None,
        failed=failed,
        name_digests=as_text(packed),
        names_fingerprint=names_fingerprint(packed) if tests else "",
    )


def _digests(tests: TestScan) -> tuple[tuple[str, ...], bytes]:
    """The names kept of every file (bounded), and the digests of all its tests' names."""
    names = sorted({n for f in tests.files for n in f.test_names})[:NAMES_KEPT]
    digests: set[int] = set()
    for f in tests.files:
        digests |= digests_of(f.test_names, f.name_digests)
    return tuple(names), pack_digests(digests)


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


def record(
    path: Path,
    entries: tuple[Entry, ...],
    new: Entry,
    *,
    keep: int = MAX_ENTRIES,
    max_bytes: int = MAX_BYTES,
) -> bool:
    """Append ``new`` unless it repeats the last entry; rewrite the file with the newest ``keep``
    lines, names only on the newest :data:`NAMES_LINES`, within ``max_bytes`` when it can.

    Over ``max_bytes``, the line before the newest loses its names first (it serves only a
    repeat of the newest), then the oldest lines go; the newest line always stays.
    """
    if keep < 1:
        raise ValueError(f"keep={keep}: a history keeps at least one entry")
    if entries and entries[-1].fingerprint == new.fingerprint:
        return False
    kept = list((*entries, new)[-keep:])
    for i in range(len(kept) - NAMES_LINES):
        kept[i] = kept[i].without_names()
    lines = [_line(e) for e in kept]
    size = sum(len(line) for line in lines)
    if size > max_bytes and len(kept) > 1 and kept[-2].has_names:
        shorter = _line(kept[-2].without_names())
        size += len(shorter) - len(lines[-2])
        lines[-2] = shorter
    dropped = 0
    while size > max_bytes and len(lines) - dropped > 1:
        size -= len(lines[dropped])
        dropped += 1
    write_atomic(path, "".join(lines[dropped:]))
    return True


def _line(entry: Entry) -> str:
    return json.dumps(entry.to_json(), sort_keys=True) + "\n"
