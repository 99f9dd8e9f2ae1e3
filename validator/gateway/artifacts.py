"""What a run leaves behind: its artifacts and its jobs' logs, streamed from signed URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from validator.evidence import Artifact
from validator.gateway.decode import artifact_from_json
from validator.gateway.downloads import FileSink, TextSink
from validator.gateway.messages import Wording
from validator.gateway.repository import Repo
from validator.gateway.transport import Transport

MAX_LOG_BYTES = 64 * 1024 * 1024
MAX_ARTIFACT_BYTES = 16 * 1024**3
LOG_NOT_YET = 3  # a log that answers 404 right after its job completed is asked for 3 more times


class ArtifactsApi:
    """Lists a run's artifacts and downloads them, and the logs of its jobs."""

    def __init__(self, api: Transport, repo: Repo) -> None:
        self._api = api
        self._repo = repo

    def artifacts(self, run_id: int) -> tuple[Artifact, ...]:
        """The artifacts of the run; expired ones carry an error saying when they expired."""
        what = f"listing artifacts of run {run_id}"
        items = self._api.pages(
            f"{self._repo.path}/actions/runs/{run_id}/artifacts",
            key="artifacts",
            what=what,
            wording=Wording(not_found=f"Run {run_id} was not found in {self._repo.name} (404)."),
        )
        return tuple(artifact_from_json(raw, what) for raw in items)

    def download_artifact(
        self,
        artifact: Artifact,
        dest: Path,
        *,
        max_bytes: int = MAX_ARTIFACT_BYTES,
        on_bytes: Callable[[int], None] | None = None,
    ) -> tuple[int, str]:
        """Stream the artifact's zip to ``dest``: (bytes written, sha256 hex).

        ``dest`` is whole or absent (see :class:`~validator.gateway.downloads.FileSink`);
        ``on_bytes`` is told the bytes received so far as they arrive.
        """
        with FileSink(dest, on_bytes) as sink:
            self._api.fetch_blob(
                f"{self._repo.path}/actions/artifacts/{artifact.id}/zip",
                what=f"downloading artifact {artifact.name!r} ({artifact.id})",
                gone=(
                    f"Artifact {artifact.name!r} ({artifact.id}) has expired or was deleted "
                    "(410): re-run the workflow or raise retention-days."
                ),
                sink=sink,
                max_bytes=max_bytes,
                inline_ok=False,
            )
        return sink.written, sink.sha256

    def job_log(self, job_id: int, *, max_bytes: int = MAX_LOG_BYTES) -> str:
        """The plain-text log of a job (fetched from its signed URL without credentials)."""
        sink = TextSink()
        self._api.fetch_blob(
            f"{self._repo.path}/actions/jobs/{job_id}/logs",
            what=f"fetching the log of job {job_id}",
            gone=(
                f"The log of job {job_id} is not available: GitHub keeps logs for a limited "
                "time, and only once the job has finished."
            ),
            sink=sink,
            max_bytes=max_bytes,
            inline_ok=True,
            not_yet=LOG_NOT_YET,
        )
        return sink.text()
