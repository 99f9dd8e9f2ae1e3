"""The artifacts phase against the emulator: list, stream, verify the digest, extract safely."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from validator.emulator import Emulator, Fault
from validator.emulator.scenario import parse_scenario, scenarios_dir
from validator.errors import RetriesExhausted
from validator.evidence import Artifact, Artifacts
from validator.gateway import Gateway
from validator.phases.artifacts import digest_matches, download_artifacts, folder_name
from validator.resources import data_path

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
HEALTHY_RUN = 20961180042
EXPIRED_RUN = 19544410187
NAMES = [
    "test-results",
    "embeddenator-linux-aarch64",
    "manifest-debian-stable-arm64",
    "manifest-ubuntu-stable-arm64",
]


def gateway(emu: Emulator) -> Gateway:
    return Gateway(
        repository=emu.repository,
        token=TOKEN,
        api_url=emu.base_url,
        sleep=emu.clock.sleep,
        clock=emu.clock.now,
        wall_clock=emu.clock.now,
        timeout=5,
    )


def download(emu: Emulator, run_id: int, dest: Path) -> tuple[Artifacts, list[str]]:
    gw = gateway(emu)
    run, _ = gw.run(run_id)
    messages: list[str] = []
    return download_artifacts(gw, run, dest, progress=messages.append), messages


def blob_requests(emu: Emulator) -> list[int]:
    time.sleep(0.05)  # the emulator logs a request just after answering it
    return [r.status for r in emu.requests if r.origin == "blob"]


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_every_artifact_is_downloaded_verified_and_extracted(tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    with Emulator("healthy", token=TOKEN) as emu:
        result, messages = download(emu, HEALTHY_RUN, dest)
        blobs = blob_requests(emu)
    assert result.directory == str(dest)
    assert [a.name for a in result.items] == NAMES
    for artifact in result.items:
        assert artifact.error is None
        assert artifact.digest_verified is True
        assert artifact.downloaded_bytes == artifact.size_in_bytes
        assert artifact.extracted_to == str(dest / artifact.name)
    assert tree(dest) == [
        "embeddenator-linux-aarch64",
        "embeddenator-linux-aarch64/embeddenator-linux-aarch64.tar.gz",
        "manifest-debian-stable-arm64",
        "manifest-debian-stable-arm64/manifest-debian-stable-arm64.json",
        "manifest-ubuntu-stable-arm64",
        "manifest-ubuntu-stable-arm64/manifest-ubuntu-stable-arm64.json",
        "test-results",
        "test-results/junit.xml",
    ]
    junit = (data_path("fixtures", "results", "pytest-pass.xml")).read_bytes()
    assert (dest / "test-results" / "junit.xml").read_bytes() == junit
    assert blobs == [200, 200, 200, 200]
    assert messages[0] == f"run {HEALTHY_RUN} has 4 artifacts"


def test_expired_artifacts_are_recorded_and_not_fetched(tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    with Emulator("artifact-expired", token=TOKEN) as emu:
        result, messages = download(emu, EXPIRED_RUN, dest)
        blobs = blob_requests(emu)
    assert result.items
    for artifact in result.items:
        assert artifact.expired
        assert artifact.error is not None
        assert artifact.error.startswith("expired on 2025-")
        assert "re-run the workflow or raise retention-days" in artifact.error
        assert artifact.extracted_to is None and artifact.downloaded_bytes is None
    assert blobs == []
    assert tree(dest) == []
    assert any("expired on" in m for m in messages)


def test_digest_mismatch_deletes_the_download(tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    with Emulator("healthy", token=TOKEN) as emu:
        # The blob store hands back other bytes for one artifact, however often it is asked.
        emu.inject(
            Fault(origin="blob", path=r"/test-results\.zip$", status=200, message="junk", times=9)
        )
        result, messages = download(emu, HEALTHY_RUN, dest)
        statuses = blob_requests(emu)
    bad = result.items[0]
    assert bad.name == "test-results"
    assert bad.digest_verified is False
    assert bad.downloaded_bytes == 4
    assert bad.error is not None and bad.error.startswith("digest mismatch: GitHub says sha256:")
    assert "downloaded 2 times" in bad.error
    assert bad.extracted_to is None
    assert "test-results" not in tree(dest)
    assert all(a.error is None for a in result.items[1:])
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]
    assert len(statuses) == 2 + 3  # the bad one twice, then the three others
    assert "artifact 'test-results': digest mismatch, downloading it again" in messages


def test_digest_mismatch_once_is_downloaded_again(tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    with Emulator("healthy", token=TOKEN) as emu:
        emu.inject(Fault(origin="blob", path=r"/test-results\.zip$", status=200, message="junk"))
        result, _ = download(emu, HEALTHY_RUN, dest)
    assert all(a.error is None and a.digest_verified for a in result.items)
    assert "test-results/junit.xml" in tree(dest) or any(
        name.startswith("test-results/") for name in tree(dest)
    )


def test_download_that_keeps_failing_stops_the_phase_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    with Emulator("healthy", token=TOKEN) as emu:
        # The last artifact's host keeps failing, after three were extracted.
        emu.inject(Fault(origin="blob", path=r"/manifest-ubuntu", status=503, times=1000))
        with pytest.raises(RetriesExhausted) as info:
            download(emu, HEALTHY_RUN, dest)
    assert "the download host answered 503" in str(info.value)
    assert "retry budget" in str(info.value)
    assert tree(dest) == []  # a partial set of artifacts is not left to be inspected


def test_unsafe_archive_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    raw = json.loads((scenarios_dir() / "healthy.json").read_text())
    plan = raw["runs"][0]["plan"]
    plan["artifacts"] = [
        {
            "name": "evil",
            "job": "test",
            "files": [
                {"path": "fine.txt", "text": "ok\n"},
                {"path": "../../escaped.txt", "text": "gotcha\n"},
            ],
        }
    ]
    scenario = parse_scenario(raw, name="evil-artifact", fixtures_dir=data_path("fixtures"))
    dest = tmp_path / "work" / "artifacts"
    with Emulator(scenario, token=TOKEN) as emu:
        result, _ = download(emu, HEALTHY_RUN, dest)
    (evil,) = result.items
    assert evil.digest_verified is True  # the download itself was intact
    assert evil.error is not None
    assert evil.error.startswith("not extracted: the zip of artifact 'evil': ")
    assert "../../escaped.txt" in evil.error
    assert evil.extracted_to is None
    assert tree(tmp_path) == ["work", "work/artifacts"]


# --- pure pieces ----------------------------------------------------------------------------


def artifact(name: str, artifact_id: int = 7) -> Artifact:
    return Artifact(id=artifact_id, name=name, size_in_bytes=1, expired=False, digest=None)


def test_folder_names_are_safe_and_unique() -> None:
    used: set[str] = set()
    names = []
    for a in [
        artifact("test-results", 1),
        artifact("a/b\\c", 2),
        artifact("..", 3),
        artifact(".hidden", 4),
        artifact("Test-Results", 5),
        artifact("", 6),
    ]:
        name = folder_name(a, used)
        used.add(name.casefold())
        names.append(name)
    assert names == [
        "test-results",
        "a_b_c",
        "artifact-3",
        "hidden",
        "Test-Results-5",
        "artifact-6",
    ]


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        (None, None),
        ("", None),
        ("sha256:ABCDEF", True),
        ("sha256:abcdee", False),
        ("md5:abcdef", None),
        ("sha256:", None),
    ],
)
def test_digest_matches(digest: str | None, expected: bool | None) -> None:
    assert digest_matches(digest, "abcdef") is expected


def test_a_large_download_reports_its_bytes_a_tenth_at_a_time() -> None:
    from validator.phases.artifacts import ByteProgress

    seen: list[str] = []
    big = Artifact(id=1, name="image", size_in_bytes=100 * 2**20, expired=False, digest=None)
    progress = ByteProgress(big, seen.append)
    for received in range(0, 100 * 2**20 + 1, 2**20):  # 1 MiB chunks
        progress(received)
    assert len(seen) == 10
    assert seen[0] == "artifact 'image': 10.0 of 100.0 MiB (10%)"
    assert seen[-1] == "artifact 'image': 100.0 of 100.0 MiB (100%)"
    small = ByteProgress(replace(big, size_in_bytes=2**20), seen.append)
    small(2**20)
    assert len(seen) == 10  # a small download says nothing


def test_the_gateway_tells_the_bytes_received_as_they_arrive(tmp_path: Path) -> None:
    with Emulator("healthy", token=TOKEN) as emu:
        gw = gateway(emu)
        artifact = next(a for a in gw.artifacts(HEALTHY_RUN) if a.name == "test-results")
        counts: list[int] = []
        size, _sha = gw.download_artifact(artifact, tmp_path / "a.zip", on_bytes=counts.append)
    assert counts and counts == sorted(counts)
    assert counts[-1] == size == artifact.size_in_bytes
