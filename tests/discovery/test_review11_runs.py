"""Review 11: `--since last` and future-dated lines, runs that read nothing, output paths,
overlay weights, public-suffix catalog domains, time-less DHCP records, file names on the
terminal."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import rich.console
import tldextract
import typer
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ramparts.cli.catalog import register as register_catalog
from ramparts.cli.discover import NOTHING_READ_EXIT, register, since_last
from ramparts.discovery.catalog import Catalog, ServiceMatcher, load_catalog
from ramparts.discovery.catalog.models import RISK_FACTORS
from ramparts.discovery.catalog.scoring import DEFAULT_WEIGHTS, score_service
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.storage import DiscoveryRun, open_store, save_run, window_cutoff
from ramparts.discovery.usermap import load_user_map
from ramparts.errors import ConfigError

DAY1 = datetime(2024, 5, 29, 23, 0, tzinfo=UTC).timestamp()


def squid(ts: float, user: str, url: str) -> str:
    return f"{ts:.3f} 10 10.0.0.1 TCP_MISS/200 500 GET {url} {user} HIER_DIRECT/1.2.3.4 text/html\n"


def cli(*args: str) -> Any:
    app = typer.Typer()
    register(app)
    register_catalog(app)
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def stored_runs(db: Path) -> int:
    if not db.exists():
        return 0
    with Session(create_engine(f"sqlite:///{db}")) as session:
        return int(session.scalar(select(func.count()).select_from(DiscoveryRun)) or 0)


# --- f13: a future-dated line must not hide the next run's traffic ------------------------


def test_future_dated_line_does_not_hide_the_next_days_traffic(
    tmp_path: Path, catalog: Catalog
) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/store.db")
    day1 = tmp_path / "day1.log"
    day1.write_text(
        squid(DAY1 - 3600, "alice", "https://claude.ai/x")
        + squid(DAY1 + 23 * 3600, "mallory", "http://example.com/")  # 23 h ahead
    )
    first = run_discovery(
        [str(day1)], catalog, RunOptions(generated_at=datetime.fromtimestamp(DAY1, UTC))
    )
    # The record is kept and reported as it is, with a note that says what it means.
    assert first["window"]["last"] == "2024-05-30T22:00:00Z"
    assert any("after the run started" in n for n in first["coverage"]["notes"])
    save_run(engine, first)
    since = since_last(engine, "default")
    assert since is not None and since <= DAY1 + 1  # cut at the run time, not the record

    day2 = tmp_path / "day2.log"
    day2.write_text(
        "".join(squid(DAY1 + h * 3600, "bob", "https://chat.deepseek.com/a") for h in range(1, 22))
    )
    second = run_discovery(
        [str(day2)],
        catalog,
        RunOptions(since=since, generated_at=datetime.fromtimestamp(DAY1 + 86400, UTC)),
    )
    assert second["totals"]["skipped_before_since"] == 0
    assert second["totals"]["ai_requests"] == 21


def test_cutoff_keeps_records_read_during_a_long_run() -> None:
    """Records dated after the run started but before reading ended are real (a live
    log): the cut-off is the end of reading, so they are not read again next time."""
    report = {"generated_at": "2024-05-29T23:00:00Z", "window": {"last": "2024-05-29T23:20:00Z"}}
    end = datetime(2024, 5, 29, 23, 30, tzinfo=UTC)
    assert window_cutoff(report, end) == datetime(2024, 5, 29, 23, 20, tzinfo=UTC)
    assert window_cutoff(report) == datetime(2024, 5, 29, 23, 0, tzinfo=UTC)
    early = datetime(2024, 5, 29, 23, 10, tzinfo=UTC)
    assert window_cutoff(report, early) == early
    assert window_cutoff({"generated_at": "2024-05-29T23:00:00Z", "window": {"last": None}}) is None


def test_cli_run_stores_the_end_of_reading_as_cutoff(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    future = datetime.now(UTC).timestamp() + 20 * 3600
    log.write_text(
        squid(1_700_000_000, "alice", "https://claude.ai/x")
        + squid(future, "m", "http://x.example/")
    )
    db = tmp_path / "s.db"
    result = cli("discover", "run", str(log), "-q", "--store-url", f"sqlite:///{db}")
    assert result.exit_code == 0, result.output
    last = since_last(open_store(f"sqlite:///{db}"), "default")
    assert last is not None and last < future - 19 * 3600


# --- f11: input nothing could be read from --------------------------------------------------


def test_unreadable_input_is_named_and_exits_non_zero(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes((squid(1_717_000_000, "alice", "https://chatgpt.com/c") * 50).encode("utf-16"))
    db = tmp_path / "s.db"
    result = cli("discover", "run", str(log), "--store-url", f"sqlite:///{db}")
    assert result.exit_code == NOTHING_READ_EXIT == 3, result.output
    assert "No findings" not in result.output
    assert f"{log}: unrecognised (51 lines)" in result.output
    assert "no input produced a record (1 input file(s): 1 unrecognised)" in result.output
    assert stored_runs(db) == 0  # no history from a run that read nothing
    quiet = cli("discover", "run", str(log), "--no-store", "-q")
    assert quiet.exit_code == 3
    assert "no input produced a record" in quiet.output


def test_unrecognised_file_beside_good_ones_is_listed(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "good.log").write_text(squid(1_717_000_000, "a", "https://claude.ai/"))
    (tmp_path / "logs" / "bad.log").write_bytes("x,y\n".encode("utf-16") * 3)
    result = cli("discover", "run", str(tmp_path / "logs"), "--no-store")
    assert result.exit_code == 0, result.output
    assert "bad.log: unrecognised" in result.output
    assert "good.log" not in result.output  # only files with a problem are listed


# --- f10: output paths are checked before the run; the store comes first --------------------


def test_bad_output_path_fails_before_reading(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(squid(1_717_000_000, "alice", "https://chatgpt.com/c"))
    db = tmp_path / "s.db"
    for option in ("--json", "--csv", "--html"):
        target = tmp_path / "missing-dir" / "report.out"
        result = cli(
            "discover", "run", str(log), "-q", "--store-url", f"sqlite:///{db}", option, str(target)
        )
        assert isinstance(result.exception, ConfigError), result.output
        assert option in str(result.exception)
        assert "does not exist" in str(result.exception)
        assert str(target) in str(result.exception)
        assert not db.exists()  # refused before the store was even opened
    result = cli("discover", "run", str(log), "-q", "--no-store", "--json", str(tmp_path))
    assert isinstance(result.exception, ConfigError)
    assert "is a directory" in str(result.exception)


def test_output_that_fails_after_the_run_keeps_the_stored_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ramparts.discovery.report as report_module

    def disk_full(report: dict[str, Any], path: Path) -> list[Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_module, "write_csv", disk_full)
    log = tmp_path / "a.log"
    log.write_text(squid(1_717_000_000, "alice", "https://chatgpt.com/c"))
    db = tmp_path / "s.db"
    out = tmp_path / "r.json"
    result = cli(
        "discover", "run", str(log), "-q", "--store-url", f"sqlite:///{db}",
        "--csv", str(tmp_path / "r.csv"), "--json", str(out),
    )  # fmt: skip
    assert isinstance(result.exception, ConfigError), result.output
    assert "No space left on device" in str(result.exception)
    assert "stored as discovery run 1" in str(result.exception)
    assert stored_runs(db) == 1
    assert orjson.loads(out.read_bytes())["totals"]["ai_requests"] == 1  # written before


# --- f9: overlay weights ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "key", "message"),
    [
        ("{data_use: -0.74}", "weights.data_use", "finite number >= 0"),
        ("{data_use: .nan}", "weights.data_use", "finite number >= 0"),
        ("{data_use: .inf}", "weights.data_use", "finite number >= 0"),
        ("{retention: 0.1, data_use: yes}", "weights.data_use", "not true/false"),
        (
            "{data_use: 0, retention: 0, jurisdiction: 0, enterprise_controls: 0, compliance: 0,"
            " category: 0}",
            "weights",
            "all 0",
        ),
        ("{vibes: 1.0}", "weights", "unknown weight 'vibes'"),
    ],
)
def test_bad_overlay_weights_fail_with_file_and_line(
    tmp_path: Path, weights: str, key: str, message: str
) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(f"tenant: acme\n# comment\nweights: {weights}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        load_catalog(path)
    assert f"{path}:3: key '{key}'" in str(caught.value)
    result = cli("catalog", "validate", "--overlay", str(path))
    assert isinstance(result.exception, ConfigError)  # exit 2 from the real CLI


def test_odd_but_valid_weights_keep_scores_in_range(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text("weights: {data_use: 1e308, retention: 1e308, category: 0}\n")
    scores = {e.risk.score for e in load_catalog(path).entries.values()}
    assert min(scores) >= 0 and max(scores) <= 100 and len(scores) > 1
    assert set(DEFAULT_WEIGHTS) == set(RISK_FACTORS)
    service = load_catalog().entries["deepseek-chat"].service
    for bad in ({"data_use": -1.0}, {"data_use": math.nan}, dict.fromkeys(RISK_FACTORS, 0.0)):
        with pytest.raises(ValueError, match="risk weights"):
            score_service(service, bad)


# --- f19: no catalog domain rule is a public suffix ----------------------------------------


def test_no_catalog_domain_rule_is_a_public_suffix(catalog: Catalog) -> None:
    """A public suffix (PSL, private section included: repl.co, hf.space, vercel.app...)
    has a different owner for every sub-domain: matching it as a domain would count any
    customer's site as use of the service. Such hosts must be exact (``full:``) rules."""
    psl = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True
    )
    suffixes = [
        (entry.service.id, pattern)
        for entry in catalog.entries.values()
        for _kind, pattern in entry.service.domains.all()
        if not pattern.startswith(("full:", "regexp:")) and not psl(pattern).domain
    ]
    assert suffixes == []
    assert psl("hf.space").domain == ""  # the snapshot does know the private section
    matcher = ServiceMatcher(catalog)
    assert matcher.match("status-page.acme.repl.co", "/") is None
    assert matcher.match("someones-demo.hf.space", "/") is None
    found = matcher.match("hf.space", "/")
    assert found is not None and found.service_id == "huggingface"


# --- f15: a record without a time and several lease holders ----------------------------------


def test_timeless_record_is_not_pinned_on_the_last_lease_holder(
    tmp_path: Path, catalog: Catalog
) -> None:
    leases = tmp_path / "leases.csv"
    leases.write_text(
        "ip,user,start,end\n10.0.0.7,alice,2024-05-01T00:00:00Z,2024-05-20T00:00:00Z\n"
        "10.0.0.7,bob,2024-05-20T00:00:00Z,2024-05-21T00:00:00Z\n"
        "10.0.0.8,carol,2024-05-01T00:00:00Z,2024-05-20T00:00:00Z\n"
        "10.0.0.8,carol,2024-05-20T00:00:00Z,2024-05-21T00:00:00Z\n"
    )
    log = tmp_path / "fw.cef"
    log.write_text(
        "CEF:0|Acme|NGFW|1.0|100|web|3|src=10.0.0.7 request=https://chat.deepseek.com/api "
        "requestMethod=POST out=30000000 in=100\n"
        "CEF:0|Acme|NGFW|1.0|100|web|3|src=10.0.0.8 request=https://claude.ai/api "
        "requestMethod=POST out=100 in=100\n"
    )
    user_map = load_user_map(leases)
    report = run_discovery([str(log)], catalog, RunOptions(user_map=user_map))
    assert {u["user"] for u in report["users"]} == {"ip:10.0.0.7", "carol"}
    assert user_map.user_for("10.0.0.7") == ""
    assert user_map.user_for("10.0.0.8") == "carol"  # one holder: still named
    assert user_map.user_for("10.0.0.7", datetime(2024, 5, 20, 1, tzinfo=UTC).timestamp()) == "bob"


# --- f14: file names on the terminal -------------------------------------------------------


def test_file_names_reach_the_terminal_as_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    name = "[blink red]x\x1b]0;PWNED-TITLE\x07\x1b[2J\u202ey.log"
    (logs / name).write_text(squid(1_717_000_000, "alice", "https://chatgpt.com/c") + "junk\n")
    screen = io.StringIO()
    real = rich.console.Console

    def tty_console(*args: Any, **kwargs: Any) -> rich.console.Console:
        kwargs.pop("stderr", None)
        return real(*args, file=screen, force_terminal=True, width=300, **kwargs)

    monkeypatch.setattr(rich.console, "Console", tty_console)
    result = cli("discover", "run", str(logs), "--no-store")
    assert result.exit_code == 0, result.output
    raw = screen.getvalue()
    assert "[blink red]x]0;PWNED-TITLE[2Jy.log" in raw  # shown, as plain text
    for bad in ("\x1b]0;PWNED", "\x1b[2J", "\x07", "\x1b[5", "\u202e"):
        assert bad not in raw


def test_file_name_that_is_not_utf8_is_reported_and_stored(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    raw_name = b"x\xff.log"
    with open(bytes(logs) + b"/" + raw_name, "w") as handle:
        handle.write(squid(1_717_000_000, "alice", "https://chatgpt.com/c"))
    db, out = tmp_path / "s.db", tmp_path / "r.json"
    result = cli(
        "discover", "run", str(logs), "-q", "--store-url", f"sqlite:///{db}", "--json", str(out)
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(out.read_bytes())
    assert report["sources"][0]["path"].endswith("x\\xff.log")
    assert report["totals"]["ai_requests"] == 1
    assert stored_runs(db) == 1


# --- user names of hostile length are cleaned but not cached ------------------------------


def test_long_user_names_are_not_kept_in_the_name_cache(catalog: Catalog) -> None:
    from ramparts.discovery.analysis.aggregate import MAX_CACHED_NAME, Aggregator
    from ramparts.discovery.parsers import LogRecord

    aggregator = Aggregator(catalog)
    records = [
        LogRecord(DAY1, "10.0.0.1", f"{i}" + "u" * 60_000, "api.openai.com", "/v1/chat", 10, 10)
        for i in range(20)
    ]
    records.append(LogRecord(DAY1, "10.0.0.1", "alice", "api.openai.com", "/v1/chat", 10, 10))
    result = aggregator.consume(("squid-native", rec) for rec in records)
    assert len(result.pairs) == 21  # every record still counted, under its cleaned name
    assert all(len(name) <= MAX_CACHED_NAME for name in aggregator._clean)
    assert "alice" in aggregator._clean
