"""What a user reads when GitHub says no: what failed, the identifier, and the next step.

Built from the status and GitHub's own ``message`` only, never from a request or a header,
and the message is cleaned of the token first (see :func:`one_line`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from validator.errors import (
    ApiUnreachable,
    AuthError,
    GitHubError,
    InputRefused,
    RepositoryMoved,
    RetriesExhausted,
)
from validator.units import duration


@dataclass(frozen=True, kw_only=True)
class Wording:
    """The sentences one call gives for the refusals it expects; others get a generic one."""

    not_found: str | None = None  # 404
    not_found_is_input: bool = False  # the 404 is on a value the user gave: exit 2, no report
    gone: str | None = None  # 410
    forbidden: str | None = None  # 403 that is not a rate limit: the permission needed
    refused: Callable[[int, str], GitHubError] | None = None  # 400 and 422: GitHub's reason


def one_line(text: str, *, secret: str | None) -> str:
    """One line, bounded, and never the token, whatever the server echoed back."""
    line = " ".join(text.split())
    if secret:
        line = line.replace(secret, "***")
    return line[:300]


def error_for(
    status: int, message: str, *, what: str, wording: Wording, anonymous: bool
) -> GitHubError:
    """Our error for a final error answer; ``message`` is GitHub's, already cleaned."""
    if status == 401:
        reason = message or "Bad credentials"
        if anonymous:
            return AuthError(
                f"GitHub requires a token for {what} (401 {reason}). Set GITHUB_TOKEN "
                "(or GH_TOKEN) to a token that can read the repository.",
                status=401,
            )
        return AuthError(
            f"GitHub rejected the token (401 {reason}). Set GITHUB_TOKEN to a valid token "
            "(or GH_TOKEN); check that it has not expired.",
            status=401,
        )
    if status == 403 and wording.forbidden is not None:
        return AuthError(
            f"GitHub refused {what} (403: {message}): {wording.forbidden}.", status=403
        )
    if status == 404 and wording.not_found is not None and wording.not_found_is_input:
        return InputRefused(wording.not_found, status=404)
    specific = {404: wording.not_found, 410: wording.gone}.get(status)
    if specific is not None:
        return GitHubError(specific, status=status)
    if status in (400, 422) and wording.refused is not None:
        return wording.refused(status, message)
    return GitHubError(
        f"GitHub answered {status} while {what}: {message or 'no message'}.", status=status
    )


def unreachable(api_url: str, what: str) -> ApiUnreachable:
    """The first request could not connect: the URL, not GitHub, is the likely fault."""
    return ApiUnreachable(
        f"Could not connect to {api_url} while {what} (connection refused or unknown host): "
        "check --api-url (GitHub Enterprise Server: https://HOST/api/v3)."
    )


def retries_exhausted(
    problem: str, *, what: str, attempts: int, wait: float, budget: float, status: int | None
) -> RetriesExhausted:
    """A fault outlasted the retry budget: say what it was and that waiting would not fit."""
    return RetriesExhausted(
        f"{problem} while {what}; gave up after {attempts} attempt"
        f"{'s' if attempts > 1 else ''}: waiting {duration(wait)} more would exceed "
        f"the retry budget of {duration(budget)}. Try again later.",
        status=status,
    )


def permission(doing: str, needed: str, repository: str) -> str:
    """The token permission a call needs, for a 403 (fine-grained and classic tokens)."""
    return (
        f"{doing} needs a fine-grained token with '{needed}' on {repository}, "
        "or a classic token with 'repo' scope"
    )


# The token permission each level of self-hosted runners needs (GitHub's 403 says only
# "Must have admin rights to Repository." or "Resource not accessible by integration").
def repository_runners_permission(repository: str) -> str:
    """What listing a repository's runners needs ("Must have admin rights to Repository.")."""
    return (
        "listing the repository's self-hosted runners needs admin rights: a fine-grained "
        f"token with 'Administration: read' on {repository}, or a classic token with 'repo' "
        "scope of a repository admin (the workflow's GITHUB_TOKEN never has it)"
    )


ORGANIZATION_RUNNERS_PERMISSION = (
    "listing the organisation's self-hosted runners and runner groups needs a fine-grained "
    "token with 'Self-hosted runners: read' on the organisation, or a classic token with "
    "'admin:org' scope (the workflow's GITHUB_TOKEN never has it)"
)
ENTERPRISE_RUNNERS_PERMISSION = (
    "listing the enterprise's self-hosted runners needs a classic token of an enterprise "
    "owner with 'manage_runners:enterprise' scope"
)


def repository_missing(repository: str) -> str:
    """A 404 on the repository itself."""
    return (
        f"Repository {repository} was not found (404): check --repo, and that the "
        "token can read it (private repositories answer 404 to tokens without access)."
    )


def workflow_missing(workflow: str, repository: str) -> str:
    """A 404 on a workflow: it must be a file on the default branch, or an id."""
    return (
        f"Workflow {workflow} was not found in {repository} (404): check --workflow "
        f"(a file name such as build-push-arm64.yml, or an id). A dispatch only works for "
        "a workflow file that exists on the default branch."
    )


def workflow_file_missing(path: str, ref: str, repository: str) -> str:
    """A 404 on the workflow file at a ref: the file, or the ref, is not there."""
    return (
        f"Workflow file {path} was not found at {ref} in {repository} (404): check --ref and "
        "--workflow (the file must exist on that branch, tag or commit)."
    )


def dispatch_refused(workflow: str, ref: str, status: int, message: str) -> GitHubError:
    """GitHub's own words on a refused dispatch, and the likely fix.

    A refused --ref or --input is the user's to fix (exit 2); a workflow that cannot be
    dispatched is evidence about the workflow.
    """
    lowered = message.lower()
    said = f'GitHub refused to dispatch {workflow} on {ref} ({status}): "{message}".'
    if "disabled" in lowered:
        hint = " Enable the workflow (Actions → the workflow → Enable workflow)."
    elif "workflow_dispatch" in lowered:
        hint = (
            " GitHub reads triggers from the workflow file on the default branch: add "
            "`on: workflow_dispatch` there (merge the workflow into the default branch)."
        )
    elif "no ref found" in lowered or "ref" in lowered.split():
        return InputRefused(
            f"{said} Check --ref {ref}: it must be an existing branch or tag.", status=status
        )
    elif "input" in lowered:
        return InputRefused(
            f"{said} Check the --input KEY=VALUE pairs against the workflow's "
            "workflow_dispatch inputs.",
            status=status,
        )
    else:
        hint = ""
    return GitHubError(said + hint, status=status)


_REPOSITORY_ID = re.compile(r"/repositories/(\d+)(?:/|$)")


def redirect_error(
    status: int, location: str, what: str, full_name: Callable[[str], str | None]
) -> GitHubError:
    """A redirect the API should not give: the repository moved (named through ``full_name``
    of its id, when GitHub says), or our error."""
    found = _REPOSITORY_ID.search(urllib.parse.urlsplit(location).path)
    if status not in (301, 307, 308) or found is None:
        return GitHubError(
            f"GitHub answered {status} (a redirect to {location or 'nowhere'}) while "
            f"{what}: check --api-url.",
            status=status,
        )
    return moved_error(
        f"GitHub answered {status} while {what} (to {location})",
        full_name(found.group(1)),
        status=status,
    )


def moved_error(seen: str, new_name: str | None, *, status: int | None) -> RepositoryMoved:
    """The repository was renamed or transferred: say where it went and what to pass."""
    fix = (
        f"pass --repo {new_name}"
        if new_name
        else "look up its new OWNER/NAME on GitHub and pass it as --repo"
    )
    return RepositoryMoved(
        f"The repository has moved{f' to {new_name}' if new_name else ''}: {seen}. It was "
        f"renamed or transferred: {fix} (and update GITHUB_REPOSITORY or the configuration "
        "file).",
        status=status,
    )
