"""The checks of the gateway's inputs that Config does not make (yet), in one place.

Config validates the repository's ``OWNER/NAME`` form, finds the token and trims it, and
strips the API URL; the gateway takes those as given. Three holes remain, each of which
would send a request somewhere it must not go, so the gateway refuses them before any.
"""

from __future__ import annotations

import urllib.parse

from validator.errors import UsageError


def check_inputs(*, repository: str, api_url: str, token: str | None) -> None:
    """Refuse, as a usage error, what Config lets through and no request may carry."""
    # A NAME of "." or ".." passes Config's rule; in a URL path it climbs out of
    # /repos/OWNER/ to another endpoint.
    if {".", ".."} & set(repository.split("/")):
        raise UsageError(
            f"Repository {repository!r} is not in OWNER/NAME form: pass --repo OWNER/NAME "
            "or set GITHUB_REPOSITORY."
        )
    parts = urllib.parse.urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"API URL {api_url!r} is not an http(s) URL: pass --api-url such as "
            "https://api.github.com or https://HOST/api/v3 (GitHub Enterprise Server)."
        )
    if token is not None and any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise UsageError(  # never the token itself
            "The GitHub token contains spaces or control characters: set GITHUB_TOKEN to the "
            "token alone."
        )
