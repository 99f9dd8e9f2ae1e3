"""Ctrl-C and SIGTERM while the CLI waits for a run and while it downloads: exit 130, nothing
partial left, the previous report intact, the run cancelled only with --cancel-on-abort.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_faults import (
    POLL,
    REPORT,
    SENTINEL,
    Outcome,
    assert_kept,
    assert_no_leak,
    emulator,
    extracted,
    go_report,
    partial_files,
    previous,
    root,
    scenario_with,
    statuses,
)

from validator.emulator import Emulator, Fault

__all__ = ["go_report", "previous", "root"]  # fixtures shared with test_faults

SIGNALS = [signal.SIGINT, signal.SIGTERM]
CANCEL = r"/actions/runs/\d+/cancel$"
BINARY_BLOB = r"^/artifacts/\d+/embeddenator-linux-aarch64\.zip$"


def interrupt(
    emu: Emulator,
    root: Path,
    sig: signal.Signals,
    *,
    when: Callable[[], bool],
    args: tuple[str, ...] = (),
) -> Outcome:
    """Start a validation, send ``sig`` once ``when()`` holds, and wait for the CLI to end."""
    root.mkdir(parents=True, exist_ok=True)
    script = Path(sys.executable).with_name("validate-arm64")
    command = [
        str(script),
        "--all-phases",
        "--repo",
        emu.repository,
        "--api-url",
        emu.base_url,
        "--expected-tests",
        "24",
        "--report",
        str(root / REPORT),
        "--poll-interval",
        POLL,
        "--queue-timeout",
        "5m",
        "--retry-budget",
        "30s",
        *args,
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=root,
        env={**os.environ, "GITHUB_TOKEN": SENTINEL},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not when():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the CLI never reached the moment to interrupt"
            time.sleep(0.02)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    return Outcome(done=done, root=root, seconds=time.monotonic() - started)


def assert_interrupted(outcome: Outcome, previous: dict[str, bytes]) -> None:
    """Exit 130, said on stderr, nothing partial, the previous report intact, no token."""
    assert outcome.code == 130, outcome
    assert outcome.done.stderr.splitlines()[-1] == "validate-arm64: interrupted", outcome
    assert "Traceback" not in outcome.output
    assert outcome.verdict is None
    assert partial_files(outcome.root) == []
    assert_kept(outcome.root, previous)
    assert_no_leak(outcome)


def queued_forever() -> Any:
    return scenario_with(lambda plan: dataclasses.replace(plan, queue_seconds=None))


def polled(emu: Emulator, times: int) -> Callable[[], bool]:
    """True once the CLI has read the dispatched run ``times`` times: it is waiting."""
    return lambda: len(statuses(emu, r"/actions/runs/\d+$")) >= times


@pytest.mark.parametrize("cancel_on_abort", [False, True], ids=["left-running", "cancelled"])
@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_while_waiting_for_the_run(
    root: Path, previous: dict[str, bytes], sig: signal.Signals, cancel_on_abort: bool
) -> None:
    with emulator(queued_forever()) as emu:
        args = ("--cancel-on-abort",) if cancel_on_abort else ()
        outcome = interrupt(emu, root, sig, when=polled(emu, 2), args=args)
        cancels = statuses(emu, CANCEL, method="POST")
        run = emu.world.runs()[0]
    assert_interrupted(outcome, previous)
    if cancel_on_abort:
        assert cancels == [202]
        assert f"cancelled run {run.id}" in outcome.done.stderr
    else:
        assert cancels == []
        assert (
            f"run {run.id} is still running on GitHub; --run-id {run.id} resumes waiting for it."
            in outcome.done.stderr
        )
    assert re.search(rf"run {run.id} of \S+: queued", outcome.done.stderr)


def test_cancel_refused_with_409_still_exits_130(root: Path, previous: dict[str, bytes]) -> None:
    with emulator(queued_forever()) as emu:
        emu.inject(
            Fault(
                path=CANCEL,
                method="POST",
                status=409,
                message="Cannot cancel a workflow run that is completed.",
            )
        )
        outcome = interrupt(
            emu, root, signal.SIGINT, when=polled(emu, 2), args=("--cancel-on-abort",)
        )
        cancels = statuses(emu, CANCEL, method="POST")
    assert_interrupted(outcome, previous)
    assert cancels == [409]  # asked once, not retried
    assert re.search(r"run \d+ had already finished", outcome.done.stderr)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_while_downloading_leaves_no_artifact_behind(
    root: Path, previous: dict[str, bytes], sig: signal.Signals
) -> None:
    with emulator() as emu:
        # The second artifact's download never answers: the CLI is inside it when signalled.
        emu.inject(Fault(origin="blob", path=BINARY_BLOB, kind="hang"))
        outcome = interrupt(
            emu,
            root,
            sig,
            when=lambda: statuses(emu, BINARY_BLOB, origin="blob") == [0],
            args=("--cancel-on-abort",),
        )
        cancels = statuses(emu, CANCEL, method="POST")
    assert_interrupted(outcome, previous)
    assert "downloading artifact 'embeddenator-linux-aarch64'" in outcome.done.stderr
    assert "artifact 'test-results': 1 file extracted" in outcome.done.stderr
    assert extracted(root) == []  # the artifact extracted before the signal is removed too
    assert cancels == []  # the run had completed: nothing to cancel
