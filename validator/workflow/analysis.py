"""The workflow read before any runner time is spent: where each job will run for the
inputs at hand, and what in the file stands in the way of a GO.

A job is "meant for ARM64" when its ``runs-on`` can resolve to the required labels for some
inputs or matrix combination, so a job that one input moves to an x86 machine is still judged
(and fails) instead of vanishing. What cannot be evaluated before the run makes that job
"cannot tell": reported, never assumed to be ARM64 or not.
"""

from __future__ import annotations

import fnmatch
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from validator.errors import UsageError
from validator.labels import has_labels
from validator.workflow.contexts import HAPPY_PATH, build_contexts, dispatch_inputs, from_yaml
from validator.workflow.expressions import (
    Binary,
    CannotTell,
    Evaluator,
    Member,
    Name,
    Node,
    Unknown,
    Value,
    evaluate_condition,
    evaluate_template,
    has_expression,
    parse,
    split_template,
    to_string,
    truthy,
    walk,
)
from validator.workflow.expressions import Literal as Lit
from validator.workflow.findings import Finding, finding
from validator.workflow.inputs import input_findings
from validator.workflow.loading import YList, YMap, YValue
from validator.workflow.matrix import expand_matrix
from validator.workflow.model import InputSpec, Job, Step, Workflow, read_workflow
from validator.workflow.runs_on import resolve_runs_on
from validator.workflow.steps import (
    can_hold_binary,
    is_test_step,
    is_upload,
    swallowed_failures,
    upload_patterns,
)

JobStatus = Literal["arm64", "moved", "other", "cannot-tell"]
_ORDER = {"usage": 0, "blocking": 1, "warning": 2}
MAX_TRIES = 2048  # input combinations tried per question before giving up ("cannot tell")


@dataclass(frozen=True, kw_only=True)
class JobResult:
    """Where one job runs for the inputs given, and whether it is meant for ARM64."""

    id: str
    name: str
    line: int
    status: JobStatus
    runs_on: tuple[tuple[str, ...], ...]
    reason: str = ""

    @property
    def meant_for_arm64(self) -> bool | None:
        """True when it can run on the labels, False when it never can, None: cannot tell."""
        if self.status == "cannot-tell":
            return None
        return self.status in ("arm64", "moved")

    def to_json(self) -> dict[str, object]:
        """The job in the ``validate-arm64/workflow-lint/1`` document."""
        return {
            "id": self.id,
            "name": self.name,
            "line": self.line,
            "status": self.status,
            "meant_for_arm64": self.meant_for_arm64,
            "runs_on": [list(labels) for labels in self.runs_on],
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class WorkflowAnalysis:
    """Everything the file says about a dispatch, before it is made."""

    path: str
    labels: tuple[str, ...]
    event: str
    inputs: Mapping[str, Value]
    jobs: tuple[JobResult, ...]
    findings: tuple[Finding, ...]

    @property
    def arm64_jobs(self) -> tuple[JobResult, ...]:
        """The jobs meant for ARM64 (moved ones included)."""
        return tuple(job for job in self.jobs if job.meant_for_arm64)

    @property
    def can_tell(self) -> bool:
        """False when where some job runs depends on something known only at run time."""
        return all(job.status != "cannot-tell" for job in self.jobs)

    @property
    def usage_errors(self) -> tuple[Finding, ...]:
        """Findings that make the dispatch itself wrong (exit 2)."""
        return tuple(f for f in self.findings if f.severity == "usage")

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that make a dispatch pointless: NO-GO before dispatch (exit 1)."""
        return tuple(f for f in self.findings if f.severity == "blocking")

    @property
    def dispatch_allowed(self) -> bool:
        """True when nothing in the file forbids spending runner time on this dispatch."""
        return not self.usage_errors and not self.blocking

    def exit_code(self) -> int:
        """2 for a wrong dispatch, 1 when GO is impossible, else 0."""
        if self.usage_errors:
            return 2
        return 1 if any(f.prevents_go for f in self.findings) else 0


def analyse(
    text: str,
    *,
    path: str,
    inputs: Mapping[str, str],
    labels: Sequence[str],
    event: str = "workflow_dispatch",
    arm64_jobs: Sequence[str] = (),
) -> WorkflowAnalysis:
    """Analyse workflow ``text`` for a dispatch with ``inputs`` (raw ``--input`` strings).

    ``arm64_jobs`` are job id or name globs that must run on ARM64 whatever the file says.
    Raises ``WorkflowError`` when the text is not a workflow.
    """
    if not labels:
        raise UsageError("--labels: give at least one runner label, e.g. self-hosted,linux,ARM64")
    workflow = read_workflow(text)
    judge = _Judge(workflow, inputs, tuple(labels), event)
    results: list[JobResult] = []
    findings: list[Finding] = (
        list(input_findings(workflow, inputs)) if event == ("workflow_dispatch") else []
    )
    for job in workflow.jobs:
        named = any(
            fnmatch.fnmatchcase(job.id, p) or fnmatch.fnmatchcase(job.name, p) for p in arm64_jobs
        )
        result, job_findings = judge.judge(job, named=named)
        results.append(result)
        findings.extend(job_findings)
    findings.extend(judge.workflow_findings(results))
    findings.sort(key=lambda f: (_ORDER[f.severity], f.line, f.id))
    return WorkflowAnalysis(
        path=path,
        labels=tuple(labels),
        event=event,
        inputs=judge.given,
        jobs=tuple(results),
        findings=tuple(findings),
    )


# ---------------------------------------------------------------- jobs


def _expressions(value: YValue, *, bare: bool = False) -> list[Node]:
    """Every expression inside a YAML value (``bare``: a plain string is one, as in ``if:``)."""
    found: list[Node] = []
    if isinstance(value, str):
        try:
            if bare and not has_expression(value):
                found.append(parse(value))
            else:
                found.extend(part for part in split_template(value) if not isinstance(part, str))
        except CannotTell:
            pass
    elif isinstance(value, YMap):
        for item in value.values():
            found.extend(_expressions(item))
    elif isinstance(value, YList):
        for item in value:
            found.extend(_expressions(item))
    return found


def _input_references(nodes: Sequence[Node]) -> tuple[set[str], bool]:
    """Input names the expressions read, and whether they read inputs some other way too."""
    names: set[str] = set()
    covered: set[int] = set()
    for root in nodes:
        for node in walk(root):
            if not isinstance(node, Member) or not isinstance(node.index, Lit):
                continue
            key = node.index.value
            target = node.target
            if (isinstance(target, Name) and target.name.lower() == "inputs") or (
                isinstance(target, Member)
                and isinstance(target.index, Lit)
                and str(target.index.value).lower() == "inputs"
                and isinstance(target.target, Member)
                and isinstance(target.target.index, Lit)
                and str(target.target.index.value).lower() == "event"
                and isinstance(target.target.target, Name)
                and target.target.target.name.lower() == "github"
            ):
                names.add(str(key).lower())
                covered.add(id(target))
    loose = any(
        isinstance(node, Name) and node.name.lower() == "inputs" and id(node) not in covered
        for root in nodes
        for node in walk(root)
    ) or any(
        isinstance(node, Member)
        and isinstance(node.index, Lit)
        and str(node.index.value).lower() == "inputs"
        and id(node) not in covered
        for root in nodes
        for node in walk(root)
    )
    return names, loose


def _literals(nodes: Sequence[Node]) -> list[Value]:
    seen: list[Value] = []
    for root in nodes:
        for node in walk(root):
            if (
                isinstance(node, Lit)
                and isinstance(node.value, str | float)
                and not isinstance(node.value, bool)
                and node.value not in seen
            ):
                seen.append(node.value)
    return seen


def _compared(nodes: Sequence[Node]) -> bool:
    return any(isinstance(node, Binary) for root in nodes for node in walk(root))


def _show(change: Mapping[str, Value]) -> str:
    return " ".join(f"--input {name}={to_string(value)}" for name, value in change.items())


class _Judge:
    """Answers, per job, where it runs for the given inputs and for other inputs."""

    def __init__(
        self, workflow: Workflow, raw: Mapping[str, str], labels: tuple[str, ...], event: str
    ) -> None:
        self.workflow = workflow
        self.labels = labels
        self.event = event
        self.given = dispatch_inputs(workflow, raw)

    # -- evaluation

    def evaluator(self, inputs: Mapping[str, Value], matrix: Value | Unknown) -> Evaluator:
        contexts = build_contexts(inputs, event=self.event, matrix=matrix)
        return Evaluator(contexts, status=HAPPY_PATH)

    def legs(self, job: Job, inputs: Mapping[str, Value]) -> list[Value | Unknown]:
        """The matrix combinations; one unknown combination when they are known only later."""
        evaluator = self.evaluator(inputs, Unknown("the matrix context is not set yet"))
        try:
            return list(expand_matrix(job.matrix, evaluator))
        except CannotTell as exc:
            return [Unknown(f"the matrix is known only at run time: {exc}")]

    def runs_on(
        self, job: Job, inputs: Mapping[str, Value], leg: Value | Unknown
    ) -> tuple[str, ...]:
        return resolve_runs_on(job.runs_on, self.evaluator(inputs, leg))

    def on_arm64(self, job: Job, inputs: Mapping[str, Value], *, leg: Value | Unknown) -> bool:
        return has_labels(self.runs_on(job, inputs, leg), self.labels)

    # -- the search over other inputs

    def candidates(self, spec: InputSpec, nodes: Sequence[Node]) -> list[Value]:
        current = self.given.get(spec.name)
        values: list[Value] = [current]
        if spec.type == "boolean":
            values.append(not truthy(current))
        elif spec.type == "choice":
            values.extend(spec.options)
        else:
            values.append(from_yaml(spec.default) if spec.default is not None else "")
            literals = _literals(nodes)
            wanted = float if spec.type == "number" else str
            values.extend(v for v in literals if isinstance(v, wanted))
            values.append("" if spec.type != "number" else 0.0)
        unique: list[Value] = []
        for value in values:
            if value not in unique:
                unique.append(value)
        return unique

    def find(
        self, nodes: Sequence[Node], holds: Callable[[Mapping[str, Value]], bool]
    ) -> tuple[dict[str, Value] | None, str]:
        """The smallest change of inputs under which ``holds``, and why none may be known.

        Single changes are tried first, then combinations; an evaluation that cannot be told
        is remembered, so "no such inputs" is claimed only when every try was told.
        """
        names, loose = _input_references(nodes)
        specs = [spec for spec in self.workflow.inputs if loose or spec.name.lower() in names]
        choices = {spec.name: self.candidates(spec, nodes) for spec in specs}
        unknown = ""
        tries = 0

        def attempt(change: dict[str, Value]) -> bool:
            nonlocal unknown, tries
            tries += 1
            try:
                return holds({**self.given, **change})
            except CannotTell as exc:
                unknown = unknown or str(exc)
                return False

        for name, values in choices.items():
            for value in values[1:]:
                if attempt({name: value}):
                    return {name: value}, ""
        for combo in itertools.product(*choices.values()):
            change = {
                name: value
                for name, value in zip(choices, combo, strict=True)
                if value != self.given.get(name)
            }
            if len(change) < 2:
                continue
            if tries >= MAX_TRIES:
                return None, unknown or f"more than {MAX_TRIES} input combinations"
            if attempt(change):
                return change, ""
        return None, unknown

    # -- one job

    def judge(self, job: Job, *, named: bool) -> tuple[JobResult, list[Finding]]:
        if job.uses is not None or job.runs_on is None:
            reason = (
                f"it calls the reusable workflow {job.uses}, which decides where it runs"
                if job.uses
                else "it has no runs-on"
            )
            return self._cannot_tell(job, reason), [self._wfl010(job, reason)]
        nodes = _expressions(job.runs_on) + _expressions(job.matrix)
        legs = self.legs(job, self.given)
        told: list[tuple[Value | Unknown, tuple[str, ...]]] = []
        unknown = ""
        for leg in legs:
            try:
                told.append((leg, self.runs_on(job, self.given, leg)))
            except CannotTell as exc:
                unknown = unknown or str(exc)
        arm = [labels for _, labels in told if has_labels(labels, self.labels)]
        moved: list[tuple[tuple[str, ...], dict[str, Value]]] = []
        for leg, labels in told:
            if has_labels(labels, self.labels):
                continue
            change, why = self.find(nodes, functools.partial(self.on_arm64, job, leg=leg))
            unknown = unknown or why
            if change is not None:
                moved.append((labels, change))
        if not arm and not moved and not unknown:

            def anywhere(inputs: Mapping[str, Value]) -> bool:
                return any(self.on_arm64(job, inputs, leg=leg) for leg in self.legs(job, inputs))

            change, why = self.find(nodes, anywhere)
            unknown = unknown or why
            if change is not None:
                moved.append((told[0][1] if told else (), change))
        runs_on = tuple(labels for _, labels in told)
        if moved:
            result = JobResult(
                id=job.id,
                name=job.name,
                line=job.line,
                status="moved",
                runs_on=runs_on,
                reason=f"asks for {', '.join(moved[0][0])} with these inputs",
            )
            return result, [self._wfl001(job, moved), *self._arm64_job_findings(job)]
        if arm:
            result = JobResult(
                id=job.id, name=job.name, line=job.line, status="arm64", runs_on=runs_on
            )
            return result, self._arm64_job_findings(job)
        if unknown:
            return self._cannot_tell(job, unknown, runs_on), [self._wfl010(job, unknown)]
        result = JobResult(
            id=job.id,
            name=job.name,
            line=job.line,
            status="other",
            runs_on=runs_on,
            reason="never asks for the required labels",
        )
        if named:
            return result, [self._named_not_arm64(job, runs_on)]
        return result, []

    def _cannot_tell(
        self, job: Job, reason: str, runs_on: tuple[tuple[str, ...], ...] = ()
    ) -> JobResult:
        return JobResult(
            id=job.id,
            name=job.name,
            line=job.line,
            status="cannot-tell",
            runs_on=runs_on,
            reason=reason,
        )

    def _wfl010(self, job: Job, reason: str) -> Finding:
        return finding(
            "WFL010",
            message=f"job {job.id}: cannot tell before the run whether it runs on "
            f"{', '.join(self.labels)}: {reason}",
            remedy="write runs-on with literal labels, or with expressions over inputs and "
            "matrix values only; name the job with --arm64-job if it must run on ARM64",
            line=job.runs_on_line if job.runs_on is not None else job.line,
            job=job.id,
        )

    def _wfl001(self, job: Job, moved: list[tuple[tuple[str, ...], dict[str, Value]]]) -> Finding:
        labels, change = moved[0]
        given = " ".join(f"{name}={to_string(self.given.get(name))}" for name in change)
        where = ", ".join(labels) if labels else "other labels"
        return finding(
            "WFL001",
            message=f"job {job.id} ({job.name}) asks for {where} with {given}, not for "
            f"{', '.join(self.labels)}: a run with these inputs cannot prove ARM64 readiness",
            remedy=f"dispatch with {_show(change)} to keep it on {', '.join(self.labels)}, "
            "or make runs-on independent of the input",
            line=job.runs_on_line,
            job=job.id,
        )

    def _named_not_arm64(self, job: Job, runs_on: tuple[tuple[str, ...], ...]) -> Finding:
        asked = "; ".join(", ".join(labels) for labels in runs_on) or "nothing"
        return finding(
            "WFL001",
            message=f"job {job.id} must run on ARM64 (--arm64-job) but asks for {asked}",
            remedy=f"set its runs-on to [{', '.join(self.labels)}]",
            line=job.runs_on_line,
            job=job.id,
        )

    # -- what an ARM64 job does

    def _arm64_job_findings(self, job: Job) -> list[Finding]:
        found = list(self._skipped(job))
        for step in job.steps:
            if is_test_step(step):
                found.extend(self._test_step(job, step))
        return found

    def _condition(
        self, condition: YValue, inputs: Mapping[str, Value], matrix: Value | Unknown
    ) -> bool:
        if condition is None:
            return True
        if isinstance(condition, str):
            return evaluate_condition(condition, self.evaluator(inputs, matrix))
        return truthy(from_yaml(condition) if not isinstance(condition, YMap | YList) else True)

    def _skipped(self, job: Job) -> Iterator[Finding]:
        skipped_by = self._false_condition(job.condition, Unknown("matrix is not set in if:"))
        if skipped_by is None:
            return
        tests = any(is_test_step(step) for step in job.steps)
        what = "the job that runs the tests" if tests else "an ARM64 job"
        yield finding(
            "WFL009",
            message=f"job {job.id}: `if: {_one_line(job.condition)}` is false with these inputs, "
            f"so {what} is skipped",
            remedy=skipped_by or "change the condition, or dispatch with inputs that make it true",
            line=job.condition_line,
            job=job.id,
        )

    def _false_condition(self, condition: YValue, matrix: Value | Unknown) -> str | None:
        """None when the condition holds or cannot be told; else the remedy (maybe empty)."""
        try:
            if self._condition(condition, self.given, matrix):
                return None
        except CannotTell:
            return None
        nodes = _expressions(condition, bare=True)
        change, _ = self.find(nodes, lambda inputs: self._condition(condition, inputs, matrix))
        return f"dispatch with {_show(change)}" if change else ""

    def _test_step(self, job: Job, step: Step) -> Iterator[Finding]:
        matrix = Unknown("matrix is not known for step conditions")
        skipped_by = self._false_condition(step.condition, matrix)
        if skipped_by is not None:
            yield finding(
                "WFL009",
                message=f"job {job.id}, step {step.name!r}: `if: {_one_line(step.condition)}` "
                "is false with these inputs, so the tests do not run",
                remedy=skipped_by or "change the condition",
                line=step.condition_line,
                job=job.id,
                step=step.name,
            )
        reasons = []
        owners = (("the step", step.continue_on_error), ("the job", job.continue_on_error))
        for owner, value in owners:
            try:
                if self._flag(value):
                    reasons.append(f"{owner} has continue-on-error: {_one_line(value)}")
            except CannotTell:
                pass
        reasons.extend(swallowed_failures(step))
        if reasons:
            yield finding(
                "WFL008",
                message=f"job {job.id}, step {step.name!r} cannot fail its job: "
                + "; ".join(reasons),
                remedy="let a failing test fail the step: drop continue-on-error and `|| true`, "
                "check the exit status after `set +e`, use `shell: bash` (pipefail) for pipes",
                line=step.line,
                job=job.id,
                step=step.name,
            )

    def _flag(self, value: YValue) -> bool:
        if isinstance(value, str) and has_expression(value):
            return truthy(evaluate_template(value, self.evaluator(self.given, None)))
        return truthy(from_yaml(value) if not isinstance(value, YMap | YList) else None)

    # -- the workflow as a whole

    def workflow_findings(self, results: Sequence[JobResult]) -> Iterator[Finding]:
        meant = [r for r in results if r.meant_for_arm64]
        untold = [r for r in results if r.meant_for_arm64 is None]
        if not meant:
            if not untold:
                asked: dict[str, list[str]] = {}
                for r in results:
                    for labels in dict.fromkeys(r.runs_on):
                        asked.setdefault(", ".join(labels), []).append(r.id)
                yield finding(
                    "WFL011",
                    message=f"no job can run on {', '.join(self.labels)}; the jobs ask for "
                    + "; ".join(f"{k} ({', '.join(v)})" for k, v in asked.items()),
                    remedy=f"give the ARM64 job `runs-on: [{', '.join(self.labels)}]`, or pass "
                    "--labels with the labels it asks for",
                    line=self.workflow.jobs[0].line if self.workflow.jobs else 1,
                )
            return
        yield from self._upload_findings(meant, certain_jobs=not untold)

    def _upload_findings(
        self, meant: Sequence[JobResult], *, certain_jobs: bool
    ) -> Iterator[Finding]:
        jobs = {job.id: job for job in self.workflow.jobs}
        on_success: list[tuple[Job, Step]] = []
        on_failure: list[tuple[Job, Step]] = []
        certain = certain_jobs
        for result in meant:
            job = jobs[result.id]
            for step in job.steps:
                if not is_upload(step):
                    continue
                try:
                    runs = self._condition(step.condition, self.given, Unknown("matrix"))
                except CannotTell:
                    runs, certain = True, False
                (on_success if runs else on_failure).append((job, step))
        first = jobs[meant[0].id]
        if not on_success:
            only = "; ".join(
                f"{step.name!r} in {job.id} runs only with `if: {_one_line(step.condition)}`"
                for job, step in on_failure
            )
            yield finding(
                "WFL006",
                message="no job meant for ARM64 uploads an artifact when it succeeds"
                + (f" ({only})" if only else "")
                + ": the binaries check (ELF001) cannot pass",
                remedy="add an actions/upload-artifact step (without `if: failure()`) that "
                "uploads the built binaries, e.g. target/release/NAME",
                line=first.line,
                job=first.id,
                certain=certain,
            )
            return
        patterns = [
            (job, step, pattern)
            for job, step in on_success
            for pattern in upload_patterns(step.path)
        ]
        unreadable = [s for _, s in on_success if not upload_patterns(s.path)]
        if unreadable or any(can_hold_binary(p) for _, _, p in patterns):
            return
        job, step, _ = patterns[0]
        shown = ", ".join(p for _, _, p in patterns)
        yield finding(
            "WFL007",
            message=f"the ARM64 jobs upload only {shown}: logs, reports or metadata, no binary; "
            "the binaries check (ELF001) cannot pass",
            remedy="upload the built binaries too (e.g. `path: target/release/NAME`); a JSON "
            "manifest claiming arm64 is not evidence of the architecture",
            line=step.path_line,
            job=job.id,
            step=step.name,
            certain=certain,
        )


def _one_line(value: YValue) -> str:
    text = value if isinstance(value, str) else to_string(from_yaml(value))
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
