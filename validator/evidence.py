"""What the phases observed: immutable records, and their JSON form.

Phases build these; checks read them; renderers show them. Nothing here does I/O.
A field that is ``None`` was not observed, which is different from zero or empty.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA = "validate-arm64/evidence/1"

FileKind = Literal["elf", "not-elf", "error"]
ResultFormat = Literal[
    "junit", "libtest", "libtest-json", "nextest", "go-test-json", "go-test", "tap", "unknown"
]
# "failed": GitHub answered definitively and the answer is bad (e.g. dispatch refused);
# "error": the evidence could not be gathered (network, API fault, timeout).
PhaseState = Literal["ok", "failed", "error", "not-run"]


def to_json(value: Any) -> Any:
    """Turn evidence (dataclasses, tuples, mappings) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):  # packed test-name digests
        return base64.b64encode(value).decode("ascii")
    return value


# --- binaries -------------------------------------------------------------------------------

# The header the built-in emulator answers every request with: evidence gathered from a server
# that sends it records the scenario, and the release gate refuses it.
EMULATOR_HEADER = "X-Validate-Arm64-Emulator"


@dataclass(frozen=True, kw_only=True)
class Origin:
    """Where a file came from: the artifact it was extracted from, and the job behind it.

    ``job_id`` is the job that uploaded the artifact (or whose log the file is); ``None`` when
    that job could not be identified. A file without any ``Origin`` was not traced at all.
    """

    artifact_id: int | None = None
    artifact: str | None = None  # the artifact's name
    job_id: int | None = None
    job: str | None = None  # the job's name


@dataclass(frozen=True, kw_only=True)
class BinaryInfo:
    """One file looked at by the binaries phase (a file on disk or an archive member)."""

    path: str  # "dir/app.tar.gz!bin/tool" for a member; nested archives repeat "!"
    kind: FileKind
    aarch64: bool
    elf_class: int | None = None  # 32 or 64
    endian: Literal["little", "big"] | None = None
    machine: str | None = None  # "EM_AARCH64"
    type: str | None = None  # "ET_EXEC", "ET_DYN", "ET_REL", ...
    interpreter: str | None = None
    size: int | None = None
    reason: str | None = None  # why it is not aarch64, or why it could not be read
    origin: Origin | None = None
    debug_only: bool = False  # an executable's headers without its code (a .debug file)

    @property
    def is_program(self) -> bool:
        """An executable or shared object with its code: what proves a build (ELF001).

        Relocatable objects, core dumps and debug-info files are ELF, but not programs.
        """
        return self.kind == "elf" and self.type in ("ET_EXEC", "ET_DYN") and not self.debug_only

    def contract_json(self) -> dict[str, Any]:
        """The ``inspect-binaries --json`` form of this file (see DESIGN.md)."""
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "aarch64": self.aarch64}
        if self.kind == "elf":
            out |= {
                "class": self.elf_class,
                "endian": self.endian,
                "machine": self.machine,
                "type": self.type,
                "interpreter": self.interpreter,
            }
        out["reason"] = self.reason
        return out


@dataclass(frozen=True, kw_only=True)
class NotInspected:
    """An input, or part of one, whose contents could not be looked at, and why."""

    path: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    """A docker-save or OCI image archive found among the inputs."""

    path: str
    os: str | None
    architecture: str | None
    variant: str | None = None
    reason: str | None = None  # set when the image config could not be read

    @property
    def is_linux_arm64(self) -> bool:
        return self.os == "linux" and self.architecture == "arm64"


@dataclass(frozen=True, kw_only=True)
class BinaryScan:
    """Everything the binaries phase found under its inputs."""

    files: tuple[BinaryInfo, ...] = ()
    images: tuple[ImageInfo, ...] = ()
    problems: tuple[str, ...] = ()  # inputs that could not be walked (limits, unreadable)
    # archives or compressions that cannot be opened: their files are unknown, not absent
    not_inspected: tuple[NotInspected, ...] = ()

    @property
    def elves(self) -> tuple[BinaryInfo, ...]:
        return tuple(f for f in self.files if f.kind == "elf")

    @property
    def elf_count(self) -> int:
        return len(self.elves)

    @property
    def aarch64_count(self) -> int:
        return sum(1 for f in self.files if f.aarch64)

    @property
    def programs(self) -> tuple[BinaryInfo, ...]:
        """The executables and shared objects: the ELF files that prove a build."""
        return tuple(f for f in self.files if f.is_program)

    @property
    def program_count(self) -> int:
        return len(self.programs)

    @property
    def ok(self) -> bool:
        """At least one executable or shared object, every ELF aarch64, and nothing that
        could not be read, walked or inspected."""
        damaged = any(f.kind == "error" for f in self.files)
        return (
            self.program_count > 0
            and self.aarch64_count == self.elf_count
            and not damaged
            and not self.problems
            and not self.not_inspected
        )

    def contract_json(self) -> dict[str, Any]:
        """The ``inspect-binaries --json`` document (see DESIGN.md)."""
        return {
            "schema": "validate-arm64/binaries/1",
            "ok": self.ok,
            "elf_count": self.elf_count,
            "aarch64_count": self.aarch64_count,
            "files": [f.contract_json() for f in self.files],
            "images": [to_json(i) for i in self.images],
            "problems": list(self.problems),
            "program_count": self.program_count,
            "debug_only": [f.path for f in self.files if f.debug_only],
            "not_inspected": [to_json(n) for n in self.not_inspected],
        }


# --- test results ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TestCounts:
    """Counts of distinct tests; ``passed`` includes ``flaky``.

    ``tests`` is every distinct test reported, skipped ones included; :attr:`ran` leaves the
    skipped out. ``not_run`` counts tests a runner announced but never started (a fail-fast
    stop): they are in no other figure.
    """

    __test__ = False  # not a pytest class

    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    not_run: int = 0

    @property
    def ran(self) -> int:
        """Tests that ran: passed (flaky included), failed and errored; skipped ones did not."""
        return self.passed + self.failed + self.errors

    def __add__(self, other: TestCounts) -> TestCounts:
        return TestCounts(
            tests=self.tests + other.tests,
            passed=self.passed + other.passed,
            failed=self.failed + other.failed,
            errors=self.errors + other.errors,
            skipped=self.skipped + other.skipped,
            flaky=self.flaky + other.flaky,
            not_run=self.not_run + other.not_run,
        )

    def contract_json(self) -> dict[str, int]:
        """The counts as ``count-tests --json`` gives them (``ran`` included)."""
        return {**to_json(self), "ran": self.ran}


@dataclass(frozen=True, kw_only=True)
class FailedTest:
    """A test that failed or errored, with the first line of its message."""

    __test__ = False

    name: str  # "suite::name"
    outcome: Literal["failed", "error"]
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class SuiteCounts:
    """Counts for one suite (JUnit testsuite, or one libtest test binary)."""

    name: str
    counts: TestCounts


@dataclass(frozen=True, kw_only=True)
class ResultFile:
    """One test-result input, with the format it was read as (``unknown``: unreadable)."""

    path: str
    format: ResultFormat
    counts: TestCounts = TestCounts()
    suites: tuple[SuiteCounts, ...] = ()
    failures: tuple[FailedTest, ...] = ()
    # Sorted distinct "suite::name", up to testnames.NAMES_KEPT; name_digests holds a digest of
    # every one (testnames.pack_digests): together they drive the drift check between runs.
    test_names: tuple[str, ...] = ()
    name_digests: bytes = b""  # base64 text in JSON
    skip_reasons: tuple[str, ...] = ()  # a few distinct reasons given for skipping, counted
    error: str | None = None
    warnings: tuple[str, ...] = ()
    origin: Origin | None = None

    def contract_json(self) -> dict[str, Any]:
        """One entry of ``count-tests --json`` ``files`` (see DESIGN.md)."""
        return {
            "path": self.path,
            "format": self.format,
            **self.counts.contract_json(),
            "error": self.error,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, kw_only=True)
class TestScan:
    """All test-result files found, and their total."""

    __test__ = False

    files: tuple[ResultFile, ...] = ()

    @property
    def total(self) -> TestCounts:
        total = TestCounts()
        for f in self.files:
            total += f.counts
        return total

    @property
    def unreadable(self) -> tuple[ResultFile, ...]:
        return tuple(f for f in self.files if f.error is not None)

    @property
    def ok(self) -> bool:
        """True when every file was read and no test failed or errored."""
        t = self.total
        return bool(self.files) and not self.unreadable and t.failed == 0 and t.errors == 0

    def contract_json(self) -> dict[str, Any]:
        """The ``count-tests --json`` document (see DESIGN.md)."""
        return {
            "schema": "validate-arm64/tests/1",
            "ok": self.ok,
            "total": self.total.contract_json(),
            "files": [f.contract_json() for f in self.files],
        }


# --- GitHub ---------------------------------------------------------------------------------


LabelType = Literal["read-only", "custom"]
RunnerLevel = Literal["repository", "organization", "enterprise"]


@dataclass(frozen=True, kw_only=True)
class RunnerLabel:
    """A runner label and who set it: the runner application (``read-only``) or a person."""

    name: str
    type: LabelType | None = None  # None: GitHub did not say


def typed_labels(labels: tuple[RunnerLabel | str, ...]) -> tuple[RunnerLabel, ...]:
    """Labels with their type; a bare name gets the type GitHub gives that name."""
    from validator.labels import default_label_type

    return tuple(
        label
        if isinstance(label, RunnerLabel)
        else RunnerLabel(name=label, type=default_label_type(label))  # type: ignore[arg-type]
        for label in labels
    )


@dataclass(frozen=True, kw_only=True)
class Runner:
    """A self-hosted runner this repository may use, and where it is registered."""

    id: int
    name: str
    os: str
    status: str  # "online" / "offline"
    busy: bool
    labels: tuple[RunnerLabel, ...]
    level: RunnerLevel = "repository"
    group: str | None = None  # runner group name, when known
    group_id: int | None = None
    ephemeral: bool = False
    access: str | None = None  # set when this repository may not use it: why

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", typed_labels(self.labels))

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)


@dataclass(frozen=True, kw_only=True)
class RunnerGroup:
    """A runner group of the organisation (its own, or inherited from the enterprise)."""

    id: int
    name: str
    visibility: str  # "all", "selected", "private"
    allows_public_repositories: bool
    inherited: bool = False


@dataclass(frozen=True, kw_only=True)
class RunnerSource:
    """One level where self-hosted runners are registered, and what the token saw there."""

    level: RunnerLevel
    scope: str  # OWNER/NAME, the organisation, or the enterprise slug
    visible: bool
    usable: int = 0  # runners at this level the repository may use
    error: str | None = None  # why the level could not be read
    permission: str | None = None  # the token permission that would make it readable


@dataclass(frozen=True, kw_only=True)
class WorkflowInfo:
    """The workflow under validation, as GitHub describes it."""

    id: int
    name: str
    path: str
    state: str  # "active", "disabled_manually", ...
    html_url: str = ""


@dataclass(frozen=True, kw_only=True)
class WorkflowFinding:
    """One finding of the preflight (WFL001-WFL011): the line of the workflow, and the fix."""

    id: str
    severity: Literal["blocking", "usage", "warning"]
    line: int
    message: str
    remedy: str
    job: str | None = None
    step: str | None = None
    prevents_go: bool = False


@dataclass(frozen=True, kw_only=True)
class Preflight:
    """The workflow file as read at the ref before dispatch, and what its analysis found."""

    path: str  # .github/workflows/NAME.yml
    ref: str
    arm64_jobs: tuple[str, ...] = ()  # names of the jobs meant for ARM64 (RUN003 judges them)
    can_tell: bool = True  # False: where some job runs is known only at run time
    findings: tuple[WorkflowFinding, ...] = ()

    def of(self, finding_id: str) -> tuple[WorkflowFinding, ...]:
        return tuple(f for f in self.findings if f.id == finding_id)


@dataclass(frozen=True, kw_only=True)
class Health:
    """What the health phase saw: runners (``None`` if they could not be listed) and workflow."""

    runners: tuple[Runner, ...] | None = None  # usable by the repository, every level read
    runners_error: str | None = None  # e.g. the token may not list runners
    sources: tuple[RunnerSource, ...] = ()  # each level looked at (repository first)
    excluded: tuple[Runner, ...] = ()  # seen, but their group does not admit the repository
    workflow: WorkflowInfo | None = None
    workflow_error: str | None = None
    default_branch: str | None = None

    @property
    def invisible(self) -> tuple[RunnerSource, ...]:
        """The levels whose runners the token could not read."""
        return tuple(s for s in self.sources if not s.visible)

    @property
    def complete(self) -> bool:
        """Whether every level where a usable runner could be registered was read."""
        return self.runners is not None and not self.invisible


@dataclass(frozen=True, kw_only=True)
class RunnerContext:
    """What a job's own log says about the machine that ran it."""

    arch: str | None = None  # runner.arch, from the documented runner-context line
    machine: str | None = None  # uname -m, from the same line
    image: str | None = None  # a GitHub-hosted runner's image, from the log's "Runner Image"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of a job."""

    number: int
    name: str
    status: str
    conclusion: str | None
    started_at: str | None = None
    completed_at: str | None = None
    seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class Job:
    """One job of the run, and who ran it."""

    id: int
    name: str
    status: str
    conclusion: str | None
    labels: tuple[str, ...]  # what runs-on asked for
    runner_name: str | None
    runner_labels: tuple[RunnerLabel, ...] | None  # of the runner that ran it, when known
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    queued_seconds: float | None = None
    seconds: float | None = None
    html_url: str = ""
    steps: tuple[Step, ...] = ()
    log_excerpt: str | None = None  # the tail of a failed job's log
    log_path: str | None = None  # where its full log was saved, if fetched
    attempt: int | None = None  # the run attempt it ran in (a job not re-run keeps its own)
    runner_group: str | None = None  # the runner group GitHub names for the job
    runner_id: int | None = None  # GitHub's id of the runner that ran it: names repeat
    hosted: bool = False  # ran on a GitHub-hosted runner
    runner_context: RunnerContext | None = None  # from its log; None: the log was not read

    def __post_init__(self) -> None:
        if self.runner_labels is not None:
            object.__setattr__(self, "runner_labels", typed_labels(self.runner_labels))

    @property
    def runner_label_names(self) -> tuple[str, ...] | None:
        return None if self.runner_labels is None else tuple(x.name for x in self.runner_labels)


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """An earlier attempt of the run (a re-run replaced it): how it ended, which jobs failed."""

    number: int
    status: str
    conclusion: str | None
    run_started_at: str | None = None
    updated_at: str | None = None
    html_url: str = ""
    failed_jobs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Run:
    """The workflow run whose outcome is the evidence."""

    id: int
    attempt: int
    html_url: str
    status: str
    conclusion: str | None
    event: str
    head_branch: str | None
    head_sha: str | None
    created_at: str | None
    run_started_at: str | None
    updated_at: str | None
    dispatched: bool  # True if this tool dispatched it, False if attached with --run-id
    queued_seconds: float | None = None  # of this attempt, from its start
    run_seconds: float | None = None
    jobs: tuple[Job, ...] = ()
    wait_error: str | None = None  # set when waiting stopped before completion
    workflow_id: int | None = None  # the run's own workflow, as GitHub gives it
    workflow_path: str | None = None  # ".github/workflows/build-push-arm64.yml"
    repository: str | None = None  # the run's own OWNER/NAME
    previous_attempts: tuple[Attempt, ...] = ()  # oldest first; a re-run's earlier attempts
    ref_head_sha: str | None = None  # the ref's head when a latest run was chosen; None: not read
    newer_runs: tuple[int, ...] = ()  # runs on that head still queued or in progress


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One artifact of the run and what became of it."""

    id: int
    name: str
    size_in_bytes: int
    expired: bool
    digest: str | None  # "sha256:<hex>" when GitHub gives one
    digest_verified: bool | None = None  # None: no digest to check against
    verified_against: tuple[str, ...] = ()  # "api", "upload log": the digests the bytes matched
    run_id: int | None = None  # the API's workflow_run.id
    upload_digest: str | None = None  # "sha256:<hex>" printed by upload-artifact in the job log
    job_id: int | None = None  # the job whose log says it uploaded this artifact
    job_name: str | None = None
    unattributed: str | None = None  # why no uploading job could be named
    downloaded_bytes: int | None = None
    extracted_to: str | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Artifacts:
    """The artifacts phase: what was listed, and where it was extracted."""

    items: tuple[Artifact, ...] = ()
    directory: str | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Cost:
    """What gathering the evidence cost."""

    requests: int | None = None
    rate_limit_points: int | None = None
    rate_limit_remaining: int | None = None
    bytes_downloaded: int | None = None
    phase_seconds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PhaseRecord:
    """Whether a phase ran, and if it failed, why (one line, no secrets)."""

    name: str
    state: PhaseState
    error: str | None = None
    seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The options the evidence was gathered under (echoed in the report's provenance)."""

    repository: str | None = None
    workflow: str | None = None
    ref: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    labels: tuple[str, ...] = ("self-hosted", "linux", "ARM64")
    expected_tests: int | None = None
    min_tests: int | None = None
    arm64_jobs: tuple[str, ...] = ()  # job-name patterns that must run on ARM64
    run_source: Literal["dispatch", "run-id", "latest"] = "dispatch"
    allow_other_run: bool = False  # a run of another branch or event may be judged
    run_budget_seconds: float | None = None
    queue_timeout_seconds: float | None = None
    run_timeout_seconds: float | None = None
    autoscaling: bool = False
    enterprise: str | None = None  # enterprise whose runners were read too
    api_url: str | None = None
    artifacts_dir: str | None = None
    emulator_scenario: str | None = None  # evidence from the built-in emulator, not GitHub
    fail_on_test_drop: bool = False
    allow_unattributed: bool = False  # evidence of unknown origin counts (--allow-unattributed)


@dataclass(frozen=True, kw_only=True)
class Previous:
    """The last different validation recorded in the history, to compare against."""

    generated_at: str
    verdict: str
    run_id: int | None
    tests: int | None
    test_names: tuple[str, ...] = ()
    name_digests: str = ""  # every name's digest (testnames.pack_digests), when recorded


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """Everything observed in one validation, the single input of checks and renderers."""

    settings: Settings
    phases: tuple[PhaseRecord, ...] = ()
    health: Health | None = None
    preflight: Preflight | None = None
    run: Run | None = None
    artifacts: Artifacts | None = None
    binaries: BinaryScan | None = None
    tests: TestScan | None = None
    tests_source: str | None = None  # "artifacts", "job log: <job name>", "files"
    cost: Cost = Cost()
    generated_at: str = ""  # ISO 8601 UTC
    tool_version: str = ""
    previous: Previous | None = None

    def phase(self, name: str) -> PhaseRecord | None:
        return next((p for p in self.phases if p.name == name), None)
