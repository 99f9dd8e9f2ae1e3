"""What a validation cost GitHub: requests, rate-limit points, bytes downloaded."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from validator.evidence import Cost


class Meter:
    """Counts what the transport sends and receives; 304s spend no rate-limit point."""

    def __init__(self) -> None:
        self.requests = 0
        self.points = 0
        self.remaining: int | None = None
        self.bytes = 0

    def unanswered(self) -> None:
        """A request that got no (complete) answer: sent, but no point known to be spent."""
        self.requests += 1

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        """An answer; ``headers`` with lower-case names."""
        self.requests += 1
        if status != 304:
            self.points += 1
        with contextlib.suppress(ValueError):
            self.remaining = int(float(headers.get("x-ratelimit-remaining", "")))

    def cost(self, *, phase_seconds: Mapping[str, float] | None = None) -> Cost:
        """The totals, as the evidence records them."""
        return Cost(
            requests=self.requests,
            rate_limit_points=self.points,
            rate_limit_remaining=self.remaining,
            bytes_downloaded=self.bytes,
            phase_seconds=dict(phase_seconds or {}),
        )
