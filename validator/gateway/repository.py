"""The repository, its self-hosted runners and a workflow: what the health phase reads."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from validator.errors import AuthError, GitHubError
from validator.evidence import Runner, WorkflowInfo
from validator.gateway.decode import runner_from_json, workflow_from_json
from validator.gateway.messages import (
    Wording,
    moved_error,
    permission,
    repository_missing,
    repository_runners_permission,
    workflow_file_missing,
    workflow_missing,
)
from validator.gateway.transport import Transport


@dataclass(frozen=True)
class Repo:
    """A repository's ``OWNER/NAME`` (as Config validated it) and its API paths."""

    name: str

    @property
    def path(self) -> str:
        """``/repos/OWNER/NAME``."""
        return "/repos/" + "/".join(urllib.parse.quote(p) for p in self.name.split("/"))

    def workflow_path(self, workflow: str) -> str:
        """The API path of a workflow, by file name or id."""
        return f"{self.path}/actions/workflows/{urllib.parse.quote(str(workflow), safe='')}"


@dataclass(frozen=True, kw_only=True)
class Owner:
    """The repository's owner, and whether the repository is private (public repositories
    may use a runner group only when the group allows public repositories)."""

    login: str
    organization: bool
    private_repository: bool


class RepositoryApi:
    """Reads the repository itself, its self-hosted runners, and a workflow."""

    def __init__(self, api: Transport, repo: Repo) -> None:
        self._api = api
        self._repo = repo
        self._default_branch: str | None = None
        self._owner: Owner | None = None

    def default_branch(self) -> str:
        """The repository's default branch (the only one a dispatch reads triggers from)."""
        if self._default_branch is not None:
            return self._default_branch
        what = f"reading repository {self._repo.name}"
        wording = Wording(not_found=repository_missing(self._repo.name))
        try:
            resp = self._api.request("GET", self._repo.path, what=what, wording=wording)
        except GitHubError as exc:
            if exc.status == 404:  # a typo in --repo, or a token that cannot see it: exit 2
                raise AuthError(str(exc), status=404) from None
            raise
        body = resp.json(what)
        name = body.get("full_name")
        if isinstance(name, str) and name.casefold() != self._repo.name.casefold():
            # PyGithub follows GitHub's 301 for a renamed or transferred repository itself.
            raise moved_error(f"GitHub answers for {self._repo.name} with {name}", name, status=301)
        branch = body.get("default_branch")
        if not isinstance(branch, str) or not branch:
            raise GitHubError(f"GitHub's answer to {what} names no default branch.")
        self._default_branch = branch
        owner = body.get("owner")
        owner_type = owner.get("type") if isinstance(owner, dict) else None
        self._owner = Owner(
            login=self._repo.name.split("/", 1)[0],
            organization=owner_type == "Organization",
            private_repository=body.get("private") is not False,
        )
        return branch

    def owner(self) -> Owner:
        """Who owns the repository (an organisation's runners may serve it) and its privacy."""
        if self._owner is None:
            self.default_branch()
        assert self._owner is not None
        return self._owner

    def runners(self) -> tuple[Runner, ...]:
        """The self-hosted runners registered on the repository."""
        what = f"listing self-hosted runners of {self._repo.name}"
        wording = Wording(
            not_found=repository_missing(self._repo.name),
            forbidden=repository_runners_permission(self._repo.name),
        )
        items = self._api.pages(
            f"{self._repo.path}/actions/runners", key="runners", what=what, wording=wording
        )
        return tuple(runner_from_json(raw, what, "repository") for raw in items)

    def workflow(self, id_or_file: str) -> WorkflowInfo:
        """The workflow by file name (``build-push-arm64.yml``) or numeric id."""
        what = f"reading workflow {id_or_file} of {self._repo.name}"
        resp = self._api.request(
            "GET",
            self._repo.workflow_path(id_or_file),
            what=what,
            wording=Wording(
                not_found=workflow_missing(id_or_file, self._repo.name), not_found_is_input=True
            ),
        )
        return workflow_from_json(resp.json(what), what)

    def workflow_text(self, path: str, ref: str) -> str:
        """The text of the workflow file ``path`` at ``ref``, from the contents endpoint."""
        from validator.workflow import WorkflowError, text_from_contents

        what = f"reading {path} at {ref} of {self._repo.name}"
        wording = Wording(
            not_found=workflow_file_missing(path, ref, self._repo.name),
            forbidden=permission("reading the workflow file", "Contents: read", self._repo.name),
        )
        url = f"{self._repo.path}/contents/{urllib.parse.quote(path)}"
        document = self._api.request(
            "GET", url, params={"ref": ref}, what=what, wording=wording
        ).json(what)
        if document.get("type") != "file":
            kind = document.get("type")
            raise GitHubError(f"{path} at {ref} is not a file (GitHub answered a {kind!r}).")
        try:
            return text_from_contents(document)
        except WorkflowError as exc:
            size = document.get("size")
            bytes_ = f" ({size} bytes)" if isinstance(size, int) else ""
            raise GitHubError(f"{path} at {ref}{bytes_}: {exc}.") from None
