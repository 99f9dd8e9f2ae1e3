"""The emulator's model: the state a GitHub repository is in, as a loaded scenario holds it.

Frozen specifications only; :mod:`validator.emulator.scenario` reads them from JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

InputType = Literal["string", "boolean", "choice", "number", "environment"]
INPUT_TYPES: tuple[str, ...] = ("string", "boolean", "choice", "number", "environment")
WORKFLOW_STATES = (
    "active",
    "deleted",
    "disabled_fork",
    "disabled_inactivity",
    "disabled_manually",
)
CONCLUSIONS = (
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
)


@dataclass(frozen=True, kw_only=True)
class RepositorySpec:
    """The repository the emulator serves."""

    owner: str
    name: str
    id: int
    default_branch: str
    branches: Mapping[str, str]  # branch name -> head sha
    tags: Mapping[str, str] = field(default_factory=dict)
    private: bool = False
    language: str | None = None
    description: str | None = None
    renamed_from: str | None = None  # an old OWNER/NAME: GitHub redirects it (301 GET, 307 POST)
    owner_type: str = "User"  # "Organization": the organisation's runners may serve it

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


RUNNER_LEVELS = ("repository", "organization", "enterprise")
GROUP_VISIBILITIES = ("all", "selected", "private")


@dataclass(frozen=True, kw_only=True)
class LabelSpec:
    """A runner label and its type (``read-only``: set by the runner application)."""

    name: str
    type: str  # "read-only" or "custom"


@dataclass(frozen=True, kw_only=True)
class RunnerGroupSpec:
    """A runner group of the organisation, or of the enterprise (then inherited by the org)."""

    id: int
    name: str
    level: str = "organization"  # or "enterprise"
    visibility: str = "all"  # "all", "selected", "private"
    allows_public_repositories: bool = False
    repositories: tuple[str, ...] = ()  # full names admitted by a "selected" group
    default: bool = False


@dataclass(frozen=True, kw_only=True)
class RunnerSpec:
    """A self-hosted runner registered on the repository, its organisation or enterprise."""

    id: int
    name: str
    os: str
    status: str
    busy: bool
    labels: tuple[LabelSpec, ...]
    level: str = "repository"
    ephemeral: bool = False
    autoscaled: bool = False  # registered only while it runs a job, like a scaled-to-zero fleet
    version: str | None = None
    group_id: int = 1
    group: str = "Default"


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """A declared ``workflow_dispatch`` input."""

    name: str
    type: InputType = "string"
    required: bool = False
    default: str | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FileSpec:
    """One file in an artifact: a fixture file, inline text, or a tar.gz of further files."""

    path: str
    source: str | None = None  # relative to the fixtures folder
    text: str | None = None
    members: tuple[FileSpec, ...] | None = None  # set for a nested .tar.gz


@dataclass(frozen=True, kw_only=True)
class ArtifactSpec:
    """An artifact a run uploads."""

    name: str
    files: tuple[FileSpec, ...]
    job: str | None = None  # appears when this job completes; None: when the run completes
    retention_days: int = 90
    expired: bool = False  # expired (or deleted) as soon as it appears
    digest: bool = True  # the API gives its sha256 (False: GHES, uploads before v4)
    upload_log: bool = True  # its job's log has upload-artifact v4's lines (id, digest, URL)
    step: str | None = None  # the step of ``job`` that uploads it (whose log has the lines)
    claims: tuple[tuple[str, str], ...] = ()  # (job, step) of other logs printing its lines


@dataclass(frozen=True, kw_only=True)
class StepSpec:
    """A step of a job."""

    name: str
    seconds: float
    conclusion: str = "success"


@dataclass(frozen=True, kw_only=True)
class RunnerRef:
    """Who runs a job: a scenario runner, or a GitHub-hosted one."""

    id: int
    name: str
    group_id: int
    group: str


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """A job of a run, with its place on the run's timeline (seconds after the queue ends)."""

    name: str
    labels: tuple[str, ...]
    runner: RunnerRef | None
    start: float
    steps: tuple[StepSpec, ...]
    conclusion: str
    log: str | None = None  # fixture file whose text appears in the job log
    log_step: str | None = None  # the step whose output that text is
    runner_context: tuple[str, str] | None = None  # (runner.arch, uname -m) the job prints
    image: str | None = None  # a GitHub-hosted runner's image (default: from the labels)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True, kw_only=True)
class PlanSpec:
    """What one run does: how long it queues and runs, its jobs, its artifacts."""

    queue_seconds: float | None  # None: it never leaves the queue
    run_seconds: float
    conclusion: str
    jobs: tuple[JobSpec, ...]
    artifacts: tuple[ArtifactSpec, ...] = ()
    listed_after_seconds: float = 0.0  # how long a new run stays out of the run lists


@dataclass(frozen=True, kw_only=True)
class WorkflowSpec:
    """A workflow of the repository and what dispatching it produces."""

    id: int
    name: str
    path: str
    state: str
    branches: tuple[str, ...]  # branches whose tree has this file
    dispatch: bool  # has an ``on: workflow_dispatch`` trigger
    inputs: tuple[InputSpec, ...] = ()
    on_dispatch: PlanSpec | None = None
    created_at: str = "2025-12-20T10:00:00Z"
    source: str | None = None  # the workflow file's text, relative to the fixtures folder

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class AttemptSpec:
    """A re-run of a run: when it was asked for, and what it did.

    ``rerun="failed"`` ("Re-run failed jobs"): the plan holds the jobs that ran again; the
    others keep their result and attempt number from the attempt before.
    """

    created: float
    plan: PlanSpec
    rerun: Literal["all", "failed"] = "failed"


@dataclass(frozen=True, kw_only=True)
class RunSpec:
    """A run that exists before the emulator starts."""

    id: int
    workflow_id: int
    run_number: int
    event: str
    branch: str
    head_sha: str
    created: float
    plan: PlanSpec
    attempts: tuple[AttemptSpec, ...] = ()  # attempts 2, 3 ... (re-runs), oldest first


@dataclass(frozen=True, kw_only=True)
class CliHints:
    """How the tool should validate this scenario (what ``demo`` passes on its command line)."""

    workflow: str
    ref: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    expected_tests: int | None = None
    min_tests: int | None = None
    run_id: int | None = None  # attach to this existing run instead of dispatching
    autoscaling: bool = False  # runners come and go: who picked the jobs up decides
    use_latest_run: bool = False  # judge the newest completed run instead of dispatching
    repository: str | None = None  # the OWNER/NAME to validate, when not the served one
    labels: tuple[str, ...] | None = None  # --labels (None: the default)
    enterprise: str | None = None  # --enterprise


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A loaded, checked scenario."""

    name: str
    description: str
    repository: RepositorySpec
    runners: tuple[RunnerSpec, ...]
    workflows: tuple[WorkflowSpec, ...]
    runs: tuple[RunSpec, ...]
    cli: CliHints
    fixtures_dir: Path
    legacy_ghes: bool = False
    runner_groups: tuple[RunnerGroupSpec, ...] = ()
    enterprise: str | None = None  # the enterprise slug its API serves
    forbidden: tuple[str, ...] = ()  # runner levels the token may not read (403)
