"""`discover run` against hostile input end to end: `--since last` precision and poisoning,
values the store would refuse, Rich markup in log text, bad options and files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ramparts.cli.discover import register
from ramparts.discovery.analysis import Thresholds
from ramparts.discovery.catalog import Catalog, ServiceMatcher, load_catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.report import print_summary
from ramparts.discovery.storage import (
    DiscoveryFinding,
    DiscoveryRun,
    DiscoveryUserUsage,
    open_store,
    save_run,
)
from ramparts.discovery.usermap import load_user_map
from ramparts.errors import ConfigError
from support.databases import database


def squid(ts: str, user: str = "alice", host: str = "chatgpt.com", size: int = 1234) -> str:
    return (
        f"{ts} 5 10.0.0.1 TCP_MISS/200 {size} POST https://{host}/c {user} "
        "HIER_DIRECT/1.2.3.4 text/html"
    )


def discover(*args: str) -> Any:
    """`ramparts discover ...` in process; returns the click result."""
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["discover", *args])


def ai_requests(*args: str, out: Path) -> int:
    result = discover("run", *args, "-q", "--json", str(out))
    assert result.exit_code == 0, result.output
    return int(orjson.loads(out.read_bytes())["totals"]["ai_requests"])


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def test_since_last_never_counts_a_record_twice(tmp_path: Path, store_url: str) -> None:
    first = tmp_path / "1.log"
    # Two records later in the stored second, and microsecond neighbours.
    first.write_text(
        "\n".join([squid("1700000000.100"), squid("1700000000.900"), squid("1700000005.123456")])
        + "\n"
    )
    second = tmp_path / "2.log"
    second.write_text(
        first.read_text() + squid("1700000005.123457") + "\n" + squid("1700000006.000") + "\n"
    )
    out = tmp_path / "r.json"
    assert ai_requests(str(first), "--store-url", store_url, out=out) == 3
    assert orjson.loads(out.read_bytes())["window"]["last"] == "2023-11-14T22:13:25.123456Z"
    assert ai_requests(str(second), "--since", "last", "--store-url", store_url, out=out) == 2
    assert ai_requests(str(second), "--since", "last", "--store-url", store_url, out=out) == 0


def test_one_line_from_the_future_cannot_disable_since_last(tmp_path: Path, store_url: str) -> None:
    first = tmp_path / "1.log"
    first.write_text(
        squid("1700000000.100") + "\n" + squid("99999999999", "-", "example.org") + "\n"
    )
    out = tmp_path / "r.json"
    assert ai_requests(str(first), "--store-url", store_url, out=out) == 1
    report = orjson.loads(out.read_bytes())
    assert report["totals"]["broken_lines"] == 1
    assert "time before 1990" in report["sources"][0]["broken_samples"][0]
    second = tmp_path / "2.log"
    second.write_text(squid("1700100000.100", "bob", "claude.ai") + "\n")
    assert ai_requests(str(second), "--since", "last", "--store-url", store_url, out=out) == 1


def test_log_values_the_store_would_refuse_are_fitted(
    tmp_path: Path, store_url: str, catalog: Catalog
) -> None:
    log = tmp_path / "a.log"
    long_user = "u" * 400
    log.write_text(
        "\n".join(
            [
                squid("1700000000.1", long_user, size=20_000_000),
                squid("1700000000.2", "al\x00ice"),
                squid("1700000000.3", "eve\x1b[31m\x7f"),
            ]
        )
        + "\n"
    )
    out = tmp_path / "r.json"
    result = discover(
        "run", str(log), "--store-url", store_url, "-q", "--json", str(out), "--many-services", "1"
    )
    assert result.exit_code == 0, result.output
    engine = open_store(store_url)
    with Session(engine) as session:
        users = sorted(session.scalars(select(DiscoveryUserUsage.user)))
        finding_users = {u for u in session.scalars(select(DiscoveryFinding.user)) if u}
        report_json = session.scalars(select(DiscoveryRun.report_json)).one()
    assert users == ["alice", "eve[31m", "u" * 255 + "…"]
    assert finding_users <= set(users)
    assert "\\u0000" not in report_json
    engine.dispose()


def test_save_run_fits_every_value_to_its_column(
    tmp_path: Path, store_url: str, catalog: Catalog
) -> None:
    log = tmp_path / "a.log"
    log.write_text(squid("1700000000.1") + "\n")
    report = run_discovery([str(log)], catalog, RunOptions(generated_at=datetime.now(UTC)))
    report["users"][0].update(user="x\x00" * 300, department="d\x00" * 300, bytes_up=2**63 + 5)
    report["findings"].append(
        {
            "kind": "k" * 100,
            "severity": "s" * 40,
            "service_id": "i" * 200,
            "user": "\x00" * 500,
            "message": "m\x00" * 5000,
        }
    )
    engine = open_store(store_url)
    run_id = save_run(engine, report)
    with Session(engine) as session:
        user = session.scalars(select(DiscoveryUserUsage)).one()
        assert (len(user.user), len(user.department), user.bytes_up) == (256, 256, 2**63 - 1)
        finding = session.scalars(
            select(DiscoveryFinding).where(DiscoveryFinding.kind == "k" * 63 + "…")
        ).one()
        assert finding.run_id == run_id
        assert "\x00" not in finding.message
    engine.dispose()


def _summary(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    print_summary(report, Console(file=buffer, force_terminal=True, width=200))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "user", ["[/red]mallory", "[link=https://evil.example/]ceo@acme.com[/link]", "[bold]x"]
)
def test_terminal_summary_prints_log_text_literally(
    tmp_path: Path, catalog: Catalog, user: str
) -> None:
    log = tmp_path / "a.log"
    log.write_text(
        squid("1700000000.1", user) + "\n" + squid("1700000000.2", user, "claude.ai") + "\n"
    )
    options = RunOptions(thresholds=Thresholds(many_services=2))
    text = _summary(run_discovery([str(log)], catalog, options))
    assert "many AI services" in text or user.split("]")[0] in text
    assert "\x1b]8;" not in text  # no terminal hyperlink was made
    plain = Console(file=io.StringIO(), width=400)
    print_summary(run_discovery([str(log)], catalog, options), plain)
    assert user in plain.file.getvalue()  # type: ignore[attr-defined]


def test_overlay_regexp_must_match_the_whole_host(tmp_path: Path) -> None:
    overlay = tmp_path / "acme.yaml"
    overlay.write_text(
        "tenant: acme\nadd:\n  - {id: acme-llm, name: Acme LLM, vendor: Acme, category: chat, "
        'hq: DE, web: ["regexp:llm\\\\.acme\\\\.example"], src: tenant}\n'
    )
    matcher = ServiceMatcher(load_catalog(overlay))
    assert matcher.match("llm.acme.example") is not None
    assert matcher.match("llm.acme.example.attacker.net") is None


def test_latin1_user_map_is_a_clear_config_error(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes("ip,user,department\n10.0.0.1,jos\xe9,Ventas\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8") as caught:
        load_user_map(users)
    assert str(users) in str(caught.value)
    log = tmp_path / "a.log"
    log.write_text(squid("1700000000.1") + "\n")
    result = discover("run", str(log), "--no-store", "-q", "--users", str(users))
    assert isinstance(result.exception, ConfigError)  # the CLI's exit 2 for bad input


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--large-upload-mb", "inf"),
        ("--large-upload-mb", "nan"),
        ("--large-upload-mb", "-1"),
        ("--large-upload-mb", "0"),
        ("--large-upload-mb", "1e300"),
        ("--many-services", "0"),
        ("--many-services", "-3"),
    ],
)
def test_thresholds_must_be_positive_and_finite(tmp_path: Path, option: str, value: str) -> None:
    log = tmp_path / "a.log"
    log.write_text(squid("1700000000.1") + "\n")
    result = discover("run", str(log), "--no-store", "-q", option, value)
    assert isinstance(result.exception, ConfigError)
    assert option in str(result.exception)
