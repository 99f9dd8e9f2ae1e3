"""What the blob origin serves: artifact zips, job logs, and the signed links to them."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import re
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from validator.emulator.clock import iso, log_stamp, parse_iso
from validator.emulator.specs import FileSpec, JobSpec, RunnerRef
from validator.errors import UsageError

LINK_SECONDS = 60.0  # GitHub: "This URL expires after 1 minute"
_ZIP_TIME = (2026, 1, 2, 3, 0, 0)
_TAR_MTIME = 1767322800  # 2026-01-02T03:00:00Z, so archives and their digests are stable
_STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")


def _read_source(
    fixtures_dir: Path, source: str, what: str = "Artifact source"
) -> tuple[bytes, bool]:
    """Bytes of a fixture file and whether it is executable."""
    path = (fixtures_dir / source).resolve()
    if not path.is_relative_to(fixtures_dir.resolve()):
        raise UsageError(f"{what} {source!r} leaves the fixtures folder; fix the scenario.")
    try:
        return path.read_bytes(), bool(path.stat().st_mode & 0o111)
    except OSError:
        raise UsageError(
            f"{what} fixture {path} is missing; build the fixtures "
            "(fixtures/binaries, fixtures/results) or fix the scenario."
        ) from None


def workflow_bytes(fixtures_dir: Path, source: str) -> bytes:
    """The text of a scenario's workflow file (a fixture, as artifact sources are)."""
    return _read_source(fixtures_dir, source, "Workflow file")[0]


def _file_bytes(spec: FileSpec, fixtures_dir: Path) -> tuple[bytes, bool]:
    if spec.source is not None:
        return _read_source(fixtures_dir, spec.source)
    if spec.text is not None:
        return spec.text.encode("utf-8"), False
    return tar_gz(spec.members or (), fixtures_dir), False


def tar_gz(members: Iterable[FileSpec], fixtures_dir: Path) -> bytes:
    """A reproducible .tar.gz holding ``members``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            data, executable = _file_bytes(m, fixtures_dir)
            info = tarfile.TarInfo(m.path)
            info.size = len(data)
            info.mtime = _TAR_MTIME
            info.mode = 0o755 if executable else 0o644
            info.uname = info.gname = "runner"
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=_TAR_MTIME)


def artifact_zip(files: Iterable[FileSpec], fixtures_dir: Path) -> bytes:
    """A reproducible zip of an artifact's files, as upload-artifact v4 stores them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            data, executable = _file_bytes(f, fixtures_dir)
            info = zipfile.ZipInfo(f.path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(info, data)
    return out.getvalue()


def digest(data: bytes) -> str:
    """``sha256:<hex>``, the form of the artifact ``digest`` field."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def upload_lines(*, name: str, files: int, artifact_id: int, data: bytes, url: str) -> list[str]:
    """What actions/upload-artifact v4 prints in its job's log for one artifact."""
    plural = "file" if files == 1 else "files"
    return [
        f"With the provided path, there will be {files} {plural} uploaded",
        "Artifact name is valid!",
        "Root directory input is valid!",
        "Beginning upload of artifact content to blob storage",
        f"Uploaded bytes {len(data)}",
        "Finished uploading artifact content to blob storage!",
        f"SHA256 digest of uploaded artifact zip is {hashlib.sha256(data).hexdigest()}",
        "Finalizing artifact upload",
        f"Artifact {name}.zip successfully finalized. Artifact ID {artifact_id}",
        f"Artifact {name} has been successfully uploaded! Final size is {len(data)} bytes. "
        f"Artifact ID is {artifact_id}",
        f"Artifact download URL: {url}",
    ]


def job_log(
    job: JobSpec,
    *,
    runner: RunnerRef,
    runner_version: str,
    started: float,
    fixtures_dir: Path,
    uploads: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The plain-text log of a completed job, every line prefixed with a GitHub timestamp.

    A fixture log's lines appear inside the step named by ``log_step`` (by default the first
    step whose name mentions "test", else the last step); lines that already carry a
    timestamp keep it. ``uploads`` maps a step to the upload-artifact lines it prints.
    """
    body: list[str] = []
    if job.log is not None:
        data, _ = _read_source(fixtures_dir, job.log)
        body = data.decode("utf-8-sig", errors="replace").splitlines()
    target = job.log_step or next(
        (s.name for s in job.steps if "test" in s.name.lower()),
        job.steps[-1].name if job.steps else None,
    )
    lines: list[str] = []

    def add(at: float, text: str) -> None:
        lines.append(text if _STAMPED.match(text) else f"{log_stamp(at)} {text}")

    add(started, f"Current runner version: '{runner_version}'")
    if runner.group == "GitHub Actions":
        image = job.image or hosted_image(job.labels)
        for text in _hosted_header(image):
            add(started, text)
    else:
        add(started, f"Runner name: '{runner.name}'")
        add(started, f"Runner group name: '{runner.group}'")
        add(started, f"Machine name: '{runner.name}'")
    context_step = next(
        (s.name for s in job.steps if s.name == "Verify architecture"),
        job.steps[0].name if job.steps else None,
    )
    at = started
    for step in job.steps:
        title = step.name if step.name.startswith(("Run ", "Post ")) else f"Run {step.name}"
        add(at, f"##[group]{title}")
        add(at, "##[endgroup]")
        if step.name == context_step and job.runner_context is not None:
            arch, machine = job.runner_context
            add(at, f'##[group]Run echo "validate-arm64: runner.arch={arch} machine=$(uname -m)"')
            add(at, f'echo "validate-arm64: runner.arch={arch} machine=$(uname -m)"')
            add(at, "shell: /usr/bin/bash -e {0}")
            add(at, "##[endgroup]")
            add(at, f"validate-arm64: runner.arch={arch} machine={machine}")
        if step.name == target and body:
            spacing = step.seconds / max(len(body), 1)
            for i, text in enumerate(body):
                add(at + i * spacing, text)
        for text in (uploads or {}).get(step.name, ()):
            add(at + step.seconds, text)
        if step.conclusion == "failure":
            add(at + step.seconds, "##[error]Process completed with exit code 1.")
        at += step.seconds
    add(at, "Cleaning up orphan processes")
    return "\n".join(lines) + "\n"


def hosted_image(labels: Iterable[str]) -> str:
    """The image a GitHub-hosted job gets for its ``runs-on`` labels."""
    for label in labels:
        if label.startswith(("ubuntu-2", "windows-2", "windows-11", "macos-1")):
            return label
    return "ubuntu-24.04"


def _hosted_header(image: str) -> list[str]:
    """The first groups of a GitHub-hosted job's log, as GitHub writes them."""
    arm = image.endswith("-arm")
    family = "partner-runner-images" if arm else "runner-images"
    return [
        "##[group]Runner Image Provisioner",
        "Hosted Compute Agent",
        "Version: 20251211.462",
        "##[endgroup]",
        "##[group]Operating System",
        "Ubuntu",
        "24.04.3",
        "LTS",
        "##[endgroup]",
        "##[group]Runner Image",
        f"Image: {image}",
        "Version: 20251215.1.0",
        f"Included Software: https://github.com/actions/{family}/blob/main/images/"
        f"{'arm64' if arm else 'ubuntu'}/{image}-Readme.md",
        "##[endgroup]",
    ]


def sign(key: bytes, path: str, expiry: float) -> str:
    """Query string of a signed blob link to ``path`` that expires at ``expiry``."""
    se = iso(expiry)
    sig = hmac.new(key, f"{path}\n{se}".encode(), hashlib.sha256).hexdigest()
    return urlencode({"sv": "2025-05-05", "sr": "b", "sp": "r", "se": se, "sig": sig})


def check_signature(key: bytes, path: str, query: Mapping[str, str], now: float) -> str | None:
    """Why a blob request is refused (Azure's wording), or ``None`` if its link is valid."""
    se = query.get("se", "")
    sig = query.get("sig", "")
    expected = hmac.new(key, f"{path}\n{se}".encode(), hashlib.sha256).hexdigest()
    if not se or not sig or not hmac.compare_digest(sig.encode(), expected.encode()):
        return "Signature did not match. String to sign used was r"
    try:
        expiry = parse_iso(se)
    except ValueError:
        return "Signature fields not well formed."
    if now > expiry:
        return f"Signed expiry time [{se}] must be after current time [{iso(now)}]"
    return None


def azure_error(detail: str, *, now: float) -> bytes:
    """The XML body Azure Blob Storage sends with a 403."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
        "<Message>Server failed to authenticate the request. Make sure the value of "
        "Authorization header is formed correctly including the signature.\n"
        f"Time:{iso(now)}</Message>"
        f"<AuthenticationErrorDetail>{escape(detail)}</AuthenticationErrorDetail></Error>"
    ).encode()
