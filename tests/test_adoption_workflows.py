"""The action and the workflows a team copies, run locally: their shell steps with bash in a
scratch git repository (a bare `origin` beside it), the real validate-arm64 against the emulator,
and a stub `gh` that records what it was asked."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from validator.emulator import Emulator
from validator.units import parse_duration

from conftest import ROOT

TOKEN = "ghp_SENTINEL_do_not_leak_0123456789"
WORKFLOWS = ROOT / "docs" / "ci" / "workflows"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")

STUB_GH = """#!/bin/sh
echo "gh $*" >> "$STUB_LOG"
case "$1 $2" in
  "pr list") [ -n "${STUB_OPEN_PR:-}" ] && echo "$STUB_OPEN_PR"; exit 0 ;;
  "pr create")
    if [ -n "${STUB_CREATE_FAILS:-}" ]; then
      echo "pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve pull requests (createPullRequest)" >&2
      exit 1
    fi
    exit 0 ;;
esac
exit 0
"""


def resolve(text: str, context: Mapping[str, str]) -> str:
    """``${{ name }}`` → ``context[name]`` (empty when unknown, as in Actions)."""
    return _EXPRESSION.sub(lambda m: context.get(m.group(1), ""), text)


class Job:
    """One job's steps run on this machine, in ``repo``, with GitHub's files for outputs."""

    def __init__(self, repo: Path, tools: Path, env: Mapping[str, str]) -> None:
        self.repo, self.tools = repo, tools
        self.log = tools / "gh.log"
        self.log.unlink(missing_ok=True)  # each job's own calls
        self.outputs: dict[str, dict[str, str]] = {}
        self.env = {
            **os.environ,
            **env,
            "PATH": os.pathsep.join(
                [str(tools), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
            "STUB_LOG": str(self.log),
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
        }

    def bash(self, script: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        """A ``run:`` step as Actions runs it (``bash --noprofile --norc -eo pipefail``)."""
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.repo,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def action(self, with_: Mapping[str, str], step_id: str | None = None):
        """The action's own run step, its inputs from ``with_`` and its defaults."""
        inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        inputs.update(with_)
        step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "validate")
        context = {f"inputs.{k}": v for k, v in inputs.items()}
        env = {k: resolve(str(v), context) for k, v in step["env"].items()}
        output = self.repo.parent / f"output-{step_id or 'action'}.txt"
        summary = self.repo.parent / "summary.md"
        output.write_text("")
        done = self.bash(
            step["run"], {**env, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
        )
        if step_id:
            self.outputs[step_id] = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
        return done

    def workflow(self, path: Path, context: Mapping[str, str], job: str):
        """Each step of ``job``: the action's steps for `uses: .../validate-arm64@...`,
        `run:` scripts with bash; checkout is the scratch repository itself."""
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        results = []
        for step in spec["jobs"][job]["steps"]:
            full = {
                **context,
                **{
                    f"steps.{sid}.outputs.{k}": v
                    for sid, outs in self.outputs.items()
                    for k, v in outs.items()
                },
            }
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout"):
                continue
            if "validate-arm64@" in uses:
                with_ = {k: resolve(str(v), full) for k, v in step.get("with", {}).items()}
                done = self.action(with_, step.get("id"))
            else:
                env = {k: resolve(str(v), full) for k, v in step.get("env", {}).items()}
                done = self.bash(step["run"], env)
            results.append((step.get("name", uses), done))
            if done.returncode != 0 and not step.get("continue-on-error"):
                break
        return results

    def gh_calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def scratch(tmp_path: Path):
    """A clone of a bare origin, on main, with one commit; a stub gh on PATH."""
    origin, repo, tools = tmp_path / "origin.git", tmp_path / "repo", tmp_path / "tools"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(repo))
    git(repo, "config", "user.name", "someone")
    git(repo, "config", "user.email", "someone@example.com")
    (repo / "README.md").write_text("product\n")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "start")
    git(repo, "push", "--quiet", "origin", "HEAD:main")
    tools.mkdir()
    (tools / "gh").write_text(STUB_GH)
    (tools / "gh").chmod(0o755 | stat.S_IXUSR)
    return repo, tools, origin


@pytest.fixture
def serve():
    running: list[Emulator] = []

    def start(scenario: str) -> Emulator:
        emu = Emulator(scenario, advance_per_request=30.0, token=TOKEN).start()
        running.append(emu)
        return emu

    yield start
    for emu in running:
        emu.stop()


def nightly(scratch, emu: Emulator, **env: str):
    repo, tools, _origin = scratch
    job = Job(
        repo, tools, {"GITHUB_REPOSITORY": emu.repository, "GITHUB_API_URL": emu.base_url, **env}
    )
    context = {
        "secrets.ARM64_VALIDATOR_TOKEN": env.pop("TOKEN", TOKEN),
        "github.token": "ghs_default",
    }
    return job, job.workflow(WORKFLOWS / "arm64-nightly.yml", context, "report")


def test_the_first_report_is_committed_and_one_pull_request_is_kept(scratch, serve):
    repo, _tools, origin = scratch
    emu = serve("tests-failing")
    job, steps = nightly(scratch, emu)
    assert [s.returncode for _n, s in steps] == [0, 0], steps  # NO-GO is tolerated
    assert job.outputs["validate"]["verdict"] == "NO-GO"
    assert job.outputs["validate"]["exit-code"] == "1"
    assert "ARM64 readiness report: NO-GO" in git(
        origin, "log", "-1", "--format=%s", "arm64-readiness-report"
    )
    files = git(origin, "ls-tree", "--name-only", "-r", "arm64-readiness-report")
    assert "docs/ci/ARM64_TEST_RESULTS.md" in files.splitlines()
    assert "docs/ci/ARM64_TEST_RESULTS.history.jsonl" in files.splitlines()
    assert any(c.startswith("gh pr create --head arm64-readiness-report") for c in job.gh_calls())

    # The next night, with a pull request open: the same branch is updated, none is created.
    git(repo, "switch", "--quiet", "main")
    git(repo, "clean", "-fdq")
    job, steps = nightly(scratch, serve("healthy"), STUB_OPEN_PR="7")
    assert [s.returncode for _n, s in steps] == [0, 0], steps
    assert "Updated pull request #7" in steps[1][1].stdout
    assert not any(c.startswith("gh pr create") for c in job.gh_calls())
    assert any(
        c.startswith("gh pr edit 7 --title ARM64 readiness report: GO") for c in job.gh_calls()
    )
    assert git(origin, "rev-list", "--count", "arm64-readiness-report") == "2"  # one on main


def test_an_unchanged_report_commits_nothing(scratch, serve):
    repo, _tools, origin = scratch
    emu = serve("healthy")
    job, steps = nightly(scratch, emu)
    assert steps[1][1].returncode == 0
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "arm64-readiness-report")
    git(repo, "push", "--quiet", "origin", "main")
    before = git(origin, "rev-parse", "arm64-readiness-report")
    job, steps = nightly(scratch, emu)
    assert "Report unchanged (verdict GO): nothing to commit." in steps[1][1].stdout
    assert git(origin, "rev-parse", "arm64-readiness-report") == before
    assert not any(c.startswith("gh pr") for c in job.gh_calls())


def test_a_bad_token_fails_the_job_instead_of_reading_as_no_go(scratch, serve):
    emu = serve("healthy")
    job, steps = nightly(scratch, emu, TOKEN="ghp_wrong")
    assert len(steps) == 1  # the job stops: no pull request step
    assert steps[0][1].returncode == 2, steps[0][1].stderr
    assert job.outputs["validate"]["exit-code"] == "2"


def test_a_refused_pull_request_says_which_setting_to_turn_on(scratch, serve):
    _job, steps = nightly(scratch, serve("healthy"), STUB_CREATE_FAILS="1")
    failed = steps[1][1]
    assert failed.returncode == 1
    assert "already exists" not in failed.stdout
    assert "Allow GitHub Actions to create and approve pull requests" in failed.stdout


def test_the_action_passes_only_the_inputs_that_were_set(scratch, serve):
    """The settings file decides what an input does not say; an input still beats it."""
    repo, tools, _origin = scratch
    emu = serve("healthy")
    (repo / ".github").mkdir()
    (repo / ".github" / "validate-arm64.toml").write_text(
        f'repo = "{emu.repository}"\nreport = "out/READY.md"\nexpected-tests = 99\n'
    )
    job = Job(repo, tools, {"GITHUB_REPOSITORY": "someone/else", "GITHUB_API_URL": emu.base_url})
    done = job.action({"token": TOKEN, "use-latest-run": "true"}, "validate")
    assert job.outputs["validate"]["report-path"] == "out/READY.md", done.stderr
    assert job.outputs["validate"]["verdict"] == "NO-GO"  # 24 tests, 99 expected by the file
    assert "FAIL  TST003" in done.stdout
    again = job.action(
        {
            "token": TOKEN,
            "use-latest-run": "true",
            "expected-tests": "24",
            "args": "--run-budget '1h'",
        },
        "validate",
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert job.outputs["validate"]["verdict"] == "GO"
    assert {"verdict", "report-path", "evidence-path", "exit-code"} <= set(ACTION["outputs"])


def test_the_gate_sets_verdict_and_writes_a_step_summary(scratch, serve):
    repo, tools, _origin = scratch
    emu = serve("healthy")
    job = Job(repo, tools, {"GITHUB_REPOSITORY": emu.repository, "GITHUB_API_URL": emu.base_url})
    assert job.action({"token": TOKEN, "use-latest-run": "true"}).returncode == 0
    path = repo / "docs/ci/ARM64_TEST_RESULTS.json"
    evidence = json.loads(path.read_text())
    refused = job.action({"command": "gate", "max-age": "3650d"}, "gate")
    assert refused.returncode == 2  # the emulator names itself: its evidence never passes
    assert job.outputs["gate"]["verdict"] == "INCONCLUSIVE"
    # The same evidence as GitHub would have served it.
    evidence["evidence"]["settings"]["emulator_scenario"] = None
    path.write_text(json.dumps(evidence))
    gate = job.action({"command": "gate", "max-age": "3650d", "sha": evidence["head_sha"]}, "gate")
    assert gate.returncode == 0, gate.stderr
    assert job.outputs["gate"]["verdict"] == "GO"
    assert job.outputs["gate"]["evidence-path"] == "docs/ci/ARM64_TEST_RESULTS.json"
    assert (
        "## ARM64 release gate: GO\n\nGO: tzervas/embeddenator at "
        in (repo.parent / "summary.md").read_text()
    )
    other = job.action({"command": "gate", "max-age": "3650d", "sha": "0" * 40}, "gate")
    assert other.returncode == 3
    assert job.outputs["gate"]["verdict"] == "INCONCLUSIVE"


def test_the_release_gate_job_outlives_the_tool_s_own_timeouts():
    spec = yaml.safe_load((WORKFLOWS / "arm64-release-gate.yml").read_text())
    job = spec["jobs"]["arm64-gate"]
    validate = next(
        s
        for s in job["steps"]
        if "validate-arm64@" in s.get("uses", "")
        and s.get("with", {}).get("command", "validate") == "validate"
    )
    waits = sum(
        parse_duration(validate["with"][k], option=k) for k in ("queue-timeout", "run-timeout")
    )
    assert job["timeout-minutes"] * 60 >= waits + 10 * 60


def test_the_release_workflow_moves_the_major_tag(scratch):
    repo, tools, origin = scratch
    from validator import __version__

    major = f"v{__version__.split('.')[0]}"
    (repo / "validator").mkdir()
    (repo / "validator/__init__.py").write_text((ROOT / "validator/__init__.py").read_text())
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "first")
    git(repo, "tag", major)
    git(repo, "push", "--quiet", "origin", "main", major)
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "release")
    tag = f"v{__version__}"
    git(repo, "tag", tag)
    git(repo, "push", "--quiet", "origin", tag)
    job = Job(repo, tools, {})
    steps = job.workflow(
        ROOT / ".github/workflows/release.yml", {"github.ref_name": tag}, "release"
    )
    assert [s.returncode for _n, s in steps] == [0, 0, 0], steps
    assert git(origin, "rev-parse", f"{major}^{{commit}}") == git(repo, "rev-parse", "HEAD")
    assert f"gh release create {tag} --verify-tag --title {tag} --generate-notes" in job.gh_calls()

    wrong = job.workflow(
        ROOT / ".github/workflows/release.yml", {"github.ref_name": "v9.9.9"}, "release"
    )
    assert wrong[0][1].returncode == 1
    assert "tag v9.9.9, but validator/__init__.py says" in wrong[0][1].stdout


def test_the_usage_guide_s_adoption_blocks_work_as_written(scratch):
    """The shell blocks of USAGE.md's adoption section, pasted into a team's repository."""
    import textwrap

    repo, _tools, _origin = scratch
    guide = (ROOT / "docs" / "ci" / "USAGE.md").read_text(encoding="utf-8")
    section = guide.split("## 0. ", 1)[1].split("\n## ", 1)[0]
    blocks = [textwrap.dedent(b) for b in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]
    assert len(blocks) == 2
    script = "\n".join(blocks)
    script = re.sub(r'^VA=".*?"', f'VA="{ROOT}"', script, flags=re.MULTILINE)
    script = re.sub(r'^ACTION=".*?"', 'ACTION="my-org/validate-arm64"', script, flags=re.MULTILINE)
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=repo,
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("arm64-nightly.yml", "arm64-release-gate.yml"):
        text = (repo / ".github" / "workflows" / name).read_text()
        assert "uses: my-org/validate-arm64@v0" in text
        assert "OWNER/" not in text
    settings = repo / ".github" / "validate-arm64.toml"
    from validator.options import read_config_file

    assert read_config_file(None, cwd=repo).values["expected-tests"] == 24
    assert settings.exists()
    assert (
        git(repo, "log", "-1", "--format=%s") == "ARM64 readiness: nightly report and release gate"
    )
