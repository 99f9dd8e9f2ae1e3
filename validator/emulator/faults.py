"""Faults to inject: an error status, a rate limit, a reset connection, or no answer at all."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["status", "rate-limit-primary", "rate-limit-secondary", "reset", "hang"]
Origin = Literal["api", "blob"]


@dataclass(frozen=True, kw_only=True)
class Fault:
    """Make the next ``times`` matching requests fail in the way ``kind`` says.

    ``path`` is a regular expression searched in the request path (without the query);
    ``method`` ``None`` matches any method. ``status`` is the HTTP status for ``kind="status"``
    (and 403 or 429 for the rate-limit kinds). ``retry_after`` is the ``Retry-After`` seconds of
    a secondary rate limit (``None``: no header, as some 429s have).
    """

    path: str = ".*"
    method: str | None = None
    kind: FaultKind = "status"
    status: int | None = None
    times: int = 1
    origin: Origin = "api"
    message: str | None = None
    retry_after: int | None = 1

    def __post_init__(self) -> None:
        re.compile(self.path)  # a bad pattern fails when injected, not mid-request
        if self.times < 1:
            raise ValueError(f"Fault.times must be at least 1, not {self.times}")

    @property
    def http_status(self) -> int:
        if self.status is not None:
            return self.status
        return 500 if self.kind == "status" else 403

    def matches(self, origin: str, method: str, path: str) -> bool:
        return (
            origin == self.origin
            and (self.method is None or self.method.upper() == method)
            and re.search(self.path, path) is not None
        )


@dataclass(kw_only=True)
class _Armed:
    fault: Fault
    left: int


class FaultQueue:
    """Injected faults, each used up after ``times`` matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(_Armed(fault=fault, left=fault.times))

    def take(self, origin: str, method: str, path: str) -> Fault | None:
        """The first fault matching this request, counting one use of it."""
        with self._lock:
            for armed in self._armed:
                if armed.fault.matches(origin, method, path):
                    armed.left -= 1
                    if armed.left == 0:
                        self._armed.remove(armed)
                    return armed.fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
