"""The workflow read before dispatch: loading, matrix expansion, runs-on, every finding,
and the three real embeddenator workflows."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.errors import UsageError
from validator.workflow import (
    FINDINGS,
    SCHEMA,
    WorkflowAnalysis,
    WorkflowError,
    analyse,
    lint_document,
    lint_text,
    lint_workflow,
    text_from_contents,
)
from validator.workflow.contexts import HAPPY_PATH, build_contexts
from validator.workflow.expressions import CannotTell, Evaluator, Unknown
from validator.workflow.loading import YList, YMap, load_yaml
from validator.workflow.matrix import expand_matrix

from conftest import FIXTURES

LABELS = ("self-hosted", "linux", "ARM64")
WORKFLOWS = FIXTURES / "workflows"
EMBEDDENATOR = WORKFLOWS / "embeddenator"
FINDING_FILES = WORKFLOWS / "findings"


def lint(name: str, **inputs: str) -> WorkflowAnalysis:
    path = EMBEDDENATOR / name if (EMBEDDENATOR / name).exists() else FINDING_FILES / name
    return lint_workflow(path, inputs, LABELS)


def ids(analysis: WorkflowAnalysis) -> list[str]:
    return [f.id for f in analysis.findings]


def only(analysis: WorkflowAnalysis, finding_id: str) -> str:
    found = [f for f in analysis.findings if f.id == finding_id]
    assert len(found) == 1, analysis.findings
    return f"{found[0].message} | {found[0].remedy}"


# ---------------------------------------------------------------- loading


def test_yaml_is_read_as_github_reads_it() -> None:
    value = load_yaml("on:\n  push:\nyes: no\nn: 0x1f\nf: 1.5\ns: '1'\nnull_: ~\nt: True\n")
    assert isinstance(value, YMap)
    assert list(value) == ["on", "yes", "n", "f", "s", "null_", "t"]  # "on" stays a string
    assert value["yes"] == "no"  # YAML 1.2: yes/no are strings
    assert (value["n"], value["f"], value["s"], value["null_"], value["t"]) == (
        31,
        1.5,
        "1",
        None,
        True,
    )
    assert value.line_of("n") == 4


def test_lines_are_kept_for_lists_and_mappings() -> None:
    value = load_yaml("a:\n  - x\n  -\n    b: 1\n")
    assert isinstance(value, YMap)
    items = value["a"]
    assert isinstance(items, YList)
    assert items.item_lines == [2, 4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n", "line 2: not valid YAML"),
        ("a: 1\na: 2\n", "line 2: duplicate key 'a'"),
        ("<<: {a: 1}\n", "merge keys"),
        ("[" * 100 + "]" * 100, "nested more than"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
                for i in range(8)
            ),
            "anchor bomb",
        ),
        ("a: " + "x" * (1024 * 1024 + 1), "larger than 1024 KiB"),
    ],
)
def test_hostile_or_broken_yaml_is_refused_with_our_error(text: str, message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        load_yaml(text)


def test_contents_endpoint_answer_is_decoded() -> None:
    text = (EMBEDDENATOR / "ci-arm64.yml").read_text()
    encoded = base64.encodebytes(text.encode()).decode()  # GitHub wraps lines at 60 characters
    assert text_from_contents({"encoding": "base64", "content": encoded}) == text
    with pytest.raises(WorkflowError, match="damaged base64"):
        text_from_contents({"encoding": "base64", "content": "!!!"})
    with pytest.raises(WorkflowError, match="without base64 content"):
        text_from_contents({"encoding": "none", "content": ""})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a YAML mapping"),
        ("- a\n", "not a YAML mapping"),
        ("on: push\n", "no 'jobs' mapping"),
        ("on: push\njobs: []\n", "no 'jobs' mapping"),
    ],
)
def test_text_that_is_not_a_workflow_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(WorkflowError, match=message) as caught:
        analyse(text, path="w.yml", inputs={}, labels=LABELS)
    assert isinstance(caught.value, UsageError)


def test_no_labels_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="at least one runner label"):
        lint_workflow(EMBEDDENATOR / "ci-arm64.yml", {}, ())


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the workflow"):
        lint_workflow(tmp_path / "missing.yml", {}, LABELS)
    (tmp_path / "bin.yml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        lint_workflow(tmp_path / "bin.yml", {}, LABELS)
    (tmp_path / "bad.yml").write_text("jobs: {a: [}\n")
    with pytest.raises(WorkflowError, match=r"bad\.yml: line 1: not valid YAML"):
        lint_workflow(tmp_path / "bad.yml", {}, LABELS)


# ---------------------------------------------------------------- matrix


def expand(text: str) -> list[dict[str, object]]:
    matrix = load_yaml(text)
    contexts = build_contexts({"arm": True}, event="workflow_dispatch", matrix=Unknown("m"))
    return expand_matrix(matrix, Evaluator(contexts, status=HAPPY_PATH))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "os: [a, b]\nv: [1, 2]\n",
            [
                {"os": "a", "v": 1.0},
                {"os": "a", "v": 2.0},
                {"os": "b", "v": 1.0},
                {"os": "b", "v": 2.0},
            ],
        ),
        (
            "os: [a, b]\nv: [1, 2]\nexclude:\n  - os: b\n    v: 1\n",
            [{"os": "a", "v": 1.0}, {"os": "a", "v": 2.0}, {"os": "b", "v": 2.0}],
        ),
        ("os: [a, b]\nexclude:\n  - os: B\n", [{"os": "a"}]),
        # include extends every combination it does not overwrite...
        (
            "os: [a, b]\ninclude:\n  - extra: x\n",
            [{"os": "a", "extra": "x"}, {"os": "b", "extra": "x"}],
        ),
        (
            "os: [a, b]\ninclude:\n  - os: a\n    extra: x\n",
            [{"os": "a", "extra": "x"}, {"os": "b"}],
        ),
        # ...or becomes a combination of its own
        ("os: [a]\ninclude:\n  - os: c\n    extra: y\n", [{"os": "a"}, {"os": "c", "extra": "y"}]),
        # only include: each entry is one combination
        ("include:\n  - os: a\n  - os: b\n", [{"os": "a"}, {"os": "b"}]),
        # added values can be overwritten by a later include, original ones cannot
        ("os: [a]\ninclude:\n  - e: 1\n  - e: 2\n", [{"os": "a", "e": 2.0}]),
        ('os: ${{ fromJSON(\'["x", "y"]\') }}\n', [{"os": "x"}, {"os": "y"}]),
        ("os: ['${{ inputs.arm }}']\n", [{"os": True}]),
    ],
)
def test_matrix_expansion(text: str, expected: list[dict[str, object]]) -> None:
    assert expand(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${{ fromJSON(needs.m.outputs.matrix) }}", "needs"),
        ("os: []\n", "no combination"),
        ("os: a\n", "not a list"),
        (
            "a: [" + ", ".join(["1"] * 17) + "]\nb: [" + ", ".join(["1"] * 17) + "]\n",
            "more than 256",
        ),
        ("include: x\n", "not a list of mappings"),
    ],
)
def test_matrices_known_only_later_cannot_be_told(text: str, message: str) -> None:
    with pytest.raises(CannotTell, match=message):
        expand(text)


def test_matrix_legs_are_judged_one_by_one() -> None:
    analysis = lint("matrix.yml")
    (job,) = analysis.jobs
    assert job.status == "arm64"
    assert job.runs_on == (("linux-x64",), LABELS, ("windows-x64",), ("macos-14",))
    moved = lint("matrix.yml", arm="false")
    assert moved.jobs[0].status == "moved"
    assert "asks for linux-arm64 with arm=false" in only(moved, "WFL001")
    assert "--input arm=true" in only(moved, "WFL001")


# ---------------------------------------------------------------- runs-on


@pytest.mark.parametrize(
    ("runs_on", "expected"),
    [
        ("[self-hosted, linux, ARM64]", "arm64"),
        ("[self-hosted, Linux, arm64, large]", "arm64"),  # labels compare ignoring case
        ("self-hosted", "other"),
        ("ubuntu-24.04-arm", "other"),
        ("{group: fleet, labels: [self-hosted, linux, ARM64]}", "arm64"),
        ("{group: fleet, labels: ubuntu-latest}", "other"),
        ("{group: fleet}", "cannot-tell"),
        (
            '"${{ fromJSON(\'{\\"labels\\": [\\"self-hosted\\", \\"linux\\", \\"ARM64\\"]}\') }}"',
            "arm64",
        ),
        (
            "['self-hosted', '${{ github.event_name == ''workflow_dispatch'' && ''linux'' }}', ARM64]",
            "arm64",
        ),
        ("${{ vars.RUNNER }}", "cannot-tell"),
        ("''", "cannot-tell"),
    ],
)
def test_runs_on_forms(runs_on: str, expected: str) -> None:
    text = f"on: workflow_dispatch\njobs:\n  j:\n    runs-on: {runs_on}\n    steps: []\n"
    analysis = analyse(text, path="w.yml", inputs={}, labels=LABELS)
    assert analysis.jobs[0].status == expected
    assert analysis.can_tell is (expected != "cannot-tell")


# ---------------------------------------------------------------- findings


def test_wfl001_input_that_moves_the_job_names_the_value_that_keeps_it() -> None:
    assert ids(lint("moved-by-input.yml")) == []
    analysis = lint("moved-by-input.yml", native="false")
    assert ids(analysis) == ["WFL001"]
    finding = analysis.findings[0]
    assert (finding.severity, finding.job, finding.line) == ("blocking", "build", 10)
    assert "asks for ubuntu-latest with native=false" in finding.message
    assert finding.remedy.startswith("dispatch with --input native=true to keep it on")
    assert analysis.exit_code() == 1 and not analysis.dispatch_allowed
    assert [job.id for job in analysis.arm64_jobs] == ["build"]  # moved, still judged


def test_wfl001_a_job_named_by_arm64_job_that_asks_for_other_labels() -> None:
    text = "on: workflow_dispatch\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    analysis = analyse(text, path="w.yml", inputs={}, labels=LABELS, arm64_jobs=["b*"])
    assert "must run on ARM64 (--arm64-job) but asks for ubuntu-latest" in only(analysis, "WFL001")


def test_wfl002_no_workflow_dispatch() -> None:
    analysis = lint("no-dispatch.yml")
    assert ids(analysis) == ["WFL002"]
    assert analysis.findings[0].line == 2
    assert analysis.exit_code() == 2
    # validating a push run is another event: no dispatch is needed then
    pushed = lint_document(
        analyse(
            (FINDING_FILES / "no-dispatch.yml").read_text(),
            path="w",
            inputs={},
            labels=LABELS,
            event="push",
        )
    )
    assert pushed["findings"] == [] and pushed["exit_code"] == 0


def test_wfl003_wfl004_wfl005_inputs_checked_against_the_declarations() -> None:
    analysis = lint(
        "inputs.yml", flavour="fast", sign="maybe", jobs="many", colour="red", version="1.0"
    )
    assert ids(analysis) == ["WFL003", "WFL004", "WFL004", "WFL004"]
    text = "\n".join(f"{f.id}:{f.line} {f.message} | {f.remedy}" for f in analysis.findings)
    assert (
        "WFL003:3 --input colour=red: the workflow declares no input 'colour' "
        "(declared: flavour, sign, jobs, version)" in text
    )
    assert (
        "WFL004:5 --input flavour=fast: not a value the choice input allows "
        "(allowed: debug, release) | pass one of: debug, release" in text
    )
    assert "--input sign=maybe: not a value the boolean input allows (allowed: true, false)" in text
    assert "--input jobs=many: not a value the number input allows (allowed: a number)" in text
    assert analysis.exit_code() == 2
    missing = lint("inputs.yml")
    assert only(missing, "WFL005") == (
        "the required input 'version' has no default and is not given | pass --input version=VALUE"
    )
    good = lint("inputs.yml", flavour="debug", sign="TRUE", jobs="0x10", version="1")
    assert good.findings == () and good.exit_code() == 0
    assert good.inputs == {"flavour": "debug", "sign": True, "jobs": 16.0, "version": "1"}


def test_wfl006_no_upload_from_the_arm64_job() -> None:
    analysis = lint("no-upload.yml")
    assert ids(analysis) == ["WFL006"]
    finding = analysis.findings[0]
    assert finding.severity == "warning" and finding.prevents_go and finding.job == "arm"
    assert analysis.dispatch_allowed and analysis.exit_code() == 1


def test_wfl007_uploads_that_hold_no_binary() -> None:
    analysis = lint("logs-only.yml")
    assert only(analysis, "WFL007").startswith(
        "the ARM64 jobs upload only test.log, reports/*.json, SUMMARY.md"
    )
    assert analysis.findings[0].line == 13


def test_wfl008_test_steps_that_cannot_fail() -> None:
    analysis = lint("cannot-fail.yml")
    assert [(f.id, f.step) for f in analysis.findings] == [
        ("WFL008", "Unit tests"),
        ("WFL008", "Integration tests"),
        ("WFL008", "Tests with set +e"),
        ("WFL008", "Piped tests"),
    ]  # "Checked tests" checks $? after set +e and runs with pipefail: not reported
    messages = [f.message for f in analysis.findings]
    assert "`cargo test --workspace || true` turns a failure into success" in messages[0]
    assert "the step has continue-on-error: true" in messages[1]
    assert "`set +e` is never followed by a check" in messages[2]
    assert "without pipefail" in messages[3]
    assert analysis.exit_code() == 0  # warnings: the run can still prove something


def test_wfl009_conditions_that_skip_the_tests() -> None:
    assert lint("skipped-tests.yml").findings == ()
    job_skipped = lint("skipped-tests.yml", run_tests="false")
    assert only(job_skipped, "WFL009") == (
        "job test: `if: inputs.run_tests` is false with these inputs, so the job that runs "
        "the tests is skipped | dispatch with --input run_tests=true"
    )
    step_skipped = lint("skipped-tests.yml", mode="build-only")
    finding = step_skipped.findings[0]
    assert (finding.id, finding.step, finding.line) == (
        "WFL009",
        "Run tests",
        18,
    )  # the line of its if:
    assert finding.remedy == "dispatch with --input mode=full"


def test_wfl010_what_only_the_run_can_tell_is_reported_not_assumed() -> None:
    analysis = lint("cannot-tell.yml")
    assert [(j.id, j.status, j.meant_for_arm64) for j in analysis.jobs] == [
        ("pick", "other", False),
        ("build", "cannot-tell", None),
        ("call", "cannot-tell", None),
    ]
    assert ids(analysis) == ["WFL010", "WFL010"]
    assert "the context 'needs' is known only at run time" in analysis.findings[0].message
    assert not analysis.can_tell and analysis.arm64_jobs == ()
    assert analysis.exit_code() == 0  # unknown is not a NO-GO either


def test_wfl011_no_job_can_run_on_the_labels() -> None:
    text = "on: workflow_dispatch\njobs:\n  a:\n    runs-on: [self-hosted, x64]\n    steps: []\n"
    analysis = analyse(text, path="w.yml", inputs={}, labels=LABELS)
    assert only(analysis, "WFL011").startswith(
        "no job can run on self-hosted, linux, ARM64; the jobs ask for self-hosted, x64 (a)"
    )
    assert analysis.exit_code() == 1


def test_clean_workflow_and_yaml_1_1_words() -> None:
    analysis = lint("clean.yml", on="no")
    assert analysis.findings == () and analysis.exit_code() == 0
    assert analysis.inputs == {"on": "no"}


def test_every_finding_id_is_registered_and_covered() -> None:
    assert list(FINDINGS) == [f"WFL{n:03d}" for n in range(1, 12)]


# ---------------------------------------------------------------- embeddenator


def test_ci_arm64_emulation_test_moves_the_arm64_job_before_anything_is_dispatched() -> None:
    analysis = lint("ci-arm64.yml", runner_type="emulation-test")
    assert [(j.id, j.status, j.runs_on) for j in analysis.jobs] == [
        ("arm64-build-test", "moved", (("ubuntu-latest",),))
    ]
    assert ids(analysis) == ["WFL001", "WFL006"]
    blocking = analysis.findings[0]
    assert blocking.line == 60 and blocking.job == "arm64-build-test"
    assert blocking.message == (
        "job arm64-build-test (ARM64 Build and Test (Self-Hosted)) asks for ubuntu-latest with "
        "runner_type=emulation-test, not for self-hosted, linux, ARM64: a run with these inputs "
        "cannot prove ARM64 readiness"
    )
    assert blocking.remedy.startswith("dispatch with --input runner_type=self-hosted")
    assert not analysis.dispatch_allowed and analysis.exit_code() == 1


def test_ci_arm64_default_inputs_run_on_arm64_but_upload_only_logs_on_failure() -> None:
    analysis = lint("ci-arm64.yml")
    assert [j.status for j in analysis.jobs] == ["arm64"]
    assert only(analysis, "WFL006").startswith(
        "no job meant for ARM64 uploads an artifact when it succeeds ('Upload build logs on "
        "failure' in arm64-build-test runs only with `if: failure()`)"
    )
    assert analysis.dispatch_allowed and analysis.exit_code() == 1
    assert lint("ci-arm64.yml", runner_type="emulation").exit_code() == 2  # not an option


def test_build_push_arm64_uploads_only_json_manifests() -> None:
    analysis = lint("build-push-arm64.yml")
    assert [(j.id, j.status) for j in analysis.jobs] == [
        ("test", "arm64"),
        ("prepare-matrix", "other"),
        ("build-and-push-arm64", "arm64"),  # its matrix comes from another job; runs-on does not
        ("summary", "other"),
    ]
    assert ids(analysis) == ["WFL007"]
    assert analysis.findings[0].line == 262
    assert "manifest-*.json" in analysis.findings[0].message
    large = lint("build-push-arm64.yml", runner_type="large", run_tests="false")
    assert large.jobs[0].runs_on == ((*LABELS, "large"),)
    assert ids(large) == ["WFL009", "WFL007"]


def test_release_workspace_never_asks_for_arm64() -> None:
    analysis = lint("release-workspace.yml", version_bump="patch")
    assert ids(analysis) == ["WFL011"]
    build = next(j for j in analysis.jobs if j.id == "build-artifacts")
    assert len(build.runs_on) == 4  # the include-only matrix: four combinations
    assert set(build.runs_on) == {("self-hosted", "linux", "x64", "podman"), ("macos-latest",)}
    assert ids(lint("release-workspace.yml")) == ["WFL005", "WFL011"]


def test_fixtures_are_the_real_files_unchanged() -> None:
    import hashlib
    import re

    readme = (EMBEDDENATOR / "README.md").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"\| `([\w.-]+\.yml)` \| `([0-9a-f]{64})` \|", readme))
    files = sorted(EMBEDDENATOR.glob("*.yml"))
    assert sorted(pinned) == [p.name for p in files]
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == pinned[path.name], path.name


# ---------------------------------------------------------------- output


def test_json_document() -> None:
    document = lint_document(lint("ci-arm64.yml", runner_type="emulation-test"))
    assert json.loads(json.dumps(document)) == document
    assert document["schema"] == SCHEMA == "validate-arm64/workflow-lint/1"
    assert (document["ok"], document["exit_code"], document["can_tell"]) == (False, 1, True)
    assert document["inputs"] == {"runner_type": "emulation-test"}
    assert document["arm64_jobs"] == [
        {"id": "arm64-build-test", "name": "ARM64 Build and Test (Self-Hosted)"}
    ]
    findings = document["findings"]
    assert isinstance(findings, list)
    assert findings[0] == {
        "id": "WFL001",
        "severity": "blocking",
        "job": "arm64-build-test",
        "step": None,
        "line": 60,
        "message": findings[0]["message"],
        "remedy": findings[0]["remedy"],
        "prevents_go": True,
    }


def test_terminal_text_ends_with_the_outcome() -> None:
    text = lint_text(lint("ci-arm64.yml", runner_type="emulation-test"))
    lines = text.splitlines()
    assert lines[1] == "  job arm64-build-test  MOVED  ubuntu-latest"
    assert lines[2].startswith("ERROR WFL001 ")
    assert lines[2].split(": ")[0].endswith("ci-arm64.yml:60")
    assert lines[-1] == (
        "lint: GO is impossible with this workflow and these inputs "
        "(1 blocking, 0 usage, 1 warning)"
    )
    assert lint_text(lint("clean.yml")).splitlines()[-1] == (
        "lint: nothing in the workflow stands in the way of GO (0 blocking, 0 usage, 0 warnings)"
    )


# ---------------------------------------------------------------- any text


_KEYS = st.sampled_from(
    [
        "on",
        "jobs",
        "runs-on",
        "steps",
        "run",
        "uses",
        "with",
        "path",
        "if",
        "strategy",
        "matrix",
        "include",
        "exclude",
        "workflow_dispatch",
        "inputs",
        "type",
        "options",
        "default",
        "required",
        "continue-on-error",
        "labels",
        "group",
        "a",
    ]
)
_SCALARS = st.one_of(
    st.sampled_from(
        [
            "${{ inputs.a }}",
            "${{ matrix.a == 'x' && 'y' }}",
            "${{",
            "}}",
            "true",
            "null",
            "cargo test || true",
            "ARM64",
            "choice",
            "boolean",
            "*.log",
        ]
    ),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=30,
)


@given(tree=_TREES, inputs=st.dictionaries(_KEYS, st.text(max_size=5), max_size=3))
def test_any_workflow_shaped_value_gives_an_analysis_or_our_error(
    tree: object, inputs: dict[str, str]
) -> None:
    text = json.dumps(tree)  # JSON is YAML: any nesting of workflow keys
    try:
        analysis = analyse(text, path="w.yml", inputs=inputs, labels=LABELS)
    except WorkflowError:
        return
    assert analysis.exit_code() in (0, 1, 2)
    json.dumps(lint_document(analysis))
    lint_text(analysis)


@given(text=st.text(max_size=300))
def test_any_text_gives_an_analysis_or_our_error(text: str) -> None:
    with contextlib.suppress(WorkflowError):
        analyse(text, path="w.yml", inputs={}, labels=LABELS)
