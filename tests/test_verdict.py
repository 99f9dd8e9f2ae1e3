"""The verdict fails closed: properties over every combination of outcomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from validator.checks import CHECKS, Outcome, Status
from validator.report import assess
from validator.verdict import EXIT_CODES, Waiver, apply_waivers, decide

from builders import go, with_phase

IDS = [c.id for c in CHECKS if c.blocks]
STATUSES: tuple[Status, ...] = ("passed", "failed", "inconclusive", "skipped", "waived")

outcome_sets = st.lists(
    st.tuples(st.sampled_from(IDS), st.sampled_from(STATUSES)), max_size=20
).map(lambda pairs: [Outcome(check=i, status=s) for i, s in dict(pairs).items()])


@given(outcome_sets, st.sets(st.sampled_from(IDS), min_size=1))
def test_go_only_when_every_blocking_check_passed_or_is_excused(outcomes, blocking):
    verdict = decide(outcomes, blocking)
    by_id = {o.check: o.status for o in outcomes}
    blocking_statuses = [by_id.get(b) for b in blocking]
    if verdict == "GO":
        assert all(s in ("passed", "waived", "skipped") for s in blocking_statuses)
        assert "passed" in blocking_statuses
    if any(s in (None, "inconclusive") for s in blocking_statuses):
        assert verdict != "GO"
    if "failed" in blocking_statuses:
        assert verdict == "NO-GO"


@given(st.sampled_from(IDS), st.sampled_from(("failed", "inconclusive")))
def test_one_bad_blocking_check_on_real_evidence_is_never_go(check_id, bad):
    settings = replace(go().settings, fail_on_test_drop=True)  # every check blocks
    report = assess(replace(go(), settings=settings), today=dt.date(2026, 1, 2))
    assert report.verdict == "GO"
    assert check_id in report.blocking
    outcomes = [replace(o, status=bad) if o.check == check_id else o for o in report.outcomes]
    assert decide(outcomes, report.blocking) != "GO"


def test_no_blocking_checks_is_inconclusive():
    assert decide([Outcome(check="ELF001", status="passed")], []) == "INCONCLUSIVE"


def test_warning_checks_do_not_block():
    outcomes = [Outcome(check="ELF001", status="passed"), Outcome(check="DUR001", status="failed")]
    assert decide(outcomes, {"ELF001"}) == "GO"


def test_exit_codes_are_the_contract():
    assert EXIT_CODES == {"GO": 0, "NO-GO": 1, "INCONCLUSIVE": 3}


def test_waiver_covers_a_failure_until_it_expires():
    failed = [Outcome(check="DUR001", status="failed", detail="Run took 30m.")]
    waiver = Waiver(
        check="DUR001",
        reason="slow runner until new hardware",
        owner="@ops",
        expires=dt.date(2026, 2, 1),
    )
    waived = apply_waivers(failed, [waiver], today=dt.date(2026, 2, 1))
    assert waived[0].status == "waived"
    assert "Waived by @ops until 2026-02-01" in waived[0].detail
    expired = apply_waivers(failed, [waiver], today=dt.date(2026, 2, 2))
    assert expired[0].status == "failed"


def test_waiver_never_turns_not_checked_into_go():
    unchecked = [Outcome(check="RUN001", status="inconclusive")]
    waiver = Waiver(check="RUN001", reason="r", owner="o", expires=dt.date(2099, 1, 1))
    assert apply_waivers(unchecked, [waiver], today=dt.date(2026, 1, 1))[0].status == "inconclusive"


def test_offline_phases_alone_cannot_reach_go():
    ev = with_phase(replace(go(), health=None, run=None, artifacts=None), "health", "not-run")
    ev = with_phase(with_phase(ev, "dispatch", "not-run"), "artifacts", "not-run")
    assert assess(ev).verdict == "INCONCLUSIVE"


def test_test_drop_blocks_only_when_asked():
    assert "TST004" not in assess(go()).blocking
    settings = replace(go().settings, fail_on_test_drop=True)
    assert "TST004" in assess(replace(go(), settings=settings)).blocking


def test_autoscaling_relaxes_only_the_runner_check():
    ev = replace(go(), settings=replace(go().settings, autoscaling=True))
    report = assess(ev)
    assert "RUN001" not in report.blocking
    assert "RUN003" in report.blocking


PARTS = ("health", "run", "artifacts", "binaries", "tests")


@given(
    st.sets(st.sampled_from(PARTS), min_size=1),
    st.dictionaries(
        st.sampled_from(("health", "dispatch", "artifacts", "binaries", "tests")),
        st.sampled_from(("error", "not-run", "failed")),
    ),
)
def test_missing_or_broken_evidence_is_never_go(missing, phase_states):
    absent: dict[str, Any] = dict.fromkeys(missing)
    ev = replace(go(), **absent)
    for name, state in phase_states.items():
        ev = with_phase(ev, name, state, "injected")
    assert assess(ev).verdict != "GO"


@given(
    st.sets(st.sampled_from(("health", "dispatch", "artifacts", "binaries", "tests")), min_size=1)
)
def test_a_phase_that_errored_is_never_go_even_with_its_evidence_present(broken):
    ev = go()
    for name in broken:
        ev = with_phase(ev, name, "error", "connection reset")
    assert assess(ev).verdict != "GO"
