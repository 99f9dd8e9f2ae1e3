"""What a job's steps can prove: which steps run the tests, whether they can fail the job,
and whether what they upload can hold a binary. Pure text rules over the step."""

from __future__ import annotations

import re

from validator.workflow.loading import YValue
from validator.workflow.model import Step

_TEST_COMMAND = re.compile(
    r"\b(cargo\s+(\+\S+\s+)?(test|nextest)|pytest|py\.test|tox|nox|go\s+test|ctest|"
    r"(npm|pnpm|yarn)\s+(run\s+)?test|make\s+(check|test)|mvn\s+\S*\s*(test|verify)|"
    r"gradlew?\s+\S*\s*test|dotnet\s+test|swift\s+test|\w*test_runner\w*|run[-_]tests?\w*)"
)
_TEST_NAME = re.compile(r"\btests?\b", re.IGNORECASE)
_SWALLOWED = re.compile(r"\|\|\s*(true|:|exit\s+0)\b|;\s*(true|exit\s+0)\s*$")
_SET_PLUS_E = re.compile(r"^\s*set\s+\+e\b", re.MULTILINE)
_CHECKED = re.compile(r"\$\?|PIPESTATUS|\bexit\s+(1|\$|\"\$)|\|\|\s*exit\s+[1-9]|set\s+-e")
_PIPE = re.compile(r"(?<!\|)\|(?!\|)")
_PIPEFAIL = re.compile(r"pipefail")

#: File name endings that never hold a binary: logs, reports, metadata.
NOT_BINARY = (
    ".log",
    ".txt",
    ".json",
    ".md",
    ".markdown",
    ".xml",
    ".html",
    ".htm",
    ".csv",
    ".yml",
    ".yaml",
    ".sarif",
    ".sha256",
)


def test_lines(step: Step) -> list[str]:
    """The lines of the step's script that run tests."""
    if step.run is None:
        return []
    return [line for line in step.run.splitlines() if _TEST_COMMAND.search(line)]


def is_test_step(step: Step) -> bool:
    """True for a ``run`` step that runs tests, by its command or its name."""
    if step.run is None:
        return False
    return bool(test_lines(step)) or bool(_TEST_NAME.search(step.name))


def swallowed_failures(step: Step) -> list[str]:
    """Why the step's script cannot fail: ``|| true``, unchecked ``set +e``, an unguarded pipe."""
    if step.run is None:
        return []
    reasons = []
    lines = test_lines(step) or step.run.splitlines()
    swallowed = [line.strip() for line in lines if _SWALLOWED.search(line)]
    if swallowed:
        reasons.append(f"`{swallowed[0]}` turns a failure into success")
    plus_e = _SET_PLUS_E.search(step.run)
    if plus_e and not _CHECKED.search(step.run[plus_e.end() :]):
        reasons.append("`set +e` is never followed by a check of the exit status")
    default_shell = step.shell is None or step.shell.strip() == "sh"
    piped = [line.strip() for line in test_lines(step) if _PIPE.search(line)]
    if piped and default_shell and not _PIPEFAIL.search(step.run):
        reasons.append(
            f"`{piped[0]}`: the default shell runs without pipefail, so the pipe's last "
            "command decides the exit status"
        )
    return reasons


def is_upload(step: Step) -> bool:
    """True for an ``actions/upload-artifact`` step."""
    return step.uses is not None and step.uses.lower().startswith("actions/upload-artifact")


def upload_patterns(path: YValue) -> list[str]:
    """The include patterns of an upload step's ``path`` (exclusions dropped)."""
    if not isinstance(path, str):
        return []
    return [
        line.strip()
        for line in path.splitlines()
        if line.strip() and not line.strip().startswith(("!", "#"))
    ]


def can_hold_binary(pattern: str) -> bool:
    """False only when the pattern can match nothing but logs, reports or metadata."""
    last = pattern.rsplit("/", 1)[-1].lower()
    return not last.endswith(NOT_BINARY)
