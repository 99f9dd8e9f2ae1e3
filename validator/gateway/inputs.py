"""The checks of the gateway's inputs: repository, API URL and token, before any request."""

from __future__ import annotations

import re
import urllib.parse

from validator.errors import UsageError

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def checked_inputs(*, repository: str, api_url: str, token: str | None) -> tuple[str, str | None]:
    """The API URL and the token to use; a usage error (never showing the token) if any is bad."""
    parts = (repository or "").split("/")
    if not _REPOSITORY.fullmatch(repository or "") or {".", ".."} & set(parts):
        raise UsageError(
            f"Repository {repository!r} is not in OWNER/NAME form: pass --repo OWNER/NAME "
            "or set GITHUB_REPOSITORY."
        )
    url = urllib.parse.urlsplit(api_url or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise UsageError(
            f"API URL {api_url!r} is not an http(s) URL: pass --api-url such as "
            "https://api.github.com or https://HOST/api/v3 (GitHub Enterprise Server)."
        )
    token = token.strip() if token is not None else None
    if token and any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise UsageError(
            "The GitHub token contains spaces or control characters: set GITHUB_TOKEN to the "
            "token alone."
        )
    return api_url.rstrip("/"), token or None
