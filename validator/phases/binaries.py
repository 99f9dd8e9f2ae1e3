"""The binaries phase: every ELF file in the artifacts, also inside archives and image archives."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from validator.phases.context import NotRun

if TYPE_CHECKING:
    from validator.phases.context import Context, Gathered


def gather(_context: Context, seen: Gathered) -> Gathered | NotRun:
    """The registered phase: the artifacts folder scanned for ELF files and image archives."""
    from validator.binaries import scan_binaries

    if seen.artifacts_dir is None:
        return NotRun(reason="no artifacts to inspect")
    scan = scan_binaries([seen.artifacts_dir])
    if seen.downloaded:
        from validator.attribution import origin_by_path, origin_for

        assert seen.artifacts is not None
        prefix = f"{seen.artifacts_dir}/"
        origins = origin_by_path(seen.artifacts.items)
        files = tuple(replace(f, path=f.path.removeprefix(prefix)) for f in scan.files)
        scan = replace(
            scan,
            files=tuple(replace(f, origin=origin_for(f.path, origins)) for f in files),
            images=tuple(replace(i, path=i.path.removeprefix(prefix)) for i in scan.images),
            problems=tuple(p.replace(prefix, "") for p in scan.problems),
        )
    return replace(seen, binaries=scan)
