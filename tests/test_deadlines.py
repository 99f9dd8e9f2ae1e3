"""A host that answers one byte at a time is given up on: every call has a total deadline."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from validator.errors import ValidatorError
from validator.evidence import Artifact
from validator.gateway import Gateway

DRIP_FOR = 30.0  # the server gives up by itself after this long
BUDGET = 3.0  # --retry-budget: one attempt may take a third of it


class Drip(http.server.BaseHTTPRequestHandler):
    """Headers at once, then a body of one byte every 0.2 s; /job-log redirects to /blob."""

    protocol_version = "HTTP/1.1"
    server: http.server.ThreadingHTTPServer  # the server it is handed (typeshed: a BaseServer)

    def do_GET(self) -> None:
        if self.path.endswith("/zip"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/blob")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(10_000_000))
        self.end_headers()
        ends = time.monotonic() + DRIP_FOR
        try:
            while time.monotonic() < ends:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def drip() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def gateway(url: str, **options: Any) -> Gateway:
    return Gateway(repository="o/r", token="t" * 40, api_url=url, retry_budget=BUDGET, **options)


def test_an_api_answer_that_never_ends_is_given_up_within_the_budget(drip: str) -> None:
    started = time.monotonic()
    with gateway(drip) as gw, pytest.raises(ValidatorError) as info:
        gw.runners()
    took = time.monotonic() - started
    assert took < BUDGET + 2 * (BUDGET / 3) + 2, took  # the budget, and the attempt under way
    assert "no complete answer" in str(info.value)


def test_a_download_slower_than_the_floor_stops_and_leaves_no_file(
    drip: str, tmp_path: Path
) -> None:
    artifact = Artifact(id=1, name="bin", size_in_bytes=10_000_000, expired=False, digest=None)
    dest = tmp_path / "bin.zip"
    started = time.monotonic()
    with gateway(drip, min_download_rate=16 * 1024) as gw, pytest.raises(ValidatorError) as info:
        gw.download_artifact(artifact, dest)
    assert time.monotonic() - started < BUDGET + 2
    assert "below the floor of 16 KiB/s (--min-download-rate)" in str(info.value)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []
