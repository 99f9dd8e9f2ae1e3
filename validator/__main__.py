"""Console entry point: answers ``--version`` at once, and hands everything else to the CLI."""

from __future__ import annotations

import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from validator import __version__

        print(f"validate-arm64 {__version__}")
        return 0
    from validator.cli import main as cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
