"""What the workflow analysis finds: stable ids, severities, and the sentence for each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["blocking", "usage", "warning"]

#: Stable ids: never renumbered. Each: (severity, what passing means).
FINDINGS: dict[str, tuple[Severity, str]] = {
    "WFL001": ("blocking", "no job meant for ARM64 is moved off its labels by the inputs"),
    "WFL002": ("usage", "the workflow accepts a manual dispatch (workflow_dispatch)"),
    "WFL003": ("usage", "every --input is declared by the workflow"),
    "WFL004": ("usage", "every --input value is one the input allows"),
    "WFL005": ("usage", "every required input without a default is given"),
    "WFL006": ("warning", "a job meant for ARM64 uploads an artifact when it succeeds"),
    "WFL007": ("warning", "an artifact of an ARM64 job can hold a binary"),
    "WFL008": ("warning", "every test step of an ARM64 job can fail its job"),
    "WFL009": ("warning", "no 'if:' skips an ARM64 job or its tests for these inputs"),
    "WFL010": ("warning", "where each job runs can be told from the file"),
    "WFL011": ("blocking", "at least one job can run on the required labels"),
}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing in the workflow that stands in the way of a GO, where it is, and the fix.

    ``prevents_go`` is true when the finding alone makes GO impossible (every blocking
    finding, and warnings that are certain, such as uploads that can hold no binary).
    """

    id: str
    severity: Severity
    message: str
    remedy: str
    line: int
    job: str | None = None
    step: str | None = None
    prevents_go: bool = False

    def to_json(self) -> dict[str, object]:
        """The finding in the ``validate-arm64/workflow-lint/1`` document."""
        return {
            "id": self.id,
            "severity": self.severity,
            "job": self.job,
            "step": self.step,
            "line": self.line,
            "message": self.message,
            "remedy": self.remedy,
            "prevents_go": self.prevents_go,
        }


def finding(
    finding_id: str,
    *,
    message: str,
    remedy: str,
    line: int,
    job: str | None = None,
    step: str | None = None,
    certain: bool = False,
) -> Finding:
    """A finding of the registered kind ``finding_id``."""
    severity = FINDINGS[finding_id][0]
    return Finding(
        id=finding_id,
        severity=severity,
        message=message,
        remedy=remedy,
        line=line,
        job=job,
        step=step,
        prevents_go=severity == "blocking" or certain,
    )
