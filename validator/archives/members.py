"""What a zip or tar member is (file, folder, link, device): asked by walker and extraction."""

from __future__ import annotations

import stat
import tarfile
import zipfile
from collections.abc import Iterator

from validator.archives.streams import Limits, printable


def special_kind(mode: int, target: str | None = None) -> str:
    """A reader's name for a file that is not regular, e.g. ``symbolic link to lib.so.1``."""
    kind = {
        stat.S_IFLNK: "symbolic link",
        stat.S_IFCHR: "character device",
        stat.S_IFBLK: "block device",
        stat.S_IFIFO: "FIFO",
        stat.S_IFSOCK: "socket",
        stat.S_IFDIR: "directory",
    }.get(stat.S_IFMT(mode), f"file of type {stat.S_IFMT(mode):o}")
    return f"{kind} to {printable(target)}" if target else kind


def not_read(kind: str) -> str:
    """The note for a file deliberately left unread: links are not followed, others not read."""
    return f"{kind}: not followed" if "link" in kind else f"{kind}: not read"


def zip_special(info: zipfile.ZipInfo) -> str | None:
    """What a zip member is when it is not a regular file or folder (a link, a device)."""
    mode = info.external_attr >> 16
    if info.create_system != 3 or stat.S_IFMT(mode) in (0, stat.S_IFREG, stat.S_IFDIR):
        return None  # only unix-made zips carry file types
    return special_kind(mode)


def zip_is_dir(info: zipfile.ZipInfo) -> bool:
    """Whether a zip member is a folder."""
    # Not info.is_dir(): it raises IndexError on a member with an empty name.
    unix_dir = info.create_system == 3 and stat.S_ISDIR(info.external_attr >> 16)
    return info.filename.endswith("/") or unix_dir


def declared_bomb(info: zipfile.ZipInfo, limits: Limits) -> bool:
    """Whether a zip member declares more than the ratio limit allows."""
    return declared_ratio_too_high(info.file_size, info.compress_size, limits)


def declared_ratio_too_high(size: int, stored: int, limits: Limits) -> bool:
    """Whether ``size`` bytes from ``stored`` bytes break the ratio limit (past its floor)."""
    return size > limits.ratio_floor and size > max(stored, 1) * limits.max_ratio


def tar_members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members one by one, without tarfile keeping them all (100,000 would cost ~100 MB)."""
    while (info := archive.next()) is not None:
        archive.members.clear()  # type: ignore[attr-defined]
        yield info


def tar_name(name: str) -> str:
    """A tar member's name without leading ``./``."""
    while name.startswith("./"):
        name = name[2:]
    return name


def tar_special(info: tarfile.TarInfo) -> str:
    """What a tar member is that is neither a regular file nor a folder."""
    if info.issym():
        return special_kind(stat.S_IFLNK, info.linkname)
    if info.islnk():
        return f"hard link to {printable(info.linkname)}"
    if info.ischr():
        return special_kind(stat.S_IFCHR)
    if info.isblk():
        return special_kind(stat.S_IFBLK)
    if info.isfifo():
        return special_kind(stat.S_IFIFO)
    return f"tar member of type {info.type!r}"
