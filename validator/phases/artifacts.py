"""The artifacts phase: list the run's artifacts, download each, verify it, extract it safely."""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import ArchiveError, GitHubError, UsageError
from validator.evidence import Artifact, Artifacts, Run
from validator.phases.context import NotRun
from validator.phases.health import recordable

if TYPE_CHECKING:
    from validator.gateway import Gateway
    from validator.phases.context import Context, Gathered

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._ +-]+")
DIGEST_ATTEMPTS = 2


def gather(context: Context, seen: Gathered) -> Gathered | NotRun:
    """The registered phase: the completed run's artifacts, downloaded into an empty folder."""
    run = seen.run
    if run is None:
        return NotRun(reason="no run to download from")
    if run.status != "completed":
        return NotRun(reason=f"run {run.id} did not complete")
    config = context.config
    if config.artifacts_dir is not None:
        dest = fresh_dir(config.artifacts_dir, ours=False)
    else:
        dest = fresh_dir(config.work_dir / f"run-{run.id}" / "artifacts", ours=True)
    gw, progress = context.github, context.hooks.progress
    listed = gw.artifacts(run.id)
    if config.artifact_names:
        listed = _selected(listed, config.artifact_names, progress)
    run, listed = attributed(gw, run, listed, config.work_dir / "logs", progress)
    artifacts = download_artifacts(gw, run, dest, progress=progress, listed=listed)
    return dataclasses.replace(seen, run=run, artifacts=artifacts, artifacts_dir=dest)


def attributed(
    gw: Gateway,
    run: Run,
    listed: tuple[Artifact, ...],
    logs_dir: Path,
    progress: Callable[[str], None],
) -> tuple[Run, tuple[Artifact, ...]]:
    """The run (with the job logs read for it) and each artifact with the job that uploaded it.

    Every saved log and every job with an upload step is read, also once each artifact has a
    claimant: a second claim leaves the uploader unknown, so stopping at the first would trust a
    log that prints another job's upload lines. Other jobs are read only while an artifact is
    unclaimed. Each log not already saved costs one API request.
    """
    from validator.attribution import (
        Upload,
        attribute,
        reading_order,
        uploads_in_log,
        uploads_something,
    )
    from validator.phases.dispatch import fetch_log

    wanted = {a.id for a in listed if not a.expired}
    jobs = {j.id: j for j in run.jobs}
    uploads: dict[int, dict[int, Upload]] = {}
    unread: list[str] = []
    for candidate in reading_order(run.jobs) if wanted else ():  # nothing to attribute
        claimed = wanted <= {n for found in uploads.values() for n in found}
        if claimed and not candidate.log_path and not uploads_something(candidate):
            break  # the rest have no upload step and no saved log
        job = candidate
        if not job.log_path:
            job = jobs[job.id] = fetch_log(gw, job, logs_dir, progress)
        if not job.log_path:
            unread.append(job.name)
            continue
        text = Path(job.log_path).read_text(encoding="utf-8", errors="replace")
        uploads[job.id] = uploads_in_log(text)
    run = dataclasses.replace(run, jobs=tuple(jobs[j.id] for j in run.jobs))
    items = attribute(listed, run_id=run.id, jobs=run.jobs, uploads=uploads, unread=unread)
    for art in items:
        if not art.expired and art.unattributed:
            progress(f"artifact {art.name!r}: uploading job unknown: {art.unattributed}")
    return run, items


def fresh_dir(path: Path, *, ours: bool) -> Path:
    """An empty folder at ``path``; only a folder inside our work dir may be emptied."""
    if path.exists():
        if ours:
            shutil.rmtree(path)
        elif any(path.iterdir()):
            raise UsageError(
                f"--artifacts-dir {path}: not empty. Downloaded artifacts must not mix with "
                "other files: give an empty or new folder."
            )
    path.mkdir(parents=True, exist_ok=True)
    return path


def download_artifacts(
    gw: Gateway,
    run: Run,
    dest: Path,
    *,
    progress: Callable[[str], None],
    names: tuple[str, ...] = (),
    listed: tuple[Artifact, ...] | None = None,
) -> Artifacts:
    """Download and extract every unexpired artifact of ``run`` into ``dest/<artifact name>/``.

    An artifact that cannot be used (expired, refused, digest mismatch, unsafe archive) keeps
    its reason in ``error`` and leaves nothing behind; the others go on. A fault that outlasts
    the retry budget, or an interruption, stops the phase and removes what it had extracted:
    a partial set of artifacts must not be inspected as if it were the run's.
    """
    if listed is None:
        listed = gw.artifacts(run.id)
    progress(f"run {run.id} has {len(listed)} artifact{'' if len(listed) == 1 else 's'}")
    if names:
        listed = _selected(listed, names, progress)
    dest.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    items = []
    try:
        for artifact in listed:
            folder = folder_name(artifact, used)
            used.add(folder.casefold())
            if artifact.expired or artifact.error:
                progress(f"artifact {artifact.name!r}: {artifact.error}")
                items.append(artifact)
                continue
            items.append(_fetch(gw, artifact, dest, folder, progress))
    except BaseException:
        for item in items:
            if item.extracted_to:
                shutil.rmtree(item.extracted_to, ignore_errors=True)
        raise
    return Artifacts(items=tuple(items), directory=str(dest))


def _selected(
    listed: tuple[Artifact, ...], names: tuple[str, ...], progress: Callable[[str], None]
) -> tuple[Artifact, ...]:
    """Only the artifacts ``--artifact`` names; say which were left out and what matched none."""
    from validator.selection import select_artifacts

    selection = select_artifacts(listed, names)
    for pattern in selection.unmatched:
        progress(f"--artifact {pattern!r}: no artifact of this run matches")
    if selection.skipped:
        left = ", ".join(repr(a.name) for a in selection.skipped)
        progress(f"not downloading {left} (not named by --artifact)")
    return selection.chosen


def _fetch(
    gw: Gateway, artifact: Artifact, dest: Path, folder: str, progress: Callable[[str], None]
) -> Artifact:
    """Download, verify and extract one artifact; the artifact record says how it went."""
    progress(f"downloading artifact {artifact.name!r} ({artifact.size_in_bytes:,} bytes)")
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as work:
        zip_path = Path(work) / "artifact.zip"
        try:
            artifact, sha256 = _download(gw, artifact, zip_path, progress)
        except GitHubError as exc:
            if not recordable(exc):
                raise
            return _failed(artifact, str(exc), progress)
        if artifact.digest_verified is False:
            said = f"GitHub says {artifact.digest}"
            if digest_matches(artifact.digest, sha256) is not False:
                said = f"the upload log says {artifact.upload_digest}"
            return _failed(
                artifact,
                f"digest mismatch: {said}, the download is "
                f"sha256:{sha256} (downloaded {DIGEST_ATTEMPTS} times); the file was deleted. "
                "Re-run the workflow to upload the artifact again.",
                progress,
            )
        staging = Path(work) / "extracted"
        try:
            files = _extract(zip_path, staging)
        except ArchiveError as exc:
            # The zip lives in a temporary folder: name the artifact instead of that path.
            reason = str(exc).replace(str(zip_path), f"the zip of artifact {artifact.name!r}")
            return _failed(artifact, f"not extracted: {reason}", progress)
        target = dest / folder
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
    count = f"{len(files)} file{'' if len(files) == 1 else 's'}"
    progress(f"artifact {artifact.name!r}: {count} extracted to {target}")
    return dataclasses.replace(artifact, extracted_to=str(target))


class ByteProgress:
    """Progress lines for a large download: at each tenth of its size (one rewritten status
    line on a terminal), nothing for a small one."""

    LARGE = 16 * 1024 * 1024  # below this a download is over before a line would help

    def __init__(self, artifact: Artifact, progress: Callable[[str], None]) -> None:
        self._name = artifact.name
        self._total = artifact.size_in_bytes
        self._progress = progress
        self._shown = 0  # tenths already announced

    def __call__(self, received: int) -> None:
        if self._total < self.LARGE:
            return
        tenth = min(10, received * 10 // self._total)
        if tenth > self._shown:
            self._shown = tenth
            self._progress(
                f"artifact {self._name!r}: {received / 2**20:,.1f} of "
                f"{self._total / 2**20:,.1f} MiB ({tenth * 10}%)"
            )


def _download(
    gw: Gateway, artifact: Artifact, zip_path: Path, progress: Callable[[str], None]
) -> tuple[Artifact, str]:
    """Download and check the digest: the artifact with what was seen, and the sha256 hex.

    A mismatch is downloaded once more: bytes damaged on the way differ from a bad upload.
    """
    for attempt in range(1, DIGEST_ATTEMPTS + 1):
        size, sha256 = gw.download_artifact(
            artifact, zip_path, on_bytes=ByteProgress(artifact, progress)
        )
        verdicts = {
            "api": digest_matches(artifact.digest, sha256),
            "upload log": digest_matches(artifact.upload_digest, sha256),
        }
        seen = [v for v in verdicts.values() if v is not None]
        verified = all(seen) if seen else None
        if verified is not False or attempt == DIGEST_ATTEMPTS:
            break
        progress(f"artifact {artifact.name!r}: digest mismatch, downloading it again")
    return dataclasses.replace(
        artifact,
        downloaded_bytes=size,
        digest_verified=verified,
        verified_against=tuple(k for k, v in verdicts.items() if v),
    ), sha256


def _extract(archive: Path, into: Path) -> list[Path]:
    from validator.archives import safe_extract

    into.mkdir()
    return safe_extract(archive, into)


def _failed(artifact: Artifact, reason: str, progress: Callable[[str], None]) -> Artifact:
    progress(f"artifact {artifact.name!r}: {reason}")
    log.warning("artifact %s (%d): %s", artifact.name, artifact.id, reason)
    return dataclasses.replace(artifact, error=reason)


def digest_matches(digest: str | None, sha256_hex: str) -> bool | None:
    """Whether GitHub's ``sha256:<hex>`` digest matches; None when there is none to check."""
    if not digest:
        return None
    algorithm, _, expected = digest.partition(":")
    if algorithm.lower() != "sha256" or not expected:
        log.warning("artifact digest %r is not sha256; not verified", digest)
        return None
    return expected.strip().lower() == sha256_hex.lower()


def folder_name(artifact: Artifact, used: set[str]) -> str:
    """A safe, unique folder name for the artifact: its name, or a tamed form of it."""
    name = _UNSAFE.sub("_", artifact.name).strip(" .") or f"artifact-{artifact.id}"
    if name.casefold() in used:
        name = f"{name.lstrip('.')}-{artifact.id}"
    return name
