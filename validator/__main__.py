"""Console entry point: answers ``--version`` and cached help at once, hands the rest to the CLI."""

from __future__ import annotations

import sys
from types import FrameType


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # SIGTERM (a CI job cancelled, `kill`) unwinds like Ctrl-C: temporary files are removed,
    # the run is cancelled only with --cancel-on-abort, and the exit code is 130.
    raise KeyboardInterrupt


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from validator import __version__

        print(f"validate-arm64 {__version__}")
        return 0
    import os

    from validator import helpcache

    command = helpcache.request(sys.argv[1:])
    cached = None if command is None else helpcache.entry(command, os.environ)
    if cached is not None and (text := helpcache.read(cached)) is not None:
        sys.stdout.write(text)
        return 0
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    from validator.cli import main as cli

    return cli() if cached is None else helpcache.answer(cached, cli)


if __name__ == "__main__":
    sys.exit(main())
