"""The tests phase: JUnit XML in the artifacts, else ``cargo test`` output in ARM64 job logs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from validator.evidence import Job, Origin, TestScan
from validator.labels import has_labels
from validator.phases.context import NotRun

if TYPE_CHECKING:
    from validator.phases.context import Context, Gathered


def gather(context: Context, seen: Gathered) -> Gathered | NotRun:
    """The registered phase: result files from the artifacts, or a job log's libtest output."""
    from validator.results import libtest_from_log, scan_results

    run = seen.run
    if seen.artifacts_dir is None and (run is None or run.status != "completed"):
        return NotRun(reason="no artifacts and no completed run")
    scan, source = TestScan(), None
    if seen.artifacts_dir is not None:
        scan = scan_results([seen.artifacts_dir], explicit=False)
        if seen.downloaded:
            from validator.attribution import origin_by_path, origin_for

            assert seen.artifacts is not None
            prefix = f"{seen.artifacts_dir}/"
            origins = origin_by_path(seen.artifacts.items)
            files = tuple(replace(f, path=f.path.removeprefix(prefix)) for f in scan.files)
            scan = TestScan(
                files=tuple(replace(f, origin=origin_for(f.path, origins)) for f in files)
            )
        where = "artifacts" if context.config.needs_github else f"files in {seen.artifacts_dir}"
        source = where if scan.files else None
    if not scan.files and run is not None:
        for job in _arm64_first(run.jobs, context.config.labels):
            if not job.log_path or not Path(job.log_path).is_file():
                continue
            text = Path(job.log_path).read_text(encoding="utf-8", errors="replace")
            found = libtest_from_log(text, path=f"job log: {job.name}")
            if found is not None:
                found = replace(found, origin=Origin(job_id=job.id, job=job.name))
                scan, source = TestScan(files=(found,)), f"job log: {job.name}"
                break
    return replace(seen, tests=scan, tests_source=source)


def _arm64_first(jobs: tuple[Job, ...], labels: tuple[str, ...]) -> list[Job]:
    """Jobs whose runner carries the ARM64 labels first: their log is the evidence to prefer."""

    def rank(job: Job) -> int:
        return 0 if job.runner_labels is not None and has_labels(job.runner_labels, labels) else 1

    return sorted(jobs, key=rank)
