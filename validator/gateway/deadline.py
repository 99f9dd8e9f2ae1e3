"""Deadlines that hold while a socket read blocks: a host that answers one byte a second is
given up on, where a per-read timeout would wait for ever.

Python runs signal handlers in the main thread between two bytecodes, even while a ``recv``
blocks (PEP 475 retries the call unless the handler raises). ``SIGALRM`` with a handler that
raises therefore ends any blocking network call at the deadline. Off the main thread (where
signals cannot be used) the calls keep only their per-read timeout.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType


class DeadlineExceeded(Exception):
    """The call did not finish (or did not keep pace) in time; ``str`` says how."""


def _usable() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextlib.contextmanager
def _alarm(seconds: float, on_alarm: Callable[[], float | None]) -> Iterator[None]:
    """Call ``on_alarm`` every time ``seconds`` pass (it raises, or returns the next interval).

    An enclosing alarm that would ring sooner is left in charge; one that would ring later is
    put back, less the time spent here, when this block ends.
    """
    outer_left, _interval = signal.getitimer(signal.ITIMER_REAL)
    if not _usable() or (outer_left and outer_left <= seconds):
        yield
        return
    started = time.monotonic()
    outer_handler = signal.getsignal(signal.SIGALRM)

    def ring(_signum: int, _frame: FrameType | None) -> None:
        interval = on_alarm()
        if interval is not None:
            signal.setitimer(signal.ITIMER_REAL, interval)

    signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            spent = time.monotonic() - started
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer_left - spent))


def deadline(seconds: float, what: str) -> contextlib.AbstractContextManager[None]:
    """Raise DeadlineExceeded when the block has not ended ``seconds`` from now."""

    def expire() -> float | None:
        raise DeadlineExceeded(f"no complete answer from {what} within {seconds:g} s")

    return _alarm(seconds, expire)


def pace(
    window: float, floor: float, received: Callable[[], int], what: str
) -> contextlib.AbstractContextManager[None]:
    """Raise DeadlineExceeded when any ``window`` seconds bring fewer than ``floor`` bytes/s."""
    if floor <= 0:
        return contextlib.nullcontext()
    last = [received()]

    def check() -> float | None:
        now = received()
        rate = (now - last[0]) / window
        if rate < floor:
            raise DeadlineExceeded(
                f"{what} slowed to {rate / 1024:,.1f} KiB/s over {window:g} s, below the floor "
                f"of {floor / 1024:,.0f} KiB/s (--min-download-rate)"
            )
        last[0] = now
        return window

    return _alarm(window, check)
