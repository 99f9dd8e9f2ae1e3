"""When a GitHub call is tried again, and for how long: pure decisions and one bounded loop.

:class:`Retrier` is the only retry loop (PyGithub's own retry and throttling are off). Its
``sleep`` and ``clock`` are injected, so waiting is bounded by the retry budget and tested
without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from typing import TypeVar

from validator.errors import GitHubError, RetriesExhausted
from validator.gateway.messages import retries_exhausted
from validator.units import duration

log = logging.getLogger(__name__)

T = TypeVar("T")

_BACKOFF_CAP = 30.0
_SECONDARY_WAIT = 60.0  # GitHub's docs: without retry-after, wait at least one minute


class Transient(Exception):
    """A failure worth retrying after ``wait`` seconds (5xx, reset, timeout, rate limit)."""

    def __init__(self, problem: str, *, wait: float, status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait
        self.status = status


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, *, now: float
) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None if it is not one.

    Primary limit: 403/429 with ``x-ratelimit-remaining: 0``, wait until ``x-ratelimit-reset``.
    Secondary: ``retry-after`` when given, else at least a minute (GitHub's docs).
    """
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        with contextlib.suppress(ValueError):
            return max(0.0, float(retry_after))
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return _SECONDARY_WAIT
        return max(1.0, reset - now + 1.0)
    lowered = message.lower()
    secondary = (
        "secondary rate limit" in lowered
        or lowered.startswith("api rate limit exceeded")
        or lowered.endswith(
            ("please retry your request again later.", "wait a few minutes before you try again.")
        )
    )
    if secondary or status == 429:
        return _SECONDARY_WAIT
    return None


def transient_for(
    status: int, headers: Mapping[str, str], message: str, *, shown: str, attempt: int, now: float
) -> Transient | None:
    """The retry decision for an error answer, or None if the answer is final.

    ``message`` is GitHub's, to recognise a rate limit; ``shown`` is the same cleaned for
    users. ``headers`` have lower-case names.
    """
    wait = rate_limit_wait(status, headers, message, now=now)
    if wait is not None:
        primary = headers.get("x-ratelimit-remaining", "").strip() == "0"
        if not primary and not headers.get("retry-after"):
            wait = _SECONDARY_WAIT * 2 ** (attempt - 1)  # docs: back off exponentially
        return Transient(
            f"GitHub's {'primary' if primary else 'secondary'} rate limit was hit "
            f"({status}: {shown or 'no message'})",
            wait=wait,
            status=status,
        )
    if status >= 500:
        return Transient(f"GitHub answered {status}", wait=0.0, status=status)
    return None


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 1, 2, 4 ... s, capped; never zero."""
    ceiling = min(_BACKOFF_CAP, 2.0 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)


class Retrier:
    """Runs a call's attempts until one succeeds or the next would not fit the budget."""

    def __init__(
        self,
        *,
        budget: float,
        timeout: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        """``timeout`` is what one attempt may take: a retry is made only if it fits too."""
        self._budget = budget
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock

    def run(self, what: str, attempt: Callable[[int], T]) -> T:
        """``attempt(1)``, ``attempt(2)`` ... until one does not raise :class:`Transient`."""
        started = self._clock()
        waited = 0.0
        number = 0
        while True:
            number += 1
            try:
                return attempt(number)
            except Transient as exc:
                failure = exc
            wait = failure.wait if failure.wait > 0 else backoff(number)
            spent = max(waited, self._clock() - started)
            if spent + wait + self._timeout > self._budget:
                raise retries_exhausted(
                    failure.problem,
                    what=what,
                    attempts=number,
                    wait=wait,
                    budget=self._budget,
                    status=failure.status,
                ) from None
            log.warning("%s while %s; retrying in %s", failure.problem, what, duration(wait))
            self._sleep(wait)
            waited += wait


def blob_refusal(status: int, what: str, *, refreshed: bool) -> Exception | None:
    """What the download host's ``status`` means: None for 200, else what to raise.

    A signed link lives about a minute: a refused one (401/403) is asked for once more.
    """
    if status in (401, 403):
        if refreshed:
            return RetriesExhausted(
                f"The download host refused the signed link ({status}) while {what}, also a "
                "fresh one. Try again later.",
                status=status,
            )
        return Transient("the signed download link was refused (expired?)", wait=0.001)
    if status >= 500:
        return Transient(f"the download host answered {status}", wait=0.0)
    if status >= 400:
        return GitHubError(
            f"The download host answered {status} while {what}: the file is gone. "
            "Re-run the workflow.",
            status=status,
        )
    return None
