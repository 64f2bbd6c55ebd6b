from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from ramparts.cli import catalog as catalog_cli
from ramparts.errors import ConfigError, NotFoundError


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Root."""

    catalog_cli.register(root)
    return root


def test_validate(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["catalog", "validate"])
    assert result.exit_code == 0
    assert result.output.startswith("ok: ")
    assert "services valid" in result.output
    assert int(result.output.split()[1]) >= 300


def test_validate_reports_a_bad_overlay(app: typer.Typer, tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text("services: {nope: {status: sanctioned}}\n")
    result = CliRunner().invoke(app, ["catalog", "validate", "--overlay", str(overlay)])
    assert isinstance(result.exception, ConfigError)
    assert "nope" in str(result.exception)


def test_list_filters_and_json(app: typer.Typer, tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text("services: {openai-chatgpt: {status: sanctioned}}\n")
    result = CliRunner().invoke(
        app, ["catalog", "list", "--json", "--status", "sanctioned", "--overlay", str(overlay)]
    )
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.output)
    assert [r["id"] for r in rows] == ["openai-chatgpt"]
    coding = orjson.loads(
        CliRunner().invoke(app, ["catalog", "list", "--json", "--category", "coding"]).output
    )
    assert "github-copilot" in {r["id"] for r in coding}
    assert all(r["category"] == "coding" for r in coding)
    table = CliRunner().invoke(app, ["catalog", "list", "--category", "meeting"])
    assert "otter-ai" in table.output


def test_show(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["catalog", "show", "deepseek-chat"])
    assert result.exit_code == 0
    shown = orjson.loads(result.output)
    assert shown["risk"]["level"] == "high"
    assert shown["sources"]["data_region"].startswith("https://")
    assert set(shown["risk"]["subscores"]) == {
        "data_use",
        "retention",
        "jurisdiction",
        "enterprise_controls",
        "compliance",
        "category",
    }
    missing = CliRunner().invoke(app, ["catalog", "show", "no-such"])
    assert isinstance(missing.exception, NotFoundError)
