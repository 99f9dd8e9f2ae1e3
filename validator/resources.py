"""Locate the data the tool ships: report templates, emulator scenarios, fixture binaries.

In a wheel they live under ``validator/_data``; in a checkout, at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def data_path(*parts: str) -> Path:
    """Path of shipped data such as ``data_path("report_templates")``."""
    installed = _PACKAGE.joinpath("_data", *parts)
    if installed.exists():
        return installed
    return _CHECKOUT.joinpath(*parts)
