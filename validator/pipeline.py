"""Runs the selected phases in registry order and freezes what they saw. Phases gather."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from validator import __version__
from validator.errors import AuthError, GatherError, GitHubError, UsageError
from validator.evidence import Cost, Evidence, PhaseRecord, PhaseState, Settings
from validator.phases import BY_NAME, Phase, blocked_by
from validator.phases.context import Context, Gathered, Hooks, NotRun, gatherer

if TYPE_CHECKING:
    from validator.config import Config
    from validator.gateway import Gateway

log = logging.getLogger(__name__)


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
        allow_other_run=config.allow_other_run,
        run_budget_seconds=config.run_budget,
        queue_timeout_seconds=config.queue_timeout,
        run_timeout_seconds=config.run_timeout,
        autoscaling=config.autoscaling,
        enterprise=config.enterprise,
        api_url=config.api_url if config.needs_github else None,
        artifacts_dir=str(config.artifacts_dir) if config.artifacts_dir else None,
        emulator_scenario=config.emulator_scenario,
        fail_on_test_drop=config.fail_on_test_drop,
        allow_unattributed=config.allow_unattributed,
    )


@contextlib.contextmanager
def opened_gateway(config: Config, hooks: Hooks) -> Iterator[Gateway | None]:
    """The gateway when a selected phase talks to GitHub, closed when the phases are done."""
    if not config.needs_github:
        yield None
        return
    from validator.gateway import Gateway

    assert config.repository is not None
    with Gateway(
        repository=config.repository,
        token=config.token,
        api_url=config.api_url,
        sleep=hooks.sleep,
        clock=hooks.clock,
        retry_budget=config.retry_budget,
        min_download_rate=config.min_download_rate,
        **hooks.gateway_options,
    ) as gateway:
        yield gateway


def _attempt(phase: Phase, context: Context, seen: Gathered) -> tuple[Gathered, PhaseRecord]:
    """Run a phase and record how it went: a phase that breaks is recorded, never hidden."""
    state: PhaseState = "ok"
    error: str | None = None
    try:
        found = gatherer(phase.name)(context, seen)
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
        log.debug("phase %s crashed", phase.name, exc_info=True)
        state = "error"
        error = f"internal error ({type(exc).__name__}); rerun with --verbose and report it"
    else:
        if isinstance(found, NotRun):
            return seen, PhaseRecord(name=phase.name, state="not-run", error=found.reason)
        return found, PhaseRecord(name=phase.name, state="ok")
    return seen, PhaseRecord(name=phase.name, state=state, error=error)


def gather(config: Config, hooks: Hooks) -> Evidence:
    """Run the selected phases in registry order and freeze what they saw into Evidence."""
    seen = Gathered(ref=config.ref, artifacts_dir=config.artifacts_dir)
    records: list[PhaseRecord] = []
    seconds: dict[str, float] = {}
    broken: dict[str, str] = {}  # phase not gathered → the phase that broke beneath it
    with opened_gateway(config, hooks) as gateway:
        context = Context(config=config, hooks=hooks, gateway=gateway)
        for phase in (BY_NAME[name] for name in config.phases):
            if not phase.gathers:
                continue
            if (cause := blocked_by(phase, broken)) is not None:
                # Nothing built on a fault can reach a verdict, and a dispatch would spend
                # runner time for a report that will not be written.
                broken[phase.name] = cause
                reason = f"the {cause} phase could not gather its evidence"
                records.append(PhaseRecord(name=phase.name, state="not-run", error=reason))
                continue
            started = hooks.clock()
            hooks.progress(f"{phase.name}: started")
            seen, record = _attempt(phase, context, seen)
            seconds[phase.name] = round(hooks.clock() - started, 3)
            records.append(replace(record, seconds=seconds[phase.name]))
            hooks.progress(
                f"{phase.name}: {record.state}" + (f" ({record.error})" if record.error else "")
            )
            if record.state == "error":
                broken[phase.name] = phase.name
        cost = Cost(phase_seconds=dict(seconds))
        settings = settings_of(config, ref=seen.ref)
        if gateway is not None:
            cost = gateway.cost_record(phase_seconds=dict(seconds))
            if gateway.emulator and not settings.emulator_scenario:
                settings = replace(settings, emulator_scenario=gateway.emulator)
    if "report" in config.phases:
        records.append(PhaseRecord(name="report", state="ok"))
    return Evidence(
        settings=settings,
        phases=tuple(records),
        health=seen.health,
        preflight=seen.preflight,
        run=seen.run,
        artifacts=seen.artifacts,
        binaries=seen.binaries,
        tests=seen.tests,
        tests_source=seen.tests_source,
        cost=cost,
        generated_at=hooks.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
    )
