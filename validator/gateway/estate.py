"""Self-hosted runners above the repository: the organisation's and the enterprise's, and the
organisation's runner groups that decide which repositories may use them."""

from __future__ import annotations

import urllib.parse
from typing import Any

from validator.evidence import Runner, RunnerGroup
from validator.gateway.decode import runner_from_json, runner_group_from_json
from validator.gateway.messages import (
    ENTERPRISE_RUNNERS_PERMISSION,
    ORGANIZATION_RUNNERS_PERMISSION,
    Wording,
)
from validator.gateway.transport import Transport


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class EstateApi:
    """Reads organisation and enterprise runners, and organisation runner groups."""

    def __init__(self, api: Transport) -> None:
        self._api = api

    def _wording(self, scope: str, needed: str) -> Wording:
        return Wording(
            not_found=f"{scope} was not found (404), or the token may not see it: {needed}.",
            forbidden=needed,
        )

    def organization_runners(self, org: str) -> tuple[Runner, ...]:
        """The self-hosted runners registered on organisation ``org``."""
        what = f"listing self-hosted runners of organisation {org}"
        items = self._organization_pages(org, "actions/runners", "runners", what)
        return tuple(runner_from_json(raw, what, "organization") for raw in items)

    def organization_runner_groups(self, org: str) -> tuple[RunnerGroup, ...]:
        """The runner groups of organisation ``org``, those inherited from its enterprise too."""
        what = f"listing runner groups of organisation {org}"
        items = self._organization_pages(org, "actions/runner-groups", "runner_groups", what)
        return tuple(runner_group_from_json(raw, what) for raw in items)

    def group_repositories(self, org: str, group_id: int) -> frozenset[str]:
        """Full names (lower case) of the repositories a ``selected`` group admits."""
        what = f"listing repositories of runner group {group_id} of organisation {org}"
        path = f"actions/runner-groups/{group_id}/repositories"
        items = self._organization_pages(org, path, "repositories", what)
        return frozenset(
            str(raw["full_name"]).casefold()
            for raw in items
            if isinstance(raw.get("full_name"), str)
        )

    def _organization_pages(self, org: str, path: str, key: str, what: str) -> list[Any]:
        """Every item under ``key`` of the organisation's listing ``path``, all pages."""
        wording = self._wording(f"Organisation {org}", ORGANIZATION_RUNNERS_PERMISSION)
        return list(
            self._api.pages(f"/orgs/{_segment(org)}/{path}", key=key, what=what, wording=wording)
        )

    def enterprise_runners(self, enterprise: str) -> tuple[Runner, ...]:
        """The self-hosted runners registered on enterprise ``enterprise``."""
        what = f"listing self-hosted runners of enterprise {enterprise}"
        wording = self._wording(f"Enterprise {enterprise}", ENTERPRISE_RUNNERS_PERMISSION)
        items = self._api.pages(
            f"/enterprises/{_segment(enterprise)}/actions/runners",
            key="runners",
            what=what,
            wording=wording,
        )
        return tuple(runner_from_json(raw, what, "enterprise") for raw in items)
