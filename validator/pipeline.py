"""Runs the selected phases in order and assembles the evidence. Phases gather; checks judge."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator import __version__
from validator.config import Config
from validator.errors import AuthError, GatherError, GitHubError, UsageError
from validator.evidence import (
    Artifacts,
    BinaryScan,
    Cost,
    Evidence,
    Health,
    Job,
    PhaseRecord,
    PhaseState,
    Run,
    Settings,
    TestScan,
)
from validator.labels import has_labels

if TYPE_CHECKING:
    from validator.emulator import VirtualClock
    from validator.gateway import Gateway

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """What the pipeline needs from the outside world, injectable for tests and the demo."""

    progress: Callable[[str], None] = lambda _message: None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], dt.datetime] = _utcnow
    gateway_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def virtual(
        cls, clock: VirtualClock, progress: Callable[[str], None] = lambda _message: None
    ) -> Hooks:
        """Waiting on an emulator's clock: every sleep moves it, and rate limits follow it."""
        return cls(
            progress=progress,
            clock=clock.now,
            sleep=clock.sleep,
            gateway_options={"wall_clock": clock.now},
        )


@dataclass
class _Gathered:
    """Mutable scratch space while phases run; frozen into Evidence at the end."""

    records: list[PhaseRecord] = field(default_factory=list)
    health: Health | None = None
    run: Run | None = None
    artifacts: Artifacts | None = None
    binaries: BinaryScan | None = None
    tests: TestScan | None = None
    tests_source: str | None = None
    artifacts_dir: Path | None = None
    ref: str | None = None
    phase_seconds: dict[str, float] = field(default_factory=dict)


def settings_of(config: Config, *, ref: str | None = None) -> Settings:
    """The options the evidence is gathered under, as recorded in the evidence."""
    return Settings(
        repository=config.repository,
        workflow=config.workflow,
        ref=ref or config.ref,
        inputs=dict(config.inputs),
        labels=config.labels,
        expected_tests=config.expected_tests,
        min_tests=config.min_tests,
        arm64_jobs=config.arm64_jobs,
        run_source="run-id"
        if config.run_id is not None
        else ("latest" if config.use_latest_run else "dispatch"),
        run_budget_seconds=config.run_budget,
        queue_timeout_seconds=config.queue_timeout,
        run_timeout_seconds=config.run_timeout,
        autoscaling=config.autoscaling,
        api_url=config.api_url if config.needs_github else None,
        artifacts_dir=str(config.artifacts_dir) if config.artifacts_dir else None,
        emulator_scenario=config.emulator_scenario,
        fail_on_test_drop=config.fail_on_test_drop,
    )


def make_gateway(config: Config, hooks: Hooks) -> Gateway:
    from validator.gateway import Gateway

    assert config.repository is not None
    return Gateway(
        repository=config.repository,
        token=config.token,
        api_url=config.api_url,
        sleep=hooks.sleep,
        clock=hooks.clock,
        retry_budget=config.retry_budget,
        **hooks.gateway_options,
    )


def _fresh_dir(path: Path, *, ours: bool) -> Path:
    """An empty folder at ``path``; only a folder inside our work dir may be emptied."""
    if path.exists():
        if ours:
            shutil.rmtree(path)
        elif any(path.iterdir()):
            raise UsageError(
                f"--artifacts-dir {path}: not empty. Downloaded artifacts must not mix with "
                "other files: give an empty or new folder."
            )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _health(gw: Gateway, config: Config, g: _Gathered) -> None:
    from validator.phases.health import check_health

    g.health = check_health(gw, workflow=config.workflow, labels=config.labels)
    g.ref = g.ref or g.health.default_branch


def _dispatch(gw: Gateway, config: Config, hooks: Hooks, g: _Gathered) -> None:
    from validator.phases.dispatch import dispatch_and_wait

    run_id = config.run_id
    if config.use_latest_run:
        run_id = gw.latest_completed_run(config.workflow, g.ref or gw.default_branch())
        if run_id is None:
            raise GitHubError(
                f"No completed run of {config.workflow} on {g.ref}: dispatch one (drop "
                "--use-latest-run) or run the workflow once by hand.",
                status=404,
            )
    g.run = dispatch_and_wait(
        gw,
        workflow=config.workflow,
        ref=g.ref or gw.default_branch(),
        inputs=dict(config.inputs),
        run_id=run_id,
        labels=config.labels,
        runners=g.health.runners if g.health else None,
        queue_timeout=config.queue_timeout,
        run_timeout=config.run_timeout,
        poll_interval=config.poll_interval,
        progress=hooks.progress,
        clock=hooks.clock,
        sleep=hooks.sleep,
        logs_dir=config.work_dir / "logs",
        cancel_on_abort=config.cancel_on_abort,
    )


def _artifacts(gw: Gateway, config: Config, hooks: Hooks, g: _Gathered) -> PhaseRecord | None:
    from validator.phases.artifacts import download_artifacts

    if g.run is None:
        return PhaseRecord(name="artifacts", state="not-run", error="no run to download from")
    if g.run.status != "completed":
        return PhaseRecord(
            name="artifacts", state="not-run", error=f"run {g.run.id} did not complete"
        )
    if config.artifacts_dir is not None:
        dest = _fresh_dir(config.artifacts_dir, ours=False)
    else:
        dest = _fresh_dir(config.work_dir / f"run-{g.run.id}" / "artifacts", ours=True)
    g.artifacts = download_artifacts(gw, g.run, dest, progress=hooks.progress)
    g.artifacts_dir = dest  # only a complete download is inspected
    return None


def _binaries(g: _Gathered) -> PhaseRecord | None:
    from validator.binaries import scan_binaries

    if g.artifacts_dir is None:
        return PhaseRecord(name="binaries", state="not-run", error="no artifacts to inspect")
    scan = scan_binaries([g.artifacts_dir])
    if _downloaded(g):
        prefix = f"{g.artifacts_dir}/"
        scan = replace(
            scan,
            files=tuple(replace(f, path=f.path.removeprefix(prefix)) for f in scan.files),
            images=tuple(replace(i, path=i.path.removeprefix(prefix)) for i in scan.images),
            problems=tuple(p.replace(prefix, "") for p in scan.problems),
        )
    g.binaries = scan
    return None


def _downloaded(g: _Gathered) -> bool:
    """True when this run downloaded the artifacts: paths are then shown inside the folder."""
    return g.artifacts is not None


def _arm64_first(jobs: tuple[Job, ...], labels: tuple[str, ...]) -> list[Job]:
    def rank(job: Job) -> int:
        return 0 if job.runner_labels is not None and has_labels(job.runner_labels, labels) else 1

    return sorted(jobs, key=rank)


def _tests(config: Config, g: _Gathered) -> PhaseRecord | None:
    from validator.results import libtest_from_log, scan_results

    if g.artifacts_dir is None and (g.run is None or g.run.status != "completed"):
        return PhaseRecord(name="tests", state="not-run", error="no artifacts and no completed run")
    scan = TestScan()
    if g.artifacts_dir is not None:
        scan = scan_results([g.artifacts_dir], explicit=False)
        if _downloaded(g):
            prefix = f"{g.artifacts_dir}/"
            scan = TestScan(
                files=tuple(replace(f, path=f.path.removeprefix(prefix)) for f in scan.files)
            )
        where = "artifacts" if config.needs_github else f"files in {g.artifacts_dir}"
        g.tests_source = where if scan.files else None
    if not scan.files and g.run is not None:
        for job in _arm64_first(g.run.jobs, config.labels):
            if not job.log_path or not Path(job.log_path).is_file():
                continue
            text = Path(job.log_path).read_text(encoding="utf-8", errors="replace")
            found = libtest_from_log(text, path=f"job log: {job.name}")
            if found is not None:
                scan = TestScan(files=(found,))
                g.tests_source = f"job log: {job.name}"
                break
    g.tests = scan
    return None


def _run_phase(
    phase: str, gw: Gateway | None, config: Config, hooks: Hooks, g: _Gathered
) -> PhaseRecord | None:
    """Run one phase; a returned record overrides the default "ok" (e.g. "not-run")."""
    if phase == "binaries":
        return _binaries(g)
    if phase == "tests":
        return _tests(config, g)
    assert gw is not None, f"the {phase} phase needs the gateway"
    if phase == "health":
        _health(gw, config, g)
        return None
    if phase == "dispatch":
        _dispatch(gw, config, hooks, g)
        return None
    return _artifacts(gw, config, hooks, g)


def _attempt(
    phase: str, gw: Gateway | None, config: Config, hooks: Hooks, g: _Gathered
) -> PhaseRecord:
    """Run a phase and record how it went: a phase that breaks is recorded, never hidden."""
    state: PhaseState = "ok"
    error: str | None = None
    try:
        if (record := _run_phase(phase, gw, config, hooks, g)) is not None:
            return record
    except (AuthError, UsageError):
        raise
    except GitHubError as exc:
        state = "failed" if exc.status in (404, 409, 410, 422) else "error"
        error = str(exc)
    except GatherError as exc:
        state, error = "error", str(exc)
    except OSError as exc:
        state, error = "error", f"{type(exc).__name__}: {exc.strerror or exc}"
    except Exception as exc:  # fail closed: a defect is recorded as an error, never GO
        log.debug("phase %s crashed", phase, exc_info=True)
        state = "error"
        error = f"internal error ({type(exc).__name__}); rerun with --verbose and report it"
    return PhaseRecord(name=phase, state=state, error=error)


def gather(config: Config, hooks: Hooks) -> Evidence:
    """Run the selected phases in pipeline order and freeze what they saw into Evidence."""
    g = _Gathered(ref=config.ref, artifacts_dir=config.artifacts_dir)
    gw = make_gateway(config, hooks) if config.needs_github else None
    broken: str | None = None
    for phase in config.phases:
        if phase == "report":
            continue
        if broken is not None:
            # After a fault nothing later can reach a verdict, and a dispatch would spend
            # runner time for a report that will not be written.
            reason = f"the {broken} phase could not gather its evidence"
            g.records.append(PhaseRecord(name=phase, state="not-run", error=reason))
            continue
        started = hooks.clock()
        hooks.progress(f"{phase}: started")
        record = _attempt(phase, gw, config, hooks, g)
        seconds = round(hooks.clock() - started, 3)
        g.phase_seconds[phase] = seconds
        g.records.append(replace(record, seconds=seconds))
        hooks.progress(f"{phase}: {record.state}" + (f" ({record.error})" if record.error else ""))
        if record.state == "error":
            broken = phase
    if "report" in config.phases:
        g.records.append(PhaseRecord(name="report", state="ok"))
    cost = Cost(phase_seconds=dict(g.phase_seconds))
    if gw is not None:
        cost = gw.cost_record(phase_seconds=dict(g.phase_seconds))
    return Evidence(
        settings=settings_of(config, ref=g.ref),
        phases=tuple(g.records),
        health=g.health,
        run=g.run,
        artifacts=g.artifacts,
        binaries=g.binaries,
        tests=g.tests,
        tests_source=g.tests_source,
        cost=cost,
        generated_at=hooks.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
    )
