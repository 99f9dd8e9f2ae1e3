"""What Config refuses before any request is made: each input checked once, here."""

from __future__ import annotations

import pytest

from validator.config import Config, parse_api_url, parse_repository
from validator.errors import UsageError

from conftest import run_cli

SECRET = "ghp_" + "S3cr3t" * 6


@pytest.mark.parametrize("repository", ["owner/..", "owner/."])
def test_repository_name_cannot_climb_out_of_its_api_path(repository: str) -> None:
    with pytest.raises(UsageError, match="OWNER/NAME"):
        parse_repository(repository)


@pytest.mark.parametrize("url", ["ftp://example.com", "https:///repos", "api.github.com"])
def test_api_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(UsageError, match="is not an http"):
        parse_api_url(url)


def test_api_url_keeps_enterprise_paths() -> None:
    assert parse_api_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize(
    "url", [f"https://x-access-token:{SECRET}@ghe.example.com/api/v3", f"https://{SECRET}@h.io"]
)
def test_api_url_with_credentials_is_refused_without_showing_them(url: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_api_url(url, source="GITHUB_API_URL")
    message = str(info.value)
    assert SECRET not in message
    assert "carries credentials" in message
    assert "GITHUB_TOKEN" in message


def test_a_token_with_control_characters_is_refused_without_showing_it() -> None:
    with pytest.raises(UsageError) as info:
        Config(phases=("health",), repository="o/r", token=SECRET + "\nX").validate()
    assert SECRET not in str(info.value)


def test_credentials_in_the_api_url_stop_the_command_and_reach_no_file(tmp_path) -> None:
    url = f"https://user:{SECRET}@127.0.0.1:9/api/v3"
    for args, env in (
        (("--api-url", url), {}),
        ((), {"GITHUB_API_URL": url}),
    ):
        done = run_cli(
            "--all-phases",
            "--repo",
            "o/r",
            "--report",
            str(tmp_path / "r.md"),
            *args,
            env={"GITHUB_TOKEN": "x" * 40, **env},
            cwd=tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert "carries credentials" in done.stderr.splitlines()[0]
        assert SECRET not in done.stdout + done.stderr
    assert not list(tmp_path.iterdir())
