"""Writing outputs so that a crash or a second run never leaves a half-written file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from validator.errors import UsageError


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temporary file, fsync, rename. Old or new, never a mix."""
    write_together([(path, text)])


def write_together(
    files: Sequence[tuple[Path, str]], *, between: Callable[[], None] = lambda: None
) -> None:
    """Replace several files as one unit: all old or all new, never a mix of two validations.

    Every temporary is written and synced first; then the renames run in the given order with
    SIGINT and SIGTERM held back, so an interruption lands after the last rename, not between
    two (``between`` runs after each rename but the last: where a signal would have split them).
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            staged.append((_staged(path, text), path))
        held = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for number, (tmp, path) in enumerate(staged, start=1):
                tmp.replace(path)
                if number < len(staged):
                    between()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    except BaseException:
        for tmp, _path in staged:
            tmp.unlink(missing_ok=True)
        raise
    for folder in {path.parent for path, _text in files}:
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _staged(path: Path, text: str) -> Path:
    """``text`` in a synced temporary beside ``path``, with the permissions ``path`` will keep."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def check_writable(path: Path, *, option: str) -> None:
    """Refuse, before anything runs, an output ``path`` that could not be written at the end."""
    problem = None
    if path.is_dir():
        problem = "is a folder"
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
            os.close(fd)
            Path(probe).unlink()
        except OSError as exc:
            problem = f"cannot be written ({exc.strerror or type(exc).__name__})"
    if problem is not None:
        raise UsageError(
            f"{option} {path}: {problem}. Point {option} at a file in a writable folder."
        )


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
