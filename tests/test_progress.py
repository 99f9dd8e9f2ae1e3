"""Progress on stderr: plain lines in logs; on a terminal the heartbeat rewrites one line."""

from __future__ import annotations

from validator.render.progress import StatusLine


def test_in_a_log_every_message_is_a_line():
    status = StatusLine(live=False)
    assert status.text("run 7 queued for 1m00s, waiting") == (
        "validate-arm64: run 7 queued for 1m00s, waiting\n"
    )
    assert status.text("health: ok") == "validate-arm64: health: ok\n"


def test_on_a_terminal_the_heartbeat_rewrites_its_line_and_the_next_message_ends_it():
    status = StatusLine(live=True)
    assert (
        status.text("run 7 queued for 1m00s") == "\r\x1b[2Kvalidate-arm64: run 7 queued for 1m00s"
    )
    assert status.text("run 7 in progress for 2m00s") == (
        "\r\x1b[2Kvalidate-arm64: run 7 in progress for 2m00s"
    )
    assert status.text("run 7 completed: success") == (
        "\nvalidate-arm64: run 7 completed: success\n"
    )
    assert status.text("artifacts: started") == "validate-arm64: artifacts: started\n"
