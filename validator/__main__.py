"""Console entry point: answers ``--version`` at once, and hands everything else to the CLI."""

from __future__ import annotations

import signal
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
    signal.signal(signal.SIGTERM, _terminate)
    from validator.cli import main as cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
