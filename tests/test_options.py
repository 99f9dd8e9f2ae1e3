"""The options table: each setting declared once, feeding the flags, the file and --print-config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from validator.config import Config
from validator.errors import UsageError
from validator.options import BY_KEY, OPTIONS, FileSettings, build_config, read_config_file

# Config fields that are not settings a user gives: set by the command or by `demo`.
NOT_OPTIONS = {"phases", "token", "sources", "work_dir", "emulator_scenario"}


def test_every_setting_of_config_is_one_option():
    fields = {f.name for f in dataclasses.fields(Config)} - NOT_OPTIONS
    assert sorted(o.field for o in OPTIONS) == sorted(fields)
    assert len(BY_KEY) == len(OPTIONS)


@pytest.mark.parametrize(
    "option", [o for o in OPTIONS if o.default is not None], ids=lambda o: o.key
)
def test_the_default_help_shows_is_the_default_config_uses(option):
    default = next(f.default for f in dataclasses.fields(Config) if f.name == option.field)
    assert option.read(option.default, f"--{option.key}") == default


def test_every_flag_is_in_the_help(cli):
    helped = cli("--help").stdout
    for option in OPTIONS:
        if option.on_command_line:
            assert (option.flag or f"--{option.key}") in helped
        else:
            assert f"--{option.key}" not in helped  # file-only: waivers, warn-only


def test_a_file_key_and_its_flag_set_the_same_field(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.validate-arm64]\nrepo = "o/r"\nqueue-timeout = "1h"\nlabels = "a,b"\n'
        'inputs = { run_tests = true }\narm64-jobs = ["build*"]\n'
    )
    file = read_config_file(None, cwd=tmp_path)
    from_file = build_config(phases=("health",), flags={}, file=file, token="t")
    from_flags = build_config(
        phases=("health",),
        flags={
            "repo": ("o/r", "--repo"),
            "queue-timeout": ("1h", "--queue-timeout"),
            "labels": ("a,b", "--labels"),
            "inputs": (["run_tests=true"], "--input"),
            "arm64-jobs": (["build*"], "--arm64-job"),
        },
        file=FileSettings(),
        token="t",
    )
    for name in ("repository", "queue_timeout", "labels", "inputs", "arm64_jobs"):
        assert getattr(from_file, name) == getattr(from_flags, name), name
    assert from_file.sources["queue_timeout"] == str(tmp_path / "pyproject.toml")
    assert from_flags.sources["queue_timeout"] == "--queue-timeout"


def test_a_flag_overrides_the_file(tmp_path):
    file = FileSettings(path=Path("pyproject.toml"), values={"run-budget": "20m"})
    config = build_config(
        phases=("report",), flags={"run-budget": ("5m", "--run-budget")}, file=file, token=None
    )
    assert (config.run_budget, config.sources["run_budget"]) == (300.0, "--run-budget")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"expected-tests": "24"},
            "pyproject.toml: expected-tests: expected a whole number, zero or more, got '24'.",
        ),
        ({"autoscaling": "yes"}, "pyproject.toml: autoscaling: expected true or false, got 'yes'."),
        ({"warn-only": ["XYZ001"]}, "pyproject.toml: warn-only: unknown check 'XYZ001'"),
        ({"run-id": 0}, "pyproject.toml: run-id: must be a positive run id."),
    ],
)
def test_a_wrong_value_in_the_file_names_the_file_and_key(values, message):
    with pytest.raises(UsageError) as raised:
        build_config(
            phases=("report",),
            flags={},
            file=FileSettings(path=Path("pyproject.toml"), values=values),
            token=None,
        )
    assert str(raised.value).startswith(message)


def test_an_unknown_file_key_lists_the_known_ones(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.validate-arm64]\nrepository = "o/r"\n')
    with pytest.raises(
        UsageError,
        match=r"unknown key 'repository'; known keys: allow-other-run, allow-unattributed, api-url, ",
    ):
        read_config_file(None, cwd=tmp_path)
