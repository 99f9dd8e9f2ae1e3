"""Writing outputs so that a crash or a second run never leaves a half-written file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from validator.errors import UsageError


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temporary file, fsync, rename. Old or new, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets what the umask allows."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def exclusive(report: Path) -> Iterator[None]:
    """Hold a lock on the report's folder so two runs never write the report at once.

    The folder itself is locked, so no lock file is left beside the report.
    """
    folder = report.parent if str(report.parent) else Path()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{report}: another validate-arm64 run is writing a report in {folder}. "
                "Wait for it to finish, or use another --report."
            ) from None
        yield
    finally:
        os.close(fd)
