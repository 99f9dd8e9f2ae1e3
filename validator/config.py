"""One frozen Config: flags, environment and defaults, merged and validated once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UsageError
from validator.labels import DEFAULT_LABELS, parse_labels

if TYPE_CHECKING:
    from validator.emulator import Emulator
    from validator.verdict import Waiver

PHASES: tuple[str, ...] = ("health", "dispatch", "artifacts", "binaries", "tests", "report")
GITHUB_PHASES = frozenset({"health", "dispatch", "artifacts"})

DEFAULT_WORKFLOW = "build-push-arm64.yml"
DEFAULT_REPORT = Path("docs/ci/ARM64_TEST_RESULTS.md")
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_WORK_DIR = Path(".validate-arm64")

_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, *, option: str) -> float:
    """``"90s"``, ``"30m"``, ``"1h30m"``, ``"26h"``, ``"2d"`` or bare seconds → seconds."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        parts = _DURATION.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise UsageError(
                f"{option} {text!r}: not a duration. Use e.g. 90s, 30m, 1h30m or 26h."
            ) from None
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError(f"{option} {text!r}: must be more than zero.")
    return seconds


def parse_repository(text: str, *, source: str = "--repo") -> str:
    """Validate ``OWNER/NAME``."""
    value = text.strip()
    if value.startswith(("https://", "http://", "git@")):
        value = re.sub(r"^(https?://[^/]+/|git@[^:]+:)", "", value).removesuffix(".git")
    if not _REPO.match(value):
        raise UsageError(f"{source} {text!r}: expected OWNER/NAME, e.g. tzervas/embeddenator.")
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


def order_phases(names: Sequence[str]) -> tuple[str, ...]:
    """The selected phases in pipeline order, refusing unknown names."""
    unknown = [n for n in names if n not in PHASES]
    if unknown:
        raise UsageError(f"--phase {unknown[0]!r}: unknown phase. Choose from {', '.join(PHASES)}.")
    return tuple(p for p in PHASES if p in names)


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
    expected_tests: int | None = None
    min_tests: int | None = None
    labels: tuple[str, ...] = DEFAULT_LABELS
    arm64_jobs: tuple[str, ...] = ()
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
    run_budget: float | None = 15 * 60
    autoscaling: bool = False
    cancel_on_abort: bool = False
    emulator_scenario: str | None = None  # set by `demo`: the evidence is not about a real repo
    fail_on_test_drop: bool = False
    warn_only: tuple[str, ...] = ()  # check ids that warn instead of blocking
    waivers: tuple[Waiver, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def evidence_path(self) -> Path:
        return self.evidence or self.report.with_suffix(".json")

    @property
    def needs_github(self) -> bool:
        return bool(GITHUB_PHASES & set(self.phases))

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
        return self


def labels_option(text: str | None) -> tuple[str, ...]:
    """The --labels value, or the default ``self-hosted, linux, ARM64``."""
    if text is None:
        return DEFAULT_LABELS
    labels = parse_labels(text)
    if not labels:
        raise UsageError("--labels: give at least one label, e.g. self-hosted,linux,ARM64.")
    return labels


# --- merging flags, environment, the repository's config file and defaults ------------------

Raw = object


def _text(value: Raw, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{key}: expected text, got {value!r}.")
    return value.strip()


def _count(value: Raw, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{key}: expected a whole number, zero or more, got {value!r}.")
    return value


def _flag(value: Raw, key: str) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{key}: expected true or false, got {value!r}.")
    return value


def _seconds(value: Raw, key: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_duration(str(value), option=key)
    return parse_duration(_text(value, key), option=key)


def _labels(value: Raw, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return labels_option(value)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise UsageError(f'{key}: expected labels like "self-hosted,linux,ARM64", got {value!r}.')


def _names(value: Raw, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UsageError(f"{key}: expected a list of names, got {value!r}.")


def _inputs(value: Raw, key: str) -> dict[str, str]:
    if isinstance(value, list | tuple):
        return parse_inputs([str(v) for v in value])
    if isinstance(value, dict):
        return {
            str(k): ("true" if v is True else "false" if v is False else str(v))
            for k, v in value.items()
        }
    raise UsageError(f"{key}: expected a table of KEY = VALUE, got {value!r}.")


def _path(value: Raw, key: str) -> Path:
    return value if isinstance(value, Path) else Path(_text(value, key))


def _run_id(value: Raw, key: str) -> int:
    number = _count(value, key)
    if number == 0:
        raise UsageError(f"{key}: must be a positive run id.")
    return number


def _check_ids(value: Raw, key: str) -> tuple[str, ...]:
    from validator.checks import BY_ID

    ids = _names(value, key)
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        raise UsageError(f"{key}: unknown check {unknown[0]!r}; known: {', '.join(BY_ID)}.")
    return ids


def _waivers(value: Raw, key: str) -> tuple[Waiver, ...]:
    import datetime as dt

    from validator.checks import BY_ID
    from validator.verdict import Waiver

    if not isinstance(value, list):
        raise UsageError(f"{key}: expected [[waivers]] tables with check, reason, owner, expires.")
    waivers = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"check", "reason", "owner", "expires"}:
            raise UsageError(
                f"{key}: each waiver needs exactly check, reason, owner and expires, got {entry!r}."
            )
        check = _text(entry["check"], f"{key}.check")
        if check not in BY_ID:
            raise UsageError(f"{key}: unknown check {check!r}; known: {', '.join(BY_ID)}.")
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise UsageError(
                    f"{key}: expires {expires!r} is not a date (YYYY-MM-DD)."
                ) from None
        if not isinstance(expires, dt.date):
            raise UsageError(f"{key}: expires must be a date (YYYY-MM-DD), got {expires!r}.")
        waivers.append(
            Waiver(
                check=check,
                reason=_text(entry["reason"], f"{key}.reason"),
                owner=_text(entry["owner"], f"{key}.owner"),
                expires=expires,
            )
        )
    return tuple(waivers)


def _repo(value: Raw, key: str) -> str:
    return parse_repository(_text(value, key), source=key)


def _api_url(value: Raw, key: str) -> str:
    return _text(value, key).rstrip("/")


# key (flag name without dashes, file key) → (Config field, parser)
KEYS: dict[str, tuple[str, Callable[[Raw, str], object]]] = {
    "repo": ("repository", _repo),
    "workflow": ("workflow", _text),
    "ref": ("ref", _text),
    "inputs": ("inputs", _inputs),
    "run-id": ("run_id", _run_id),
    "use-latest-run": ("use_latest_run", _flag),
    "expected-tests": ("expected_tests", _count),
    "min-tests": ("min_tests", _count),
    "labels": ("labels", _labels),
    "arm64-jobs": ("arm64_jobs", _names),
    "report": ("report", _path),
    "evidence": ("evidence", _path),
    "artifacts-dir": ("artifacts_dir", _path),
    "api-url": ("api_url", _api_url),
    "queue-timeout": ("queue_timeout", _seconds),
    "run-timeout": ("run_timeout", _seconds),
    "poll-interval": ("poll_interval", _seconds),
    "retry-budget": ("retry_budget", _seconds),
    "run-budget": ("run_budget", _seconds),
    "autoscaling": ("autoscaling", _flag),
    "cancel-on-abort": ("cancel_on_abort", _flag),
    "fail-on-test-drop": ("fail_on_test_drop", _flag),
    "warn-only": ("warn_only", _check_ids),
    "waivers": ("waivers", _waivers),
}
FILE_ONLY = frozenset({"waivers", "warn-only"})
CONFIG_FILES = (Path("pyproject.toml"), Path(".github/validate-arm64.toml"))


@dataclass(frozen=True, kw_only=True)
class FileSettings:
    """Settings read from the repository's configuration file."""

    path: Path | None = None
    values: Mapping[str, object] = field(default_factory=dict)


def read_config_file(explicit: Path | None, *, cwd: Path) -> FileSettings:
    """``[tool.validate-arm64]`` of pyproject.toml, or ``.github/validate-arm64.toml``."""
    import tomllib

    candidates = [explicit] if explicit is not None else [cwd / p for p in CONFIG_FILES]
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
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise UsageError(
                f"{path}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(KEYS))}."
            )
        return FileSettings(path=path, values=table)
    return FileSettings()


def build_config(
    *,
    phases: tuple[str, ...],
    flags: Mapping[str, tuple[object, str]],
    file: FileSettings,
    token: str | None,
    **fixed: object,
) -> Config:
    """Defaults, then the file, then flags and environment; each value remembers its source.

    ``flags`` maps a key of KEYS to ``(raw value, source)`` for options actually given.
    """
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for key, raw in file.values.items():
        name, parse = KEYS[key]
        values[name] = parse(raw, f"{file.path}: {key}")
        sources[name] = str(file.path)
    for key, (raw, source) in flags.items():
        name, parse = KEYS[key]
        values[name] = parse(raw, source)
        sources[name] = source
    values.update(fixed)
    return Config(phases=phases, token=token, sources=sources, **values).validate()  # type: ignore[arg-type]


def describe(config: Config) -> str:
    """Every setting with its value and where it came from, for --print-config."""
    import dataclasses

    from validator.verdict import Waiver

    lines = []
    for f in dataclasses.fields(config):
        if f.name in ("sources", "token"):
            continue
        value = getattr(config, f.name)
        if isinstance(value, tuple) and value and isinstance(value[0], Waiver):
            value = [f"{w.check} until {w.expires} ({w.owner}: {w.reason})" for w in value]
        elif isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        lines.append(f"{f.name} = {value!r}  # {config.sources.get(f.name, 'default')}")
    lines.append(
        f"token = {'set (hidden)' if config.token else 'not set'}  # GITHUB_TOKEN, GH_TOKEN"
    )
    return "\n".join(lines)


def emulator_config(emu: Emulator, *, report: Path, **overrides: object) -> Config:
    """Every phase against a running emulator, with the scenario's own hints (as ``demo``)."""
    hints = emu.scenario.cli
    settings: dict[str, object] = {
        "phases": PHASES,
        "repository": emu.repository,
        "workflow": hints.workflow,
        "ref": hints.ref,
        "inputs": dict(hints.inputs),
        "run_id": hints.run_id,
        "expected_tests": hints.expected_tests,
        "min_tests": hints.min_tests,
        "autoscaling": hints.autoscaling,
        "report": report,
        "work_dir": report.parent / ".work",
        "api_url": emu.base_url,
        "emulator_scenario": emu.scenario.name,
    }
    return Config(**(settings | overrides)).validate()  # type: ignore[arg-type]
