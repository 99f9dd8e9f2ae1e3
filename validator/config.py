"""One frozen Config: flags, environment, the configuration file and defaults, merged once."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UsageError
from validator.labels import DEFAULT_LABELS, parse_labels
from validator.phases import GITHUB

if TYPE_CHECKING:
    from validator.verdict import Waiver

DEFAULT_WORKFLOW = "build-push-arm64.yml"
DEFAULT_REPORT = Path("docs/ci/ARM64_TEST_RESULTS.md")
DEFAULT_EVIDENCE = DEFAULT_REPORT.with_suffix(".json")  # what `gate` reads by default
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_WORK_DIR = Path(".validate-arm64")

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def parse_repository(text: str, *, source: str = "--repo") -> str:
    """Validate ``OWNER/NAME``."""
    value = text.strip()
    if value.startswith(("https://", "http://", "git@")):
        value = re.sub(r"^(https?://[^/]+/|git@[^:]+:)", "", value).removesuffix(".git")
    # A NAME of "." or ".." would climb out of /repos/OWNER/ to another endpoint.
    if not _REPO.match(value) or value.split("/")[1] in (".", ".."):
        raise UsageError(f"{source} {text!r}: expected OWNER/NAME, e.g. tzervas/embeddenator.")
    return value


def parse_api_url(text: str, *, source: str = "--api-url") -> str:
    """Validate an http(s) API URL; one that carries credentials is refused, never echoed."""
    value = text.strip().rstrip("/")
    parts = urllib.parse.urlsplit(value)
    if parts.username is not None or parts.password is not None:
        bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        raise UsageError(
            f"{source} {bare!r} carries credentials in the URL: pass the URL without them and "
            "put the token in GITHUB_TOKEN (or GH_TOKEN)."
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{source} {value!r} is not an http(s) URL: pass one such as "
            "https://api.github.com or https://HOST/api/v3 (GitHub Enterprise Server)."
        )
    return value


def parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    """``["run_tests=true", "tag_suffix=-test"]`` → a dict, refusing malformed pairs."""
    inputs: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--input {pair!r}: expected KEY=VALUE, e.g. --input run_tests=true.")
        inputs[key.strip()] = value
    if len(inputs) > 25:
        raise UsageError(f"--input: {len(inputs)} inputs given; GitHub accepts at most 25.")
    return inputs


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything a validation needs to know, after flags and environment are merged."""

    phases: tuple[str, ...]
    repository: str | None = None
    workflow: str = DEFAULT_WORKFLOW
    ref: str | None = None  # None: the repository's default branch
    inputs: Mapping[str, str] = field(default_factory=dict)
    run_id: int | None = None
    use_latest_run: bool = False
    allow_other_run: bool = False  # judge a run of another branch or event than asked
    expected_tests: int | None = None
    min_tests: int | None = None
    labels: tuple[str, ...] = DEFAULT_LABELS
    arm64_jobs: tuple[str, ...] = ()
    artifact_names: tuple[str, ...] = ()  # names or globs to download; () downloads every one
    report: Path = DEFAULT_REPORT
    evidence: Path | None = None
    artifacts_dir: Path | None = None
    work_dir: Path = DEFAULT_WORK_DIR
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    queue_timeout: float = 30 * 60
    run_timeout: float = 60 * 60
    poll_interval: float = 10.0
    retry_budget: float = 120.0  # time one API call may spend on retries and rate-limit waits
    min_download_rate: float = 16 * 1024  # bytes/s a download must keep (0: no floor)
    run_budget: float | None = 15 * 60
    autoscaling: bool = False
    enterprise: str | None = None  # enterprise slug whose runners may serve the repository
    cancel_on_abort: bool = False
    emulator_scenario: str | None = None  # set by `demo`: the evidence is not about a real repo
    fail_on_test_drop: bool = False
    allow_unattributed: bool = False  # evidence of unknown origin counts
    publish_check: bool = False  # the verdict as a check run on the validated commit
    warn_only: tuple[str, ...] = ()  # check ids that warn instead of blocking
    waivers: tuple[Waiver, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def evidence_path(self) -> Path:
        return self.evidence or self.report.with_suffix(".json")

    @property
    def needs_github(self) -> bool:
        return bool(GITHUB & set(self.phases))

    def validate(self) -> Config:
        """Refuse combinations that cannot work, with a message that says what to change."""
        if not self.phases:
            raise UsageError(
                "No phase selected: pass --all-phases, or --phase NAME (repeatable). "
                "See validate-arm64 --help."
            )
        if self.expected_tests is not None and self.min_tests is not None:
            raise UsageError("--expected-tests and --min-tests exclude each other: pick one.")
        for name, value in (
            ("--expected-tests", self.expected_tests),
            ("--min-tests", self.min_tests),
        ):
            if value is not None and value < 0:
                raise UsageError(f"{name} {value}: must be zero or more.")
        if self.run_id is not None and self.use_latest_run:
            raise UsageError("--run-id and --use-latest-run exclude each other: pick one.")
        if self.run_id is not None and self.run_id <= 0:
            raise UsageError(f"--run-id {self.run_id}: must be a positive run id.")
        if self.needs_github and self.repository is None:
            raise UsageError(
                "No repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY "
                "(or try `validate-arm64 demo`, which needs neither)."
            )
        if self.token is not None and any(c.isspace() or not c.isprintable() for c in self.token):
            raise UsageError(  # never the token itself
                "The GitHub token contains spaces or control characters: set GITHUB_TOKEN to "
                "the token alone."
            )
        if self.needs_github and self.token is None and self.emulator_scenario is None:
            raise UsageError(
                "No GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read "
                "Actions and runners of the repository (see README, 'Token permissions'), "
                "or try `validate-arm64 demo`, which needs none."
            )
        if (
            not self.needs_github
            and self.artifacts_dir is None
            and ({"binaries", "tests"} & set(self.phases))
        ):
            raise UsageError(
                "--artifacts-dir is needed when the artifacts phase does not run: point it at "
                "the folder that holds the downloaded artifacts."
            )
        folder = self.artifacts_dir
        if (
            "artifacts" in self.phases
            and folder is not None
            and folder.is_dir()
            and any(folder.iterdir())
        ):
            raise UsageError(
                f"--artifacts-dir {self.artifacts_dir}: not empty. Downloaded artifacts must "
                "not mix with other files: give an empty or new folder."
            )
        if (
            not self.needs_github
            and self.artifacts_dir is not None
            and not self.artifacts_dir.exists()
        ):
            raise UsageError(
                f"--artifacts-dir {self.artifacts_dir}: no such folder. Download the run's "
                "artifacts there first, or add --phase artifacts."
            )
        return self._check_publishing()

    def _check_publishing(self) -> Config:
        if self.publish_check and "dispatch" not in self.phases:
            raise UsageError(
                "--publish-check needs the dispatch phase: the check run goes on the commit of "
                "the validated run (add --all-phases, or --phase dispatch)."
            )
        return self


def labels_option(text: str | None) -> tuple[str, ...]:
    """The --labels value, or the default ``self-hosted, linux, ARM64``."""
    if text is None:
        return DEFAULT_LABELS
    labels = parse_labels(text)
    if not labels:
        raise UsageError("--labels: give at least one label, e.g. self-hosted,linux,ARM64.")
    return labels
