"""Judgements: pure functions from the evidence to an outcome, each with a stable id.

A check's docstring is its statement in the report: one line saying what passing means.
``failed`` means evaluated and found bad; ``inconclusive`` means it could not be evaluated;
``skipped`` means it does not apply, and always says why.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from validator.arm64 import CONTEXT_STEP, job_ran_on_arm64, misleading_labels, runner_is_arm64
from validator.evidence import (
    Artifact,
    BinaryInfo,
    Evidence,
    Health,
    Job,
    Origin,
    PhaseRecord,
    ResultFile,
    Run,
    Runner,
    TestScan,
)
from validator.labels import has_labels
from validator.testnames import digests_of, named
from validator.units import duration
from validator.workflow.findings import FINDINGS

Status = Literal["passed", "failed", "inconclusive", "skipped", "waived"]
DISPATCH_EVENT = "workflow_dispatch"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """The result of one check on one body of evidence."""

    check: str
    status: Status
    detail: str = ""  # Markdown: what was seen
    remedy: str = ""  # what to change, and where


@dataclass(frozen=True, kw_only=True)
class Finding:
    """What a check function returns; the registry adds the id."""

    status: Status
    detail: str
    remedy: str = ""


def passed(detail: str) -> Finding:
    return Finding(status="passed", detail=detail)


def failed(detail: str, remedy: str) -> Finding:
    return Finding(status="failed", detail=detail, remedy=remedy)


def inconclusive(detail: str, remedy: str = "") -> Finding:
    return Finding(status="inconclusive", detail=detail, remedy=remedy)


def skipped(detail: str) -> Finding:
    return Finding(status="skipped", detail=detail)


def _not_run(ev: Evidence, phase: str) -> Finding | None:
    """Inconclusive finding when ``phase`` did not run or could not gather its evidence."""
    record = ev.phase(phase)
    if record is None:
        return inconclusive(f"Not checked: the {phase} phase did not run.")
    if record.state == "not-run":
        why = f" ({record.error})" if record.error else ""
        return inconclusive(f"Not checked: the {phase} phase did not run{why}.")
    if record.state == "error":
        return inconclusive(f"Not checked: the {phase} phase failed: {record.error}")
    return None


def _unusable_artifacts(ev: Evidence) -> Finding | None:
    """Inconclusive when some artifacts could not be read: what they held was not seen."""
    arts = ev.artifacts
    if arts is None:
        return None
    lost = [a.name for a in arts.items if a.expired or a.error]
    if not lost:
        return None
    names = ", ".join(f"`{n}`" for n in lost[:5])
    return inconclusive(
        f"Not checked: {len(lost)} artifacts could not be read ({names}); see ART001.",
        "Re-run the workflow so that it uploads fresh artifacts, then validate again.",
    )


def _labels(ev: Evidence) -> str:
    return ", ".join(ev.settings.labels)


def _n(count: int, noun: str) -> str:
    """``_n(1, "file")`` → ``1 file``; ``_n(3, "file")`` → ``3 files``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _duration(seconds: float | None) -> str:
    return "unknown" if seconds is None else duration(seconds)


# --- prerequisite 1: the workflow ------------------------------------------------------------


def workflow_is_dispatchable(ev: Evidence) -> Finding:
    """The workflow exists, is active, and accepts a manual dispatch."""
    if (gap := _not_run(ev, "health")) is not None:
        return gap
    health = ev.health
    name = ev.settings.workflow or "the workflow"
    if health is None or health.workflow is None:
        reason = health.workflow_error if health else None
        return failed(
            f"Workflow `{name}` was not found: {reason or 'GitHub did not return it'}.",
            f"Check the file name under `.github/workflows/` on the default branch "
            f"`{(health.default_branch if health else None) or 'main'}`, or pass --workflow.",
        )
    wf = health.workflow
    if wf.state != "active":
        return failed(
            f"Workflow `{wf.path}` is `{wf.state}`.",
            f"Enable it (Actions → {wf.name} → Enable workflow) and run again.",
        )
    dispatch = ev.phase("dispatch")
    dispatching = ev.settings.run_source == "dispatch"
    if dispatching and dispatch is not None and dispatch.state == "failed":
        return failed(
            f"Workflow `{wf.path}` is active, but GitHub refused the dispatch: {dispatch.error}",
            "Give the workflow an `on: workflow_dispatch:` trigger on the default branch and "
            "send only the inputs it declares.",
        )
    if ev.run is not None and ev.run.dispatched:
        return passed(f"`{wf.path}` (id {wf.id}) is active and accepted a dispatch.")
    if ev.run is not None and ev.run.event == DISPATCH_EVENT:
        return passed(
            f"`{wf.path}` (id {wf.id}) is active and accepted a manual dispatch: run "
            f"{ev.run.id} was triggered by `{DISPATCH_EVENT}`."
        )
    if ev.run is not None or not dispatching:
        # Nothing was dispatched: whether the workflow accepts a dispatch was not observed.
        seen = f"run {ev.run.id} was triggered by `{ev.run.event}`" if ev.run else "no run"
        return inconclusive(
            f"Not checked: `{wf.path}` is active, but nothing was dispatched and {seen}.",
            "Dispatch the workflow once (drop --use-latest-run / --run-id) to prove it accepts "
            "`workflow_dispatch`.",
        )
    return passed(f"`{wf.path}` (id {wf.id}) is active (no dispatch was attempted).")


# --- prerequisite 2: runners -------------------------------------------------------------------


def _where(runner: Runner) -> str:
    """``runner `x``` with its level and group when it is not the repository's own."""
    if runner.level == "repository":
        return f"`{runner.name}`"
    group = f", group `{runner.group}`" if runner.group else ""
    return f"`{runner.name}` ({runner.level}{group})"


def _invisible_levels(health: Health) -> tuple[str, str]:
    """What could not be read (detail) and the permissions that would make it readable."""
    hidden = health.invisible
    detail = "; ".join(
        f"the {s.level} level ({s.scope}) could not be read: {s.error}" for s in hidden
    )
    needs = " ".join(
        f"{s.permission[0].upper()}{s.permission[1:]}." for s in hidden if s.permission
    )
    return detail, needs


def arm64_runner_online(ev: Evidence) -> Finding:
    """A usable runner with the required labels and the read-only label ARM64 is online.

    The architecture label must be the one the runner application set (``read-only``): a
    custom label naming an architecture is typed by a person and proves nothing.
    """
    if (gap := _not_run(ev, "health")) is not None:
        return gap
    health = ev.health
    if health is None or health.runners is None:
        reason = health.runners_error if health else "no runner list"
        if health is not None and health.invisible:
            detail, needs = _invisible_levels(health)
            return inconclusive(f"Runners could not be listed: {detail}", needs)
        return inconclusive(f"Runners could not be listed: {reason}")
    labels = _labels(ev)
    matching = [r for r in health.runners if has_labels(r.label_names, ev.settings.labels)]
    proofs = {r.id: runner_is_arm64(r) for r in matching}
    wrong = [r for r in matching if proofs[r.id].answer == "no"]
    if wrong:
        seen = "; ".join(
            f"{_where(r)}: {proofs[r.id].proof.removeprefix(f'runner `{r.name}` ')}" for r in wrong
        )
        misleading = sorted({x for r in wrong for x in misleading_labels(r.labels)})
        fix = (
            f"Remove the custom label{'s' if len(misleading) > 1 else ''} "
            f"{', '.join(f'`{x}`' for x in misleading)} from "
            if misleading
            else "Take the required labels off "
        )
        return failed(
            f"Runners with labels {labels} are not ARM64 machines, and jobs asking for those "
            f"labels may run there: {seen}.",
            f"{fix}{', '.join(f'`{r.name}`' for r in wrong)} (Settings → Actions → Runners → "
            "the runner → labels). The architecture label is set by the runner application "
            "from the machine; register the runner on an ARM64 host instead.",
        )
    online = [r for r in matching if r.status == "online"]
    proven = [r for r in online if proofs[r.id].proven]
    if proven:
        idle = [r for r in proven if not r.busy]
        busy_note = "" if idle else " (all busy: jobs will queue until one is free)"
        names = ", ".join(_where(r) for r in proven)
        return passed(
            f"{len(proven)} of {_n(len(matching), 'matching runner')} online, each with the "
            f"read-only architecture label ARM64: {names}{busy_note}."
        )
    hidden_detail, needs = _invisible_levels(health)
    unproven = [r for r in online if not proofs[r.id].proven]
    if unproven:
        names = "; ".join(proofs[r.id].proof for r in unproven)
        return inconclusive(
            f"Runners with labels {labels} are online, but their architecture is not proven: "
            f"{names}. RUN003 decides from the jobs' own logs.",
            f"Print the runner context in the ARM64 jobs (`{CONTEXT_STEP}`).",
        )
    if ev.settings.autoscaling:
        return inconclusive(
            f"No runner with labels {labels} is online now ({len(matching)} registered). With "
            "--autoscaling that can be normal; whether a job was picked up decides (RUN003)."
        )
    if health.invisible:
        return inconclusive(
            f"No usable runner with labels {labels} is online among those visible "
            f"({len(health.runners)} seen), and {hidden_detail}",
            needs,
        )
    register = (
        f"Register a self-hosted runner with labels `{labels}` (Settings → Actions → Runners → "
        "New self-hosted runner) and start it; for an autoscaled fleet pass --autoscaling."
    )
    levels = ", ".join(s.level for s in health.sources) or "repository"
    if not health.runners:
        excluded = ""
        if health.excluded:
            excluded = (
                " Seen but not usable: "
                + "; ".join(f"{_where(r)}: {r.access}" for r in health.excluded[:5])
                + "."
            )
        return failed(
            f"No self-hosted runner that {ev.settings.repository or 'the repository'} may use "
            f"is registered (levels read: {levels}).{excluded}",
            register + (" Or let the runner group admit the repository." if excluded else ""),
        )
    if not matching:
        seen = "; ".join(f"{_where(r)}: {', '.join(r.label_names)}" for r in health.runners)
        return failed(
            f"{len(health.runners)} runners registered, none with all labels {labels} ({seen}).",
            f"Add the missing labels to a runner, or pass --labels to match the workflow's "
            f"`runs-on`. {register}",
        )
    names = ", ".join(_where(r) for r in matching)
    return failed(
        f"{len(matching)} matching runners registered but all offline: {names}.",
        "Start the runner service on the ARM64 host (`./svc.sh start` in the runner folder), "
        "or pass --autoscaling if runners start on demand.",
    )


# --- prerequisite 3: the run -------------------------------------------------------------------


def _run_or_gap(ev: Evidence) -> Run | Finding:
    if (gap := _not_run(ev, "dispatch")) is not None:
        return gap
    dispatch = ev.phase("dispatch")
    if ev.run is None:
        reason = dispatch.error if dispatch and dispatch.error else "no run was recorded"
        return failed(f"No run: {reason}", "Fix the dispatch error above and run again.")
    return ev.run


def manual_run_succeeded(ev: Evidence) -> Finding:
    """A manual run of the workflow completed, and its conclusion is success."""
    run = _run_or_gap(ev)
    if isinstance(run, Finding):
        return run
    link = f"[run {run.id}]({run.html_url})" if run.html_url else f"run {run.id}"
    if run.wait_error:
        return inconclusive(f"{link} did not complete: {run.wait_error}")
    if run.status != "completed":
        return inconclusive(f"{link} is still `{run.status}`.")
    if run.conclusion == "success":
        manual = run.dispatched or run.event == DISPATCH_EVENT
        if not manual and not ev.settings.allow_other_run:
            return inconclusive(
                f"Not checked: {link} concluded `success`, but it was triggered by "
                f"`{run.event}`, not a manual dispatch.",
                "Validate a manual run (dispatch one), or pass --allow-other-run to accept it.",
            )
        earlier = "".join(
            f"; attempt {a.number} concluded `{a.conclusion}`"
            + (f" ({', '.join(f'`{n}`' for n in a.failed_jobs)} failed)" if a.failed_jobs else "")
            for a in run.previous_attempts
        )
        accepted = "" if manual else " (not a manual run; accepted by --allow-other-run)"
        return passed(
            f"{link} (attempt {run.attempt}, event `{run.event}`){accepted} concluded "
            f"`success` in {_duration(run.run_seconds)}{earlier}."
        )
    broken = [j for j in run.jobs if j.conclusion not in ("success", "skipped", None)]
    where = ""
    if broken:
        job = broken[0]
        step = next(
            (s for s in job.steps if s.conclusion not in ("success", "skipped", None)), None
        )
        where = f" First failed job: `{job.name}`" + (f", step `{step.name}`." if step else ".")
    return failed(
        f"{link} concluded `{run.conclusion}`.{where}",
        "Read the failed step's log (excerpt under Run below), fix it, and dispatch again.",
    )


def run_is_the_one_asked(ev: Evidence) -> Finding:
    """The run is of the asked workflow, branch and event, and a latest run is of the head.

    A --use-latest-run run is judged only when it is of the ref's head commit and no newer
    run on that commit is still in progress.
    """
    if (gap := _not_run(ev, "dispatch")) is not None:
        return gap
    run = ev.run
    if run is None:
        return skipped("No run to judge (see RUN002).")
    sha = (run.head_sha or "unknown")[:12]
    own = f"run {run.id} of `{run.workflow_path or '?'}` on `{run.head_branch}` at `{sha}`"
    wf = ev.health.workflow if ev.health else None
    if wf is not None and run.workflow_id is not None and run.workflow_id != wf.id:
        return failed(
            f"{own} is not a run of `{wf.path}` (id {wf.id}).",
            "Validate a run of the workflow named by --workflow.",
        )
    if run.dispatched:
        return passed(f"{own}, dispatched by this validation.")
    ref = ev.settings.ref or ""
    branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    other = []
    if run.head_branch != branch:
        other.append(f"its branch is `{run.head_branch}`, not `{branch}`")
    if run.event != DISPATCH_EVENT:
        other.append(f"its event is `{run.event}`, not `{DISPATCH_EVENT}`")
    if other and not ev.settings.allow_other_run:
        return failed(
            f"{own}: {' and '.join(other)}.",
            f"Validate a manual run of `{branch}`, or pass --allow-other-run to judge this one.",
        )
    accepted = f" ({'; '.join(other)}: accepted by --allow-other-run)" if other else ""
    if ev.settings.run_source != "latest":
        return passed(f"{own} (event `{run.event}`), named by --run-id{accepted}.")
    if run.ref_head_sha is None:
        return inconclusive(f"Not checked: the head of `{branch}` was not read for {own}.")
    if run.head_sha != run.ref_head_sha:
        return inconclusive(
            f"{own} is not of the head of `{branch}` (`{run.ref_head_sha[:12]}`): the newest "
            "commit has no completed run, so it is not validated.",
            "Run the workflow on the head (dispatch one: drop --use-latest-run), or wait for "
            "its run to complete.",
        )
    if run.newer_runs:
        ids = ", ".join(str(i) for i in run.newer_runs)
        return inconclusive(
            f"{own} is of the head of `{branch}`, but newer runs on it are still in progress "
            f"({ids}): their outcome may differ.",
            "Wait for those runs to complete, then validate again.",
        )
    return passed(f"{own}: the head of `{branch}`, no newer run in progress{accepted}.")


def _arm64_jobs(ev: Evidence, jobs: tuple[Job, ...]) -> list[Job]:
    """Jobs that must run on ARM64: named by --arm64-job, meant for ARM64 by the workflow file
    (even when an input moved them elsewhere), or asking for the required labels."""
    patterns = ev.settings.arm64_jobs
    meant = ev.preflight.arm64_jobs if ev.preflight is not None else ()
    return [
        j
        for j in jobs
        if any(fnmatch.fnmatchcase(j.name, p) for p in patterns)
        or any(j.name == m or j.name.startswith(f"{m} (") for m in meant)  # matrix legs
        or has_labels(j.labels, ev.settings.labels)
    ]


def ran_on_arm64(ev: Evidence, job: Job) -> bool | None:  # noqa: ARG001 - a stable signature
    """Whether ``job`` ran on ARM64 (None: cannot be told); see :func:`job_ran_on_arm64`."""
    answer = job_ran_on_arm64(job).answer
    return None if answer == "unknown" else answer == "yes"


def arm64_jobs_ran_on_arm64(ev: Evidence) -> Finding:
    """Every job meant for ARM64 ran on a runner proven ARM64, and at least one did."""
    run = _run_or_gap(ev)
    if isinstance(run, Finding):
        return run
    labels = _labels(ev)
    started = [j for j in run.jobs if j.runner_name]
    wanted = _arm64_jobs(ev, run.jobs)
    if not wanted:
        return failed(
            f"No job of run {run.id} asked for a runner with labels {labels}: the run never "
            "touched ARM64 hardware.",
            f"Set `runs-on: [{labels}]` on the build and test jobs of the workflow, or name the "
            "jobs that must run on ARM64 with --arm64-job.",
        )
    proofs = {j.id: job_ran_on_arm64(j) for j in wanted if j.runner_name}
    wrong = [j for j in wanted if j.runner_name and proofs[j.id].answer == "no"]
    if wrong:
        by_proof: dict[tuple[str, str], list[str]] = {}
        for j in wrong:
            by_proof.setdefault((j.runner_name or "", proofs[j.id].proof), []).append(f"`{j.name}`")
        seen = "; ".join(
            f"{', '.join(names)} ran on `{who}`: {proof}"
            for (who, proof), names in by_proof.items()
        )
        misleading = sorted({x for j in wrong for x in misleading_labels(j.runner_labels or ())})
        custom = (
            f" Remove the custom label{'s' if len(misleading) > 1 else ''} "
            f"{', '.join(f'`{x}`' for x in misleading)} from runners that are not ARM64."
            if misleading
            else ""
        )
        return failed(
            f"Jobs meant for ARM64 ran elsewhere: {seen}.",
            f"Make those jobs use `runs-on: [{labels}]` on a runner registered on an ARM64 "
            f"host (not a GitHub-hosted x64, emulated or mislabelled runner).{custom}",
        )
    on_arm = [j for j in wanted if j.runner_name and proofs[j.id].proven]
    unknown = [j for j in wanted if j.runner_name and proofs[j.id].answer == "unknown"]
    never = [j for j in wanted if not j.runner_name and j.conclusion != "skipped"]
    health = ev.health
    runners = health.runners if health is not None and health.complete else None
    if never and runners is not None:
        unmatched = [
            j for j in never if not any(has_labels(r.label_names, j.labels) for r in runners)
        ]
        if unmatched:
            asks = "; ".join(f"`{j.name}` asks for {', '.join(j.labels)}" for j in unmatched)
            return failed(
                f"Jobs can never start: {asks}, and no runner the repository may use has all "
                "those labels.",
                "Add the missing labels to an ARM64 runner, or change the job's `runs-on` "
                "(and the workflow input that selects it) to labels a runner has.",
            )
    if never:
        names = ", ".join(f"`{j.name}`" for j in never)
        return inconclusive(
            f"Jobs meant for ARM64 were never picked up by a runner: {names} "
            f"({len(started)} of {len(run.jobs)} jobs started)."
        )
    if unknown:
        names = "; ".join(proofs[j.id].proof for j in unknown)
        return inconclusive(
            f"Not proven to have run on ARM64: {names}. Requested labels are not proof.",
            f"Add the step `run: {CONTEXT_STEP}` to each ARM64 job, or use a token that can "
            "list the runners (see the token table in the README).",
        )
    if not on_arm:
        return failed(
            "No job ran on an ARM64 runner.", f"Set `runs-on: [{labels}]` on the test job."
        )
    shown: dict[str, list[str]] = {}
    for j in on_arm:
        shown.setdefault(proofs[j.id].proof, []).append(f"`{j.name}`")
    names = "; ".join(f"{', '.join(jobs)}: {why}" for why, jobs in shown.items())
    return passed(f"{_n(len(on_arm), 'ARM64 job')} ran on ARM64: {names}.")


# --- evidence origin: only what ARM64 jobs produced counts -------------------------------------

Provenance = Literal["arm64", "not-arm64", "unknown"]
_Traced = TypeVar("_Traced", BinaryInfo, ResultFile)


def provenance(ev: Evidence, origin: Origin | None) -> Provenance:
    """Whether evidence from ``origin`` was produced by a job that ran on ARM64."""
    if origin is None or origin.job_id is None or ev.run is None:
        return "unknown"
    job = next((j for j in ev.run.jobs if j.id == origin.job_id), None)
    on_arm = ran_on_arm64(ev, job) if job is not None else None
    return "arm64" if on_arm else ("unknown" if on_arm is None else "not-arm64")


@dataclass(frozen=True, kw_only=True)
class Sorted(Generic[_Traced]):
    """Evidence split by origin: what counts, what came from elsewhere, what is untraced."""

    counted: tuple[_Traced, ...]
    not_arm64: tuple[_Traced, ...]
    unknown: tuple[_Traced, ...]


def sort_by_origin(ev: Evidence, items: tuple[_Traced, ...]) -> Sorted[_Traced]:
    """Split files by the job behind them; with --allow-unattributed, unknown ones count."""
    by: dict[Provenance, list[_Traced]] = {"arm64": [], "not-arm64": [], "unknown": []}
    for item in items:
        by[provenance(ev, item.origin)].append(item)
    counted = by["arm64"] + (by["unknown"] if ev.settings.allow_unattributed else [])
    unknown = () if ev.settings.allow_unattributed else tuple(by["unknown"])
    return Sorted(counted=tuple(counted), not_arm64=tuple(by["not-arm64"]), unknown=unknown)


def _from(ev: Evidence, item: BinaryInfo | ResultFile) -> str:
    """A file and where it came from, as far as that is known."""
    o = item.origin
    if o is None:
        return f"`{item.path}` (not traced to an artifact)"
    if o.job_id is None:
        return f"`{item.path}` (artifact `{o.artifact}`, uploading job unknown)"
    if ev.run is None or all(j.id != o.job_id for j in ev.run.jobs):
        return f"`{item.path}` (job `{o.job}`, not in an observed run)"
    if provenance(ev, o) == "unknown":
        return f"`{item.path}` (job `{o.job}`, whose runner is not known to be ARM64)"
    return f"`{item.path}` (job `{o.job}`)"


def _untraced(
    ev: Evidence, what: str, unknown: tuple[BinaryInfo, ...] | tuple[ResultFile, ...]
) -> Finding:
    listed = "; ".join(_from(ev, f) for f in unknown[:5]) + (" …" if len(unknown) > 5 else "")
    return inconclusive(
        f"Not checked: {_n(len(unknown), what)} of unknown origin: {listed}.",
        "Upload with actions/upload-artifact v4 or later so that the uploading job's log names "
        "each artifact, and validate while the job logs are kept (files read with "
        "--artifacts-dir alone cannot be traced); or pass --allow-unattributed to count them.",
    )


def _elsewhere(ev: Evidence, unused: tuple[BinaryInfo, ...] | tuple[ResultFile, ...]) -> str:
    if not unused:
        return ""
    listed = "; ".join(_from(ev, f) for f in unused[:5]) + (" …" if len(unused) > 5 else "")
    return f" Not from ARM64, not counted: {listed}."


# --- the workflow file, read before dispatch (preflight) ---------------------------------------


def _preflight_check(finding_id: str, statement: str) -> Callable[[Evidence], Finding]:
    """The check of one preflight finding id: failed when the analysis found it."""

    def judge(ev: Evidence) -> Finding:
        if (gap := _not_run(ev, "preflight")) is not None:
            return gap
        pre = ev.preflight
        if pre is None:
            return inconclusive("Not checked: the workflow file was not read.")
        found = pre.of(finding_id)
        if not found and finding_id in ("WFL001", "WFL011"):
            jobs = ", ".join(f"`{name}`" for name in pre.arm64_jobs) or "none"
            return passed(f"`{pre.path}` at `{pre.ref}`: jobs meant for ARM64: {jobs}.")
        if not found:
            return passed(f"Nothing found in `{pre.path}` at `{pre.ref}`.")
        seen = "; ".join(f"`{pre.path}` line {f.line}: {f.message}" for f in found)
        return failed(seen, "; ".join(dict.fromkeys(f.remedy for f in found)))

    judge.__doc__ = statement[0].upper() + statement[1:] + "."
    judge.__name__ = judge.__qualname__ = f"workflow_{finding_id.lower()}"
    return judge


# --- prerequisite 4: tests ---------------------------------------------------------------------


def _counted_tests(ev: Evidence) -> TestScan | Finding:
    """The result files that count (from ARM64 jobs), or why the tests cannot be judged."""
    if (gap := _tests_or_gap(ev)) is not None:
        return gap
    assert ev.tests is not None
    split = sort_by_origin(ev, ev.tests.files)
    if split.unknown:
        return _untraced(ev, "result file", split.unknown)
    if not split.counted:
        return failed(
            "No test result comes from a job that ran on ARM64 (results from other jobs are "
            f"not ARM64 evidence).{_elsewhere(ev, split.not_arm64)}",
            f"Run the tests in a job with `runs-on: [{_labels(ev)}]` and upload their results "
            "from that job.",
        )
    return TestScan(files=split.counted)


def _tests_or_gap(ev: Evidence) -> Finding | None:
    if (gap := _not_run(ev, "tests")) is not None:
        return gap
    if ev.tests is None or not ev.tests.files:
        if (lost := _unusable_artifacts(ev)) is not None:
            return lost
        return failed(
            "No test results were found: no JUnit XML or `cargo test` output in the artifacts "
            "or in the logs of the ARM64 jobs.",
            "Upload the test results from the ARM64 test job (e.g. `cargo test ... | tee "
            "test.log`, or JUnit XML) with actions/upload-artifact.",
        )
    return None


def tests_ran_on_arm64(ev: Evidence) -> Finding:
    """Test results were found, every result file could be read, and they come from ARM64 jobs."""
    tests = _counted_tests(ev)
    if isinstance(tests, Finding):
        return tests
    assert ev.tests is not None
    bad = tests.unreadable
    if bad:
        listed = "; ".join(f"`{f.path}`: {f.error}" for f in bad[:5])
        return failed(
            f"{len(bad)} result files could not be read: {listed}.",
            "Fix the producer so that it writes well-formed JUnit XML (no DTD, no entities).",
        )
    source = ev.tests_source or "files"
    total = tests.total
    aside = _elsewhere(ev, sort_by_origin(ev, ev.tests.files).not_arm64)
    return passed(
        f"{_n(total.tests, 'test')} read from {_n(len(tests.files), 'file')} ({source}).{aside}"
    )


def no_test_failed(ev: Evidence) -> Finding:
    """No test failed and none errored."""
    tests = _counted_tests(ev)
    if isinstance(tests, Finding):
        return tests
    t = tests.total
    if t.tests == 0:
        return failed("The result files hold 0 tests.", "Check that the test step ran tests.")
    if t.failed or t.errors:
        names = [t.name for rf in tests.files for t in rf.failures][:5]
        listed = ", ".join(f"`{n}`" for n in names)
        return failed(
            f"{t.failed} failed and {t.errors} errored of {t.tests} tests: {listed}.",
            "Fix the failing tests on ARM64 (see Test results below for the messages).",
        )
    flaky = f", {t.flaky} flaky (passed on re-run)" if t.flaky else ""
    return passed(f"{t.passed} passed, {t.skipped} skipped{flaky} of {t.tests} tests.")


def _skipped_why(scan: TestScan) -> str:
    """`` (N skipped: reason (k tests); …)`` for the skipped tests of a scan, or nothing."""
    t = scan.total
    notes = []
    if t.skipped:
        reasons = [r for f in scan.files for r in f.skip_reasons][:5]
        why = f": {'; '.join(reasons)}" if reasons else ", no reason given"
        notes.append(f"{t.skipped} skipped{why}")
    if t.not_run:
        notes.append(f"{t.not_run} not run: the runner stopped early")
    return f" ({'; '.join(notes)})" if notes else ""


def count_problem(scan: TestScan, *, expected: int | None, minimum: int | None) -> str | None:
    """The one rule for a test count (TST003 and count-tests), on the tests that ran (passed,
    failed or errored; skipped tests do not count): None when that count equals ``expected``,
    reaches ``minimum``, or, when neither is given, is more than zero. Tests that were all
    skipped are a problem whatever the expectation."""
    t = scan.total
    ran = t.ran
    if t.tests and not ran:
        problem: str | None = f"0 tests ran: all {t.tests} were skipped"
    elif expected is not None:
        problem = None if ran == expected else f"{ran} tests ran, {expected} expected"
        problem = problem and f"{problem} ({ran - expected:+d})"
    elif minimum is not None:
        problem = None if ran >= minimum else f"{ran} tests ran, at least {minimum} required"
    else:
        problem = None if ran > 0 else "0 tests ran"
    return None if problem is None else problem + _skipped_why(scan)


def test_count_as_expected(ev: Evidence) -> Finding:
    """The count of tests that ran (not skipped) equals --expected-tests or reaches --min-tests."""
    tests = _counted_tests(ev)
    if isinstance(tests, Finding):
        return tests
    t = tests.total
    count = t.ran
    exact, minimum = ev.settings.expected_tests, ev.settings.min_tests
    problem = count_problem(tests, expected=exact, minimum=minimum)
    if problem is None:
        skipped = f" ({t.skipped} skipped)" if t.skipped else ""
        if exact is not None:
            return passed(f"{count} tests ran{skipped}, as expected.")
        if minimum is not None:
            return passed(f"{count} tests ran{skipped}, at least {minimum} required.")
        return passed(
            f"{count} tests ran{skipped}; no expected count was given (pin it with "
            "--expected-tests)."
        )
    if t.tests and not count:
        return failed(
            f"{problem}: no test ran on ARM64.",
            "Find out why every test was skipped (a missing device, feature or tool on the "
            "runner?) and make them run there.",
        )
    if exact is not None:
        return failed(
            f"{problem}: the count has drifted.",
            f"If the change is intended, set --expected-tests {count} (or --min-tests "
            f"{min(count, exact)} to allow growth); if tests went missing, find out why.",
        )
    if minimum is not None:
        return failed(
            f"{problem}.", "Find out which tests did not run (Test results below lists the suites)."
        )
    return failed(f"{problem}.", "Check that the test step ran tests.")


def no_test_disappeared(ev: Evidence) -> Finding:
    """No test that ran in the previous validation is missing from this one."""
    if ev.previous is None:
        return skipped("No earlier validation in the history to compare with.")
    if (gap := _tests_or_gap(ev)) is not None:
        return gap
    assert ev.tests is not None
    previous = ev.previous
    before = digests_of(previous.test_names, previous.name_digests)
    if not before:
        return skipped("The previous validation recorded no test names.")
    now: set[int] = set()
    for f in ev.tests.files:
        now |= digests_of(f.test_names, f.name_digests)
    gone, added = before - now, len(now - before)
    since = f"since {previous.generated_at}"
    if gone:
        names = named(gone, previous.test_names)
        shown = ", ".join(f"`{n}`" for n in names[:10])
        if rest := len(gone) - len(names[:10]):
            shown += f" and {rest} more" if names else f"{rest} tests"
        if len(names) < len(gone):  # the previous validation kept digests only past a bound
            shown += f" ({len(gone) - len(names)} known by digest only)"
        return failed(
            f"{len(gone)} tests disappeared {since} ({added} added): {shown}.",
            "Restore the removed tests, or accept the drop by validating once without "
            "--fail-on-test-drop.",
        )
    return passed(f"No test disappeared {since}; {added} added.")


# --- prerequisite 5: images --------------------------------------------------------------------


def _image_steps(run: Run) -> list[tuple[Job, str, str | None]]:
    words = ("image", "docker", "buildx", "container")
    return [
        (job, step.name, step.conclusion)
        for job in run.jobs
        for step in job.steps
        if "build" in step.name.lower() and any(w in step.name.lower() for w in words)
    ]


def image_build_succeeded(ev: Evidence) -> Finding:
    """The image build succeeded, and every image archive found is linux/arm64."""
    images = ev.binaries.images if ev.binaries else ()
    wrong = [i for i in images if not i.is_linux_arm64]
    if wrong:
        seen = "; ".join(f"`{i.path}`: {i.os}/{i.architecture} {i.reason or ''}" for i in wrong)
        return failed(
            f"Image archives that are not linux/arm64: {seen}.",
            "Build the image with `--platform linux/arm64` on the ARM64 runner.",
        )
    steps = _image_steps(ev.run) if ev.run is not None else []
    bad_steps = [(j, s) for j, s, c in steps if c not in ("success", None)]
    if bad_steps:
        listed = ", ".join(f"`{j.name}` / `{s}`" for j, s in bad_steps)
        return failed(f"Image build steps did not succeed: {listed}.", "See the job logs.")
    if images:
        return passed(f"{len(images)} image archives, all linux/arm64.")
    if steps:
        return passed(f"{len(steps)} image build steps succeeded (no image archive uploaded).")
    if ev.run is None:
        if (gap := _not_run(ev, "dispatch")) is not None and ev.binaries is None:
            return gap
        return skipped("No image archive among the inputs, and no run to look for a build in.")
    return skipped(f"Run {ev.run.id} has no image build step and uploaded no image archive.")


# --- prerequisite 6: binaries ------------------------------------------------------------------


def binaries_found(ev: Evidence) -> Finding:
    """At least one ELF executable or shared object was found in what ARM64 jobs uploaded."""
    if (gap := _not_run(ev, "binaries")) is not None:
        return gap
    scan = ev.binaries
    if (scan is None or scan.program_count == 0) and (lost := _unusable_artifacts(ev)) is not None:
        return lost
    if scan is None or scan.program_count == 0:
        looked = len(scan.files) if scan else 0
        others = scan.elf_count if scan else 0
        listed = (
            f" The {_n(others, 'ELF file')} found (relocatable objects, core dumps, debug-info "
            "files) do not prove a build."
            if others
            else ""
        )
        unopened = len(scan.not_inspected) if scan else 0
        unknown = f" {_n(unopened, 'input')} could not be inspected." if unopened else ""
        what = "ELF executable or shared object" if others else "ELF binary"
        return failed(
            f"No {what} among {looked} files.{listed}{unknown} A manifest that claims "
            '`"arch": "arm64"` is not evidence of architecture.',
            "Upload the built binaries (e.g. `target/release/<name>` or a tarball of them) "
            "with actions/upload-artifact in the ARM64 build job.",
        )
    split = sort_by_origin(ev, tuple(f for f in scan.files if f.is_program))
    if not split.counted and split.unknown:
        return _untraced(ev, "ELF executable or shared object", split.unknown)
    aside = _elsewhere(ev, split.not_arm64)
    if not split.counted:
        return failed(
            f"No ELF executable or shared object was uploaded by a job that ran on ARM64.{aside}",
            "Upload the built binaries with actions/upload-artifact from the ARM64 build job "
            f"(`runs-on: [{_labels(ev)}]`).",
        )
    extra = scan.elf_count - scan.program_count
    listed = (
        f" ({_n(extra, 'other ELF file')}: relocatable objects, core dumps or debug-info "
        "files, listed but not counted)"
        if extra
        else ""
    )
    return passed(
        f"{_n(len(split.counted), 'ELF file')} from ARM64 jobs among "
        f"{_n(len(scan.files), 'file')}{listed}.{aside}"
    )


def binaries_are_aarch64(ev: Evidence) -> Finding:
    """Every ELF binary found is 64-bit little-endian AArch64, and every input could be read."""
    if (gap := _not_run(ev, "binaries")) is not None:
        return gap
    scan = ev.binaries
    if scan is None or scan.elf_count == 0:
        return skipped("Requires ELF001: no ELF binary was found.")
    if scan.program_count == 0:
        return skipped("Requires ELF001: no ELF executable or shared object was found.")
    split = sort_by_origin(ev, tuple(f for f in scan.files if f.kind in ("elf", "error")))
    bad = [f for f in split.counted if not f.aarch64]
    if bad or scan.problems:
        listed = "; ".join(f"`{f.path}`: {f.reason}" for f in bad[:5])
        problems = "; ".join(scan.problems[:3])
        detail = ", ".join(x for x in (listed, problems) if x)
        return failed(
            f"{len(bad)} files are not AArch64 or could not be read, and {len(scan.problems)} "
            f"inputs could not be inspected: {detail}.",
            "Build with an aarch64 target (e.g. `--target aarch64-unknown-linux-gnu`) on the "
            "ARM64 runner, and upload only those binaries.",
        )
    if split.unknown:
        return _untraced(ev, "ELF or unreadable file", split.unknown)
    if not any(f.is_program for f in split.counted):
        return skipped(
            "Requires ELF001: no ELF executable or shared object comes from a job that ran on "
            "ARM64."
        )
    if scan.not_inspected:
        listed = "; ".join(f"`{n.path}`: {n.reason}" for n in scan.not_inspected[:5])
        return inconclusive(
            f"{_n(len(scan.not_inspected), 'input')} could not be inspected, so what they hold "
            f"is unknown: {listed}.",
            "Upload the binaries in a format this tool opens (zip, tar with gzip, bzip2, xz or "
            "zstd, .deb, .rpm, cpio), or uncompressed.",
        )
    counted = sum(1 for f in split.counted if f.kind == "elf")
    aside = _elsewhere(ev, split.not_arm64)
    if counted == 1:
        return passed(f"The one ELF file from ARM64 jobs is 64-bit little-endian AArch64.{aside}")
    return passed(
        f"All {counted} ELF files from ARM64 jobs are 64-bit little-endian AArch64.{aside}"
    )


# --- prerequisite 7: duration ------------------------------------------------------------------


def run_within_budget(ev: Evidence) -> Finding:
    """The run took no longer than the run-time budget."""
    run = _run_or_gap(ev)
    if isinstance(run, Finding):
        return run
    budget = ev.settings.run_budget_seconds
    if run.run_seconds is None or run.status != "completed":
        return inconclusive(f"Run {run.id} did not complete, so its duration is unknown.")
    if budget is None:
        return passed(f"Run took {_duration(run.run_seconds)} (no budget set).")
    if run.run_seconds <= budget:
        return passed(
            f"Run took {_duration(run.run_seconds)}, within the {_duration(budget)} budget."
        )
    return failed(
        f"Run took {_duration(run.run_seconds)}, over the {_duration(budget)} budget.",
        "Speed the ARM64 jobs up (cache, fewer matrix entries, a larger runner), or raise "
        "--run-budget if the time is acceptable.",
    )


# --- supporting: artifacts ---------------------------------------------------------------------


def artifacts_intact(ev: Evidence) -> Finding:
    """Every artifact was downloaded, matched each digest given for it, and extracted safely."""
    record = ev.phase("artifacts")
    if record is None or record.state == "not-run":
        if ev.settings.artifacts_dir:
            why = f" (binaries and tests read from `{ev.settings.artifacts_dir}`)"
        else:
            why = f" ({record.error})" if record is not None and record.error else ""
        return inconclusive(f"Not checked: the artifacts phase did not run{why}.")
    if record.state == "error":
        return inconclusive(f"Not checked: the artifacts phase failed: {record.error}")
    arts = ev.artifacts
    if arts is None or not arts.items:
        return failed(
            "The run uploaded no artifacts.",
            "Upload the ARM64 binaries and test results with actions/upload-artifact.",
        )
    broken = [a for a in arts.items if a.error or a.expired or a.digest_verified is False]
    if broken:
        listed = "; ".join(
            f"`{a.name}`: {a.error or ('expired' if a.expired else 'digest mismatch')}"
            for a in broken
        )
        return failed(
            f"{len(broken)} of {len(arts.items)} artifacts are unusable: {listed}.",
            "Re-run the workflow to upload fresh artifacts (and raise `retention-days` if they "
            "expire before validation).",
        )
    return passed(
        f"{_n(len(arts.items), 'artifact')} downloaded and extracted. "
        + " ".join(_digest_notes(arts.items))
    )


def _digest_notes(items: tuple[Artifact, ...]) -> list[str]:
    """What each artifact's bytes were checked against; unverified ones are named, not matched."""
    both = [a for a in items if len(a.verified_against) > 1]
    api = [a for a in items if a.verified_against == ("api",)]
    log = [a for a in items if a.verified_against == ("upload log",)]
    unverified = [a for a in items if not a.digest_verified]
    notes = [f"{len(both) + len(api) + len(log)} matched their sha256 digest"]
    kinds = (
        (both, "the API's and the upload log's"),
        (api, "the API's only"),
        (log, "the upload log's only (no API digest)"),
    )
    parts = [f"{len(group)} {what}" for group, what in kinds if group]
    notes[0] += f" ({'; '.join(parts)})." if parts else "."
    if unverified:
        names = ", ".join(f"`{a.name}`" for a in unverified[:5])
        notes.append(
            f"⚠️ {len(unverified)} unverified, not counted as matched: no digest from the API "
            f"or an upload log ({names})."
        )
    unknown = [a for a in items if a.unattributed]
    if unknown:
        names = "; ".join(f"`{a.name}`: {a.unattributed}" for a in unknown[:5])
        notes.append(f"Uploading job unknown for {len(unknown)}: {names}.")
    return notes


# --- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Check:
    """A registered check: its id, the TASK-005 prerequisite it serves, and its function."""

    id: str
    prerequisite: int  # 1-7 as in DESIGN.md; 0 for supporting checks
    judge: Callable[[Evidence], Finding]
    blocks: bool = True  # False: reported as a warning, never in the way of GO

    @property
    def statement(self) -> str:
        doc = self.judge.__doc__ or ""
        return doc.strip().splitlines()[0]

    def run(self, evidence: Evidence) -> Outcome:
        """Judge, turning any bug into an inconclusive outcome: a crash is never GO."""
        try:
            found = self.judge(evidence)
        except Exception as exc:
            return Outcome(
                check=self.id,
                status="inconclusive",
                detail=f"The check itself failed ({type(exc).__name__}); treated as not checked.",
            )
        return Outcome(check=self.id, status=found.status, detail=found.detail, remedy=found.remedy)


def _workflow_check(finding_id: str, prerequisite: int, *, blocks: bool = True) -> Check:
    """The check of a preflight finding id (``FINDINGS``): its statement is the id's own."""
    statement = FINDINGS[finding_id][1]
    return Check(
        id=finding_id,
        prerequisite=prerequisite,
        judge=_preflight_check(finding_id, statement),
        blocks=blocks,
    )


CHECKS: tuple[Check, ...] = (
    Check(id="WF001", prerequisite=1, judge=workflow_is_dispatchable),
    Check(id="RUN001", prerequisite=2, judge=arm64_runner_online),
    Check(id="RUN002", prerequisite=3, judge=manual_run_succeeded),
    Check(id="RUN003", prerequisite=3, judge=arm64_jobs_ran_on_arm64),
    Check(id="RUN004", prerequisite=3, judge=run_is_the_one_asked),
    _workflow_check("WFL001", 3),
    _workflow_check("WFL011", 3),
    _workflow_check("WFL010", 3, blocks=False),
    Check(id="TST001", prerequisite=4, judge=tests_ran_on_arm64),
    Check(id="TST002", prerequisite=4, judge=no_test_failed),
    Check(id="TST003", prerequisite=4, judge=test_count_as_expected),
    Check(id="TST004", prerequisite=4, judge=no_test_disappeared),
    _workflow_check("WFL008", 4, blocks=False),
    _workflow_check("WFL009", 4, blocks=False),
    Check(id="IMG001", prerequisite=5, judge=image_build_succeeded),
    Check(id="ELF001", prerequisite=6, judge=binaries_found),
    Check(id="ELF002", prerequisite=6, judge=binaries_are_aarch64),
    _workflow_check("WFL006", 6, blocks=False),
    _workflow_check("WFL007", 6, blocks=False),
    Check(id="DUR001", prerequisite=7, judge=run_within_budget),
    Check(id="ART001", prerequisite=0, judge=artifacts_intact),
)

BY_ID: dict[str, Check] = {c.id: c for c in CHECKS}

PREREQUISITES: dict[int, str] = {
    1: "The workflow exists, is active, and can be dispatched",
    2: "An ARM64 runner with the required labels is online",
    3: "A manual run completed successfully, its ARM64 jobs on ARM64 runners",
    4: "The test suite ran on ARM64 with the expected count, none failed",
    5: "The image build succeeded (images are linux/arm64)",
    6: "Binaries were found, and every ELF is 64-bit little-endian AArch64",
    7: "The run stays within its time budget",
    0: "Supporting evidence",
}


def evaluate(evidence: Evidence) -> tuple[Outcome, ...]:
    """Run every registered check on the evidence, in registry order."""
    return tuple(check.run(evidence) for check in CHECKS)


def phase_summary(record: PhaseRecord | None) -> str:
    """One word for a phase's state, for tables."""
    return "not run" if record is None else record.state
