"""docs/CONTRACT.md's JSON examples are what the tool writes: same fields, same order, same values."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from validator.render.document import render_json
from validator.report import assess

from builders import go
from conftest import DOCS, FIXTURES

CONTRACT = DOCS / "CONTRACT.md"


def example(heading: str) -> dict[str, Any]:
    """The first JSON block under the ``## heading`` of CONTRACT.md."""
    text = CONTRACT.read_text(encoding="utf-8")
    assert f"\n## {heading}" in text, f"CONTRACT.md has no section {heading!r}"
    section = text.split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None, f"no JSON example under {heading!r}"
    parsed: dict[str, Any] = json.loads(block[1])
    return parsed


def test_every_json_block_of_the_contract_parses() -> None:
    blocks = re.findall(r"```json\n(.*?)```", CONTRACT.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    for block in blocks:
        assert isinstance(json.loads(block), dict)


def test_evidence_json_starts_with_the_contract_fields() -> None:
    documented = example("Evidence JSON")
    written = json.loads(render_json(assess(go(), today=dt.date(2026, 1, 2))))
    assert list(written)[: len(documented)] == list(documented)
    for key in ("schema", "verdict", "generated_at", "repository", "head_sha"):
        assert written[key] == documented[key], key
    assert isinstance(written["tool_version"], str)
    assert written["checks"][0] == documented["checks"][0]
    for check in written["checks"]:
        assert list(check) == list(documented["checks"][0])


def test_count_tests_json_is_the_documented_example(
    tmp_path: Path, cli: Callable[..., CompletedProcess[str]]
) -> None:
    (tmp_path / "results").mkdir()
    shutil.copyfile(FIXTURES / "results" / "pytest-pass.xml", tmp_path / "results" / "junit.xml")
    done = cli("count-tests", "results/junit.xml", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)
    assert written == {**example("`count-tests --json`"), "expected": None, "min": None}
    assert list(written) == ["schema", "ok", "total", "files", "expected", "min"]
    assert list(written["files"][0]) == list(example("`count-tests --json`")["files"][0])
