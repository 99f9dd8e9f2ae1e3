"""Virtual time for the emulator: runs move through their states only when the clock moves."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

START = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC).timestamp()


class VirtualClock:
    """A clock that starts at 2026-01-02T03:00:00Z and never moves by itself."""

    def __init__(self, start: float = START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current virtual time, in epoch seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (negative values are refused)."""
        if seconds < 0:
            raise ValueError(f"VirtualClock cannot go back in time ({seconds} s)")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Same as :meth:`advance`, so a tool's injected ``sleep`` drives time."""
        self.advance(max(0.0, seconds))


def iso(epoch: float) -> str:
    """GitHub's timestamp form, ``2026-01-02T03:04:05Z``."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(epoch: float, offset: int) -> str:
    """The same instant in a local time ``offset`` seconds east of UTC, as some of GitHub's
    timestamps are (``2026-01-02T04:04:05.000+01:00``)."""
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(int(epoch), tz=zone).isoformat(timespec="milliseconds")


def log_stamp(epoch: float) -> str:
    """The timestamp that prefixes every line of a job log, ``2026-01-02T03:04:05.1234567Z``."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    ticks = round((epoch - int(epoch)) * 10_000_000) % 10_000_000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ticks:07d}Z"


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 date or date-time (``Z`` or offset; naive means UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
