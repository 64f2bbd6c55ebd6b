"""Golden tests for the JSON and HTML reports, plus CSV and terminal output."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from ramparts.discovery.analysis import Thresholds
from ramparts.discovery.catalog import Catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.report import print_summary, render_html, render_json, write_csv

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RAMPARTS_UPDATE_GOLDEN") == "1"


@pytest.fixture
def report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, known_traffic: Any, catalog: Catalog
) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)
    known_traffic.write(Path("access.log"))
    options = RunOptions(
        thresholds=Thresholds(many_services=2), generated_at=datetime(2026, 1, 15, tzinfo=UTC)
    )
    return run_discovery(["access.log"], catalog, options)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; RAMPARTS_UPDATE_GOLDEN=1 to accept"
    )


def test_json_report_golden(report: dict[str, Any]) -> None:
    text = render_json(report)
    _golden("report.json", text)
    assert orjson.loads(text) == report


def test_html_report_golden(report: dict[str, Any]) -> None:
    _golden("report.html", render_html(report))


def test_html_is_self_contained_and_escaped(report: dict[str, Any]) -> None:
    report["services"][0]["name"] = "<script>alert(1)</script>"
    html = render_html(report)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "Content-Security-Policy" in html
    assert html.count("<svg") == 4


def test_csv_reports(tmp_path: Path, report: dict[str, Any]) -> None:
    written = write_csv(report, tmp_path / "services.csv")
    assert [p.name for p in written] == ["services.csv", "services-users.csv"]
    rows = list(csv.DictReader(io.StringIO(written[0].read_text())))
    assert [(r["id"], r["requests"]) for r in rows] == [
        ("openai-chatgpt", "30"),
        ("anthropic-claude", "5"),
        ("deepseek-chat", "4"),
        ("microsoft-copilot", "1"),
    ]
    users = list(csv.DictReader(io.StringIO(written[1].read_text())))
    assert {u["user"] for u in users} == {"alice", "carol", "ip:10.0.0.2"}


def test_csv_cells_cannot_become_formulas(tmp_path: Path, report: dict[str, Any]) -> None:
    report["users"][0]["user"] = '=HYPERLINK("http://evil")'
    written = write_csv(report, tmp_path / "s.csv")
    assert "'=HYPERLINK" in written[1].read_text()


def test_terminal_summary(report: dict[str, Any]) -> None:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    print_summary(report, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "40 AI requests to 4 services by 3 users" in out
    assert "DeepSeek Chat is unsanctioned and high risk" in out
    assert "Upload volume unknown for 100% of AI traffic" in out
