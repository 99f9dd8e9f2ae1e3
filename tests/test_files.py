"""Outputs are written whole or not at all, and two runs never write the same report at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from validator.errors import UsageError
from validator.files import exclusive, write_atomic

WRITER = """
import sys
from pathlib import Path
from validator.files import write_atomic
target = Path(sys.argv[1])
texts = [("A" * 4_000_000) + "\\n", ("B" * 3_000_000) + "\\n"]
i = 0
print("ready", flush=True)
while True:
    write_atomic(target, texts[i % 2])
    i += 1
"""


def test_a_killed_writer_leaves_the_old_or_the_new_file_never_a_mix(tmp_path: Path):
    target = tmp_path / "ARM64_TEST_RESULTS.md"
    write_atomic(target, "before\n")
    allowed = {"before\n", ("A" * 4_000_000) + "\n", ("B" * 3_000_000) + "\n"}
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        with subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
        ) as writer:
            assert writer.stdout is not None
            assert writer.stdout.readline() == "ready\n"
            time.sleep(delay)
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        assert target.read_text() in allowed


def test_write_atomic_keeps_permissions_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "r.md"
    write_atomic(target, "one\n")
    target.chmod(0o640)
    write_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]


def test_a_second_run_on_the_same_report_is_refused_with_a_clear_line(cli, tmp_path: Path):
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with exclusive(report):
        with (
            pytest.raises(UsageError, match="another validate-arm64 run is writing"),
            exclusive(report),
        ):
            pass
        done = cli(
            "--phase",
            "binaries",
            "--phase",
            "report",
            "--artifacts-dir",
            str(artifacts),
            "--report",
            str(report),
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"validate-arm64: error: {report}: another validate-arm64 run")
    assert not report.exists()
    assert os.listdir(report.parent) == []


PAIR = """
import os, signal, sys
from pathlib import Path
from validator.__main__ import _terminate
from validator.files import write_together
signal.signal(signal.SIGTERM, _terminate)
report, evidence = Path(sys.argv[1]), Path(sys.argv[2])
try:
    write_together([(evidence, "new evidence"), (report, "new report")],
                   between=lambda: os.kill(os.getpid(), signal.SIGTERM))
except KeyboardInterrupt:
    print("interrupted after the renames", flush=True)
    sys.exit(130)
print("not interrupted", flush=True)
"""


def test_a_sigterm_between_report_and_evidence_never_splits_the_pair(tmp_path: Path):
    # Without the signals held back, the SIGTERM sent after the first rename would leave new
    # evidence beside the old report: a NO-GO evidence beside a GO report.
    report, evidence = tmp_path / "r.md", tmp_path / "r.json"
    report.write_text("old report")
    evidence.write_text("old evidence")
    done = subprocess.run(
        [sys.executable, "-c", PAIR, str(report), str(evidence)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert done.stdout.strip() == "interrupted after the renames"
    assert (report.read_text(), evidence.read_text()) == ("new report", "new evidence")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.md"]  # no temporaries


def test_a_failure_while_staging_leaves_both_files_as_they_were(tmp_path: Path):
    from validator.files import write_together

    report, evidence = tmp_path / "r.md", tmp_path / "r.json"
    report.write_text("old report")
    evidence.write_text("old evidence")
    with pytest.raises(UnicodeEncodeError):
        write_together([(evidence, "new evidence"), (report, "bad \udcff surrogate")])
    assert (report.read_text(), evidence.read_text()) == ("old report", "old evidence")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.md"]
