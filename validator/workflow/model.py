"""The parts of a workflow file that decide where its jobs run, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from validator.workflow.loading import WorkflowError, YList, YMap, YValue, load_yaml

INPUT_TYPES = ("string", "boolean", "choice", "number", "environment")


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """One ``workflow_dispatch`` input as declared."""

    name: str
    type: str
    required: bool
    default: YValue
    options: tuple[str, ...]
    line: int


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of a job."""

    index: int
    name: str
    line: int
    condition: YValue
    condition_line: int
    run: str | None
    uses: str | None
    path: YValue
    path_line: int
    shell: str | None
    continue_on_error: YValue


@dataclass(frozen=True, kw_only=True)
class Job:
    """One job: where it asks to run, when, with which matrix, and its steps."""

    id: str
    name: str
    line: int
    runs_on: YValue
    runs_on_line: int
    condition: YValue
    condition_line: int
    matrix: YValue
    matrix_line: int
    uses: str | None
    continue_on_error: YValue
    steps: tuple[Step, ...]


@dataclass(frozen=True, kw_only=True)
class Workflow:
    """A workflow file: its triggers, dispatch inputs and jobs."""

    name: str
    triggers: tuple[str, ...]
    on_line: int
    dispatch_line: int
    inputs: tuple[InputSpec, ...]
    jobs: tuple[Job, ...]

    @property
    def dispatchable(self) -> bool:
        """True when a ``workflow_dispatch`` trigger is declared."""
        return "workflow_dispatch" in self.triggers

    def input(self, name: str) -> InputSpec | None:
        """The declared input called ``name``."""
        return next((spec for spec in self.inputs if spec.name == name), None)


def read_workflow(text: str) -> Workflow:
    """Parse workflow text; ``WorkflowError`` when it is not YAML or not a workflow."""
    root = load_yaml(text)
    if not isinstance(root, YMap):
        raise WorkflowError("not a workflow: the file is not a YAML mapping")
    jobs = root.get("jobs")
    if not isinstance(jobs, YMap) or not jobs:
        raise WorkflowError(f"line {root.line_of('jobs')}: not a workflow: no 'jobs' mapping")
    triggers, dispatch, dispatch_line = _triggers(root)
    return Workflow(
        name=_text(root.get("name")) or "",
        triggers=triggers,
        on_line=root.line_of("on"),
        dispatch_line=dispatch_line,
        inputs=_inputs(dispatch),
        jobs=tuple(_job(job_id, value, jobs.line_of(job_id)) for job_id, value in jobs.items()),
    )


def _text(value: YValue) -> str | None:
    return value if isinstance(value, str) else None


def _triggers(root: YMap) -> tuple[tuple[str, ...], YValue, int]:
    on = root.get("on")
    line = root.line_of("on")
    if isinstance(on, str):
        return (on,), None, line
    if isinstance(on, YList):
        return tuple(item for item in on if isinstance(item, str)), None, line
    if isinstance(on, YMap):
        return tuple(on), on.get("workflow_dispatch"), on.line_of("workflow_dispatch")
    return (), None, line


def _inputs(dispatch: YValue) -> tuple[InputSpec, ...]:
    if not isinstance(dispatch, YMap):
        return ()
    inputs = dispatch.get("inputs")
    if not isinstance(inputs, YMap):
        return ()
    specs = []
    for name, spec in inputs.items():
        body = spec if isinstance(spec, YMap) else YMap(inputs.line_of(name))
        declared = body.get("type", "string")
        options = body.get("options")
        specs.append(
            InputSpec(
                name=name,
                type=declared if declared in INPUT_TYPES else "string",
                required=body.get("required") is True,
                default=body.get("default"),
                options=tuple(_scalar_text(o) for o in options)
                if isinstance(options, YList)
                else (),
                line=inputs.line_of(name),
            )
        )
    return tuple(specs)


def _scalar_text(value: YValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, YMap | YList):
        return str(dict(value) if isinstance(value, YMap) else list(value))
    return str(value)


def _job(job_id: str, value: YValue, line: int) -> Job:
    body = value if isinstance(value, YMap) else YMap(line)
    strategy = body.get("strategy")
    strategy = strategy if isinstance(strategy, YMap) else YMap(body.line_of("strategy"))
    steps = body.get("steps")
    return Job(
        id=job_id,
        name=_text(body.get("name")) or job_id,
        line=line,
        runs_on=body.get("runs-on"),
        runs_on_line=body.line_of("runs-on"),
        condition=body.get("if"),
        condition_line=body.line_of("if"),
        matrix=strategy.get("matrix"),
        matrix_line=strategy.line_of("matrix"),
        uses=_text(body.get("uses")),
        continue_on_error=body.get("continue-on-error", False),
        steps=tuple(_step(index, item, steps.item_lines[index]) for index, item in enumerate(steps))
        if isinstance(steps, YList)
        else (),
    )


def _step(index: int, value: YValue, line: int) -> Step:
    body = value if isinstance(value, YMap) else YMap(line)
    run = _text(body.get("run"))
    uses = _text(body.get("uses"))
    with_ = body.get("with")
    with_ = with_ if isinstance(with_, YMap) else YMap(line)
    first_line = run.strip().splitlines()[0] if run and run.strip() else ""
    return Step(
        index=index,
        name=_text(body.get("name")) or uses or first_line[:60] or f"step {index + 1}",
        line=line,
        condition=body.get("if"),
        condition_line=body.line_of("if"),
        run=run,
        uses=uses,
        path=with_.get("path"),
        path_line=with_.line_of("path"),
        shell=_text(body.get("shell")),
        continue_on_error=body.get("continue-on-error", False),
    )
