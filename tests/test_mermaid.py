"""Trend charts, checked by Mermaid's own parser (the npm package, under node), and the history
that feeds them: bounded, and robust to damaged lines."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import subprocess
from dataclasses import replace
from typing import Any

import pytest

from validator.history import MAX_ENTRIES, Entry, entry_for, read_history, record
from validator.render import mermaid
from validator.render.markdown import render_markdown
from validator.report import assess

from builders import go, present, results
from conftest import ROOT

MERMAID_DIR = ROOT / "tests" / "mermaid"
FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def parse():
    """``parse([chart, ...])`` → Mermaid's verdict on each: ``{"ok": bool, "error": ...}``."""
    node = shutil.which("node")
    installed = (MERMAID_DIR / "node_modules" / "mermaid" / "package.json").is_file()
    if node is None or not installed:
        message = "node and tests/mermaid/node_modules are needed: `npm ci --prefix tests/mermaid`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # CI installs them: a skip there would hide a broken chart
        pytest.skip(message)

    def run(charts: list[str]) -> list[dict[str, object]]:
        done = subprocess.run(
            [node, str(MERMAID_DIR / "parse.mjs")],
            input=json.dumps(charts),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        answers: list[dict[str, object]] = json.loads(done.stdout)
        assert len(answers) == len(charts)
        return answers

    return run


def entries(count: int, **changes: Any) -> tuple[Entry, ...]:
    """``count`` validations a day apart, each with a distinct fingerprint."""
    made = []
    for i in range(count):
        ev = replace(
            go(),
            tests=results(24, failed=i % 3),
            generated_at=f"2026-01-{1 + i % 28:02d}T0{i // 28}:10:00Z",
        )
        entry = entry_for(ev, ("GO", "NO-GO", "INCONCLUSIVE")[i % 3], ())
        made.append(
            replace(
                entry,
                fingerprint=f"f{i}",
                run_seconds=500.0 + 7 * i,
                queued_seconds=3.0 * i,
                **changes,
            )
        )
    return tuple(made)


def test_mermaid_refuses_a_broken_chart(parse):
    """The harness can fail: charts GitHub would refuse to draw are refused here too."""
    good = mermaid.xychart(
        title="t",
        x_labels=["a", "b"],
        y_title="y",
        series=[mermaid.Series(kind="line", values=(1.0, 2.0))],
    )
    broken = [
        good.replace('title "t"', 'title "t'),  # a string left open
        good.replace("[1, 2]", '[1, "two"]'),  # a value that is not a number
        good.replace('["a", "b"]', '["a", "b"'),  # categories never closed
        good.replace("xychart-beta", "xychart-gamma"),  # no such diagram
    ]
    answers = parse([good, *broken])
    assert answers[0] == {"ok": True, "type": "xychart"}
    assert [a["ok"] for a in answers[1:]] == [False] * len(broken)
    assert "Parse error" in str(answers[1]["error"])


def test_trend_charts_parse_and_are_bounded_to_the_last_points(parse):
    history = entries(45)
    tests = mermaid.tests_chart(history)
    minutes = mermaid.minutes_chart(history)
    short = mermaid.tests_chart(history[:2])
    assert tests and minutes and short
    assert parse([tests, minutes, short]) == [{"ok": True, "type": "xychart"}] * 3
    categories = present(re.search(r"x-axis \[(.*)\]", tests)).group(1)
    assert categories.count('", "') + 1 == mermaid.DEFAULT_POINTS
    assert "last 30 validations" in tests
    assert present(mermaid.tests_chart(history, points=5)).count('", "') == 4
    assert "bar [24, 23, 22, 24" in present(mermaid.tests_chart(history[:4]))


def test_same_history_same_bytes():
    assert mermaid.tests_chart(entries(12)) == mermaid.tests_chart(entries(12))
    assert mermaid.minutes_chart(entries(12)) == mermaid.minutes_chart(entries(12))


def test_a_value_not_observed_is_not_drawn_as_zero():
    history = list(entries(4))
    history[1] = replace(history[1], passed=None, tests=None, run_seconds=None)
    tests = present(mermaid.tests_chart(history))
    assert "last 3 validations" in tests and " 0," not in tests
    assert mermaid.tests_chart(history[:2]) is None  # one observed point is no trend
    assert "last 3 validations" in present(mermaid.minutes_chart(history))


HOSTILE = [
    'a "quoted" name',
    "back`tick``` fence",
    "%%{init: {'theme': 'dark'}}%%",
    "line\nbreak",
    "tab\there",
    "semi;colon",
    "brackets ] [ , }",
    "#quot; #35;",
    "-->",
    "\u2028sep\u2029",
    "\x00\x07ctrl",
    "",
    " ",
    "ünïcödé ✓ 🟢",
    "x" * 300,
    "<script>alert(1)</script>",
    "a\\",
    'title "x"\n    line [1]',
    "`" * 5,
    "%%",
    "% %",
    "end",
    "xychart-beta",
]


def test_no_label_can_break_a_chart(parse):
    """Test names and other text reach charts only through label(): whatever they hold, the
    chart still parses, keeps its categories, and never closes the Markdown fence."""
    rng = random.Random(20260102)
    alphabet = '"`%{}[],;:#\\\n\r\t<>|-→🟢 ab\x00\u2028'
    texts = HOSTILE + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(120)
    ]
    charts = []
    for text in texts:
        chart = mermaid.xychart(
            title=text,
            x_labels=[text, text + "2"],
            y_title=text,
            series=[mermaid.Series(kind="bar", values=(1.0, 2.5))],
        )
        assert "`" not in chart and "%%" not in chart
        assert chart.count("\n") == 5, chart
        charts.append(chart)
    answers = parse(charts)
    refused = [(t, a) for t, a in zip(texts, answers, strict=True) if not a["ok"]]
    assert refused == []


def test_x_labels_are_distinct():
    stamps = [
        "2026-01-02T03:10:00Z",
        "2026-01-02T05:00:00Z",
        "2026-01-03T00:00:00Z",
        "2026-01-02T05:00:00Z",
        "not a time",
    ]
    assert mermaid.x_labels(stamps) == (
        "01-02 03:10",
        "01-02 05:00 #2",
        "01-03",
        "01-02 05:00 #4",
        "?",
    )


def test_verdict_strip():
    assert mermaid.verdict_strip(["GO", "NO-GO", "INCONCLUSIVE", "??"]) == "🟢🔴🟡⚪"
    assert mermaid.verdict_strip(["GO"] * 40 + ["NO-GO"]) == "🟢" * 29 + "🔴"
    assert mermaid.verdict_strip(["GO"], points=0) == ""


def test_report_trend_section_has_charts_mermaid_draws(parse):
    text = render_markdown(assess(go(), history=entries(35)))
    trend = text[text.index("## Trend") : text.index("## Notes")]
    charts = FENCE.findall(trend)
    assert len(charts) == 2
    assert parse(charts) == [{"ok": True, "type": "xychart"}] * 2
    assert re.search(r"^Verdicts, oldest to newest \(last 30\): [🟢🔴🟡]{30}$", trend, re.M)
    assert trend.count("\n| 2026-") == 10  # the table stays short; the chart carries the trend


def test_report_trend_says_what_it_could_not_chart():
    history = tuple(replace(e, passed=None, run_seconds=None) for e in entries(3))
    ev = replace(go(), tests=None, run=replace(present(go().run), run_seconds=None))
    text = render_markdown(assess(ev, history=history))
    assert "Tests passed: not charted" in text
    assert "Run and queue minutes: not charted" in text
    assert "```mermaid" not in text


@pytest.mark.slow
def test_demo_reports_draw_their_trend(cli, tmp_path, parse):
    """Real reports: two demo scenarios validated into one report folder build a history."""
    report = tmp_path / "docs" / "ARM64_TEST_RESULTS.md"
    for scenario in ("healthy", "tests-failing"):
        done = cli("demo", "--quiet", "--scenario", scenario, "--report", str(report))
        assert done.returncode in (0, 1), done.stderr
    text = report.read_text()
    charts = FENCE.findall(text)
    assert len(charts) == 2
    assert parse(charts) == [{"ok": True, "type": "xychart"}] * 2
    assert "bar [24, 19]" in charts[0]
    assert "Verdicts, oldest to newest (last 2): 🟢🔴" in text


# --- the history that feeds the charts ------------------------------------------------------


def test_history_keeps_the_configured_number_of_entries(tmp_path):
    path = tmp_path / "h.jsonl"
    kept: tuple[Entry, ...] = ()
    for entry in entries(12):
        record(path, kept, entry, keep=5)
        kept = read_history(path)
    assert [e.fingerprint for e in kept] == ["f7", "f8", "f9", "f10", "f11"]
    assert MAX_ENTRIES == 200  # the default count is unchanged
    with pytest.raises(ValueError, match="at least one"):
        record(path, kept, entries(1)[0], keep=0)


def test_a_damaged_history_line_is_skipped_with_a_warning(tmp_path, caplog):
    good = [json.dumps(e.to_json()) for e in entries(3)]
    damaged = [
        "{not json",
        json.dumps(entries(1)[0].to_json() | {"tests": "24"}),
        json.dumps(entries(1)[0].to_json() | {"run_seconds": -5}),
        json.dumps(entries(1)[0].to_json() | {"verdict": "MAYBE"}),
        json.dumps(entries(1)[0].to_json() | {"test_names": [1, 2]}),
        '{"schema": "validate-arm64/history/1", "queued_seconds": NaN}',
        "[1, 2, 3]",
        json.dumps({"schema": "other/1"}),
    ]
    path = tmp_path / "h.jsonl"
    raw = "\n".join([good[0], *damaged, good[1], "", good[2]]).encode() + b"\n\xff\xfe bytes\n"
    path.write_bytes(raw)
    with caplog.at_level(logging.WARNING, logger="validator.history"):
        kept = read_history(path)
    assert [e.fingerprint for e in kept] == ["f0", "f1", "f2"]
    assert len(caplog.records) == len(damaged) + 1
    assert "h.jsonl:2: skipped a damaged history line" in caplog.text
    assert "skipped a line of another schema" in caplog.text


def test_history_lines_written_before_passed_existed_still_read(tmp_path):
    line = entries(1)[0].to_json()
    del line["passed"]
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(line) + "\n")
    (entry,) = read_history(path)
    assert entry.passed is None and entry.tests == 24
