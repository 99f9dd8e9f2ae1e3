"""The errors a user can meet. ``str(error)`` is the sentence they read."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class StillRunning(KeyboardInterrupt):
    """Interrupted while a run goes on on GitHub: the way back to it is ``--run-id``."""

    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class ValidatorError(Exception):
    """An expected failure with a one-line message that names the input and the next step."""

    exit_code = 2


class UsageError(ValidatorError):
    """Bad flag, bad value, bad configuration or unreadable input: exit 2."""

    exit_code = 2


class GatherError(ValidatorError):
    """Evidence could not be gathered (network, API, timeout): exit 3, never GO."""

    exit_code = 3


class GitHubError(GatherError):
    """GitHub answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetriesExhausted(GitHubError):
    """A fault (5xx, no answer, a rate limit) outlasted the retry budget: try again later.

    Unlike a final answer (not found, gone, refused), it says nothing about the repository,
    so a phase stops rather than recording it as evidence.
    """


class InputRefused(UsageError, GitHubError):
    """GitHub refused a value the user gave (an --input, the --ref): a usage error, exit 2."""


class RepositoryMoved(UsageError, GitHubError):
    """The repository was renamed or transferred (GitHub redirects): pass its new name, exit 2."""


class ApiUnreachable(UsageError, GitHubError):
    """The first request of a validation could not connect at all (refused, unknown host):
    a wrong --api-url, exit 2 at once rather than after the retry budget."""


class AuthError(GitHubError):
    """The token is missing, bad, or lacks a permission: a configuration problem, exit 2."""

    exit_code = 2


class WaitTimeout(GatherError):
    """A run stayed queued or running past its deadline."""


class ArchiveError(ValidatorError):
    """An archive is damaged or breaks a safety limit (path escape, bomb, link)."""

    exit_code = 1


class ResultParseError(ValidatorError):
    """A test-result file could not be read as JUnit XML or libtest text."""

    exit_code = 1
