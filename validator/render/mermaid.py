"""Trends as pictures: Mermaid ``xychart-beta`` charts and verdict strips. Pure, deterministic.

GitHub draws a ```` ```mermaid ```` block in Markdown files and in step summaries. Every text that
reaches a chart goes through ``label()``, so no test name, title or date can end a string, a line
or the Markdown fence early, or smuggle in a Mermaid directive. A value that was not observed is
not drawn (never drawn as zero); a chart needs two observed points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

DEFAULT_POINTS = 30
LABEL_LIMIT = 40
VERDICT_DOTS = {"GO": "🟢", "NO-GO": "🔴", "INCONCLUSIVE": "🟡"}
UNKNOWN_DOT = "⚪"


class Measured(Protocol):
    """One validation as the charts read it (a history entry has these fields)."""

    @property
    def generated_at(self) -> str: ...
    @property
    def tests(self) -> int | None: ...
    @property
    def passed(self) -> int | None: ...
    @property
    def queued_seconds(self) -> float | None: ...
    @property
    def run_seconds(self) -> float | None: ...


@dataclass(frozen=True, kw_only=True)
class Series:
    """One line or one set of bars, a value per x-axis category."""

    kind: Literal["line", "bar"]
    values: tuple[float, ...]


def label(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` as a quoted Mermaid string that cannot break the chart around it."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    # '"' ends the string, '`' could end the Markdown fence, "%%" starts a directive or comment.
    cleaned = " ".join(printable.replace('"', "'").replace("`", "'").split())
    while "%%" in cleaned:
        cleaned = cleaned.replace("%%", "%")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return f'"{cleaned or "—"}"'  # Mermaid refuses an empty title


def number(value: float) -> str:
    """A finite, non-negative figure as Mermaid reads it: ``24``, ``9.4``."""
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} cannot be drawn")
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _axis_top(values: Iterable[float]) -> float:
    """A round upper bound a little above the highest value, so equal values are not flat at
    the top edge."""
    highest = max(values, default=0.0) * 1.1
    if highest <= 1:
        return 1
    scale = 10.0 ** math.floor(math.log10(highest))
    return next(
        step * scale for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if highest <= step * scale
    )


def xychart(*, title: str, x_labels: Sequence[str], y_title: str, series: Sequence[Series]) -> str:
    """The source of one ``xychart-beta`` (no fence)."""
    for s in series:
        if len(s.values) != len(x_labels):
            raise ValueError(f"{len(s.values)} values for {len(x_labels)} x-axis categories")
    top = _axis_top(v for s in series for v in s.values)
    lines = [
        "xychart-beta",
        f"    title {label(title, limit=80)}",
        f"    x-axis [{', '.join(label(x) for x in x_labels)}]",
        f"    y-axis {label(y_title)} 0 --> {number(top)}",
        *(f"    {s.kind} [{', '.join(number(v) for v in s.values)}]" for s in series),
    ]
    return "\n".join(lines) + "\n"


def block(source: str) -> str:
    """A chart as a fenced Markdown block GitHub renders (no trailing newline)."""
    return f"```mermaid\n{source}```"


def verdict_strip(verdicts: Iterable[str], *, points: int = DEFAULT_POINTS) -> str:
    """``🟢🟢🔴🟡``: one dot per verdict, oldest first, the last ``points`` of them."""
    dots = [VERDICT_DOTS.get(v, UNKNOWN_DOT) for v in verdicts]
    return "".join(dots[-points:]) if points > 0 else ""


def x_labels(stamps: Sequence[str]) -> tuple[str, ...]:
    """Short, distinct x-axis categories for ISO times: ``01-02``, then ``01-02 03:10`` when a
    day repeats, then ``#N`` when even that repeats (Mermaid merges equal categories)."""
    parsed = [_time(s) for s in stamps]
    day = [p.strftime("%m-%d") if p else "?" for p in parsed]
    repeated = Counter(day)
    chosen = [
        (p.strftime("%m-%d %H:%M") if p and repeated[d] > 1 else d)
        for p, d in zip(parsed, day, strict=True)
    ]
    counts = Counter(chosen)
    return tuple(f"{c} #{i}" if counts[c] > 1 else c for i, c in enumerate(chosen, 1))


def _time(stamp: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed


def tests_chart(entries: Sequence[Measured], *, points: int = DEFAULT_POINTS) -> str | None:
    """Tests passed (bars) against tests counted (line) over the last ``points`` validations;
    ``None`` when fewer than two of them counted tests."""
    drawn = [e for e in entries[-points:] if e.passed is not None and e.tests is not None]
    if len(drawn) < 2:
        return None
    return xychart(
        title=f"Tests passed (bars) of tests counted (line), last {len(drawn)} validations",
        x_labels=x_labels([e.generated_at for e in drawn]),
        y_title="tests",
        series=(
            Series(kind="bar", values=tuple(float(e.passed or 0) for e in drawn)),
            Series(kind="line", values=tuple(float(e.tests or 0) for e in drawn)),
        ),
    )


def minutes_chart(entries: Sequence[Measured], *, points: int = DEFAULT_POINTS) -> str | None:
    """Run minutes (bars) and queue minutes (line) over the last ``points`` validations;
    ``None`` when fewer than two of them observed both."""
    drawn = [
        e
        for e in entries[-points:]
        if e.run_seconds is not None
        and e.queued_seconds is not None
        and math.isfinite(e.run_seconds)
        and math.isfinite(e.queued_seconds)
    ]
    if len(drawn) < 2:
        return None
    return xychart(
        title=f"Run minutes (bars) and queue minutes (line), last {len(drawn)} validations",
        x_labels=x_labels([e.generated_at for e in drawn]),
        y_title="minutes",
        series=(
            Series(kind="bar", values=tuple(max(0.0, (e.run_seconds or 0) / 60) for e in drawn)),
            Series(
                kind="line", values=tuple(max(0.0, (e.queued_seconds or 0) / 60) for e in drawn)
            ),
        ),
    )
