"""Check runs: a validation's verdict published on the commit it validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.gateway.messages import Wording
from validator.gateway.repository import Repo
from validator.gateway.transport import Transport

CHECKS_WRITE = (
    "the token needs the checks: write permission (in a workflow: `permissions: checks: write`; "
    "a fine-grained token: 'Checks: write')"
)


class CheckRunsApi:
    """Creates check runs (``POST /repos/{owner}/{repo}/check-runs``)."""

    def __init__(self, api: Transport, repo: Repo) -> None:
        self._api = api
        self._repo = repo

    def create(self, body: Mapping[str, Any]) -> str:
        """Create a completed check run from ``body`` (GitHub's fields); its web address."""
        what = f"creating check run {body.get('name')!r} in {self._repo.name}"
        resp = self._api.request(
            "POST",
            f"{self._repo.path}/check-runs",
            body=dict(body),
            what=what,
            wording=Wording(forbidden=CHECKS_WRITE),
        )
        url = resp.json(what).get("html_url")
        return url if isinstance(url, str) else ""
