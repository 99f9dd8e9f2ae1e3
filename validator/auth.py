"""Where the GitHub token and host come from, in the order gh looks for them.

github.com: ``GITHUB_TOKEN``, ``GH_TOKEN``, then ``gh auth token``. Another host (GitHub
Enterprise Server): ``GH_ENTERPRISE_TOKEN``, ``GITHUB_ENTERPRISE_TOKEN`` first, as gh reads
them, then the same three. ``GH_HOST`` names the host when no API URL is given.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

GITHUB_COM = "github.com"
PUBLIC_API = "api.github.com"


@dataclass(frozen=True, kw_only=True)
class Found:
    """A token and where it was found (never the token itself in ``source``)."""

    token: str
    source: str


def host_of(api_url: str) -> str:
    """The host gh would name for this API URL: ``github.com`` for api.github.com."""
    host = urllib.parse.urlsplit(api_url).hostname or ""
    return GITHUB_COM if host == PUBLIC_API else host


def api_url_for(host: str) -> str:
    """``GH_HOST`` → the REST API base URL (Enterprise Server serves it under /api/v3)."""
    host = host.strip().lower().removeprefix("https://").rstrip("/")
    return f"https://{PUBLIC_API}" if host in (GITHUB_COM, PUBLIC_API) else f"https://{host}/api/v3"


def gh_auth_token(host: str, *, timeout: float = 10.0) -> str | None:
    """The token gh is logged in with for ``host``, if gh is installed and logged in."""
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        done = subprocess.run(
            [gh, "auth", "token", "--hostname", host],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    token = done.stdout.strip()
    return token if done.returncode == 0 and token else None


def find_token(
    environ: Mapping[str, str],
    api_url: str,
    *,
    ask_gh: Callable[[str], str | None] = gh_auth_token,
) -> Found | None:
    """The token for ``api_url``'s host, from the environment or gh; None when there is none."""
    host = host_of(api_url)
    names: tuple[str, ...] = ("GITHUB_TOKEN", "GH_TOKEN")
    if host != GITHUB_COM:
        names = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", *names)
    for name in names:
        if value := environ.get(name, "").strip():
            return Found(token=value, source=f"env {name}")
    if token := ask_gh(host):
        return Found(token=token, source=f"gh auth token --hostname {host}")
    return None
