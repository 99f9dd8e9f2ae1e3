"""Judgements: pure functions from the evidence to an outcome, each with a stable id.

A check's docstring is its statement in the report: one line saying what passing means.
``failed`` means evaluated and found bad; ``inconclusive`` means it could not be evaluated;
``skipped`` means it does not apply, and always says why.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from validator.evidence import Evidence, Job, PhaseRecord, Run, TestScan
from validator.labels import has_labels
from validator.testnames import digests_of, named
from validator.units import duration

Status = Literal["passed", "failed", "inconclusive", "skipped", "waived"]


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
    return passed(f"`{wf.path}` (id {wf.id}) is active (no dispatch was attempted).")


# --- prerequisite 2: runners -------------------------------------------------------------------


def arm64_runner_online(ev: Evidence) -> Finding:
    """At least one self-hosted runner with the required labels is registered and online."""
    if (gap := _not_run(ev, "health")) is not None:
        return gap
    health = ev.health
    if health is None or health.runners is None:
        reason = health.runners_error if health else "no runner list"
        return inconclusive(f"Runners could not be listed: {reason}")
    labels = _labels(ev)
    matching = [r for r in health.runners if has_labels(r.labels, ev.settings.labels)]
    online = [r for r in matching if r.status == "online"]
    if online:
        idle = [r for r in online if not r.busy]
        busy_note = "" if idle else " (all busy: jobs will queue until one is free)"
        names = ", ".join(f"`{r.name}`" for r in online)
        return passed(
            f"{len(online)} of {_n(len(matching), 'matching runner')} online: {names}{busy_note}."
        )
    if ev.settings.autoscaling:
        return inconclusive(
            f"No runner with labels {labels} is online now ({len(matching)} registered). With "
            "--autoscaling that can be normal; whether a job was picked up decides (RUN003)."
        )
    register = (
        f"Register a self-hosted runner with labels `{labels}` (Settings → Actions → Runners → "
        "New self-hosted runner) and start it; for an autoscaled fleet pass --autoscaling."
    )
    if not health.runners:
        return failed("No self-hosted runner is registered on the repository.", register)
    if not matching:
        seen = "; ".join(f"`{r.name}`: {', '.join(r.labels)}" for r in health.runners)
        return failed(
            f"{len(health.runners)} runners registered, none with all labels {labels} ({seen}).",
            f"Add the missing labels to a runner, or pass --labels to match the workflow's "
            f"`runs-on`. {register}",
        )
    names = ", ".join(f"`{r.name}`" for r in matching)
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
        return passed(
            f"{link} (attempt {run.attempt}, event `{run.event}`) concluded `success` "
            f"in {_duration(run.run_seconds)}."
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


def _arm64_jobs(ev: Evidence, jobs: tuple[Job, ...]) -> list[Job]:
    """Jobs that must run on ARM64: named by --arm64-job, or asking for the required labels."""
    patterns = ev.settings.arm64_jobs
    return [
        j
        for j in jobs
        if any(fnmatch.fnmatchcase(j.name, p) for p in patterns)
        or has_labels(j.labels, ev.settings.labels)
    ]


def ran_on_arm64(ev: Evidence, job: Job) -> bool | None:
    """Whether ``job`` ran on a runner with the required labels (None: cannot be told)."""
    if job.runner_labels is not None:
        return has_labels(job.runner_labels, ev.settings.labels)
    # An ephemeral runner may be gone before its labels can be read. GitHub gives a job
    # only to a runner with every label the job asked for, so a self-hosted job that asked
    # for all required labels and was picked up ran on such a runner.
    if job.runner_name and has_labels(job.labels, ("self-hosted", *ev.settings.labels)):
        return True
    return None


def arm64_jobs_ran_on_arm64(ev: Evidence) -> Finding:
    """Every job meant for ARM64 ran on a runner with the required labels, and at least one did."""
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
    wrong = [j for j in wanted if j.runner_name and ran_on_arm64(ev, j) is False]
    if wrong:
        seen = "; ".join(
            f"`{j.name}` ran on `{j.runner_name}` ({', '.join(j.runner_labels or ())})"
            for j in wrong
        )
        return failed(
            f"Jobs meant for ARM64 ran elsewhere: {seen}.",
            f"Make those jobs use `runs-on: [{labels}]` (not a GitHub-hosted or emulated runner).",
        )
    on_arm = [j for j in wanted if j.runner_name and ran_on_arm64(ev, j)]
    unknown = [j for j in wanted if j.runner_name and ran_on_arm64(ev, j) is None]
    never = [j for j in wanted if not j.runner_name and j.conclusion != "skipped"]
    runners = ev.health.runners if ev.health is not None else None
    if never and runners is not None:
        unmatched = [j for j in never if not any(has_labels(r.labels, j.labels) for r in runners)]
        if unmatched:
            asks = "; ".join(f"`{j.name}` asks for {', '.join(j.labels)}" for j in unmatched)
            return failed(
                f"Jobs can never start: {asks}, and no registered runner has all those labels.",
                "Add the missing labels to an ARM64 runner, or change the job's `runs-on` "
                "(and the workflow input that selects it) to labels a runner has.",
            )
    if never:
        names = ", ".join(f"`{j.name}`" for j in never)
        return inconclusive(
            f"Jobs meant for ARM64 were never picked up by a runner: {names} "
            f"({len(started)} of {len(run.jobs)} jobs started)."
        )
    if unknown and not on_arm:
        names = ", ".join(f"`{j.name}` on `{j.runner_name}`" for j in unknown)
        return inconclusive(f"The labels of the runners that ran {names} could not be seen.")
    if not on_arm:
        return failed(
            "No job ran on an ARM64 runner.", f"Set `runs-on: [{labels}]` on the test job."
        )
    names = ", ".join(f"`{j.name}` on `{j.runner_name}`" for j in on_arm)
    return passed(f"{_n(len(on_arm), 'ARM64 job')} ran on runners labelled {labels}: {names}.")


# --- prerequisite 4: tests ---------------------------------------------------------------------


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
    """Test results were found, every result file could be read, and they come from ARM64."""
    if (gap := _tests_or_gap(ev)) is not None:
        return gap
    assert ev.tests is not None
    bad = ev.tests.unreadable
    if bad:
        listed = "; ".join(f"`{f.path}`: {f.error}" for f in bad[:5])
        return failed(
            f"{len(bad)} result files could not be read: {listed}.",
            "Fix the producer so that it writes well-formed JUnit XML (no DTD, no entities).",
        )
    source = ev.tests_source or "files"
    if source.startswith("job log: ") and ev.run is not None:
        job_name = source.removeprefix("job log: ")
        job = next((j for j in ev.run.jobs if j.name == job_name), None)
        if job is not None and ran_on_arm64(ev, job) is False:
            return failed(
                f"The tests ran in job `{job.name}` on `{job.runner_name}`, which does not have "
                f"labels {_labels(ev)}: this is not ARM64 evidence.",
                f"Run the test job with `runs-on: [{_labels(ev)}]`.",
            )
    total = ev.tests.total
    return passed(
        f"{_n(total.tests, 'test')} read from {_n(len(ev.tests.files), 'file')} ({source})."
    )


def no_test_failed(ev: Evidence) -> Finding:
    """No test failed and none errored."""
    if (gap := _tests_or_gap(ev)) is not None:
        return gap
    assert ev.tests is not None
    t = ev.tests.total
    if t.tests == 0:
        return failed("The result files hold 0 tests.", "Check that the test step ran tests.")
    if t.failed or t.errors:
        names = [t.name for rf in ev.tests.files for t in rf.failures][:5]
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
    if (gap := _tests_or_gap(ev)) is not None:
        return gap
    assert ev.tests is not None
    t = ev.tests.total
    count = t.ran
    exact, minimum = ev.settings.expected_tests, ev.settings.min_tests
    problem = count_problem(ev.tests, expected=exact, minimum=minimum)
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
    """At least one ELF binary was found in the artifacts."""
    if (gap := _not_run(ev, "binaries")) is not None:
        return gap
    scan = ev.binaries
    if (scan is None or scan.elf_count == 0) and (lost := _unusable_artifacts(ev)) is not None:
        return lost
    if scan is None or scan.elf_count == 0:
        looked = len(scan.files) if scan else 0
        return failed(
            f'No ELF binary among {looked} files. A manifest that claims `"arch": "arm64"` '
            "is not evidence of architecture.",
            "Upload the built binaries (e.g. `target/release/<name>` or a tarball of them) "
            "with actions/upload-artifact in the ARM64 build job.",
        )
    return passed(f"{_n(scan.elf_count, 'ELF file')} found among {_n(len(scan.files), 'file')}.")


def binaries_are_aarch64(ev: Evidence) -> Finding:
    """Every ELF binary found is 64-bit little-endian AArch64, and every input could be read."""
    if (gap := _not_run(ev, "binaries")) is not None:
        return gap
    scan = ev.binaries
    if scan is None or scan.elf_count == 0:
        return skipped("Requires ELF001: no ELF binary was found.")
    bad = [f for f in scan.files if (f.kind == "elf" and not f.aarch64) or f.kind == "error"]
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
    if scan.elf_count == 1:
        return passed("The one ELF file is 64-bit little-endian AArch64.")
    return passed(f"All {scan.elf_count} ELF files are 64-bit little-endian AArch64.")


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
    """Every artifact was downloaded, matched its digest, and was extracted safely."""
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
    verified = sum(1 for a in arts.items if a.digest_verified)
    return passed(
        f"{_n(len(arts.items), 'artifact')} downloaded and extracted; {verified} verified "
        "against their sha256 digest."
    )


# --- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Check:
    """A registered check: its id, the TASK-005 prerequisite it serves, and its function."""

    id: str
    prerequisite: int  # 1-7 as in DESIGN.md; 0 for supporting checks
    judge: Callable[[Evidence], Finding]

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


CHECKS: tuple[Check, ...] = (
    Check(id="WF001", prerequisite=1, judge=workflow_is_dispatchable),
    Check(id="RUN001", prerequisite=2, judge=arm64_runner_online),
    Check(id="RUN002", prerequisite=3, judge=manual_run_succeeded),
    Check(id="RUN003", prerequisite=3, judge=arm64_jobs_ran_on_arm64),
    Check(id="TST001", prerequisite=4, judge=tests_ran_on_arm64),
    Check(id="TST002", prerequisite=4, judge=no_test_failed),
    Check(id="TST003", prerequisite=4, judge=test_count_as_expected),
    Check(id="TST004", prerequisite=4, judge=no_test_disappeared),
    Check(id="IMG001", prerequisite=5, judge=image_build_succeeded),
    Check(id="ELF001", prerequisite=6, judge=binaries_found),
    Check(id="ELF002", prerequisite=6, judge=binaries_are_aarch64),
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
