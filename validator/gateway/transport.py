"""HTTP to GitHub: session, auth, retries, rate limits, redirects, the cost meter, blobs.

The only module that imports PyGithub and requests. Requests go through PyGithub's
``Requester`` rather than its lazy objects, which fetch missing fields behind our back (so
retries, waits and rate-limit accounting could not be bounded); PyGithub's own retry is off:
:class:`~validator.gateway.retries.Retrier` is the only retry loop. Signed blob URLs are
fetched by a session that never sends credentials.
"""

from __future__ import annotations

import contextlib
import logging
import math
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import github
import requests
import urllib3

from validator import __version__
from validator.errors import GitHubError
from validator.evidence import EMULATOR_HEADER, Cost
from validator.gateway.deadline import DeadlineExceeded, deadline, pace
from validator.gateway.decode import Response, error_message, list_field, same_origin
from validator.gateway.downloads import Sink
from validator.gateway.messages import Wording, error_for, one_line, redirect_error, unreachable
from validator.gateway.meter import Meter
from validator.gateway.retries import Retrier, Transient, blob_refusal, transient_for

log = logging.getLogger(__name__)
logging.getLogger("github").setLevel(logging.WARNING)  # its INFO lines repeat ours
PER_PAGE = 100  # the most GitHub gives in one page
_MAX_PAGES = 50  # 5,000 items: far beyond any real runner, job or artifact list
_CHUNK = 1 << 16
_TIMEOUT_SHARE = 3  # one attempt may take at most a third of the retry budget: room for retries
_REDIRECTS = (301, 302, 303, 307, 308)
NOT_YET_WAIT = 2.0  # seconds between asks for a job log that is not there yet
API_VERSION = "2022-11-28"  # pinned; 2026-03-10 differs only where the gateway reads both
_MEDIA_TYPE = "application/vnd.github+json"
_NO_ANSWER = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Transport:
    """Authenticated, retried, metered calls to one GitHub API, and anonymous blob downloads."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str | None,
        timeout: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        retry_budget: float,
        min_download_rate: float = 0.0,
        api_version: str = API_VERSION,
    ) -> None:
        """``api_url`` and ``token`` as Config checked them. ``clock`` measures waiting;
        ``wall_clock`` (epoch seconds) reads ``x-ratelimit-reset``. The ``timeout``, cut to a
        third of the retry budget, bounds a whole answer, body included; a download must keep
        ``min_download_rate`` bytes/s over every such window."""
        self.api_url = api_url
        self.min_download_rate = min_download_rate
        self._token = token
        self.timeout = min(timeout, max(1.0, retry_budget / _TIMEOUT_SHARE))
        self._wall_clock = wall_clock
        self._retrier = Retrier(budget=retry_budget, timeout=self.timeout, sleep=sleep, clock=clock)
        self._github = github.Github(
            auth=github.Auth.Token(self._token) if self._token else None,
            base_url=self.api_url,
            timeout=max(1, math.floor(self.timeout)),  # PyGithub insists on an int
            user_agent=f"validate-arm64/{__version__} (PyGithub)",
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=0,
        )
        self._requester = self._github.requester
        self.api_version = api_version
        self._blobs = _AnonymousSession()
        self._meter = Meter()
        self._reached = False  # a host that answered once keeps the retry budget
        self.emulator: str | None = None  # the scenario's name when the API is the emulator

    def close(self) -> None:
        """Release connections."""
        self._github.close()
        self._blobs.close()

    def cost(self, *, phase_seconds: Mapping[str, float] | None = None) -> Cost:
        """API requests made, rate-limit points spent (304s are free), bytes downloaded."""
        return self._meter.cost(phase_seconds=phase_seconds)

    def request(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        wording: Wording,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        recover: Callable[[], Response | None] | None = None,
    ) -> Response:
        """One API call with retries; a 2xx or a 304 is returned.

        Any other 3xx is never success: a renamed or transferred repository answers 301/307
        (PyGithub follows a 301 on the same host itself), and is reported as moved.
        ``recover``, before each retry, may find that the failed attempt took effect anyway
        and give the answer to use instead of sending the request again.
        """

        def attempt(number: int) -> Response:
            if number > 1 and recover is not None and (answer := recover()) is not None:
                return answer
            resp = self._send(verb, url, params=params, headers=headers, body=body, what=what)
            if resp.status >= 400:
                raise self._failure(resp, number, what=what, wording=wording)
            if 300 <= resp.status < 400 and resp.status != 304:
                raise self._redirected(resp, what=what)
            return resp

        return self._retrier.run(what, attempt)

    def pages(
        self,
        url: str,
        *,
        key: str,
        what: str,
        wording: Wording,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following GitHub's ``Link: rel="next"``."""
        query: dict[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        next_url: str | None = url
        for _ in range(_MAX_PAGES):
            assert next_url is not None
            resp = self.request("GET", next_url, params=query, what=what, wording=wording)
            yield from list_field(resp.json(what), key, what)
            next_url = _next_link(resp.headers.get("link", ""))
            if next_url is None:
                return
            if not same_origin(next_url, self.api_url):
                raise GitHubError(
                    f"GitHub's pagination link while {what} leaves {self.api_url}; refusing to "
                    "follow it (check --api-url)."
                )
            query = None  # the next link carries its own query
        raise GitHubError(f"GitHub returned more than {_MAX_PAGES} pages while {what}; stopped.")

    def fetch_blob(
        self,
        url: str,
        *,
        what: str,
        gone: str,
        sink: Sink,
        max_bytes: int,
        inline_ok: bool,
        not_yet: int = 0,
    ) -> None:
        """Ask the API for a signed URL (302, not followed) and stream it without credentials.

        A signed URL lives about a minute: if the blob store refuses it, ask once more.
        With ``inline_ok``, an answer that is the content itself (200) is taken too.
        The first ``not_yet`` answers 404 are waited out (a job's log appears a little after
        the job completes), within the retry budget.
        """
        refreshed = False

        def attempt(number: int) -> None:
            nonlocal refreshed
            resp = self._send("GET", url, params=None, headers=None, body=None, what=what)
            if resp.status == 404 and number <= not_yet:
                raise Transient(f"not there yet (404, attempt {number})", wait=NOT_YET_WAIT)
            if resp.status >= 400:
                raise self._failure(
                    resp, number, what=what, wording=Wording(not_found=gone, gone=gone)
                )
            sink.restart()
            if resp.status == 200 and inline_ok:  # some servers answer a log with its text
                data = resp.text.encode("utf-8")
                if len(data) > max_bytes:
                    raise GitHubError(f"Stopped {what}: more than {max_bytes:,} bytes.")
                self._meter.bytes += len(data)
                sink.write(data)
                return
            location = resp.headers.get("location")
            if resp.status not in _REDIRECTS or not location:
                raise GitHubError(
                    f"GitHub answered {resp.status} without a download location while {what}."
                )
            blob_status = self._stream(location, what=what, sink=sink, max_bytes=max_bytes)
            if (refused := blob_refusal(blob_status, what, refreshed=refreshed)) is not None:
                refreshed = refreshed or blob_status in (401, 403)
                raise refused

        self._retrier.run(what, attempt)

    def _send(
        self,
        verb: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        body: Any,
        what: str,
    ) -> Response:
        """One HTTP request through PyGithub's requester, counted; no answer → Transient."""
        sent = {"Accept": _MEDIA_TYPE, "X-GitHub-Api-Version": self.api_version, **(headers or {})}
        try:
            with deadline(self.timeout, self.api_url):
                status, raw_headers, text = self._requester.requestJson(
                    verb, url, parameters=dict(params) if params else None, headers=sent, input=body
                )
        except DeadlineExceeded as exc:
            self._meter.unanswered()
            raise Transient(str(exc), wait=0.0) from None
        except _NO_ANSWER as exc:
            self._meter.unanswered()
            if not self._reached and _never_connected(exc):
                raise unreachable(self.api_url, what) from None
            raise Transient(_no_answer(exc, self.api_url, self.timeout), wait=0.0) from None
        except requests.RequestException as exc:
            raise GitHubError(
                f"Could not send the request to GitHub at {self.api_url} while {what} "
                f"({type(exc).__name__}): check --api-url."
            ) from None
        resp_headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        self._reached = True
        self._meter.answered(status, resp_headers)
        self.emulator = resp_headers.get(EMULATOR_HEADER.lower(), self.emulator)
        log.debug("%s %s -> %s", verb, url, status)
        return Response(status=status, headers=resp_headers, text=text or "")

    def _failure(
        self, resp: Response, attempt: int, *, what: str, wording: Wording
    ) -> GitHubError | Transient:
        """What an error answer means: try again (Transient), or our final error."""
        message = error_message(resp.text)
        shown = one_line(message, secret=self._token)
        transient = transient_for(
            resp.status,
            resp.headers,
            message,
            shown=shown,
            attempt=attempt,
            now=self._wall_clock(),
        )
        if transient is not None:
            return transient
        return error_for(
            resp.status, shown, what=what, wording=wording, anonymous=self._token is None
        )

    def _redirected(self, resp: Response, *, what: str) -> GitHubError:
        """Our error for a redirect the API should not give: the repository moved, or worse."""

        def full_name(repository_id: str) -> str | None:
            with contextlib.suppress(GitHubError, Transient):
                found = self._send(
                    "GET",
                    f"/repositories/{repository_id}",
                    params=None,
                    headers=None,
                    body=None,
                    what=what,
                )
                if found.status == 200:
                    name = found.json(what).get("full_name")
                    return name if isinstance(name, str) and name else None
            return None

        return redirect_error(resp.status, resp.headers.get("location", ""), what, full_name)

    def _stream(self, location: str, *, what: str, sink: Sink, max_bytes: int) -> int:
        """GET a signed URL (no Authorization) into ``sink``; the HTTP status."""
        if urllib.parse.urlsplit(location).scheme not in ("http", "https"):
            raise GitHubError(f"GitHub gave a download location that is not HTTP while {what}.")
        received = [0]
        try:
            with (
                pace(self.timeout, self.min_download_rate, lambda: received[0], "the download"),
                self._blobs.get(location, stream=True, timeout=self.timeout) as resp,
            ):
                if resp.status_code != 200:
                    return resp.status_code
                for chunk in resp.iter_content(chunk_size=_CHUNK):
                    received[0] += len(chunk)
                    self._meter.bytes += len(chunk)
                    if received[0] > max_bytes:
                        raise GitHubError(
                            f"Stopped {what}: more than {max_bytes:,} bytes. The file is larger "
                            "than this tool accepts."
                        )
                    sink.write(chunk)
        except DeadlineExceeded as exc:
            raise GitHubError(
                f"Stopped {what}: {exc}. Try again when the network is faster, or lower "
                "--min-download-rate."
            ) from None
        except _NO_ANSWER as exc:
            raise Transient(_no_answer(exc, "the download host", self.timeout), wait=0.0) from None
        except requests.RequestException as exc:
            raise GitHubError(f"Could not download while {what} ({type(exc).__name__}).") from None
        return 200


class _AnonymousSession(requests.Session):
    """A session that never sends credentials: blob URLs are pre-signed, a token there leaks."""

    def __init__(self) -> None:
        super().__init__()
        self.auth = _strip_authorization  # also stops requests from reading ~/.netrc

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, _response: Any) -> None:
        prepared_request.headers.pop("Authorization", None)


def _strip_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    request.headers.pop("Authorization", None)
    return request


def _next_link(header: str) -> str | None:
    for link in requests.utils.parse_header_links(header) if header else ():
        if link.get("rel") == "next" and link.get("url"):
            return link["url"]
    return None


def _no_answer(exc: Exception, where: str, timeout: float) -> str:
    if isinstance(exc, requests.Timeout):
        return f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the connection to {where} broke mid-answer"
    return f"could not connect to {where} (connection refused or reset)"


def _never_connected(exc: Exception) -> bool:
    """Refused, or a host name that does not resolve; a timeout may be a slow host."""
    cause = getattr(exc.args[0], "reason", None) if exc.args else None
    timeout = isinstance(exc, requests.Timeout)
    return isinstance(cause, urllib3.exceptions.NewConnectionError) and not timeout
