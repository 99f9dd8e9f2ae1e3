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
    def ok(self) -> bool:
        """At least one ELF, every ELF aarch64, and nothing that could not be read or walked."""
        damaged = any(f.kind == "error" for f in self.files)
        return (
            self.elf_count > 0
            and self.aarch64_count == self.elf_count
            and not damaged
            and not self.problems
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


@dataclass(frozen=True, kw_only=True)
class Runner:
    """A self-hosted runner registered on the repository."""

    id: int
    name: str
    os: str
    status: str  # "online" / "offline"
    busy: bool
    labels: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class WorkflowInfo:
    """The workflow under validation, as GitHub describes it."""

    id: int
    name: str
    path: str
    state: str  # "active", "disabled_manually", ...
    html_url: str = ""


@dataclass(frozen=True, kw_only=True)
class Health:
    """What the health phase saw: runners (``None`` if they could not be listed) and workflow."""

    runners: tuple[Runner, ...] | None = None
    runners_error: str | None = None  # e.g. the token may not list runners
    workflow: WorkflowInfo | None = None
    workflow_error: str | None = None
    default_branch: str | None = None


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
    runner_labels: tuple[str, ...] | None  # labels of the runner that ran it, when known
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    queued_seconds: float | None = None
    seconds: float | None = None
    html_url: str = ""
    steps: tuple[Step, ...] = ()
    log_excerpt: str | None = None  # the tail of a failed job's log
    log_path: str | None = None  # where its full log was saved, if fetched


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
    queued_seconds: float | None = None
    run_seconds: float | None = None
    jobs: tuple[Job, ...] = ()
    wait_error: str | None = None  # set when waiting stopped before completion


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One artifact of the run and what became of it."""

    id: int
    name: str
    size_in_bytes: int
    expired: bool
    digest: str | None  # "sha256:<hex>" when GitHub gives one
    digest_verified: bool | None = None  # None: no digest to check against
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
    run_budget_seconds: float | None = None
    queue_timeout_seconds: float | None = None
    run_timeout_seconds: float | None = None
    autoscaling: bool = False
    api_url: str | None = None
    artifacts_dir: str | None = None
    emulator_scenario: str | None = None  # evidence from the built-in emulator, not GitHub
    fail_on_test_drop: bool = False


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
