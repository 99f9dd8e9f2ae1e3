"""How figures are written for people."""

from __future__ import annotations


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
