"""Durations as people write and read them: ``30m``, ``1h30m``, ``12m34s``."""

from __future__ import annotations

import re

from validator.errors import UsageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(seconds: float) -> str:
    """``754.2`` → ``12m34s``; ``3723`` → ``1h02m03s``; ``9`` → ``9s``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def parse_duration(text: str, *, option: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h30m"``, ``"26h"``, ``"2d"`` → seconds. A number needs a unit:
    ``15`` could mean seconds or minutes, so it is refused rather than guessed."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        raise UsageError(f"{option} {text!r}: add a unit, e.g. {value}s or {value}m.")
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise UsageError(f"{option} {text!r}: not a duration. Use e.g. 90s, 30m, 1h30m or 26h.")
    seconds = sum(float(n) * _SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError(f"{option} {text!r}: must be more than zero.")
    return seconds


_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)i?b(?:/s)?")
_RATE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_rate(text: str, *, option: str) -> float:
    """``"16KB/s"``, ``"1MB/s"``, ``"0B/s"`` (no floor) → bytes per second (binary units)."""
    match = _RATE.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(
            f"{option} {text!r}: not a rate. Use e.g. 16KB/s, 1MB/s, or 0B/s for none."
        )
    return float(match.group(1)) * _RATE_UNITS[match.group(2)]
