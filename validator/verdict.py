"""From outcomes to one verdict, and from the verdict to the exit code. Fails closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from validator.checks import Outcome

Verdict = Literal["GO", "NO-GO", "INCONCLUSIVE"]

EXIT_CODES: dict[Verdict, int] = {"GO": 0, "NO-GO": 1, "INCONCLUSIVE": 3}


@dataclass(frozen=True, kw_only=True)
class Waiver:
    """Permission to ship with one failing check, until a date, on someone's word."""

    check: str
    reason: str
    owner: str
    expires: dt.date

    def active(self, today: dt.date) -> bool:
        return today <= self.expires


def apply_waivers(
    outcomes: Sequence[Outcome], waivers: Iterable[Waiver], *, today: dt.date
) -> tuple[Outcome, ...]:
    """Mark failed outcomes covered by an unexpired waiver as ``waived``.

    Only ``failed`` can be waived: what could not be observed stays inconclusive.
    """
    by_check = {w.check: w for w in waivers}
    result = []
    for outcome in outcomes:
        waiver = by_check.get(outcome.check)
        if outcome.status == "failed" and waiver is not None and waiver.active(today):
            note = (
                f"{outcome.detail} Waived by {waiver.owner} until {waiver.expires.isoformat()}: "
                f"{waiver.reason}"
            )
            result.append(replace(outcome, status="waived", detail=note))
        else:
            result.append(outcome)
    return tuple(result)


def decide(outcomes: Sequence[Outcome], blocking: Iterable[str]) -> Verdict:
    """GO only if every blocking check passed, was waived, or does not apply.

    A blocking check with no outcome at all counts as not evaluated.
    """
    required = set(blocking)
    if not required:
        return "INCONCLUSIVE"
    seen = {o.check: o for o in outcomes if o.check in required}
    if any(o.status == "failed" for o in seen.values()):
        return "NO-GO"
    if required - seen.keys():
        return "INCONCLUSIVE"
    if all(o.status in ("passed", "waived", "skipped") for o in seen.values()):
        if not any(o.status == "passed" for o in seen.values()):
            return "INCONCLUSIVE"
        return "GO"
    return "INCONCLUSIVE"


def exit_code(verdict: Verdict) -> int:
    return EXIT_CODES[verdict]
