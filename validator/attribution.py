"""Which job uploaded each artifact, read from what ``actions/upload-artifact`` prints.

upload-artifact (v4 and later, through ``@actions/artifact``) writes into the uploading job's
log, for each artifact::

    SHA256 digest of uploaded artifact zip is <64 hex>
    Artifact NAME.zip successfully finalized. Artifact ID N
    Artifact NAME has been successfully uploaded! Final size is S bytes. Artifact ID is N
    Artifact download URL: https://github.com/OWNER/REPO/actions/runs/RUN/artifacts/N

(older ``@actions/artifact`` releases say "SHA256 hash of", newer ones drop "zip"). An artifact
is attributed to a job only when exactly one job's log names its id, and only when it belongs
to the judged run. Any step can print such lines, so two jobs claiming one artifact leave it
unattributed: unknown is never yes. Pure functions; the artifacts phase fetches the logs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from validator.evidence import Artifact, Job, Origin

_DIGEST = re.compile(r"SHA256 (?:digest|hash) of uploaded artifact(?: zip)? is ([0-9a-fA-F]{64})\b")
_BEGIN = re.compile(r"Beginning upload of artifact content to blob storage|Uploading artifact: ")
_FINALIZED = re.compile(r" successfully finalized\. Artifact ID (\d+)\b")
_UPLOADED = re.compile(
    r" has been successfully uploaded! Final size is \d+ bytes\. Artifact ID is (\d+)\b"
)
_URL = re.compile(r"Artifact download URL: \S*/actions/runs/(\d+)/artifacts/(\d+)\b")


@dataclass(frozen=True, kw_only=True)
class Upload:
    """One upload as a job's log tells it."""

    artifact_id: int
    digest: str | None = None  # "sha256:<hex>", when the log printed it before the id
    run_id: int | None = None  # from the download URL


def uploads_in_log(text: str) -> dict[int, Upload]:
    """The artifacts a job log says it uploaded, by artifact id."""
    found: dict[int, Upload] = {}
    pending: str | None = None  # the digest printed for the upload in progress
    for line in text.splitlines():
        if _BEGIN.search(line):
            pending = None
        elif m := _DIGEST.search(line):
            pending = "sha256:" + m.group(1).lower()
        elif m := _FINALIZED.search(line) or _UPLOADED.search(line):
            number = int(m.group(1))
            if number not in found:
                found[number] = Upload(artifact_id=number, digest=pending)
                pending = None
        elif m := _URL.search(line):
            run_id, number = int(m.group(1)), int(m.group(2))
            seen = found.get(number, Upload(artifact_id=number))
            found[number] = dataclasses.replace(seen, run_id=run_id)
    return found


def attribute(
    artifacts: Iterable[Artifact],
    *,
    run_id: int,
    jobs: Iterable[Job],
    uploads: Mapping[int, Mapping[int, Upload]],
    unread: Iterable[str] = (),
) -> tuple[Artifact, ...]:
    """Each artifact with the job that uploaded it, or the reason none can be named.

    ``uploads`` maps the id of each job whose log was read to what that log says it uploaded;
    ``unread`` names the jobs whose log could not be fetched. An artifact of another run is
    refused outright (``error``): it is not the judged run's.
    """
    missing = ", ".join(f"`{name}`" for name in unread)
    by_id = {j.id: j for j in jobs}
    out = []
    for art in artifacts:
        if art.run_id is not None and art.run_id != run_id:
            out.append(
                dataclasses.replace(
                    art, error=f"belongs to run {art.run_id}, not to the judged run {run_id}"
                )
            )
            continue
        claims = [(job_id, ups[art.id]) for job_id, ups in uploads.items() if art.id in ups]
        found = _claimed(art, claims, run_id, by_id, read=len(uploads))
        if found.unattributed and missing and not claims:
            why = f"{found.unattributed}; the logs of {missing} could not be fetched"
            found = dataclasses.replace(found, unattributed=why)
        out.append(found)
    return tuple(out)


def _claimed(
    art: Artifact,
    claims: list[tuple[int, Upload]],
    run_id: int,
    jobs: Mapping[int, Job],
    *,
    read: int,
) -> Artifact:
    if not claims:
        why = f"no job log names artifact id {art.id} ({read} job logs read)"
        return dataclasses.replace(art, unattributed=why)
    if len(claims) > 1:
        names = ", ".join(f"`{jobs[j].name}`" if j in jobs else str(j) for j, _ in claims)
        return dataclasses.replace(art, unattributed=f"the logs of jobs {names} all claim it")
    job_id, upload = claims[0]
    if art.run_id is None and upload.run_id != run_id:
        why = "GitHub gave no run for it and the upload log does not name the judged run"
        return dataclasses.replace(art, unattributed=why)
    job = jobs.get(job_id)
    return dataclasses.replace(
        art,
        job_id=job_id,
        job_name=job.name if job is not None else None,
        upload_digest=upload.digest,
        unattributed=None,
    )


def uploads_something(job: Job) -> bool:
    """Whether a job has an upload step: ``actions/upload-artifact`` (GitHub names an unnamed one
    ``Run actions/upload-artifact@v4``) or a step whose name mentions uploading or artifacts."""
    names = " ".join(s.name.lower() for s in job.steps)
    return "upload" in names or "artifact" in names


def reading_order(jobs: Iterable[Job]) -> list[Job]:
    """Jobs that may have uploaded something, most likely first; each log read costs a request.

    Only a job a runner ran can have uploaded. Jobs whose log is already saved come first
    (free), then jobs with an upload step, then the others.
    """

    def rank(job: Job) -> int:
        if job.log_path:
            return 0
        return 1 if uploads_something(job) else 2

    ran = [j for j in jobs if j.runner_name and j.status == "completed"]
    return sorted(ran, key=rank)


def origin_of(artifact: Artifact) -> Origin:
    """The origin every file extracted from ``artifact`` carries."""
    return Origin(
        artifact_id=artifact.id,
        artifact=artifact.name,
        job_id=artifact.job_id,
        job=artifact.job_name,
    )


def origin_by_path(artifacts: Iterable[Artifact]) -> dict[str, Origin]:
    """Each extracted artifact's folder name (the first part of its files' paths) → origin."""
    return {
        art.extracted_to.replace("\\", "/").rsplit("/", 1)[-1]: origin_of(art)
        for art in artifacts
        if art.extracted_to
    }


def origin_for(path: str, origins: Mapping[str, Origin]) -> Origin | None:
    """The origin of a file shown as ``FOLDER/...`` inside the artifacts folder."""
    return origins.get(path.split("/", 1)[0])
