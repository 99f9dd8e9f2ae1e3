"""The help text typer rendered, kept in the user's cache so ``--help`` answers without typer.

Importing typer costs several times a bare interpreter's start-up, and a subcommand's ``--help``
also builds typer's pydantic adapters for the group's options. The text typer prints does not
change unless the tool does, so it is stored per (version, interpreter, the package's source
files' sizes and mtimes, the folders on ``sys.path``, terminal width, command path) and read back
before typer is imported; any change misses the cache and typer renders the help again. The
command line stays declared once, in typer: this module only replays what typer printed.

Standard library only, and no pathlib: this runs before anything else is imported.
"""

from __future__ import annotations

import os
import sys
import zlib

from validator import __version__

TYPE_CHECKING = False  # typing itself costs a millisecond or more here
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

HELP_FLAGS = frozenset({"--help", "-h"})
PACKAGE = os.path.dirname(os.path.abspath(__file__))
# typer's completion hook: its answers are not help text
COMPLETION_VARIABLE = "_VALIDATE_ARM64_COMPLETE"


def request(argv: list[str]) -> tuple[str, ...] | None:
    """The command path of a plain help request (``--help``, ``demo -h``), else None."""
    match argv:
        case [flag] if flag in HELP_FLAGS:
            return ()
        case [command, flag] if flag in HELP_FLAGS and _is_command(command):
            return (command,)
    return None


def _is_command(word: str) -> bool:
    return word.isascii() and word[:1].isalpha() and word.replace("-", "").isalnum()


def columns(environ: Mapping[str, str]) -> int:
    """The terminal width as ``shutil.get_terminal_size()`` reports it (click sizes help by it)."""
    try:
        width = int(environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    if width > 0:
        return width
    try:
        width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        width = 0
    return width or 80


def folder(environ: Mapping[str, str]) -> str | None:
    """The cache folder, or None when it would lie inside the checkout or the installed package."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec ignores relative paths
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    place = os.path.realpath(os.path.join(base, "validate-arm64"))
    # the package's parent is the checkout (editable install) or site-packages: never write there
    around = os.path.realpath(os.path.dirname(PACKAGE))
    if place == around or place.startswith(around + os.sep):
        return None
    return place


def fingerprint() -> str:
    """A digest of what the help text depends on: the package's sources and the installed
    packages (a folder on ``sys.path`` changes its mtime when a package is added or removed)."""
    seen: list[str] = []
    pending = [PACKAGE]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    state = entry.stat()
                    seen.append(f"{entry.path}:{state.st_size}:{state.st_mtime_ns}")
    for place in sys.path[1:]:  # [0] is the script's folder or the working directory
        try:
            seen.append(f"{place}:{os.stat(place or '.').st_mtime_ns}")
        except OSError:
            continue
    seen.sort()
    return f"{len(seen)}-{zlib.crc32(chr(10).join(seen).encode()):08x}"


def entry(command: tuple[str, ...], environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The cache file for this help request and the key its first line must hold, or None
    when no cache may be used (no usable folder, or typer's completion hook is asking)."""
    place = folder(environ)
    if place is None or COMPLETION_VARIABLE in environ:
        return None
    try:
        current = fingerprint()
    except OSError:  # the package is not a plain folder (a zip): no cache
        return None
    width = columns(environ)
    where = "\0".join((sys.executable, PACKAGE, *command, str(width)))
    name = f"help-{'-'.join(command) or 'main'}-{width}-{zlib.crc32(where.encode()):08x}.txt"
    key = "\t".join((__version__, sys.executable, PACKAGE, str(width), *command, current))
    return None if "\n" in key else (os.path.join(place, name), key)


def read(entry: tuple[str, str]) -> str | None:
    """The stored help if it is current, else None."""
    path, key = entry
    if not os.access(os.path.dirname(path), os.W_OK):  # refuse a cache we cannot keep
        return None
    try:
        with open(path, encoding="utf-8") as stored:
            first, text = stored.readline(), stored.read()
    except (OSError, UnicodeDecodeError):
        return None
    return text if first == key + "\n" and text else None


def store(entry: tuple[str, str], text: str) -> None:
    """Keep ``text`` under ``entry``; a cache that cannot be written is skipped."""
    path, key = entry
    partial = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(partial, "w", encoding="utf-8") as out:
            out.write(f"{key}\n{text}")
        os.replace(partial, path)  # readers see the old file or the whole new one
    except OSError:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(partial)


def answer(entry: tuple[str, str], cli: Callable[[], int]) -> int:
    """Run the typer command line on a help request, print what it printed, and keep it under
    the key taken before it ran (a source edited meanwhile misses next time)."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli()
    text = printed.getvalue()
    sys.stdout.write(text)
    if code == 0 and text:
        store(entry, text)
    return code
