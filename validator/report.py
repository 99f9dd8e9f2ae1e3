"""An assessed body of evidence: outcomes and verdict, ready for the renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from validator.checks import BY_ID, CHECKS, Outcome, evaluate
from validator.evidence import Evidence
from validator.history import Entry, entry_for
from validator.verdict import Verdict, Waiver, apply_waivers, decide


@dataclass(frozen=True, kw_only=True)
class Report:
    """Evidence, what the checks made of it, and the verdict."""

    evidence: Evidence
    outcomes: tuple[Outcome, ...]
    blocking: frozenset[str]
    verdict: Verdict
    waivers: tuple[Waiver, ...] = ()
    trend: tuple[Entry, ...] = ()  # earlier validations, oldest first, then this one

    def outcome(self, check_id: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.check == check_id), None)

    @property
    def blockers(self) -> tuple[Outcome, ...]:
        """Blocking outcomes that stand in the way of GO, failures first."""
        order = {"failed": 0, "inconclusive": 1}
        stuck = [o for o in self.outcomes if o.check in self.blocking and o.status in order]
        return tuple(sorted(stuck, key=lambda o: order[o.status]))


def default_blocking(evidence: Evidence, warn_only: Iterable[str] = ()) -> frozenset[str]:
    """Every check blocks, except warnings by nature (WFL006-WFL010), those configured as
    warnings, RUN001 for autoscaled fleets, and TST004 unless --fail-on-test-drop."""
    relaxed = set(warn_only)
    if evidence.settings.autoscaling:
        relaxed.add("RUN001")
    if not evidence.settings.fail_on_test_drop:
        relaxed.add("TST004")
    return frozenset(c.id for c in CHECKS if c.blocks and c.id not in relaxed)


def assess(
    evidence: Evidence,
    *,
    waivers: Iterable[Waiver] = (),
    warn_only: Iterable[str] = (),
    today: dt.date | None = None,
    history: tuple[Entry, ...] = (),
) -> Report:
    """Run the checks (each judges the evidence), apply waivers and decide the verdict."""
    waivers = tuple(waivers)
    day = today or dt.datetime.now(dt.UTC).date()
    outcomes = apply_waivers(evaluate(evidence), waivers, today=day)
    blocking = default_blocking(evidence, warn_only)
    verdict = decide(outcomes, blocking)
    failed = tuple(o.check for o in outcomes if o.status == "failed" and o.check in blocking)
    current = entry_for(evidence, verdict, failed)
    return Report(
        evidence=evidence,
        outcomes=outcomes,
        blocking=blocking,
        verdict=verdict,
        waivers=waivers,
        trend=(*history, current),
    )


def statement(check_id: str) -> str:
    return BY_ID[check_id].statement
