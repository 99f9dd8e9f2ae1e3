"""Every setting declared once: one table feeds the command line, the configuration file and
``--print-config`` (as flake8's ``Option(parse_from_config=True)`` does).

An option's key is its name in the configuration file and, unless it says otherwise, its flag
(``--KEY``); its field is the :class:`~validator.config.Config` field it sets; ``read`` turns a
raw value (flag text, environment text, or a TOML value) into the field's value, naming where
the value came from when it is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from validator.config import (
    DEFAULT_API_URL,
    DEFAULT_REPORT,
    DEFAULT_WORKFLOW,
    Config,
    labels_option,
    parse_api_url,
    parse_inputs,
    parse_repository,
)
from validator.errors import UsageError
from validator.fields import Fields
from validator.units import parse_duration, parse_rate

if TYPE_CHECKING:
    import typer

    from validator.verdict import Waiver

FIELDS = Fields()
GITHUB, EXPECT, OUTPUT = "GitHub", "Expectations", "Output"


# --- readers: raw value and where it came from → the Config field's value ----------------------


def _text(value: Any, where: str) -> str:
    return FIELDS.filled(value, where)


def _rate(value: Any, where: str) -> float:
    return parse_rate(FIELDS.filled(value, where), option=where)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise UsageError(
            f'{where}: {value!r} has no unit; write it as text with one, e.g. "{value}m" or '
            f'"{value}s".'
        )
    return parse_duration(FIELDS.filled(value, where), option=where)


def _labels(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return labels_option(value)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise UsageError(f'{where}: expected labels like "self-hosted,linux,ARM64", got {value!r}.')


def _names(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UsageError(f"{where}: expected a list of names, got {value!r}.")


def _inputs(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, list | tuple):
        return parse_inputs([str(v) for v in value])
    if isinstance(value, dict):
        return {
            str(k): ("true" if v is True else "false" if v is False else str(v))
            for k, v in value.items()
        }
    raise UsageError(f"{where}: expected a table of KEY = VALUE, got {value!r}.")


def _path(value: Any, where: str) -> Path:
    return value if isinstance(value, Path) else Path(_text(value, where))


def _run_id(value: Any, where: str) -> int:
    number = FIELDS.count(value, where)
    if number == 0:
        raise UsageError(f"{where}: must be a positive run id.")
    return number


def _check_id(value: Any, where: str) -> str:
    from validator.checks import BY_ID

    check = _text(value, where)
    if check not in BY_ID:
        raise UsageError(f"{where}: unknown check {check!r}; known: {', '.join(BY_ID)}.")
    return check


def _check_ids(value: Any, where: str) -> tuple[str, ...]:
    return tuple(_check_id(i, where) for i in _names(value, where))


def _waivers(value: Any, where: str) -> tuple[Waiver, ...]:
    from validator.verdict import Waiver

    if not isinstance(value, list):
        raise UsageError(
            f"{where}: expected [[waivers]] tables with check, reason, owner, expires."
        )
    waivers = []
    keys = ("check", "reason", "owner", "expires")
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: waiver {number} is not a table of {', '.join(keys)}.")
        missing = [k for k in keys if k not in entry]
        extra = sorted(set(entry) - set(keys))
        if missing or extra:
            problem = f"lacks {', '.join(missing)}" if missing else f"has unknown key {extra[0]!r}"
            raise UsageError(
                f"{where}: waiver {number} {problem}; each waiver needs {', '.join(keys)}."
            )
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise UsageError(
                    f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)."
                ) from None
        if not isinstance(expires, dt.date):
            raise UsageError(f"{where}: expires must be a date (YYYY-MM-DD), got {expires!r}.")
        waivers.append(
            Waiver(
                check=_check_id(entry["check"], f"{where}.check"),
                reason=_text(entry["reason"], f"{where}.reason"),
                owner=_text(entry["owner"], f"{where}.owner"),
                expires=expires,
            )
        )
    return tuple(waivers)


def _repo(value: Any, where: str) -> str:
    return parse_repository(_text(value, where), source=where)


def _api_url(value: Any, where: str) -> str:
    return parse_api_url(_text(value, where), source=where)


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Option:
    """One setting: its file key and flag, the Config field it sets, how its value is read."""

    key: str
    field: str
    read: Callable[[Any, str], object]
    help: str = ""
    panel: str = GITHUB
    kind: Any = None  # the flag value's type, for typer; None: the option is file-only
    default: object = None  # what --help shows; the same value as the Config field's default
    flag: str | None = None  # when it is not --KEY
    metavar: str | None = None
    envvar: str | None = None

    @property
    def on_command_line(self) -> bool:
        return self.kind is not None

    def parameter(self) -> inspect.Parameter:
        """The typer parameter of this option, named after its field."""
        import typer

        info = typer.Option(
            self.flag or f"--{self.key}",
            metavar=self.metavar,
            envvar=self.envvar,
            help=self.help,
            rich_help_panel=self.panel,
        )
        return inspect.Parameter(
            self.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=self.default,
            annotation=Annotated[self.kind, info],
        )


DURATION = "DURATION"

OPTIONS: tuple[Option, ...] = (
    Option(key="repo", field="repository", read=_repo, kind=str | None, metavar="OWNER/NAME",
           envvar="GITHUB_REPOSITORY", help="Repository to validate."),
    Option(key="workflow", field="workflow", read=_text, kind=str, default=DEFAULT_WORKFLOW,
           metavar="FILE|ID", help="Workflow file name or id."),
    Option(key="ref", field="ref", read=_text, kind=str | None, metavar="REF",
           help="Branch or tag to dispatch on [default: the repository's default branch]."),
    Option(key="inputs", field="inputs", read=_inputs, kind=list[str] | None, flag="--input",
           metavar="KEY=VALUE",
           help="workflow_dispatch input (repeatable), e.g. --input run_tests=true."),
    Option(key="run-id", field="run_id", read=_run_id, kind=int | None, metavar="N",
           help="Attach to this existing run instead of dispatching."),
    Option(key="use-latest-run", field="use_latest_run", read=FIELDS.flag, kind=bool,
           default=False, help="Validate the newest completed run on the ref instead of "
           "dispatching one (for nightly jobs: spends no runner time)."),
    Option(key="allow-other-run", field="allow_other_run", read=FIELDS.flag, kind=bool,
           default=False, help="Judge a --run-id or --use-latest-run run whose branch or event "
           "differs from --ref and workflow_dispatch (refused by default; the report shows the "
           "run's own)."),
    Option(key="labels", field="labels", read=_labels, kind=str | None, metavar="LIST",
           help="Runner labels an ARM64 job needs, comma-separated "
           "[default: self-hosted,linux,ARM64]."),
    Option(key="arm64-jobs", field="arm64_jobs", read=_names, kind=list[str] | None,
           flag="--arm64-job", metavar="PATTERN",
           help="Job name (glob) that must run on ARM64 (repeatable) [default: jobs whose "
           "runs-on asks for the labels]."),
    Option(key="artifacts", field="artifact_names", read=_names, kind=list[str] | None,
           flag="--artifact", metavar="NAME",
           help="Download only the artifacts with this name or glob (repeatable), like gh run "
           "download -n/-p [default: every artifact]."),
    Option(key="autoscaling", field="autoscaling", read=FIELDS.flag, kind=bool, default=False,
           help="Runners start on demand: zero online runners is not a failure; a job being "
           "picked up decides."),
    Option(key="enterprise", field="enterprise", read=_text, kind=str | None, metavar="SLUG",
           help="Also read the runners of this enterprise (runners shared with the "
           "repository's organisation through a runner group)."),
    Option(key="queue-timeout", field="queue_timeout", read=_seconds, kind=str, default="30m",
           metavar=DURATION, help="How long the run may wait for a runner."),
    Option(key="run-timeout", field="run_timeout", read=_seconds, kind=str, default="60m",
           metavar=DURATION, help="How long the run may take once started."),
    Option(key="poll-interval", field="poll_interval", read=_seconds, kind=str, default="10s",
           metavar=DURATION,
           help="First interval between status polls (it backs off; unchanged polls are free)."),
    Option(key="retry-budget", field="retry_budget", read=_seconds, kind=str, default="2m",
           metavar=DURATION, help="How long one GitHub API call may spend on retries and "
           "rate-limit waits before the phase gives up."),
    Option(key="min-download-rate", field="min_download_rate", read=_rate, kind=str,
           default="16KB/s", metavar="RATE",
           help="Stop a download that stays slower than this over a whole attempt window "
           "(a third of --retry-budget); 0B/s: no floor."),
    Option(key="cancel-on-abort", field="cancel_on_abort", read=FIELDS.flag, kind=bool,
           default=False, help="On Ctrl-C, cancel the run that was dispatched."),
    Option(key="api-url", field="api_url", read=_api_url, kind=str, default=DEFAULT_API_URL,
           metavar="URL", envvar="GITHUB_API_URL",
           help="GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3)."),
    Option(key="expected-tests", field="expected_tests", read=FIELDS.count, kind=int | None,
           metavar="N", panel=EXPECT,
           help="Exact count of tests that ran (passed, failed or errored; skipped tests do "
                "not count)."),
    Option(key="min-tests", field="min_tests", read=FIELDS.count, kind=int | None, metavar="N",
           panel=EXPECT,
           help="Minimum count of tests that ran (passed, failed or errored; skipped tests do "
                "not count)."),
    Option(key="fail-on-test-drop", field="fail_on_test_drop", read=FIELDS.flag, kind=bool,
           default=False, panel=EXPECT,
           help="Block (TST004) when tests that ran in the previous validation are gone."),
    Option(key="allow-unattributed", field="allow_unattributed", read=FIELDS.flag, kind=bool,
           default=False, panel=EXPECT,
           help="Count binaries and test results whose uploading job cannot be named "
                "(logs expired, upload-artifact before v4); the report says so."),
    Option(key="run-budget", field="run_budget", read=_seconds, kind=str, default="15m",
           metavar=DURATION, panel=EXPECT, help="Longest acceptable run duration (DUR001)."),
    Option(key="report", field="report", read=_path, kind=Path, default=DEFAULT_REPORT,
           metavar="PATH", panel=OUTPUT, help="Markdown report to write."),
    Option(key="evidence", field="evidence", read=_path, kind=Path | None, metavar="PATH",
           panel=OUTPUT, help="Evidence JSON to write [default: beside the report, .json]."),
    Option(key="publish-check", field="publish_check", read=FIELDS.flag, kind=bool,
           default=False, panel=OUTPUT,
           help='Publish the verdict as the check run "ARM64 readiness" on the validated '
           "commit, for branch protection (the token needs checks: write)."),
    Option(key="artifacts-dir", field="artifacts_dir", read=_path, kind=Path | None,
           metavar="DIR", panel=OUTPUT,
           help="Where artifacts are (offline phases) or are downloaded to (must be empty)."),
    Option(key="warn-only", field="warn_only", read=_check_ids, panel=EXPECT,
           help="Check ids that report but do not block."),
    Option(key="waivers", field="waivers", read=_waivers, panel=EXPECT,
           help="[[waivers]] tables: check, reason, owner, expires."),
)  # fmt: skip

BY_KEY: dict[str, Option] = {o.key: o for o in OPTIONS}
BY_FIELD: dict[str, Option] = {o.field: o for o in OPTIONS}


def with_options(*, after: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a typer callback (taking ``**settings``) a parameter for every option that has a
    flag, in table order, after its own parameter ``after``."""

    def decorate(callback: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(callback, eval_str=True)
        params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        at = [p.name for p in params].index(after) + 1
        params[at:at] = [o.parameter() for o in OPTIONS if o.on_command_line]
        callback.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return callback

    return decorate


def token(environ: Mapping[str, str]) -> str | None:
    """The GitHub token: GITHUB_TOKEN, then GH_TOKEN."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if value := environ.get(name, "").strip():
            return value
    return None


def given(ctx: typer.Context) -> dict[str, tuple[object, str]]:
    """The options the user actually gave (flag or environment): key → (raw value, source)."""
    found: dict[str, tuple[object, str]] = {}
    for param in ctx.command.params:
        option = BY_FIELD.get(param.name or "")
        if option is None or param.name is None:
            continue
        origin = getattr(ctx.get_parameter_source(param.name), "name", "DEFAULT")
        if origin == "COMMANDLINE":
            found[option.key] = (ctx.params[param.name], max(param.opts, key=len))
        elif origin == "ENVIRONMENT":
            envvar = param.envvar if isinstance(param.envvar, str) else "environment"
            found[option.key] = (ctx.params[param.name], f"env {envvar}")
    return found


# --- the configuration file, merging, and --print-config ---------------------------------------

CONFIG_FILES = (Path("pyproject.toml"), Path(".github/validate-arm64.toml"))


@dataclass(frozen=True, kw_only=True)
class FileSettings:
    """Settings read from the repository's configuration file."""

    path: Path | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    root: Path | None = None  # relative paths in the file are relative to this folder


def repository_root(cwd: Path) -> Path:
    """The git top level above ``cwd`` (as ``git rev-parse --show-toplevel``), else ``cwd``."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def read_config_file(explicit: Path | None, *, cwd: Path) -> FileSettings:
    """``[tool.validate-arm64]`` of pyproject.toml, or ``.github/validate-arm64.toml``, at the
    repository's root, so that a run from a subfolder finds the same settings."""
    import tomllib

    root = repository_root(cwd.absolute())
    candidates = [explicit] if explicit is not None else [root / p for p in CONFIG_FILES]
    for path in candidates:
        if not path.is_file():
            if explicit is not None:
                raise UsageError(f"--config {path}: no such file.")
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{path}: not valid TOML ({exc}). Fix the file.") from None
        table = (
            data.get("tool", {}).get("validate-arm64") if path.name == "pyproject.toml" else data
        )
        if table is None:
            continue
        if not isinstance(table, dict):
            raise UsageError(f"{path}: [tool.validate-arm64] must be a table.")
        unknown = sorted(set(table) - set(BY_KEY))
        if unknown:
            raise UsageError(
                f"{path}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(BY_KEY))}."
            )
        return FileSettings(path=path, values=table, root=None if root == cwd.absolute() else root)
    return FileSettings()


def configure(
    ctx: typer.Context,
    *,
    phases: tuple[str, ...],
    config_file: Path | None,
    environ: Mapping[str, str],
    check: bool = True,
) -> Config:
    """The Config of a command line: its flags, the environment (with ``GH_HOST``), the
    settings file found from the repository root, and the token found as gh finds it."""
    from validator.auth import api_url_for, find_token

    flags = given(ctx)
    if "api-url" not in flags and (host := environ.get("GH_HOST", "").strip()):
        flags["api-url"] = (api_url_for(host), "env GH_HOST")
    config = build_config(
        phases=phases,
        flags=flags,
        file=read_config_file(config_file, cwd=Path.cwd()),
        token=None,
        check=False,
    )
    found = find_token(environ, config.api_url)
    if found is not None:
        sources = {**config.sources, "token": found.source}
        config = dataclasses.replace(config, token=found.token, sources=sources)
    return config.validate() if check else config


def build_config(
    *,
    phases: tuple[str, ...],
    flags: Mapping[str, tuple[object, str]],
    file: FileSettings,
    token: str | None,
    check: bool = True,
) -> Config:
    """Defaults, then the environment, then the file, then flags; each value remembers its
    source. The environment ranks below the file because CI sets it for every job
    (GITHUB_REPOSITORY, GITHUB_API_URL), while the file is what the repository chose.

    ``flags`` maps an option key to ``(raw value, source)`` for options actually given; a
    source ``env NAME`` marks an environment variable. ``check=False`` skips
    :meth:`Config.validate` (for ``--print-config``).
    """
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    layers = [
        [(k, raw, source) for k, (raw, source) in flags.items() if source.startswith("env ")],
        [(k, raw, f"{file.path}: {k}") for k, raw in file.values.items()],
        [(k, raw, source) for k, (raw, source) in flags.items() if not source.startswith("env ")],
    ]
    for layer in layers:
        for key, raw, source in layer:
            option = BY_KEY[key]
            value = option.read(raw, source)
            if (
                isinstance(value, Path)
                and file.root is not None
                and source.startswith(f"{file.path}:")
            ):
                value = file.root / value  # relative to the repository root, not the cwd
            values[option.field] = value
            sources[option.field] = str(file.path) if source.startswith(f"{file.path}:") else source
    config = Config(phases=phases, token=token, sources=sources, **values)  # type: ignore[arg-type]
    return config.validate() if check else config


def _shown(value: object, option: Option) -> str:
    """A setting's value as the configuration file would spell it."""
    import json

    from validator.verdict import Waiver

    if option.read is _seconds and isinstance(value, int | float):
        return json.dumps(short_duration(value))
    if isinstance(value, tuple) and value and isinstance(value[0], Waiver):
        return json.dumps([f"{w.check} until {w.expires} ({w.owner}: {w.reason})" for w in value])
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
        return f"{{ {pairs} }}" if pairs else "{}"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


def short_duration(seconds: float) -> str:
    """Seconds as a duration the options read back: ``1800`` → ``30m``, ``5400`` → ``1h30m``."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    total, text = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        text += f"{count}{unit}" if count else ""
    return text or "0s"


def describe(config: Config) -> str:
    """Every setting under its configuration-file key, its value and where it came from, for
    --print-config (TOML, except that a value not set reads ``(not set)``)."""
    lines = [f"# phases: {', '.join(config.phases) or 'none selected'}"]
    for option in OPTIONS:
        value = getattr(config, option.field)
        source = config.sources.get(option.field, "default")
        lines.append(f"{option.key} = {_shown(value, option)}  # {source}")
    token_source = config.sources.get("token", "GITHUB_TOKEN, GH_TOKEN, gh auth token")
    lines.append(f"# token: {'set (hidden)' if config.token else 'not set'} ({token_source})")
    return "\n".join(lines)
