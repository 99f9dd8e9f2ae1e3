"""Fail closed under every fault: the CLI in a subprocess against the emulator on loopback.

Each test starts the emulator in this process, injects one fault (through its public Fault
and Scenario API, or through a loopback proxy that alters what the CLI receives), runs
``validate-arm64 --all-phases`` and asserts the exit code, the verdict, the message, that
transient faults are retried within a bounded budget, that the previous report and evidence
are kept byte for byte when no new verdict could be reached, that nothing partial is left,
and that the token appears nowhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests

from validator.emulator import Emulator, Fault, Scenario, VirtualClock, load_scenario

from conftest import run_cli

SENTINEL = "ghp_SENTINEL_do_not_leak_0123456789"
REPORT = Path("docs") / "ARM64_TEST_RESULTS.md"
ADVANCE = 600.0  # virtual seconds per API request: the healthy run completes at once
POLL = "0.05s"  # the dispatch phase backs off from here (a 1 s start makes a run take ~40 s)
WORKFLOW = "build-push-arm64.yml"
REPO_PATH = r"^/repos/[^/]+/[^/]+$"
RUNNERS = r"/actions/runners$"
RUN = r"/actions/runs/\d+$"
ARTIFACT_LIST = r"/actions/runs/\d+/artifacts$"
ARTIFACT_ZIP = r"/actions/artifacts/\d+/zip$"
TEST_RESULTS_BLOB = r"^/artifacts/\d+/test-results\.zip$"
PARTIAL = re.compile(r"\.(part|tmp)$|^\.download-")


# --- running the CLI ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outcome:
    """A finished validation: the process, and where it ran."""

    done: subprocess.CompletedProcess[str]
    root: Path
    seconds: float

    @property
    def code(self) -> int:
        return self.done.returncode

    @property
    def verdict(self) -> str | None:
        found = re.search(r"^verdict: (\S+) for TASK-005", self.done.stdout, re.MULTILINE)
        return found.group(1) if found else None

    @property
    def output(self) -> str:
        return self.done.stdout + self.done.stderr

    @property
    def evidence(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / REPORT).with_suffix(".json").read_text())
        return data

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.evidence["checks"] if c["id"] == check_id)

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return f"exit {self.code}\n--- stdout\n{self.done.stdout}\n--- stderr\n{self.done.stderr}"


def emulator(
    scenario: str | Scenario = "healthy", *, in_sync_at_request: int = 1, **options: Any
) -> Emulator:
    """An emulator whose virtual clock reads real time at API request ``in_sync_at_request``.

    GitHub's ``x-ratelimit-reset`` is epoch time; the CLI reads it with the real clock.
    """
    options.setdefault("advance_per_request", ADVANCE)
    start = time.time() - options["advance_per_request"] * in_sync_at_request
    return Emulator(scenario, clock=VirtualClock(start), **options)


class Api(Protocol):
    """Where the CLI is pointed: the emulator, a proxy in front of it, or a dead port."""

    @property
    def repository(self) -> str: ...

    @property
    def base_url(self) -> str: ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class Endpoint:
    repository: str
    base_url: str


def validate(
    api: Api,
    root: Path,
    *args: str,
    queue_timeout: str = "30s",
    run_timeout: str = "30m",
    retry_budget: str = "10s",
    repository: str | None = None,
    token: str = SENTINEL,
) -> Outcome:
    """``validate-arm64 --all-phases`` against ``api``, in ``root`` (the work dir lands there)."""
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = run_cli(
        "--all-phases",
        "--repo",
        repository or api.repository,
        "--api-url",
        api.base_url,
        "--expected-tests",
        "24",
        "--report",
        str(root / REPORT),
        "--poll-interval",
        POLL,
        "--queue-timeout",
        queue_timeout,
        "--run-timeout",
        run_timeout,
        "--retry-budget",
        retry_budget,
        *args,
        cwd=root,
        env={"GITHUB_TOKEN": token},
        timeout=60,
    )
    return Outcome(done=done, root=root, seconds=time.monotonic() - started)


def statuses(emu: Emulator, path: str, *, origin: str = "api", method: str = "GET") -> list[int]:
    """Statuses of the recorded requests whose path matches ``path`` (0: never answered)."""
    pattern = re.compile(path)
    return [
        r.status
        for r in emu.requests
        if r.origin == origin and r.method == method and pattern.search(r.path)
    ]


# --- what must hold after every run -----------------------------------------------------------


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by relative path."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def partial_files(root: Path) -> list[str]:
    """Temporary or half-written files and folders anywhere under ``root``."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if PARTIAL.search(p.name))


def assert_no_leak(outcome: Outcome) -> None:
    """The token is in no output and no file the run left (report, evidence, logs, temp)."""
    assert SENTINEL not in outcome.output
    for path in outcome.root.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def assert_fail_closed(outcome: Outcome, *, code: int, verdict: str | None) -> None:
    """The documented exit code and verdict, one clean error line, nothing partial, no token."""
    assert outcome.code == code, outcome
    assert outcome.verdict == verdict, outcome
    assert outcome.verdict != "GO" or code == 0
    assert "Traceback" not in outcome.output, outcome
    assert partial_files(outcome.root) == [], outcome
    assert_no_leak(outcome)


def extracted(root: Path) -> list[str]:
    """Names of the artifact folders the last run extracted."""
    runs = sorted((root / ".validate-arm64").glob("*/run-*/artifacts"))
    return sorted(p.name for r in runs for p in r.iterdir()) if runs else []


# --- the previous report --------------------------------------------------------------------


@pytest.fixture(scope="module")
def go_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs/ folder of a GO validation (report, evidence, history), made once per module."""
    root = tmp_path_factory.mktemp("go")
    with emulator() as emu:
        outcome = validate(emu, root)
    assert_fail_closed(outcome, code=0, verdict="GO")
    return root / "docs"


@pytest.fixture
def previous(go_report: Path, tmp_path: Path) -> dict[str, bytes]:
    """A GO report, evidence and history in ``tmp_path/repo/docs``; their bytes, to compare."""
    shutil.copytree(go_report, tmp_path / "repo" / "docs")
    kept = files(tmp_path / "repo" / "docs")
    assert {Path(n).suffix for n in kept} == {".md", ".json", ".jsonl"}
    return kept


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "repo"


def assert_kept(root: Path, previous: dict[str, bytes]) -> None:
    """No new verdict: the previous report, evidence and history are byte-identical."""
    assert files(root / "docs") == previous


# --- a proxy that alters answers (what the emulator's Fault cannot express) ------------------


class Proxy:
    """A loopback HTTP proxy in front of the emulator that can change what the CLI receives.

    Signed download links are rewritten to pass through it too, so blob answers can be
    replaced or cut short. ``edit_json(path_regex, function)`` alters API JSON answers.
    """

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.repository = emu.repository
        self._json_edits: list[tuple[re.Pattern[str], Callable[[Any], None]]] = []
        self._blobs: list[tuple[re.Pattern[str], bytes]] = []
        self._log_edits: list[tuple[bytes, bytes]] = []  # job-log text: old → new
        self._cut: list[list[Any]] = []  # [pattern, answers left to cut]
        self._fail: list[list[Any]] = []  # [pattern, method, status, answers left to replace]
        self._session = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                proxy.forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    def edit_json(self, path: str, edit: Callable[[Any], None]) -> None:
        self._json_edits.append((re.compile(path), edit))

    def replace_artifact(self, name: str, data: bytes) -> None:
        """Serve ``data`` as the artifact's zip, with GitHub's digest and size to match, and
        the digest its uploading job printed too (as if the job had uploaded ``data``)."""
        spec = next(
            a
            for w in self.emu.scenario.workflows
            if w.on_dispatch is not None
            for a in w.on_dispatch.artifacts
            if a.name == name
        )
        before = hashlib.sha256(self.emu.world.zip_bytes(spec)).hexdigest().encode()
        self._log_edits.append((before, hashlib.sha256(data).hexdigest().encode()))

        def listing(body: Any) -> None:
            for item in body["artifacts"]:
                if item["name"] == name:
                    item["digest"] = "sha256:" + hashlib.sha256(data).hexdigest()
                    item["size_in_bytes"] = len(data)

        self.edit_json(ARTIFACT_LIST, listing)
        self._blobs.append((re.compile(rf"/artifacts/\d+/{re.escape(name)}\.zip$"), data))

    def cut_short(self, path: str, *, times: int = 10_000) -> None:
        """Send the blob's full Content-Length but only half of its bytes, then hang up."""
        self._cut.append([re.compile(path), times])

    def fail_after_forwarding(self, path: str, *, method: str, status: int, times: int) -> None:
        """Let the emulator act on the request, then answer ``status`` instead of its answer."""
        self._fail.append([re.compile(path), method, status, times])

    def _take_fail(self, method: str, path: str) -> int | None:
        for entry in self._fail:
            if entry[0].search(path) and entry[1] == method and entry[3] > 0:
                entry[3] -= 1
                return int(entry[2])
        return None

    def _take_cut(self, path: str) -> bool:
        for entry in self._cut:
            if entry[0].search(path) and entry[1] > 0:
                entry[1] -= 1
                return True
        return False

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        blob = path.startswith("/__blob__")
        upstream = (self.emu.blob_url + path[9:]) if blob else (self.emu.base_url + path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        resp = self._session.request(
            handler.command,
            upstream,
            headers=headers,
            data=body,
            allow_redirects=False,
            timeout=10,
        )
        data = resp.content
        out = {
            k: v
            for k, v in resp.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        bare = path.split("?", 1)[0]
        if "Location" in out and out["Location"].startswith(self.emu.blob_url):
            out["Location"] = (
                self.base_url + "/__blob__" + out["Location"][len(self.emu.blob_url) :]
            )
        if "Link" in out:
            out["Link"] = out["Link"].replace(self.emu.base_url, self.base_url)
        if not blob and resp.status_code == 200 and data:
            edits = [edit for pattern, edit in self._json_edits if pattern.search(bare)]
            if edits:
                document = json.loads(data)
                for edit in edits:
                    edit(document)
                data = json.dumps(document).encode()
        cut = False
        if blob and resp.status_code == 200:
            data = next((d for p, d in self._blobs if p.search(bare[9:])), data)
            if bare[9:].startswith("/logs/"):
                for old, new in self._log_edits:
                    data = data.replace(old, new)
            cut = self._take_cut(bare[9:])
        status = resp.status_code
        if not blob and (failed := self._take_fail(handler.command, bare)) is not None:
            status, data, out = failed, b'{"message": "Server Error"}', {}
        handler.send_response(status)
        for k, v in out.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if cut:
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.wfile.write(data)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def crc_damaged_zip() -> bytes:
    """A well-formed zip whose member's bytes no longer match its CRC-32."""
    text = b"<testsuite>" + b"x" * 200 + b"</testsuite>"
    data = bytearray(zip_of({"junit.xml": text}))
    where = data.index(b"x" * 200)
    data[where] = ord("y")
    return bytes(data)


def scenario_with(plan_change: Callable[[Any], Any], name: str = "healthy") -> Scenario:
    """A shipped scenario whose dispatched run follows a changed plan (Scenario API)."""
    base = load_scenario(name)
    workflows = tuple(
        dataclasses.replace(w, on_dispatch=plan_change(w.on_dispatch))
        if w.file_name == WORKFLOW and w.on_dispatch is not None
        else w
        for w in base.workflows
    )
    return dataclasses.replace(base, workflows=workflows)


# --- the baseline ----------------------------------------------------------------------------


def test_healthy_pipeline_is_go_and_writes_report_evidence_and_history(
    go_report: Path,
) -> None:
    written = files(go_report)
    assert sorted(written) == [
        "ARM64_TEST_RESULTS.history.jsonl",
        "ARM64_TEST_RESULTS.json",
        "ARM64_TEST_RESULTS.md",
    ]
    assert json.loads(written["ARM64_TEST_RESULTS.json"])["verdict"] == "GO"


# --- server errors, resets, timeouts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "path"),
    [(500, RUNNERS), (502, RUN), (503, ARTIFACT_LIST)],
    ids=["500-runners", "502-run", "503-artifacts"],
)
def test_server_error_burst_that_clears_is_retried_and_goes(
    root: Path, status: int, path: str
) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=path, status=status, times=2))
        outcome = validate(emu, root)
        seen = statuses(emu, path)
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert seen[:3] == [status, status, 200]


def test_server_errors_beyond_the_budget_are_inconclusive_and_keep_the_report(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUN, status=503, times=10_000))
        outcome = validate(emu, root, retry_budget="3s")
        seen = statuses(emu, RUN)
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert re.search(
        r"dispatch: error \(GitHub answered 503 while reading run \d+ of tzervas/embeddenator; "
        r"gave up after \d attempts: .* retry budget of 3s\. Try again later\.\)",
        outcome.done.stderr,
    ), outcome
    assert 2 <= len(seen) <= 4  # backed off, never a tight loop
    assert_kept(root, previous)
    assert "kept the previous" in outcome.done.stderr


def test_connection_reset_is_retried_and_goes(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUNNERS, kind="reset", times=2))
        outcome = validate(emu, root)
        seen = statuses(emu, RUNNERS)
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert seen[:3] == [0, 0, 200]


def test_read_timeout_is_retried_and_goes(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUN, kind="hang", times=1))
        outcome = validate(emu, root, retry_budget="3s")  # one attempt may take 1 s
        seen = statuses(emu, RUN)
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert seen[0] == 0 and 200 in seen


def test_server_that_never_answers_is_given_up_within_the_budget(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUN, kind="hang", times=10_000))
        outcome = validate(emu, root, retry_budget="3s")
        seen = statuses(emu, RUN)
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert re.search(r"no (complete )?answer from http://127\.0\.0\.1:", outcome.done.stderr)
    assert "retry budget of 3s. Try again later." in outcome.done.stderr
    assert set(seen) == {0} and len(seen) <= 3
    assert outcome.seconds < 3 + 5  # the budget, plus start-up and the phases before
    assert_kept(root, previous)


def test_api_that_refuses_connections_is_a_usage_error_and_keeps_the_report(
    root: Path, previous: dict[str, bytes]
) -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = Endpoint(repository="tzervas/embeddenator", base_url=f"http://127.0.0.1:{port}")
    outcome = validate(dead, root, retry_budget="2m")
    assert_fail_closed(outcome, code=2, verdict=None)
    assert f"Could not connect to http://127.0.0.1:{port} while" in outcome.done.stderr
    assert "check --api-url" in outcome.done.stderr
    assert "Try again later." not in outcome.done.stderr
    assert outcome.seconds < 5  # never reached: no retry budget spent
    assert_kept(root, previous)


@pytest.mark.parametrize("fault", ["reset-before", "502-after"])
def test_dispatch_answered_by_a_fault_starts_exactly_one_run(root: Path, fault: str) -> None:
    """A dispatch POST is not idempotent: a run it started despite the fault is taken."""
    with emulator() as emu, Proxy(emu) as proxy:
        if fault == "reset-before":  # never reached GitHub: dispatched again
            emu.inject(Fault(path=r"/dispatches$", method="POST", kind="reset"))
        else:  # GitHub started the run, then the answer was lost
            proxy.fail_after_forwarding(r"/dispatches$", method="POST", status=502, times=1)
        outcome = validate(proxy, root)
        dispatched = statuses(emu, r"/dispatches$", method="POST")
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert dispatched == ([0, 200] if fault == "reset-before" else [200])


# --- rate limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_that_resets_within_the_budget_is_waited_out(
    root: Path, status: int
) -> None:
    with emulator() as emu:  # in sync with real time at the first request
        emu.inject(Fault(path=REPO_PATH, kind="rate-limit-primary", status=status, times=1))
        outcome = validate(emu, root)
        seen = statuses(emu, REPO_PATH)
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert seen[:2] == [status, 200]  # one wait until the reset, not a loop
    assert outcome.seconds >= 1.0


def test_primary_rate_limit_beyond_the_budget_stops_at_once(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        emu.set_rate_limit_remaining(0)  # the window resets in an hour
        outcome = validate(emu, root)
        seen = [r.status for r in emu.requests if r.origin == "api"]
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert "GitHub's primary rate limit was hit (403: API rate limit exceeded" in (
        outcome.done.stderr
    )
    assert "would exceed the retry budget of 10s. Try again later." in outcome.done.stderr
    assert seen == [403]  # health asked once and gave up; no later phase asked again
    assert outcome.seconds < 5
    assert_kept(root, previous)


def test_secondary_rate_limit_with_retry_after_is_waited_out(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUNNERS, kind="rate-limit-secondary", retry_after=1, times=1))
        outcome = validate(emu, root)
        seen = statuses(emu, RUNNERS)
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert seen[:2] == [403, 200]


@pytest.mark.parametrize(
    ("status", "retry_after"), [(429, None), (403, 3600)], ids=["429-no-retry-after", "403-1h"]
)
def test_secondary_rate_limit_beyond_the_budget_stops_with_a_clear_message(
    root: Path, previous: dict[str, bytes], status: int, retry_after: int | None
) -> None:
    with emulator() as emu:
        emu.inject(
            Fault(
                path=RUNNERS,
                kind="rate-limit-secondary",
                status=status,
                retry_after=retry_after,
                times=10_000,
            )
        )
        outcome = validate(emu, root)
        seen = statuses(emu, RUNNERS)
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert f"GitHub's secondary rate limit was hit ({status}: You have exceeded" in (
        outcome.done.stderr
    )
    assert "Try again later." in outcome.done.stderr
    assert seen == [status]  # no retry that could not fit the budget
    assert_kept(root, previous)


# --- the token, permissions, what does not exist ----------------------------------------------


def test_bad_token_exits_2_and_keeps_the_report(root: Path, previous: dict[str, bytes]) -> None:
    with emulator(token="ghp_the_token_github_knows_0000000000") as emu:
        outcome = validate(emu, root)
        seen = [r.status for r in emu.requests]
    assert_fail_closed(outcome, code=2, verdict=None)
    first = outcome.done.stderr.splitlines()[-1]
    assert first.startswith(
        "validate-arm64: error: GitHub rejected the token (401 Bad credentials)"
    )
    assert "Set GITHUB_TOKEN to a valid token" in first
    assert seen == [401]
    assert_kept(root, previous)


def test_token_without_runner_permission_leaves_run001_not_checked(root: Path) -> None:
    with emulator() as emu:
        emu.inject(
            Fault(
                path=RUNNERS,
                status=403,
                message="Resource not accessible by personal access token",
                times=10_000,
            )
        )
        outcome = validate(emu, root)
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    run001 = outcome.check("RUN001")
    assert run001["status"] == "inconclusive"
    assert "Administration: read" in json.dumps(run001)
    assert outcome.evidence["verdict"] == "INCONCLUSIVE"


def test_unknown_repository_exits_2_and_keeps_the_report(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        outcome = validate(emu, root, repository="tzervas/no-such-repo")
    assert_fail_closed(outcome, code=2, verdict=None)
    assert outcome.done.stderr.splitlines()[-1].startswith(
        "validate-arm64: error: Repository tzervas/no-such-repo was not found (404): check --repo"
    )
    assert_kept(root, previous)


def test_unknown_workflow_exits_2_and_keeps_the_report(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        outcome = validate(emu, root, "--workflow", "nope.yml")
        # without the health phase, the dispatch is the first to meet the missing workflow
        dispatch_only = run_cli(
            *("--phase", "dispatch", "--phase", "report", "--repo", emu.repository),
            *("--api-url", emu.base_url, "--workflow", "nope.yml", "--report", str(root / REPORT)),
            cwd=root,
            env={"GITHUB_TOKEN": SENTINEL},
            timeout=60,
        )
        assert statuses(emu, r"/nope\.yml/runs$") == [404]  # found before any dispatch
        assert statuses(emu, r"/dispatches$", method="POST") == []
    assert_fail_closed(outcome, code=2, verdict=None)
    assert dispatch_only.returncode == 2, dispatch_only.stderr
    for stderr in (outcome.done.stderr, dispatch_only.stderr):
        assert stderr.splitlines()[-1].startswith(
            "validate-arm64: error: Workflow nope.yml was not found in tzervas/embeddenator "
            "(404): check --workflow"
        ), stderr
    assert_kept(root, previous)


def test_unknown_run_id_exits_2_and_keeps_the_report(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        outcome = validate(emu, root, "--run-id", "987654321")
    assert_fail_closed(outcome, code=2, verdict=None)
    assert outcome.done.stderr.splitlines()[-1] == (
        "validate-arm64: error: Run 987654321 was not found in tzervas/embeddenator (404): "
        "check --run-id."
    ), outcome
    assert_kept(root, previous)


# --- a refused dispatch ---------------------------------------------------------------------


def test_dispatch_refused_for_a_workflow_not_on_the_default_branch_is_no_go(root: Path) -> None:
    with emulator("not-default-branch") as emu:
        outcome = validate(emu, root, "--ref", emu.scenario.cli.ref)
    assert_fail_closed(outcome, code=1, verdict="NO-GO")
    wf001 = outcome.check("WF001")
    assert wf001["status"] == "failed"
    assert "Workflow does not have 'workflow_dispatch' trigger" in wf001["detail"]


@pytest.mark.parametrize(
    ("given", "github_says"),
    [
        ("bogus=1", 'Unexpected inputs provided: ["bogus"]'),
        (
            "runner_type=huge",
            "Provided value 'huge' for input 'runner_type' not in the list of allowed values",
        ),
    ],
    ids=["unknown-input", "value-not-allowed"],
)
def test_dispatch_refused_input_is_a_usage_error_in_githubs_words(
    root: Path, previous: dict[str, bytes], given: str, github_says: str
) -> None:
    with emulator() as emu:
        # Unread, the workflow file cannot refuse the input first: GitHub's answer decides.
        emu.inject(Fault(path="/contents/", status=404))
        outcome = validate(emu, root, "--input", given)
        dispatched = statuses(emu, r"/dispatches$", method="POST")
    assert_fail_closed(outcome, code=2, verdict=None)
    line = outcome.done.stderr.splitlines()[-1]
    assert line.startswith(f"validate-arm64: error: GitHub refused to dispatch {WORKFLOW} on main")
    assert f'(422): "{github_says}".' in line
    assert "Check the --input KEY=VALUE pairs" in line
    assert dispatched == [422]
    assert_kept(root, previous)


# --- the run ------------------------------------------------------------------------------------


def test_run_that_never_appears_after_a_dispatch_is_given_up(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        # Accepted without details and without a run: the run list is the only way to find it.
        emu.inject(Fault(path=r"/dispatches$", method="POST", status=204))
        outcome = validate(emu, root, queue_timeout="1s")
        listed = statuses(emu, r"/workflows/[^/]+/runs$")
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert re.search(
        rf"Dispatched {WORKFLOW} on main, but no new run appeared within 1s\. .*pass --run-id N",
        outcome.done.stderr,
    ), outcome
    assert 2 <= len(listed) <= 15  # polled with backoff, not in a tight loop
    assert_kept(root, previous)


def test_dispatched_run_that_github_never_shows_is_given_up(
    root: Path, previous: dict[str, bytes]
) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=RUN, status=404, message="Not Found", times=10_000))
        outcome = validate(emu, root, queue_timeout="1s")
        polls = statuses(emu, RUN)
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert re.search(
        rf"GitHub gave run \d+ of {WORKFLOW} for the dispatch but answered 404 for it during "
        r"\ds: it may have been deleted\. .* pass --run-id N",
        outcome.done.stderr,
    ), outcome
    assert 2 <= len(polls) <= 15
    assert outcome.seconds < 8
    assert_kept(root, previous)


def test_run_that_stays_queued_past_the_deadline_is_not_go(root: Path) -> None:
    never_picked = scenario_with(lambda plan: dataclasses.replace(plan, queue_seconds=None))
    with emulator(never_picked) as emu:
        outcome = validate(emu, root, queue_timeout="1s")
        cancelled = statuses(emu, r"/cancel$", method="POST")
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    run002 = outcome.check("RUN002")
    assert run002["status"] == "inconclusive"
    assert re.search(r"stayed queued for \ds: .* raise --queue-timeout", run002["detail"])
    assert cancelled == []  # left queued: cancelling is --cancel-on-abort's, on Ctrl-C only


def test_run_still_running_past_the_run_timeout_is_not_go(root: Path) -> None:
    endless = scenario_with(lambda plan: dataclasses.replace(plan, run_seconds=10**9))
    with emulator(endless) as emu:
        outcome = validate(emu, root, run_timeout="1s")
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    run002 = outcome.check("RUN002")
    assert run002["status"] == "inconclusive"
    assert "--run-timeout" in run002["detail"]


@pytest.mark.parametrize(
    "conclusion", ["cancelled", "timed_out", "startup_failure", "action_required"]
)
def test_run_that_ends_badly_is_no_go(root: Path, conclusion: str) -> None:
    def ends(plan: Any) -> Any:
        if conclusion == "startup_failure":  # the workflow never started a job
            return dataclasses.replace(plan, conclusion=conclusion, jobs=(), artifacts=())
        return dataclasses.replace(plan, conclusion=conclusion)

    with emulator(scenario_with(ends)) as emu:
        outcome = validate(emu, root)
    assert_fail_closed(outcome, code=1, verdict="NO-GO")
    run002 = outcome.check("RUN002")
    assert run002["status"] == "failed"
    assert f"concluded `{conclusion}`" in run002["detail"]


def test_rerun_attempt_2_is_what_the_report_shows(root: Path) -> None:
    """A re-run: the run is at attempt 2, and each job's newest attempt is evidence (jobs that
    "re-run failed jobs" did not re-run keep attempt 1 and count); attempt 1 is named."""
    # On the scenario's own clock: in real time, the run's artifacts would have expired.
    with Emulator("flaky-rerun", clock=VirtualClock(), advance_per_request=ADVANCE) as emu:
        outcome = validate(emu, root, "--run-id", "20912345678")
        jobs = [r.query.get("filter") for r in emu.requests if r.path.endswith("/jobs")]
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert jobs == ["latest", "all"]  # the judged jobs, then the earlier attempts' failures
    run = outcome.evidence["evidence"]["run"]
    assert run["attempt"] == 2
    assert run["jobs"] and all(job["conclusion"] == "success" for job in run["jobs"])
    assert {job["attempt"] for job in run["jobs"]} == {1, 2}
    report = (root / REPORT).read_text(encoding="utf-8")
    assert "(attempt 2)" in report
    assert "attempt 2" in outcome.check("RUN002")["detail"]
    assert "attempt 1 concluded `failure`" in outcome.check("RUN002")["detail"]


# --- artifacts -----------------------------------------------------------------------------------


def test_artifact_expired_at_download_is_no_go_and_leaves_nothing(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(path=ARTIFACT_ZIP, status=410, message="Artifact has expired", times=1))
        outcome = validate(emu, root)
    assert_fail_closed(outcome, code=1, verdict="NO-GO")
    art001 = outcome.check("ART001")
    assert art001["status"] == "failed"
    assert "`test-results`: Artifact 'test-results'" in art001["detail"]
    assert "has expired or was deleted (410)" in art001["detail"]
    assert "test-results" not in extracted(root)


def test_signed_link_expired_once_is_asked_again_and_goes(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(origin="blob", path=TEST_RESULTS_BLOB, status=403, times=1))
        outcome = validate(emu, root)
        links = statuses(emu, ARTIFACT_ZIP)
        blobs = statuses(emu, TEST_RESULTS_BLOB, origin="blob")
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert blobs == [403, 200]
    assert links.count(302) == 4 + 1  # four artifacts, one link asked for twice


def test_digest_mismatch_once_is_downloaded_again_and_goes(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(origin="blob", path=TEST_RESULTS_BLOB, status=200, message="junk"))
        outcome = validate(emu, root)
        blobs = statuses(emu, TEST_RESULTS_BLOB, origin="blob")
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert blobs == [200, 200]
    assert "digest mismatch, downloading it again" in outcome.done.stderr


def test_digest_mismatch_that_persists_is_no_go_and_leaves_nothing(root: Path) -> None:
    with emulator() as emu:
        emu.inject(
            Fault(origin="blob", path=TEST_RESULTS_BLOB, status=200, message="junk", times=10)
        )
        outcome = validate(emu, root)
    assert_fail_closed(outcome, code=1, verdict="NO-GO")
    art001 = outcome.check("ART001")
    assert art001["status"] == "failed"
    assert "`test-results`: digest mismatch: GitHub says sha256:" in art001["detail"]
    assert "test-results" not in extracted(root)


def test_download_reset_once_is_retried_and_goes(root: Path) -> None:
    with emulator() as emu:
        emu.inject(Fault(origin="blob", path=TEST_RESULTS_BLOB, kind="reset", times=1))
        outcome = validate(emu, root)
        blobs = statuses(emu, TEST_RESULTS_BLOB, origin="blob")
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert blobs == [0, 200]


def test_download_cut_short_once_is_retried_and_goes(root: Path) -> None:
    with emulator() as emu, Proxy(emu) as proxy:
        proxy.cut_short(TEST_RESULTS_BLOB, times=1)
        outcome = validate(proxy, root)
        blobs = statuses(emu, TEST_RESULTS_BLOB, origin="blob")
    assert_fail_closed(outcome, code=0, verdict="GO")
    assert blobs == [200, 200]  # the first answer was cut short on its way


def persistent_download_fault(kind: str, emu: Emulator, proxy: Proxy) -> str:
    """Arm a download fault that outlasts the budget; the message the CLI should give."""
    if kind == "signed-link-refused":
        emu.inject(Fault(origin="blob", path=TEST_RESULTS_BLOB, status=403, times=10_000))
        return "The download host refused the signed link (403) while downloading artifact "
    proxy.cut_short(TEST_RESULTS_BLOB)
    return "the connection to the download host broke mid-answer while downloading artifact "


DOWNLOAD_FAULTS = ["signed-link-refused", "cut-short"]


@pytest.mark.parametrize("kind", DOWNLOAD_FAULTS)
def test_download_that_keeps_failing_stops_keeps_the_report_and_leaves_nothing(
    root: Path, previous: dict[str, bytes], kind: str
) -> None:
    with emulator() as emu, Proxy(emu) as proxy:
        message = persistent_download_fault(kind, emu, proxy)
        outcome = validate(proxy, root, retry_budget="3s")
        blobs = statuses(emu, TEST_RESULTS_BLOB, origin="blob")
    assert outcome.code != 0 and outcome.verdict != "GO", outcome
    assert "Traceback" not in outcome.output
    assert f"artifacts: error ({message}'test-results'" in outcome.done.stderr, outcome
    assert "Try again later." in outcome.done.stderr
    assert 2 <= len(blobs) <= 4  # asked again, within the budget
    assert partial_files(root) == []
    assert extracted(root) == []  # the artifacts fetched before it are removed too
    assert_kept(root, previous)
    assert_no_leak(outcome)


@pytest.mark.parametrize("kind", DOWNLOAD_FAULTS)
def test_download_that_keeps_failing_is_inconclusive(root: Path, kind: str) -> None:
    with emulator() as emu, Proxy(emu) as proxy:
        persistent_download_fault(kind, emu, proxy)
        outcome = validate(proxy, root, retry_budget="3s")
    assert outcome.check("TST001")["status"] == "inconclusive"
    assert (outcome.code, outcome.verdict) == (3, "INCONCLUSIVE"), outcome


def test_verbose_log_under_faults_never_shows_the_token(root: Path) -> None:
    """Debug logging on, a retried 500, and a server that echoes the token in its message."""
    with emulator() as emu:
        emu.inject(Fault(path=REPO_PATH, status=500, times=1))
        emu.inject(Fault(path=RUNNERS, status=403, message=f"token {SENTINEL} may not", times=99))
        outcome = validate(emu, root, "--verbose")
    assert_fail_closed(outcome, code=3, verdict="INCONCLUSIVE")
    assert "DEBUG" in outcome.done.stderr  # the check below saw the debug log
    assert "token *** may not" in json.dumps(outcome.check("RUN001"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (crc_damaged_zip(), "CRC"),
        (b"<html>Service Unavailable</html>", "not a zip"),
    ],
    ids=["crc-error", "not-a-zip"],
)
def test_damaged_artifact_zip_is_no_go_and_leaves_nothing(
    root: Path, data: bytes, reason: str
) -> None:
    with emulator() as emu, Proxy(emu) as proxy:
        proxy.replace_artifact("test-results", data)
        outcome = validate(proxy, root)
    assert_fail_closed(outcome, code=1, verdict="NO-GO")
    art001 = outcome.check("ART001")
    assert art001["status"] == "failed"
    assert "`test-results`: not extracted:" in art001["detail"]
    assert reason.lower() in art001["detail"].lower()
    assert "test-results" not in extracted(root)


@pytest.fixture(autouse=True)
def _bounded(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test here stays fast: a hang would show as a slow test, never a stuck suite."""
    started = time.monotonic()
    yield
    if "slow" not in request.keywords:
        assert time.monotonic() - started < 15, "a fault test took more than 15 s"


@pytest.mark.parametrize(
    "where", ["report-is-a-folder", "parent-is-a-file", "evidence-parent-is-a-file"]
)
def test_an_unwritable_output_is_refused_before_anything_is_dispatched(tmp_path: Path, where: str):
    root = tmp_path / "work"
    root.mkdir()
    extra: tuple[str, ...] = ()
    if where == "report-is-a-folder":
        (root / REPORT).mkdir(parents=True)
    elif where == "parent-is-a-file":
        (root / REPORT).parent.parent.mkdir(parents=True, exist_ok=True)
        (root / REPORT).parent.write_text("a file where the report folder should be")
    else:
        (root / "blocked").write_text("a file")
        extra = ("--evidence", str(root / "blocked" / "e.json"))
    with emulator() as emu:
        outcome = validate(emu, root, *extra)
        dispatched = [r for r in emu.requests if r.path.endswith("/dispatches")]
    assert outcome.code == 2, outcome
    first = outcome.done.stderr.splitlines()[0]
    assert first.startswith("validate-arm64: error: --")
    assert "writable folder" in first
    assert dispatched == []  # nothing spent on a report that could not be written
