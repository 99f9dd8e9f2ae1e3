"""Durations as people read and write them: one formatter for checks, report and progress."""

from __future__ import annotations

import pytest

from validator.errors import UsageError
from validator.units import duration, parse_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (9, "9s"),
        (59.6, "1m00s"),
        (130, "2m10s"),
        (754.2, "12m34s"),
        (3900, "1h05m00s"),
        (3723, "1h02m03s"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h30m", 5400), ("26h", 93600), ("2d", 172800), ("0.05s", 0.05)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, option="--queue-timeout") == seconds


@pytest.mark.parametrize("text", ["soon", "30 m", "1h30", "0s", "-5", "45", "0.5"])
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--queue-timeout '"):
        parse_duration(text, option="--queue-timeout")


def test_a_printed_duration_reads_back_as_the_same_seconds() -> None:
    for seconds in (9, 130, 3723):
        assert parse_duration(duration(seconds), option="--run-budget") == seconds


def test_a_number_without_a_unit_is_refused_naming_both_readings() -> None:
    with pytest.raises(UsageError, match=r"^--queue-timeout '15': add a unit, e.g. 15s or 15m.$"):
        parse_duration("15", option="--queue-timeout")
