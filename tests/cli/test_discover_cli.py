from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
import yaml
from typer.testing import CliRunner

from ramparts.cli import discover as discover_cli
from ramparts.errors import ConfigError

LINES = [
    "1767225600.000    120 10.0.0.5 TCP_MISS/200 4512 POST https://chatgpt.com/backend-api/c jdoe HIER_DIRECT/1.2.3.4 text/html",
    "1767312000.000    120 10.0.0.6 TCP_MISS/200 100 GET https://chat.deepseek.com/ - HIER_DIRECT/1.2.3.4 text/html",
    "1767398400.000    120 10.0.0.5 TCP_MISS/200 100 GET https://example.com/ jdoe HIER_DIRECT/1.2.3.4 text/html",
]


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Root."""

    discover_cli.register(root)
    return root


def test_run_writes_every_output_and_stores(app: typer.Typer, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("\n".join(LINES) + "\n")
    users = tmp_path / "users.csv"
    users.write_text("ip,user,department\n10.0.0.6,bob,Finance\n")
    store = f"sqlite:///{tmp_path}/store.db"
    out = {k: tmp_path / f"r.{k}" for k in ("json", "csv", "html")}
    args = ["discover", "run", str(log), "--users", str(users), "--store-url", store]
    for kind, path in out.items():
        args += [f"--{kind}", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = orjson.loads(out["json"].read_text())
    assert {s["id"]: s["requests"] for s in report["services"]} == {
        "openai-chatgpt": 1,
        "deepseek-chat": 1,
    }
    assert {u["user"] for u in report["users"]} == {"jdoe", "bob"}
    assert out["csv"].exists()
    assert (tmp_path / "r-users.csv").exists()
    assert "<svg" in out["html"].read_text()
    assert "AI services in use" in result.output
    assert (tmp_path / "store.db").exists()

    # Incremental: --since last skips everything up to the previous run's last record.
    log.write_text("\n".join([*LINES, LINES[1].replace("1767312000", "1767484800")]) + "\n")
    base = args[:7]  # discover run LOG --users U --store-url S
    again = CliRunner().invoke(app, [*base, "--since", "last", "--json", str(out["json"])])
    assert again.exit_code == 0, again.output
    second = orjson.loads(out["json"].read_text())
    assert second["totals"]["skipped_before_since"] == 3  # strictly after the last record
    assert {s["id"]: s["requests"] for s in second["services"]} == {"deepseek-chat": 1}


def test_generic_mapping_and_format(app: typer.Typer, tmp_path: Path) -> None:
    log = tmp_path / "g.csv"
    log.write_text("time,who,dest\n2026-01-01T00:00:00Z,ann,claude.ai\n")
    out = tmp_path / "g.json"
    result = CliRunner().invoke(
        app,
        [
            "discover",
            "run",
            str(log),
            "--map",
            "ts=time,user=who,host=dest",
            "--no-store",
            "-q",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(out.read_text())["services"][0]["id"] == "anthropic-claude"
    bad = CliRunner().invoke(app, ["discover", "run", str(log), "--map", "ts", "--no-store"])
    assert isinstance(bad.exception, ConfigError)
    bad_since = CliRunner().invoke(
        app, ["discover", "run", str(log), "--since", "yesterday", "--no-store"]
    )
    assert isinstance(bad_since.exception, ConfigError)
    no_store_last = CliRunner().invoke(
        app, ["discover", "run", str(log), "--since", "last", "--no-store"]
    )
    assert isinstance(no_store_last.exception, ConfigError)
    assert "drop --no-store" in str(no_store_last.exception)


def test_export_sigma(app: typer.Typer, tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "default_status: tolerated\nservices: {deepseek-chat: {status: unsanctioned}}\n"
    )
    out = tmp_path / "rules"
    result = CliRunner().invoke(
        app,
        [
            "discover",
            "export-sigma",
            "--out",
            str(out),
            "--overlay",
            str(overlay),
            "--status",
            "unsanctioned",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote 2 Sigma rules under {out}"
    rule = yaml.safe_load((out / "dns" / "deepseek-chat.yml").read_text())
    assert "chat.deepseek.com" in rule["detection"]["selection_host"]["query"]
    bad = CliRunner().invoke(app, ["discover", "export-sigma", "--status", "banned"])
    assert isinstance(bad.exception, ConfigError)
