"""Every figure traced to the job that produced it.

Each rule has a test whose evidence would say GO without the rule: binaries and test results
count only when the job that uploaded them ran on ARM64, evidence of unknown origin is not
checked (unless --allow-unattributed), a digest is "matched" only when it was verified (the
upload log's digest included), and results inside archives are read.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from test_faults import ARTIFACT_LIST, Proxy, zip_of

from validator.attribution import Upload, attribute, uploads_in_log
from validator.checks import BY_ID
from validator.emulator import Emulator, load_scenario
from validator.evidence import Artifact, Artifacts, BinaryScan, Origin, TestScan
from validator.report import assess
from validator.results import scan_results

from builders import aarch64, go, hosted_x64, job, present, results, uploaded_by, x86
from conftest import FIXTURES, run_cli

TOKEN = {"GITHUB_TOKEN": "ghp_SENTINEL_do_not_leak_0123456789"}
HEX = "b15ed37b229a21d5d247ef99beebd4587fbc84b4817d807ff62dca7d60449863"

# What actions/upload-artifact@v4 printed in a real job log (timestamps as GitHub adds them).
V4_LOG = f"""\
2025-07-06T20:58:46.2472185Z ##[endgroup]
2025-07-06T20:58:46.4614421Z With the provided path, there will be 1 file uploaded
2025-07-06T20:58:46.4619717Z Artifact name is valid!
2025-07-06T20:58:46.4621477Z Root directory input is valid!
2025-07-06T20:58:46.7104324Z Beginning upload of artifact content to blob storage
2025-07-06T20:58:47.4816952Z Uploaded bytes 2603343
2025-07-06T20:58:47.5477619Z Finished uploading artifact content to blob storage!
2025-07-06T20:58:47.5481394Z SHA256 digest of uploaded artifact zip is {HEX}
2025-07-06T20:58:47.5483103Z Finalizing artifact upload
2025-07-06T20:58:47.6721189Z Artifact rendered-video.zip successfully finalized. Artifact ID 3472966077
2025-07-06T20:58:47.6722546Z Artifact rendered-video has been successfully uploaded! Final size is 2603343 bytes. Artifact ID is 3472966077
2025-07-06T20:58:47.6729909Z Artifact download URL: https://github.com/o/r/actions/runs/16103098143/artifacts/3472966077
"""


def ev_check(ev: Any, check_id: str) -> Any:
    return BY_ID[check_id].run(ev)


# --- reading upload-artifact's lines ------------------------------------------------------------


def test_a_real_v4_upload_log_names_the_artifact_its_digest_and_run() -> None:
    assert uploads_in_log(V4_LOG) == {
        3472966077: Upload(artifact_id=3472966077, digest=f"sha256:{HEX}", run_id=16103098143)
    }


def test_older_and_newer_wordings_and_several_uploads_in_one_log() -> None:
    older = V4_LOG.replace("SHA256 digest of", "SHA256 hash of")
    newer = (
        "Uploading artifact: results.zip\n"
        "Beginning upload of artifact content to blob storage\n"
        f"SHA256 digest of uploaded artifact is {'c' * 64}\n"
        "Artifact results successfully finalized. Artifact ID 7\n"
    )
    # An upload whose digest line is missing must not inherit the previous upload's digest.
    bare = "Beginning upload of artifact content to blob storage\n" + (
        "Artifact x has been successfully uploaded! Final size is 3 bytes. Artifact ID is 8\n"
    )
    found = uploads_in_log(older + newer + bare)
    assert found[3472966077].digest == f"sha256:{HEX}"
    assert found[7] == Upload(artifact_id=7, digest="sha256:" + "c" * 64)
    assert found[8] == Upload(artifact_id=8, digest=None)


def test_a_log_without_upload_lines_claims_nothing() -> None:
    assert uploads_in_log("Run actions/upload-artifact@v3\nArtifact x uploaded\n") == {}


def _artifact(**changes: Any) -> Artifact:
    base = Artifact(id=5, name="bin", size_in_bytes=1, expired=False, digest=None, run_id=9)
    return replace(base, **changes)


def test_an_artifact_claimed_by_one_job_is_attributed_to_it() -> None:
    build = job("build")
    (art,) = attribute(
        [_artifact()],
        run_id=9,
        jobs=[build],
        uploads={build.id: {5: Upload(artifact_id=5, digest="sha256:aa")}},
    )
    assert (art.job_id, art.job_name, art.upload_digest) == (build.id, "build", "sha256:aa")


def test_two_claims_no_claim_or_another_run_leave_the_uploader_unknown() -> None:
    a, b = job("a"), job("b")
    claim = {5: Upload(artifact_id=5)}
    (twice,) = attribute([_artifact()], run_id=9, jobs=[a, b], uploads={a.id: claim, b.id: claim})
    assert twice.job_id is None and "all claim it" in (twice.unattributed or "")
    (nobody,) = attribute([_artifact()], run_id=9, jobs=[a], uploads={a.id: {}}, unread=["b"])
    assert nobody.job_id is None
    assert nobody.unattributed == (
        "no job log names artifact id 5 (1 job logs read); the logs of `b` could not be fetched"
    )
    (other,) = attribute([_artifact(run_id=8)], run_id=9, jobs=[a], uploads={a.id: claim})
    assert other.job_id is None and other.error == "belongs to run 8, not to the judged run 9"
    # Without a run from the API, the download URL in the log must name the judged run.
    (no_run,) = attribute([_artifact(run_id=None)], run_id=9, jobs=[a], uploads={a.id: claim})
    assert no_run.job_id is None
    named = {5: Upload(artifact_id=5, run_id=9)}
    (ok,) = attribute([_artifact(run_id=None)], run_id=9, jobs=[a], uploads={a.id: named})
    assert ok.job_id == a.id


# --- the checks count only what ARM64 jobs produced ------------------------------------------------

X86_JOB = hosted_x64(
    job("lint", runner_name="GitHub Actions 3", labels=("ubuntu-latest",), runner_labels=None)
)
FROM_X86 = uploaded_by("lint", artifact="lint-out", artifact_id=3)


def with_x86_job(ev: Any) -> Any:
    return replace(ev, run=replace(ev.run, jobs=(*ev.run.jobs, X86_JOB)))


def test_go_evidence_is_go() -> None:
    assert assess(go()).verdict == "GO"


def test_an_aarch64_binary_uploaded_by_an_x86_job_does_not_count() -> None:
    # Without the rule: an AArch64 ELF was found, so ELF001 and the verdict said GO.
    ev = replace(with_x86_job(go()), binaries=BinaryScan(files=(aarch64(origin=FROM_X86),)))
    outcome = ev_check(ev, "ELF001")
    assert outcome.status == "failed"
    assert "Not from ARM64, not counted: `arm64-binaries/bin/embeddenator` (job `lint`)" in (
        outcome.detail
    )
    assert assess(ev).verdict == "NO-GO"


def test_an_x86_binary_from_an_x86_job_is_listed_but_does_not_fail_elf002() -> None:
    scan = BinaryScan(files=(aarch64(), x86("lint-out/tool", origin=FROM_X86)))
    outcome = ev_check(replace(with_x86_job(go()), binaries=scan), "ELF002")
    assert outcome.status == "passed"
    assert "not counted: `lint-out/tool` (job `lint`)" in outcome.detail


def test_test_results_uploaded_by_an_x86_job_do_not_count() -> None:
    # Without the rule: 24 passing tests, TST001-TST003 passed, GO.
    ev = replace(with_x86_job(go()), tests=results(origin=FROM_X86))
    for check_id in ("TST001", "TST002", "TST003"):
        outcome = ev_check(ev, check_id)
        assert outcome.status == "failed", check_id
        assert "not ARM64 evidence" in outcome.detail
    assert assess(ev).verdict == "NO-GO"


def test_failures_count_only_from_arm64_jobs_and_counts_add_up_from_them() -> None:
    x86_failing = results(5, failed=2, origin=FROM_X86).files
    ev = replace(with_x86_job(go()), tests=TestScan(files=(*results().files, *x86_failing)))
    assert ev_check(ev, "TST002").status == "passed"
    assert ev_check(ev, "TST003").detail == "24 tests ran, as expected."


@pytest.mark.parametrize(
    "origin",
    [
        None,  # not traced to any artifact (read from a folder)
        Origin(artifact_id=1, artifact="arm64-binaries"),  # uploading job not identified
        Origin(artifact_id=1, artifact="arm64-binaries", job_id=424242, job="gone"),  # not in run
    ],
    ids=["untraced", "uploader-unknown", "job-not-in-run"],
)
def test_evidence_of_unknown_origin_is_not_checked_unless_allowed(origin: Origin | None) -> None:
    # Without the rule: the binary and results were trusted as ARM64 evidence, GO.
    ev = replace(
        go(), binaries=BinaryScan(files=(aarch64(origin=origin),)), tests=results(origin=origin)
    )
    for check_id in ("ELF001", "ELF002", "TST001", "TST002", "TST003"):
        outcome = ev_check(ev, check_id)
        assert outcome.status == "inconclusive", check_id
        assert "of unknown origin: `" in outcome.detail
        assert "--allow-unattributed" in outcome.remedy
    assert assess(ev).verdict == "INCONCLUSIVE"
    allowed = replace(ev, settings=replace(ev.settings, allow_unattributed=True))
    assert assess(allowed).verdict == "GO"


def test_a_job_whose_runner_cannot_be_told_is_unknown_never_yes() -> None:
    hidden = job("test", runner_labels=None, labels=("linux",))
    ev = replace(go(), run=replace(present(go().run), jobs=(hidden,)))
    assert ev_check(ev, "ELF001").status == "inconclusive"


# --- ART001: "matched" only for what was verified ---------------------------------------------------


def test_artifacts_without_any_digest_are_unverified_never_matched() -> None:
    # Without the rule: "2 artifacts downloaded and extracted; 0 verified" read as all well.
    arts = tuple(
        replace(a, digest=None, upload_digest=None, digest_verified=None, verified_against=())
        for a in present(go().artifacts).items
    )
    outcome = ev_check(replace(go(), artifacts=Artifacts(items=arts)), "ART001")
    assert outcome.status == "passed"
    assert "0 matched their sha256 digest." in outcome.detail
    assert "⚠️ 2 unverified, not counted as matched" in outcome.detail


def test_an_upload_log_digest_alone_verifies_and_says_so() -> None:
    arts = tuple(
        replace(a, digest=None, verified_against=("upload log",))
        for a in present(go().artifacts).items
    )
    detail = ev_check(replace(go(), artifacts=Artifacts(items=arts)), "ART001").detail
    assert "2 matched their sha256 digest (2 the upload log's only (no API digest))." in detail


# --- end to end against the emulator ---------------------------------------------------------------


def scenario_file(tmp_path: Path, edit: Any) -> Path:
    """The healthy scenario with ``edit`` applied to its dispatch plan, as a file."""
    body = json.loads((FIXTURES / "scenarios" / "healthy.json").read_text(encoding="utf-8"))
    edit(body["workflows"][0]["on_dispatch"])
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def start(tmp_path: Path, edit: Any = lambda _plan: None) -> Emulator:
    scenario = load_scenario(scenario_file(tmp_path, edit), fixtures_dir=FIXTURES)
    return Emulator(scenario, advance_per_request=30.0).start()


def validate(base_url: str, repository: str, root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    report = root / "docs" / "ARM64_TEST_RESULTS.md"
    root.mkdir(parents=True, exist_ok=True)
    done = run_cli(
        "--all-phases",
        "--repo",
        repository,
        "--api-url",
        base_url,
        "--report",
        str(report),
        "--poll-interval",
        "0.01s",
        "--expected-tests",
        "24",
        "-q",
        *extra,
        cwd=root,
        env=TOKEN,
    )
    assert report.with_suffix(".json").is_file(), done.stdout + done.stderr
    evidence = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    return done.returncode, evidence


def status(evidence: dict[str, Any], check_id: str) -> str:
    found: str = next(c["status"] for c in evidence["checks"] if c["id"] == check_id)
    return found


def detail(evidence: dict[str, Any], check_id: str) -> str:
    found: str = next(c["detail"] for c in evidence["checks"] if c["id"] == check_id)
    return found


def test_the_uploading_job_log_prints_what_upload_artifact_prints(tmp_path: Path) -> None:
    emu = start(tmp_path)
    try:
        session = requests.Session()
        api = f"{emu.base_url}/repos/{emu.repository}"
        session.post(
            f"{api}/actions/workflows/build-push-arm64.yml/dispatches",
            json={"ref": "main"},
            timeout=5,
        )
        run = session.get(f"{api}/actions/runs", timeout=5).json()["workflow_runs"][0]
        for _ in range(60):  # each request moves the emulator's clock on
            if session.get(f"{api}/actions/runs/{run['id']}", timeout=5).json()["status"] == (
                "completed"
            ):
                break
        arts = session.get(f"{api}/actions/runs/{run['id']}/artifacts", timeout=5).json()
        jobs = session.get(f"{api}/actions/runs/{run['id']}/jobs", timeout=5).json()["jobs"]
        build = next(j for j in jobs if j["name"].endswith("(debian-stable-arm64)"))
        log = session.get(f"{api}/actions/jobs/{build['id']}/logs", timeout=5).text
        summary = next(j for j in jobs if j["name"] == "summary")
        quiet = session.get(f"{api}/actions/jobs/{summary['id']}/logs", timeout=5).text
    finally:
        emu.stop()
    tarball = next(a for a in arts["artifacts"] if a["name"] == "embeddenator-linux-aarch64")
    lines = [line.split(" ", 1)[1] for line in log.splitlines()]
    start_at = lines.index("##[group]Run Upload release binaries")
    hex_digest = tarball["digest"].removeprefix("sha256:")
    assert lines[start_at + 2 : start_at + 13] == [
        "With the provided path, there will be 1 file uploaded",
        "Artifact name is valid!",
        "Root directory input is valid!",
        "Beginning upload of artifact content to blob storage",
        f"Uploaded bytes {tarball['size_in_bytes']}",
        "Finished uploading artifact content to blob storage!",
        f"SHA256 digest of uploaded artifact zip is {hex_digest}",
        "Finalizing artifact upload",
        f"Artifact embeddenator-linux-aarch64.zip successfully finalized. Artifact ID "
        f"{tarball['id']}",
        f"Artifact embeddenator-linux-aarch64 has been successfully uploaded! Final size is "
        f"{tarball['size_in_bytes']} bytes. Artifact ID is {tarball['id']}",
        f"Artifact download URL: https://github.com/{emu.repository}/actions/runs/{run['id']}"
        f"/artifacts/{tarball['id']}",
    ]
    found = uploads_in_log(log)
    assert found[tarball["id"]].digest == tarball["digest"]
    assert len(found) == 2  # the tarball and this build's manifest
    assert uploads_in_log(quiet) == {}


def test_every_file_is_listed_with_the_job_that_uploaded_it(tmp_path: Path) -> None:
    emu = start(tmp_path)
    try:
        code, evidence = validate(emu.base_url, emu.repository, tmp_path)
        log_links = [r for r in emu.requests if r.path.endswith("/logs")]
    finally:
        emu.stop()
    assert code == 0
    ev = evidence["evidence"]
    jobs = {j["id"]: j["name"] for j in ev["run"]["jobs"]}
    (elf,) = [f for f in ev["binaries"]["files"] if f["kind"] == "elf"]
    assert elf["origin"]["job"] == "build-and-push-arm64 (debian-stable-arm64)"
    assert jobs[elf["origin"]["job_id"]] == elf["origin"]["job"]
    (junit,) = ev["tests"]["files"]
    assert junit["origin"]["job"] == "test"
    for art in ev["artifacts"]["items"]:
        assert art["verified_against"] == ["api", "upload log"]
        assert art["run_id"] == ev["run"]["id"]
    # The test job's log is read anyway (it runs tests); attribution adds the two build jobs'
    # logs and stops there: prepare-matrix and summary uploaded nothing, so are never asked for.
    fetched = {jobs[int(r.path.split("/")[-2])] for r in log_links}
    assert fetched == {
        "test",
        "build-and-push-arm64 (debian-stable-arm64)",
        "build-and-push-arm64 (ubuntu-stable-arm64)",
    }
    assert len(log_links) == 3


def test_every_uploading_job_is_read_so_a_second_claim_is_seen_rule(tmp_path: Path) -> None:
    # test-results is uploaded by the x86 hosted job "summary"; the ARM64 "test" job's log
    # prints the same upload lines. Reading stopped at the first claimant: the x86 JUnit
    # counted as ARM64 and the run was GO.
    def double_claim(plan: dict[str, Any]) -> None:
        results = next(a for a in plan["artifacts"] if a["name"] == "test-results")
        results["job"] = "summary"
        results["claimed_by"] = ["test"]

    emu = start(tmp_path, double_claim)
    try:
        code, evidence = validate(emu.base_url, emu.repository, tmp_path)
        log_links = [r for r in emu.requests if r.path.endswith("/logs")]
    finally:
        emu.stop()
    ev = evidence["evidence"]
    jobs = {j["id"]: j for j in ev["run"]["jobs"]}
    summary = next(j for j in jobs.values() if j["name"] == "summary")
    assert "Run actions/upload-artifact@v4" in [s["name"] for s in summary["steps"]]
    assert "summary" in {jobs[int(r.path.split("/")[-2])]["name"] for r in log_links}
    art = next(a for a in ev["artifacts"]["items"] if a["name"] == "test-results")
    assert art["job_id"] is None
    assert "`test`" in art["unattributed"] and "`summary`" in art["unattributed"]
    assert status(evidence, "TST001") != "passed"  # without the rule: passed
    assert evidence["verdict"] != "GO" and code != 0


def test_uploads_that_no_log_names_make_the_verdict_inconclusive_unless_allowed(
    tmp_path: Path,
) -> None:
    # upload-artifact v3 printed no artifact id: without the rule this run was GO.
    def v3(plan: dict[str, Any]) -> None:
        for artifact in plan["artifacts"]:
            artifact["upload_log"] = False
            artifact["digest"] = False

    emu = start(tmp_path, v3)
    try:
        code, evidence = validate(emu.base_url, emu.repository, tmp_path / "strict")
        allowed_code, allowed = validate(
            emu.base_url, emu.repository, tmp_path / "allowed", "--allow-unattributed"
        )
    finally:
        emu.stop()
    assert (code, evidence["verdict"]) == (3, "INCONCLUSIVE")
    for check_id in ("ELF001", "ELF002", "TST001", "TST002", "TST003"):
        assert status(evidence, check_id) == "inconclusive", check_id
    assert "uploading job unknown" in detail(evidence, "TST001")
    assert "⚠️ 4 unverified, not counted as matched" in detail(evidence, "ART001")
    assert (allowed_code, allowed["verdict"]) == (0, "GO")
    report = (tmp_path / "allowed" / "docs" / "ARM64_TEST_RESULTS.md").read_text()
    assert "**--allow-unattributed was used.**" in report
    assert "| Evidence of unknown origin | counted (--allow-unattributed) |" in report


def test_without_an_api_digest_the_upload_log_digest_verifies(tmp_path: Path) -> None:
    def no_api_digest(plan: dict[str, Any]) -> None:
        for artifact in plan["artifacts"]:
            artifact["digest"] = False

    emu = start(tmp_path, no_api_digest)
    try:
        code, evidence = validate(emu.base_url, emu.repository, tmp_path)
    finally:
        emu.stop()
    assert code == 0
    assert "4 matched their sha256 digest (4 the upload log's only (no API digest))." in (
        detail(evidence, "ART001")
    )


def test_bytes_that_differ_from_the_upload_logs_digest_are_no_go(tmp_path: Path) -> None:
    # The API gives no digest and the bytes are a valid zip of passing results: without the
    # upload log's digest nothing would catch the swap, and the verdict was GO.
    passing = (FIXTURES / "results" / "pytest-pass.xml").read_bytes()
    swapped = zip_of({"junit.xml": passing, "note.txt": b"not what the job uploaded"})
    emu = start(tmp_path)
    try:
        with Proxy(emu) as proxy:

            def drop_digest(body: Any) -> None:
                for item in body["artifacts"]:
                    item["digest"] = None

            proxy.edit_json(ARTIFACT_LIST, drop_digest)
            proxy._blobs.append((re.compile(r"/artifacts/\d+/test-results\.zip$"), swapped))
            code, evidence = validate(proxy.base_url, emu.repository, tmp_path)
    finally:
        emu.stop()
    assert (code, evidence["verdict"]) == (1, "NO-GO")
    assert status(evidence, "ART001") == "failed"
    assert "`test-results`: digest mismatch: the upload log says sha256:" in (
        detail(evidence, "ART001")
    )


def test_a_failing_junit_inside_a_tarball_is_seen(tmp_path: Path) -> None:
    # Beside a passing junit.xml, a .tar.gz holds a failing one: without reading archives, GO.
    def tarred(plan: dict[str, Any]) -> None:
        plan["artifacts"][0]["files"].append(
            {
                "path": "shard-2.tar.gz",
                "tar_gz": [{"path": "shard-2/junit.xml", "source": "results/pytest-fail.xml"}],
            }
        )

    emu = start(tmp_path, tarred)
    try:
        code, evidence = validate(emu.base_url, emu.repository, tmp_path)
    finally:
        emu.stop()
    assert (code, evidence["verdict"]) == (1, "NO-GO")
    assert status(evidence, "TST002") == "failed"
    paths = {f["path"]: f["origin"]["job"] for f in evidence["evidence"]["tests"]["files"]}
    assert paths == {
        "test-results/junit.xml": "test",
        "test-results/shard-2.tar.gz!shard-2/junit.xml": "test",
    }


def tar_gz(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def test_results_inside_archives_are_read_member_by_member(tmp_path: Path) -> None:
    failing = (FIXTURES / "results" / "pytest-fail.xml").read_bytes()
    log = (FIXTURES / "results" / "cargo-test-pass.log").read_bytes()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "more.tgz").write_bytes(
        tar_gz({"a/junit.xml": failing, "b/test.log": log, "c/readme.md": b"# nothing\n"})
    )
    (tmp_path / "r" / "nested.zip").write_bytes(
        zip_of({"inner.tar.gz": tar_gz({"x.xml": failing})})
    )
    (tmp_path / "r" / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    scan = scan_results([tmp_path / "r"], explicit=False)
    shown = {f.path.removeprefix(f"{tmp_path}/r/"): f for f in scan.files}
    assert set(shown) == {
        "broken.tar.gz",
        "more.tgz!a/junit.xml",
        "more.tgz!b/test.log",
        "nested.zip!inner.tar.gz!x.xml",
    }
    assert shown["more.tgz!a/junit.xml"].counts.failed > 0
    assert shown["more.tgz!b/test.log"].format == "libtest"
    assert shown["broken.tar.gz"].error is not None  # what cannot be read is never a pass
    assert not scan.ok
    named = scan_results([tmp_path / "r" / "nested.zip"])
    assert [f.path for f in named.files] == [f"{tmp_path}/r/nested.zip!inner.tar.gz!x.xml"]


def test_allow_unattributed_is_an_option_and_a_config_key(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    config = tmp_path / ".github" / "validate-arm64.toml"
    config.write_text('repo = "o/r"\nallow-unattributed = true\n')
    done = run_cli("--all-phases", "--print-config", cwd=tmp_path, env=TOKEN)
    assert done.returncode == 0, done.stderr
    assert f"allow-unattributed = true  # {config}" in done.stdout
    assert "--allow-unattributed" in run_cli("--help").stdout


def test_damaged_data_inside_an_archive_is_an_error_entry_never_a_crash(tmp_path: Path) -> None:
    import zipfile

    failing = (FIXTURES / "results" / "pytest-fail.xml").read_bytes() * 20
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("junit.xml", failing)
    data = bytearray(raw.getvalue())
    middle = 30 + len("junit.xml") + 200  # inside the deflated bytes, past the head
    data[middle : middle + 40] = b"\xff" * 40
    (tmp_path / "results.zip").write_bytes(bytes(data))
    (entry,) = scan_results([tmp_path], explicit=False).files
    assert entry.error is not None
    assert entry.path.startswith(str(tmp_path / "results.zip"))
