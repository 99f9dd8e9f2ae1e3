"""No credential reaches a file, the report, the evidence or the output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from validator.emulator import Emulator, load_scenario
from validator.redact import REDACTED, redact

from conftest import FIXTURES, run_cli

PLANTED = "ghp_" + "Zq8" * 12  # shaped like a classic personal access token
FINE_GRAINED = "github_pat_11ABCDEFG0" + "x" * 40


def test_token_shaped_text_and_known_secrets_are_redacted():
    text = f"auth ok {PLANTED} then {FINE_GRAINED}; password=hunter2hunter2 and s3cr3t-value-42"
    out = redact(text, secrets=["s3cr3t-value-42", None, ""])
    assert PLANTED not in out
    assert FINE_GRAINED not in out
    assert "hunter2hunter2" not in out
    assert "s3cr3t-value-42" not in out
    assert out.count(REDACTED) == 4
    assert redact("an ordinary log line: 24 passed") == "an ordinary log line: 24 passed"
    assert redact("the word is", secrets=["is"]) == "the word is"  # too short to be a secret


def test_a_token_printed_in_a_failed_job_log_reaches_no_file(tmp_path: Path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "binaries", fixtures / "binaries")
    shutil.copytree(FIXTURES / "results", fixtures / "results")
    log = fixtures / "results" / "leaky.log"
    log.write_text(
        (FIXTURES / "results" / "cargo-test-fail.log").read_text(encoding="utf-8")
        + f"\nDebug: using token {PLANTED}\nerror: test failed\n",
        encoding="utf-8",
    )
    raw = json.loads((FIXTURES / "scenarios" / "tests-failing.json").read_text())
    test_job = raw["workflows"][0]["on_dispatch"]["jobs"][0]
    test_job["log"], test_job["log_step"] = "results/leaky.log", "Run test suite"
    path = tmp_path / "leaky.json"
    path.write_text(json.dumps(raw))
    emu = Emulator(load_scenario(path, fixtures_dir=fixtures), advance_per_request=30.0).start()
    try:
        report = tmp_path / "work" / "docs" / "ARM64_TEST_RESULTS.md"
        report.parent.mkdir(parents=True)
        done = run_cli(
            "--all-phases",
            "--repo",
            emu.repository,
            "--api-url",
            emu.base_url,
            "--report",
            str(report),
            "--poll-interval",
            "0.01s",
            cwd=report.parent.parent,
            env={"GITHUB_TOKEN": "x" * 40},
        )
    finally:
        emu.stop()
    assert done.returncode == 1, done.stdout + done.stderr
    written = [p for p in (tmp_path / "work").rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in written)  # the job log was saved...
    assert report.read_text(encoding="utf-8").count(REDACTED) >= 1  # ...and its tail reported
    for p in written:
        assert PLANTED not in p.read_text(encoding="utf-8", errors="replace"), p
    assert PLANTED not in done.stdout + done.stderr


LEAKY_LOG = """\
+ env
CARGO_REGISTRY_TOKEN=cioAbCdEf0123456789abcdef0123456789XyZ
GITHUB_TOKEN=v1.0123456789abcdef0123456789abcdef01234567
NPM_TOKEN=npm_AbCdEf0123456789AbCdEf0123456789abcd
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
+ curl -sf -H "Authorization: Bearer 0123456789abcdef0123456789abcdef01234567" https://ghes.example.com/api/v3/user
+ docker login -u ci-bot -p dckr_pat_AbCdEf0123456789XyZ registry.example.com
+ git clone https://ci-bot:Zz9Zz9Zz9Zz9@git.example.com/o/r.git
"password": "hunter2hunter2",
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ
-----END OPENSSH PRIVATE KEY-----
"""
SECRETS = (
    "cioAbCdEf0123456789abcdef0123456789XyZ",
    "v1.0123456789abcdef0123456789abcdef01234567",
    "npm_AbCdEf0123456789AbCdEf0123456789abcd",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "0123456789abcdef0123456789abcdef01234567",
    "dckr_pat_AbCdEf0123456789XyZ",
    "Zz9Zz9Zz9Zz9",
    "hunter2hunter2",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
)


def test_what_a_failed_job_prints_of_its_environment_is_redacted():
    # A job that runs `env` or `set -x` before failing: every credential shape seen in CI logs.
    out = redact(LEAKY_LOG)
    for secret in SECRETS:
        assert secret not in out, secret
    # What is not a secret stays readable.
    assert "CARGO_REGISTRY_TOKEN=[redacted]" in out
    assert "docker login -u ci-bot -p [redacted] registry.example.com" in out
    assert "https://ci-bot:[redacted]@git.example.com/o/r.git" in out
    kept = "test result: FAILED. 23 passed; 1 failed; mkdir -p target/release; cache-key=linux"
    assert redact(kept) == kept
