"""Progress text for stderr: plain lines for logs and cron; on a terminal, the waiting
heartbeat rewrites one status line instead of scrolling."""

from __future__ import annotations

import re

_HEARTBEAT = re.compile(r"^run \d+ (queued|in progress) for ")


class StatusLine:
    """Turns each progress message into the text to write; remembers an open status line."""

    def __init__(self, *, live: bool) -> None:
        self.live = live  # a terminal, where a line can be rewritten in place
        self.open = False

    def text(self, message: str) -> str:
        line = f"validate-arm64: {message}"
        if self.live and _HEARTBEAT.match(message):
            self.open = True
            return f"\r\x1b[2K{line}"
        ending, self.open = ("\n" if self.open else ""), False
        return f"{ending}{line}\n"
