"""The emulator's two loopback HTTP servers: the REST API, and the blob origin it redirects to."""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import hmac
import logging
import secrets
import socket
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from validator.emulator import payloads
from validator.emulator.api import (
    JSON_TYPE,
    V2022,
    Api,
    Request,
    Response,
    error_response,
    json_response,
)
from validator.emulator.blobs import azure_error, check_signature, job_log, upload_lines
from validator.emulator.clock import VirtualClock
from validator.emulator.faults import Fault, FaultQueue
from validator.emulator.payloads import V2026
from validator.emulator.scenario import load_scenario
from validator.emulator.specs import Scenario
from validator.emulator.state import ApiError, JobView, World, artifacts_at
from validator.errors import ValidatorError
from validator.evidence import EMULATOR_HEADER

logger = logging.getLogger(__name__)

MAX_BODY = 1 << 20
PRIMARY_MESSAGE = (
    f"API rate limit exceeded for user ID {payloads.ACTOR_ID}. If you reach out to GitHub "
    "Support for help, please include the request ID."
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    """A request the emulator answered (``status`` 0: it never answered). No secrets kept."""

    origin: Literal["api", "blob"]
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case keys; Authorization is redacted
    status: int
    at: float = 0.0  # the emulator's clock when it answered (epoch seconds)
    rate_limit_used: int | None = None  # the answer's X-RateLimit-Used, when it had one


def _redact(headers: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for k, v in headers.items():
        key = k.lower()
        if key in ("authorization", "cookie", "proxy-authorization"):
            scheme = v.split(" ", 1)[0] if " " in v else ""
            out[key] = f"{scheme} <redacted>".strip()
        else:
            out[key] = v
    return out


class _Server(ThreadingHTTPServer):
    """A threading server that can drop its open connections when it stops."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        emulator: Emulator,
        origin: Literal["api", "blob"],
    ) -> None:
        self.emulator = emulator
        self.origin = origin
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)

    def drop_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, lets the emulator answer it, writes the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall
    server: _Server
    timeout = 120  # an idle keep-alive connection is closed after this

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return "GitHub.com"

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the virtual clock, like every timestamp in the bodies.
        when = self.server.emulator.clock.now() if timestamp is None else timestamp
        return email.utils.formatdate(when, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.server.origin, format % args)

    def _serve(self) -> None:
        emu = self.server.emulator
        if emu.stopping.is_set():
            self.close_connection = True
            return
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True  # the body was not read, so the stream is lost
            self._send(error_response(400 if length < 0 else 413, "Bad Content-Length"))
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
        )

        def record(status: int, answer: Mapping[str, str] | None = None) -> None:
            # Recorded before the answer leaves, so a client that has its answer sees it.
            used = (answer or {}).get("X-RateLimit-Used", "")
            emu.record(
                RecordedRequest(
                    origin=self.server.origin,
                    method=self.command,
                    path=split.path,
                    query=req.query,
                    headers=_redact(headers),
                    status=status,
                    at=emu.clock.now(),
                    rate_limit_used=int(used) if used.isdigit() else None,
                )
            )

        fault = emu.faults.take(self.server.origin, self.command, split.path)
        if fault is not None and fault.kind in ("reset", "hang"):
            record(0)
            self._no_answer(fault)
            return
        try:
            if self.server.origin == "api":
                resp = emu.answer_api(req, fault)
            else:
                resp = emu.answer_blob(req, fault)
        except Exception:
            logger.exception("emulator failed on %s %s", self.command, split.path)
            resp = error_response(500, "Emulator error; see its log.")
        record(resp.status, resp.headers)
        self._send(resp)

    def _no_answer(self, fault: Fault) -> None:
        self.close_connection = True
        if fault.kind == "hang":
            self.server.emulator.stopping.wait()
            return
        # SO_LINGER 0 makes close() send a RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        head = self.command == "HEAD"
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.body and not head:
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class Emulator:
    """A GitHub REST API emulator on loopback, driven by a scenario and a virtual clock."""

    def __init__(
        self,
        scenario: str | Path | Scenario = "healthy",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: VirtualClock | None = None,
        advance_per_request: float = 0.0,
        token: str | None = None,
        blob_port: int = 0,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.clock = clock or VirtualClock()
        self.advance_per_request = advance_per_request
        self.faults = FaultQueue()
        self.stopping = threading.Event()
        self._token = token
        self._host = host
        self._ports = (port, blob_port)
        self._blob_key = secrets.token_bytes(32)
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.world = World(self.scenario, self.clock)
        self._api: Api | None = None

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start both servers in background threads (idempotent)."""
        if self._servers:
            return self
        self.stopping.clear()
        try:
            api = _Server((self._host, self._ports[0]), _Handler, self, "api")
            blob = _Server((self._host, self._ports[1]), _Handler, self, "blob")
        except OSError as exc:
            for s in self._servers:
                s.server_close()
            raise ValidatorError(
                f"The emulator cannot listen on {self._host}:{self._ports[0]} ({exc.strerror}); "
                "choose another --port."
            ) from None
        self._servers = [api, blob]
        self._api = Api(
            self.world, base_url=self._url(api), blob_url=self._url(blob), blob_key=self._blob_key
        )
        for s in self._servers:
            t = threading.Thread(
                target=s.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{s.origin}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)
        logger.info(
            "emulating %s at %s (blobs at %s)", self.repository, self.base_url, self.blob_url
        )
        return self

    def stop(self) -> None:
        """Stop both servers and drop their connections."""
        self.stopping.set()
        for s in self._servers:
            s.shutdown()
            s.drop_connections()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers = []
        self._threads = []

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve until KeyboardInterrupt (which is re-raised after stopping)."""
        self.start()
        try:
            while not self.stopping.wait(0.5):
                pass
        finally:
            self.stop()

    # --- what users read ----------------------------------------------------------------

    @staticmethod
    def _url(server: _Server) -> str:
        host, port = server.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"

    @property
    def api(self) -> Api:
        if self._api is None:
            raise ValidatorError("The emulator is not started: use `with Emulator(...)`.")
        return self._api

    @property
    def base_url(self) -> str:
        return self.api.base

    @property
    def blob_url(self) -> str:
        return self.api.blob_url

    @property
    def repository(self) -> str:
        return self.scenario.repository.full_name

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def check_runs(self) -> list[dict[str, Any]]:
        """The bodies of the check runs created so far, as received."""
        return list(self._api.check_runs.received) if self._api is not None else []

    def inject(self, fault: Fault) -> None:
        """Arm a fault for the next matching requests."""
        self.faults.add(fault)

    def set_rate_limit_remaining(self, remaining: int) -> None:
        """Use up the rate-limit window down to ``remaining`` requests."""
        self.api.limiter.set_remaining(remaining, self.clock.now())

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(entry)

    # --- answering ----------------------------------------------------------------------

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        if self._token is None:
            return True
        given = headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return False
        return hmac.compare_digest(value.strip().encode(), self._token.encode())

    def answer_api(self, req: Request, fault: Fault | None) -> Response:
        """The API's answer, with GitHub's headers, rate limit and conditional GET."""
        if self.advance_per_request > 0:
            self.clock.advance(self.advance_per_request)
        api = self.api
        now = self.clock.now()
        version = req.headers.get("x-github-api-version", V2022)
        supported = (V2022,) if self.scenario.legacy_ghes else (V2022, V2026)
        common = {
            "X-GitHub-Api-Version-Selected": version if version in supported else V2022,
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": secrets.token_hex(8).upper(),
            # Says what it is, so evidence made against it can never pass for GitHub's.
            EMULATOR_HEADER: self.scenario.name or "emulator",
            "Access-Control-Expose-Headers": "ETag, Link, Location, Retry-After, X-RateLimit-Limit",
        }
        if fault is not None:
            return self._fault_response(fault, api, now, common)
        counted = req.path.rstrip("/") != "/rate_limit"
        if not self._authorized(req.headers):
            resp = json_response(401, payloads.error("Bad credentials", status=401))
        elif version not in supported:
            resp = error_response(400, f"API version {version} is not supported.")
        elif counted and api.limiter.exhausted(now):
            resp = json_response(403, payloads.error(PRIMARY_MESSAGE, status=403))
            counted = False
        else:
            resp = api.handle(req)
        headers = {**common, **resp.headers}
        if req.method in ("GET", "HEAD") and resp.status == 200:
            etag = 'W/"' + hashlib.sha256(resp.body).hexdigest() + '"'  # weak, 64 hex, as GitHub'
            headers["ETag"] = etag
            if _etag_matches(req.headers.get("if-none-match"), etag):
                # A conditional request answered 304 does not count against the limit.
                headers.pop("Content-Type", None)
                return Response(status=304, headers=headers | api.limiter.headers(now))
        if counted:
            api.limiter.charge(now)
        return Response(
            status=resp.status, body=resp.body, headers=headers | api.limiter.headers(now)
        )

    def _fault_response(
        self, fault: Fault, api: Api, now: float, common: Mapping[str, str]
    ) -> Response:
        rate = api.limiter.headers(now)
        if fault.kind == "rate-limit-primary":
            msg = fault.message or PRIMARY_MESSAGE
            rate = rate | {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": str(api.limiter.limit),
                "X-RateLimit-Reset": str(int(now) + 1),
            }
            resp = json_response(fault.http_status, payloads.error(msg, status=fault.http_status))
        elif fault.kind == "rate-limit-secondary":
            extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            msg = fault.message or SECONDARY_MESSAGE
            resp = json_response(
                fault.http_status, payloads.error(msg, status=fault.http_status), extra
            )
        else:
            msg = fault.message or _reason(fault.http_status)
            resp = json_response(fault.http_status, payloads.error(msg, status=fault.http_status))
        return Response(
            status=resp.status, body=resp.body, headers={**common, **rate, **resp.headers}
        )

    def answer_blob(self, req: Request, fault: Fault | None) -> Response:
        """The blob origin's answer: the file, or Azure's 403 XML."""
        now = self.clock.now()
        if fault is not None:
            return Response(
                status=fault.http_status,
                body=(fault.message or "").encode(),
                headers={"Content-Type": "text/plain"},
            )
        if "authorization" in req.headers:
            return _azure_403("Authorization header is not allowed with a signed URL.", now)
        problem = check_signature(self._blob_key, req.path, req.query, now)
        if problem is not None:
            return _azure_403(problem, now)
        try:
            data, ctype = self._blob(req.path)
        except ApiError:
            return Response(status=404, body=b"", headers={"Content-Type": "application/xml"})
        except ValidatorError as exc:
            return Response(
                status=500, body=str(exc).encode(), headers={"Content-Type": "text/plain"}
            )
        return Response(
            status=200,
            body=data,
            headers={
                "Content-Type": ctype,
                "x-ms-blob-type": "BlockBlob",
                "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode(),  # noqa: S324
            },
        )

    def _blob(self, path: str) -> tuple[bytes, str]:
        parts = path.strip("/").split("/")
        now = self.clock.now()
        if len(parts) == 3 and parts[0] == "artifacts" and parts[1].isdigit():
            # The link was signed while the artifact existed; serve it even if it expired since.
            view = self.world.artifact(int(parts[1]), now)
            return self.world.zip_bytes(view.spec), "application/zip"
        if len(parts) == 2 and parts[0] == "logs" and parts[1].endswith(".txt"):
            job = self.world.job(int(parts[1].removesuffix(".txt") or 0), now)
            if job.runner is None:
                raise ApiError(404, "Not Found")
            version = next(
                (r.version for r in self.scenario.runners if r.id == job.runner.id and r.version),
                "2.330.0",
            )
            text = job_log(
                job.spec,
                runner=job.runner,
                runner_version=version,
                started=job.started,
                fixtures_dir=self.scenario.fixtures_dir,
                uploads=self._upload_lines(job, now),
            )
            return text.encode("utf-8"), "text/plain; charset=utf-8"
        raise ApiError(404, "Not Found")

    def _upload_lines(self, job: JobView, now: float) -> dict[str, list[str]]:
        """The upload-artifact lines of each step of ``job`` that uploaded an artifact."""
        lines: dict[str, list[str]] = {}
        repo = self.scenario.repository.full_name
        for view in artifacts_at(job.run, now):
            spec = view.spec
            # Its uploader's step, and the steps of other jobs that print the same lines.
            steps = [st for name, st in spec.claims if name == job.spec.name]
            if spec.job == job.spec.name and spec.step is not None:
                steps.append(spec.step)
            if not spec.upload_log:
                continue
            for step in steps:
                lines.setdefault(step, []).extend(
                    upload_lines(
                        name=spec.name,
                        files=len(spec.files),
                        artifact_id=view.id,
                        data=self.world.zip_bytes(spec),
                        url=f"https://github.com/{repo}/actions/runs/{job.run.id}/artifacts/"
                        f"{view.id}",
                    )
                )
        return lines


def _azure_403(detail: str, now: float) -> Response:
    return Response(
        status=403,
        body=azure_error(detail, now=now),
        headers={"Content-Type": "application/xml", "x-ms-error-code": "AuthenticationFailed"},
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == bare for t in header.split(","))


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


__all__ = ["JSON_TYPE", "Emulator", "RecordedRequest"]
