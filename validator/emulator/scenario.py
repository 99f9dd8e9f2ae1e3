"""Loading scenarios: the state a GitHub repository is in, from ``fixtures/scenarios/NAME.json``.

A scenario names the repository, its runners and workflows, what a dispatch of each workflow
produces (a *plan*: queueing, jobs, steps, logs, artifacts), the runs that already exist, and
``cli`` hints telling the tool how to validate it. Loading checks every field, so a broken
scenario fails here with a message naming the file and the field, never later in the server.
The files are written by ``fixtures/build_scenarios.py``. Their shape::

    {"description": "...", "legacy_ghes": false,
     "repository": {"owner", "name", "id", "default_branch", "branches": {name: sha}, "tags",
                    "renamed_from": OLD/NAME, "private", "owner_type": "User|Organization"},
     "runners": [{"id", "name", "os", "status": "online|offline",
                  "labels": [NAME | {"name", "type": "read-only|custom"}],
                  "level": "repository|organization|enterprise",
                  "busy", "ephemeral", "autoscaled", "version", "group", "group_id"}],
     "runner_groups": [{"id", "name", "level": "organization|enterprise",
                        "visibility": "all|selected|private", "allows_public_repositories",
                        "repositories": [OWNER/NAME], "default"}],
     "enterprise": SLUG, "forbidden": [levels the token may not read],
     "workflows": [{"id", "name", "path", "state", "branches": [where the file is],
                    "dispatch": true, "inputs": {name: {"type", "required", "default",
                    "options"}}, "file": FIXTURE (the YAML the contents endpoint serves),
                    "on_dispatch": PLAN}],
     "runs": [{"id", "workflow": id, "run_number", "event", "branch", "head_sha",
               "created": ISO, "plan": PLAN,
               "attempts": [{"created": ISO, "rerun": "failed|all", "plan": PLAN}]}],
     "cli": {"workflow", "ref", "inputs", "expected_tests", "min_tests", "run_id",
             "autoscaling", "use_latest_run", "repository", "labels", "enterprise"}}

    PLAN = {"queue_seconds": 6 | null (queued for ever), "run_seconds", "conclusion",
            "listed_after_seconds",
            "jobs": [{"name", "labels": [runs-on], "runner": NAME | ID | "hosted" | null,
                      "start_seconds" (default: after the previous jobs), "conclusion",
                      "steps": [{"name", "seconds", "conclusion"}], "log": FIXTURE,
                      "log_step", "runner_context": [ARCH, MACHINE], "image": IMAGE}],
            "artifacts": [{"name", "job", "step", "retention_days", "expired", "digest",
                           "upload_log", "claimed_by": [jobs whose logs print its lines too],
                           "files": [{"path", "source": FIXTURE | "text" | "json" |
                                      "tar_gz": [files]}]}]}

A runner's name may repeat at another level (GitHub allows a repository runner and an
organisation runner of the same name); a job then names its runner by id. A label given as a
bare name has the type GitHub would give it: the runner application's own
names (``self-hosted``, the OS, ``X64``, ``ARM64`` ...) are read-only, others custom. A file's
``source`` is a path under the fixtures folder (the shipped ``fixtures/``, or for a scenario
file of the user's, the folder given with ``--fixtures``, by default the file's own folder).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from validator.emulator.clock import parse_iso
from validator.emulator.specs import (
    CONCLUSIONS,
    GROUP_VISIBILITIES,
    INPUT_TYPES,
    RUNNER_LEVELS,
    WORKFLOW_STATES,
    ArtifactSpec,
    AttemptSpec,
    CliHints,
    FileSpec,
    InputSpec,
    JobSpec,
    LabelSpec,
    PlanSpec,
    RepositorySpec,
    RunnerGroupSpec,
    RunnerRef,
    RunnerSpec,
    RunSpec,
    Scenario,
    StepSpec,
    WorkflowSpec,
)
from validator.emulator.state import MAX_ATTEMPTS, PER_ATTEMPT
from validator.errors import UsageError
from validator.fields import Fields
from validator.labels import default_label_type
from validator.resources import data_path

UPLOAD_STEP = "Run actions/upload-artifact@v4"  # GitHub's name for an unnamed upload step
HOSTED = "hosted"  # a job's "runner" value for a GitHub-hosted runner (ubuntu-latest)


def scenarios_dir() -> Path:
    """Folder that holds the shipped scenarios."""
    return data_path("fixtures", "scenarios")


def scenario_names() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    folder = scenarios_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json"))


def load_scenario(name_or_path: str | Path, *, fixtures_dir: Path | None = None) -> Scenario:
    """Load and check a scenario by name (``healthy``) or by path to its JSON file.

    ``fixtures_dir`` is where artifact and log ``source`` paths are read from (default: the
    shipped ``fixtures/``).
    """
    text_name = str(name_or_path)
    if isinstance(name_or_path, Path) or text_name.endswith(".json") or "/" in text_name:
        path = Path(name_or_path)
        name = path.stem
    else:
        name = text_name
        path = scenarios_dir() / f"{name}.json"
        if not path.is_file():
            known = ", ".join(scenario_names()) or "none found"
            raise UsageError(f"Unknown emulator scenario {name!r}: choose one of {known}.")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read scenario file {path}: {exc.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"Scenario file {path} is not valid JSON ({exc}); fix it.") from None
    return parse_scenario(raw, name=name, fixtures_dir=fixtures_dir or data_path("fixtures"))


def parse_scenario(raw: Any, *, name: str, fixtures_dir: Path) -> Scenario:
    """Build a :class:`Scenario` from decoded JSON, checking every field."""
    r = _fields(name)
    top = r.table(raw, "scenario")
    repo = _repository(r, r.table(top.get("repository"), "repository"))
    groups = tuple(
        _group(r, r.table(x, f"runner_groups[{i}]"), f"runner_groups[{i}]")
        for i, x in enumerate(r.items(top.get("runner_groups", []), "runner_groups"))
    )
    r.unique([str(g.id) for g in groups], "runner_groups", "id")
    if repo.owner_type == "Organization" and 1 not in {g.id for g in groups}:
        groups = (RunnerGroupSpec(id=1, name="Default", default=True), *groups)
    runners = tuple(
        _runner(r, r.table(x, f"runners[{i}]"), f"runners[{i}]", groups)
        for i, x in enumerate(r.items(top.get("runners", []), "runners"))
    )
    # GitHub allows one name at several levels (a repository and an organisation runner).
    r.unique([f"{x.level} {x.name}" for x in runners], "runners", "level and name")
    r.unique([str(x.id) for x in runners], "runners", "id")
    by_name = runner_refs(runners)
    workflows = tuple(
        _workflow(r, r.table(x, f"workflows[{i}]"), f"workflows[{i}]", by_name, repo)
        for i, x in enumerate(r.items(top.get("workflows"), "workflows"))
    )
    r.unique([str(w.id) for w in workflows], "workflows", "id")
    r.unique([w.file_name for w in workflows], "workflows", "path")
    wf_ids = {w.id for w in workflows}
    runs = tuple(
        _run(
            r,
            r.table(x, f"runs[{i}]"),
            f"runs[{i}]",
            runners=by_name,
            repo=repo,
            workflow_ids=wf_ids,
        )
        for i, x in enumerate(r.items(top.get("runs", []), "runs"))
    )
    r.unique([str(x.id) for x in runs], "runs", "id")
    cli = _cli(r, r.table(top.get("cli"), "cli"))
    return Scenario(
        name=name,
        description=r.text(top.get("description", ""), "description"),
        repository=repo,
        runners=runners,
        workflows=workflows,
        runs=runs,
        cli=cli,
        fixtures_dir=fixtures_dir,
        legacy_ghes=r.flag(top.get("legacy_ghes", False), "legacy_ghes"),
        runner_groups=groups,
        enterprise=r.optional_text(top.get("enterprise"), "enterprise"),
        forbidden=tuple(
            r.choice(x, f"forbidden[{i}]", RUNNER_LEVELS)
            for i, x in enumerate(r.items(top.get("forbidden", []), "forbidden"))
        ),
    )


def _fields(name: str) -> Fields:
    """The typed-field reader, with messages that name the scenario file to fix."""

    def fail(where: str, problem: str) -> UsageError:
        return UsageError(
            f"Scenario {name!r}, field {where}: {problem}. Fix fixtures/scenarios/{name}.json."
        )

    return Fields(fail=fail)


def _repository(r: Fields, d: dict[str, Any]) -> RepositorySpec:
    branches = r.table(d.get("branches"), "repository.branches")
    tags = r.table(d.get("tags", {}), "repository.tags")
    default = r.text(d.get("default_branch"), "repository.default_branch")
    if default not in branches:
        raise r.fail("repository.default_branch", f"{default!r} is not in repository.branches")
    return RepositorySpec(
        owner=r.text(d.get("owner"), "repository.owner"),
        name=r.text(d.get("name"), "repository.name"),
        id=r.count(d.get("id", 1), "repository.id"),
        default_branch=default,
        branches={k: r.text(v, f"repository.branches.{k}") for k, v in branches.items()},
        tags={k: r.text(v, f"repository.tags.{k}") for k, v in tags.items()},
        private=r.flag(d.get("private", False), "repository.private"),
        language=r.optional_text(d.get("language"), "repository.language"),
        description=r.optional_text(d.get("description"), "repository.description"),
        renamed_from=r.optional_text(d.get("renamed_from"), "repository.renamed_from"),
        owner_type=r.choice(
            d.get("owner_type", "User"), "repository.owner_type", ("User", "Organization")
        ),
    )


def _label(r: Fields, value: Any, where: str) -> LabelSpec:
    if isinstance(value, str):
        return LabelSpec(name=r.text(value, where), type=default_label_type(value))
    d = r.table(value, where)
    name = r.text(d.get("name"), f"{where}.name")
    kind = r.choice(
        d.get("type", default_label_type(name)), f"{where}.type", ("read-only", "custom")
    )
    return LabelSpec(name=name, type=kind)


def _group(r: Fields, d: dict[str, Any], where: str) -> RunnerGroupSpec:
    return RunnerGroupSpec(
        id=r.count(d.get("id"), f"{where}.id"),
        name=r.text(d.get("name"), f"{where}.name"),
        level=r.choice(d.get("level", "organization"), f"{where}.level", RUNNER_LEVELS[1:]),
        visibility=r.choice(d.get("visibility", "all"), f"{where}.visibility", GROUP_VISIBILITIES),
        allows_public_repositories=r.flag(
            d.get("allows_public_repositories", False), f"{where}.allows_public_repositories"
        ),
        repositories=r.texts(d.get("repositories", []), f"{where}.repositories"),
        default=r.flag(d.get("default", False), f"{where}.default"),
    )


def _runner(
    r: Fields, d: dict[str, Any], where: str, groups: tuple[RunnerGroupSpec, ...] = ()
) -> RunnerSpec:
    group_id = r.count(d.get("group_id", 1), f"{where}.group_id")
    named = next((g.name for g in groups if g.id == group_id), None)
    return RunnerSpec(
        id=r.count(d.get("id"), f"{where}.id"),
        name=r.text(d.get("name"), f"{where}.name"),
        os=r.text(d.get("os", "Linux"), f"{where}.os"),
        status=r.choice(d.get("status"), f"{where}.status", ("online", "offline")),
        busy=r.flag(d.get("busy", False), f"{where}.busy"),
        labels=tuple(
            _label(r, x, f"{where}.labels[{i}]")
            for i, x in enumerate(r.items(d.get("labels"), f"{where}.labels"))
        ),
        level=r.choice(d.get("level", "repository"), f"{where}.level", RUNNER_LEVELS),
        ephemeral=r.flag(d.get("ephemeral", False), f"{where}.ephemeral"),
        autoscaled=r.flag(d.get("autoscaled", False), f"{where}.autoscaled"),
        version=r.optional_text(d.get("version"), f"{where}.version"),
        group_id=group_id,
        group=named or r.text(d.get("group", "Default"), f"{where}.group"),
    )


def _input(r: Fields, name: str, d: dict[str, Any], where: str) -> InputSpec:
    kind = r.choice(d.get("type", "string"), f"{where}.type", INPUT_TYPES)
    default = d.get("default")
    if isinstance(default, bool):
        default = "true" if default else "false"
    elif isinstance(default, int | float):
        default = str(default)
    options = r.texts(d.get("options", []), f"{where}.options")
    if kind == "choice" and not options:
        raise r.fail(f"{where}.options", "a choice input needs options")
    return InputSpec(
        name=name,
        type=kind,  # type: ignore[arg-type]  # checked against INPUT_TYPES above
        required=r.flag(d.get("required", False), f"{where}.required"),
        default=r.optional_text(default, f"{where}.default"),
        options=options,
    )


def _workflow(
    r: Fields,
    d: dict[str, Any],
    where: str,
    runners: Mapping[str | int, RunnerSpec | None],
    repo: RepositorySpec,
) -> WorkflowSpec:
    inputs_raw = r.table(d.get("inputs", {}), f"{where}.inputs")
    inputs = tuple(
        _input(r, k, r.table(v, f"{where}.inputs.{k}"), f"{where}.inputs.{k}")
        for k, v in inputs_raw.items()
    )
    branches = r.texts(d.get("branches", [repo.default_branch]), f"{where}.branches")
    for b in branches:
        if b not in repo.branches:
            raise r.fail(f"{where}.branches", f"{b!r} is not in repository.branches")
    plan_raw = d.get("on_dispatch")
    plan = None
    if plan_raw is not None:
        plan = _plan(r, r.table(plan_raw, f"{where}.on_dispatch"), f"{where}.on_dispatch", runners)
    path = r.text(d.get("path"), f"{where}.path")
    if not path.startswith(".github/workflows/"):
        raise r.fail(f"{where}.path", "must start with .github/workflows/")
    source = r.optional_text(d.get("file"), f"{where}.file")
    return WorkflowSpec(
        id=r.count(d.get("id"), f"{where}.id"),
        name=r.text(d.get("name"), f"{where}.name"),
        path=path,
        state=r.choice(d.get("state", "active"), f"{where}.state", WORKFLOW_STATES),
        branches=branches,
        dispatch=r.flag(d.get("dispatch", True), f"{where}.dispatch"),
        inputs=inputs,
        on_dispatch=plan,
        created_at=r.text(d.get("created_at", "2025-12-20T10:00:00Z"), f"{where}.created_at"),
        source=source,
    )


def _file(r: Fields, d: dict[str, Any], where: str) -> FileSpec:
    path = r.text(d.get("path"), f"{where}.path")
    given = [k for k in ("source", "text", "json", "tar_gz") if k in d]
    if len(given) != 1:
        raise r.fail(where, "give exactly one of source, text, json, tar_gz")
    kind = given[0]
    if kind == "source":
        return FileSpec(path=path, source=r.text(d["source"], f"{where}.source"))
    if kind == "text":
        return FileSpec(path=path, text=r.text(d["text"], f"{where}.text"))
    if kind == "json":
        return FileSpec(path=path, text=json.dumps(d["json"], indent=2) + "\n")
    members = tuple(
        _file(r, r.table(x, f"{where}.tar_gz[{i}]"), f"{where}.tar_gz[{i}]")
        for i, x in enumerate(r.items(d["tar_gz"], f"{where}.tar_gz"))
    )
    return FileSpec(path=path, members=members)


def _artifact(
    r: Fields, d: dict[str, Any], where: str, jobs: Mapping[str, JobSpec]
) -> ArtifactSpec:
    job = r.optional_text(d.get("job"), f"{where}.job")
    if job is not None and job not in jobs:
        raise r.fail(f"{where}.job", f"no job named {job!r} in this plan")
    step = r.optional_text(d.get("step"), f"{where}.step")
    steps = [s.name for s in jobs[job].steps] if job is not None else []
    if step is not None and step not in steps:
        raise r.fail(f"{where}.step", f"job {job!r} has no step named {step!r}")
    if job is not None and step is None and steps:
        step = _upload_step(jobs[job])
    claims = []
    for i, other in enumerate(r.texts(d.get("claimed_by", []), f"{where}.claimed_by")):
        if other not in jobs or not jobs[other].steps:
            raise r.fail(f"{where}.claimed_by[{i}]", f"no job named {other!r} ran in this plan")
        claims.append((other, _upload_step(jobs[other])))
    return ArtifactSpec(
        name=r.text(d.get("name"), f"{where}.name"),
        files=tuple(
            _file(r, r.table(x, f"{where}.files[{i}]"), f"{where}.files[{i}]")
            for i, x in enumerate(r.items(d.get("files"), f"{where}.files"))
        ),
        job=job,
        retention_days=r.count(d.get("retention_days", 90), f"{where}.retention_days"),
        expired=r.flag(d.get("expired", False), f"{where}.expired"),
        digest=r.flag(d.get("digest", True), f"{where}.digest"),
        upload_log=r.flag(d.get("upload_log", True), f"{where}.upload_log"),
        step=step,
        claims=tuple(claims),
    )


def _upload_step(job: JobSpec) -> str:
    """The step whose log prints a job's upload lines: its upload step, as GitHub names one.

    A job that uploads without a step named for it gets the step GitHub shows for an unnamed
    ``uses: actions/upload-artifact@v4`` (see :func:`_with_upload_steps`).
    """
    return next((s.name for s in job.steps if "upload" in s.name.lower()), UPLOAD_STEP)


def _with_upload_steps(jobs: list[JobSpec], artifacts: tuple[ArtifactSpec, ...]) -> list[JobSpec]:
    """Jobs with the upload step their artifacts need, before their closing steps (0 s)."""
    needing = {a.job for a in artifacts if a.step == UPLOAD_STEP}
    needing |= {job for a in artifacts for job, step in a.claims if step == UPLOAD_STEP}
    out = []
    for job in jobs:
        steps = job.steps
        if job.name in needing and UPLOAD_STEP not in {s.name for s in steps}:
            at = next(
                (i for i, s in enumerate(steps) if s.name.startswith(("Post ", "Complete "))),
                len(steps),
            )
            steps = (*steps[:at], StepSpec(name=UPLOAD_STEP, seconds=0), *steps[at:])
        out.append(replace(job, steps=steps))
    return out


def runner_refs(runners: tuple[RunnerSpec, ...]) -> dict[str | int, RunnerSpec | None]:
    """How a job names its runner: by id, or by a name only one runner has (else ``None``)."""
    refs: dict[str | int, RunnerSpec | None] = {x.id: x for x in runners}
    for x in runners:
        refs[x.name] = None if x.name in refs else x
    return refs


def _runner_ref(
    r: Fields, value: Any, where: str, runners: Mapping[str | int, RunnerSpec | None], index: int
) -> RunnerRef | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        spec = runners.get(value)
        if spec is None:
            raise r.fail(where, f"no runner with id {value}")
        return RunnerRef(id=spec.id, name=spec.name, group_id=spec.group_id, group=spec.group)
    name = r.text(value, where)
    if name == HOSTED:
        number = 1_000_000 + index
        return RunnerRef(
            id=number, name=f"GitHub Actions {number}", group_id=0, group="GitHub Actions"
        )
    if name not in runners:
        raise r.fail(where, f"no runner named {name!r} (use a scenario runner or {HOSTED!r})")
    spec = runners[name]
    if spec is None:
        raise r.fail(where, f"several runners are named {name!r}: give the runner's id")
    return RunnerRef(id=spec.id, name=spec.name, group_id=spec.group_id, group=spec.group)


def _plan(
    r: Fields, d: dict[str, Any], where: str, runners: Mapping[str | int, RunnerSpec | None]
) -> PlanSpec:
    jobs: list[JobSpec] = []
    cursor = 0.0
    for i, x in enumerate(r.items(d.get("jobs"), f"{where}.jobs")):
        jw = f"{where}.jobs[{i}]"
        jd = r.table(x, jw)
        steps = tuple(
            StepSpec(
                name=r.text(s.get("name"), f"{jw}.steps[{k}].name"),
                seconds=r.number(s.get("seconds", 1), f"{jw}.steps[{k}].seconds"),
                conclusion=r.choice(
                    s.get("conclusion", "success"), f"{jw}.steps[{k}].conclusion", CONCLUSIONS
                ),
            )
            for k, s in enumerate(
                r.table(s, f"{jw}.steps[{k}]")
                for k, s in enumerate(r.items(jd.get("steps", []), f"{jw}.steps"))
            )
        )
        failed = any(s.conclusion == "failure" for s in steps)
        conclusion = r.choice(
            jd.get("conclusion", "failure" if failed else "success"),
            f"{jw}.conclusion",
            CONCLUSIONS,
        )
        start = (
            r.number(jd["start_seconds"], f"{jw}.start_seconds")
            if "start_seconds" in jd
            else cursor
        )
        context = jd.get("runner_context")
        if context is not None:
            pair = r.texts(context, f"{jw}.runner_context")
            if len(pair) != 2:
                raise r.fail(f"{jw}.runner_context", "give [runner.arch, uname -m]")
            context = (pair[0], pair[1])
        log = r.optional_text(jd.get("log"), f"{jw}.log")
        log_step = r.optional_text(jd.get("log_step"), f"{jw}.log_step")
        if log_step is not None and log_step not in {s.name for s in steps}:
            raise r.fail(f"{jw}.log_step", f"no step named {log_step!r}")
        job = JobSpec(
            name=r.text(jd.get("name"), f"{jw}.name"),
            labels=r.texts(jd.get("labels", []), f"{jw}.labels"),
            runner=_runner_ref(r, jd.get("runner"), f"{jw}.runner", runners, i + 1),
            start=start,
            steps=steps,
            conclusion=conclusion,
            log=log,
            log_step=log_step,
            runner_context=context,
            image=r.optional_text(jd.get("image"), f"{jw}.image"),
        )
        if job.runner is None and job.conclusion != "skipped" and steps:
            raise r.fail(f"{jw}.runner", "a job with steps needs the runner that ran it")
        jobs.append(job)
        cursor = max(cursor, job.end)
    r.unique([j.name for j in jobs], f"{where}.jobs", "name")
    if len(jobs) > PER_ATTEMPT:
        raise r.fail(f"{where}.jobs", f"at most {PER_ATTEMPT} jobs")
    longest = max((j.end for j in jobs), default=0.0)
    run_seconds = r.number(d.get("run_seconds", longest), f"{where}.run_seconds")
    if run_seconds < longest:
        raise r.fail(f"{where}.run_seconds", f"shorter than its jobs ({longest:g} s)")
    queue = d.get("queue_seconds", 0)
    any_failed = any(j.conclusion == "failure" for j in jobs)
    names = {j.name: j for j in jobs}
    artifacts = tuple(
        _artifact(r, r.table(x, f"{where}.artifacts[{i}]"), f"{where}.artifacts[{i}]", names)
        for i, x in enumerate(r.items(d.get("artifacts", []), f"{where}.artifacts"))
    )
    return PlanSpec(
        queue_seconds=None if queue is None else r.number(queue, f"{where}.queue_seconds"),
        run_seconds=run_seconds,
        conclusion=r.choice(
            d.get("conclusion", "failure" if any_failed else "success"),
            f"{where}.conclusion",
            CONCLUSIONS,
        ),
        jobs=tuple(_with_upload_steps(jobs, artifacts)),
        listed_after_seconds=r.number(
            d.get("listed_after_seconds", 0), f"{where}.listed_after_seconds"
        ),
        artifacts=artifacts,
    )


def _run(
    r: Fields,
    d: dict[str, Any],
    where: str,
    *,
    runners: Mapping[str | int, RunnerSpec | None],
    repo: RepositorySpec,
    workflow_ids: set[int],
) -> RunSpec:
    wf = r.count(d.get("workflow"), f"{where}.workflow")
    if wf not in workflow_ids:
        raise r.fail(f"{where}.workflow", f"no workflow with id {wf}")
    branch = r.text(d.get("branch", repo.default_branch), f"{where}.branch")
    if branch not in repo.branches:
        raise r.fail(f"{where}.branch", f"{branch!r} is not in repository.branches")
    created_text = r.text(d.get("created"), f"{where}.created")
    try:
        created = parse_iso(created_text)
    except ValueError:
        raise r.fail(f"{where}.created", f"{created_text!r} is not an ISO 8601 time") from None
    attempts = []
    after = created
    for i, x in enumerate(r.items(d.get("attempts", []), f"{where}.attempts")):
        aw = f"{where}.attempts[{i}]"
        a = r.table(x, aw)
        when = _time(r, a.get("created"), f"{aw}.created")
        if when <= after:
            raise r.fail(f"{aw}.created", "must be after the attempt before")
        attempts.append(
            AttemptSpec(
                created=when,
                plan=_plan(r, r.table(a.get("plan"), f"{aw}.plan"), f"{aw}.plan", runners),
                rerun=r.choice(a.get("rerun", "failed"), f"{aw}.rerun", ("failed", "all")),  # type: ignore[arg-type]
            )
        )
        after = when
    if len(attempts) + 1 > MAX_ATTEMPTS:
        raise r.fail(f"{where}.attempts", f"at most {MAX_ATTEMPTS} attempts in all")
    return RunSpec(
        id=r.count(d.get("id"), f"{where}.id"),
        workflow_id=wf,
        run_number=r.count(d.get("run_number", 1), f"{where}.run_number"),
        event=r.text(d.get("event", "workflow_dispatch"), f"{where}.event"),
        branch=branch,
        head_sha=r.text(d.get("head_sha", repo.branches[branch]), f"{where}.head_sha"),
        created=created,
        plan=_plan(r, r.table(d.get("plan"), f"{where}.plan"), f"{where}.plan", runners),
        attempts=tuple(attempts),
    )


def _time(r: Fields, value: Any, where: str) -> float:
    text = r.text(value, where)
    try:
        return parse_iso(text)
    except ValueError:
        raise r.fail(where, f"{text!r} is not an ISO 8601 time") from None


def _cli(r: Fields, d: dict[str, Any]) -> CliHints:
    inputs = r.table(d.get("inputs", {}), "cli.inputs")
    expected = d.get("expected_tests")
    minimum = d.get("min_tests")
    run_id = d.get("run_id")
    return CliHints(
        workflow=r.text(d.get("workflow"), "cli.workflow"),
        ref=r.text(d.get("ref"), "cli.ref"),
        inputs={k: r.text(v, f"cli.inputs.{k}") for k, v in inputs.items()},
        expected_tests=None if expected is None else r.count(expected, "cli.expected_tests"),
        min_tests=None if minimum is None else r.count(minimum, "cli.min_tests"),
        run_id=None if run_id is None else r.count(run_id, "cli.run_id"),
        autoscaling=r.flag(d.get("autoscaling", False), "cli.autoscaling"),
        use_latest_run=r.flag(d.get("use_latest_run", False), "cli.use_latest_run"),
        repository=r.optional_text(d.get("repository"), "cli.repository"),
        labels=None if d.get("labels") is None else r.texts(d.get("labels"), "cli.labels"),
        enterprise=r.optional_text(d.get("enterprise"), "cli.enterprise"),
    )
