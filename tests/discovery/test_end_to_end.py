"""A log with known AI traffic inserted; every count is checked exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ramparts.discovery.analysis import Thresholds
from ramparts.discovery.catalog import Catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.usermap import load_user_map

DAY = 86400
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
MB5 = 5 * 1024 * 1024
ZEEK_FIELDS = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p method host uri request_body_len response_body_len username"


def zeek_log(path: Path) -> Path:
    rows = ["#separator \\x09", "#fields\t" + ZEEK_FIELDS.replace(" ", "\t")]
    for i in range(3):  # dave uploads 3 x 5 MB to the OpenAI API on day 8
        rows.append(
            f"{T0 + 8 * DAY + i}\tC{i}\t10.0.0.4\t5000\t1.2.3.4\t443\tPOST\tapi.openai.com\t/v1/files\t{MB5}\t1000\tdave"
        )
    for i in range(2):  # not AI
        rows.append(
            f"{T0 + 8 * DAY + 50 + i}\tD{i}\t10.0.0.4\t5000\t1.2.3.5\t80\tGET\twww.example.com\t/\t0\t100\tdave"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def run(tmp_path: Path, known_traffic: Any, catalog: Catalog) -> Any:
    squid = known_traffic.write(tmp_path / "access.log")
    zeek = zeek_log(tmp_path / "http.log")
    users = tmp_path / "users.csv"
    users.write_text("ip,user,department\n10.0.0.2,bob,Finance\n,alice,Engineering\n")

    def _run(since: float | None = None) -> dict[str, Any]:
        options = RunOptions(
            user_map=load_user_map(users),
            since=since,
            thresholds=Thresholds(many_services=2),
            generated_at=datetime(2026, 1, 15, tzinfo=UTC),
        )
        return run_discovery([str(squid), str(zeek)], catalog, options)

    return _run


def by_id(rows: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_totals(run: Any) -> None:
    report = run()
    assert report["totals"] == {
        "lines": 246 + 7,
        "records": 242 + 5,
        "broken_lines": 3,
        "skipped_before_since": 0,
        "ai_requests": 43,
        "services": 5,
        "users": 4,
        "bytes_up": 3 * MB5,
        "bytes_down": 30_000 + 8_000 + 1_500 + 700 + 3_000,
        "weak_requests": 1,
    }
    assert report["window"] == {
        "first": "2026-01-01T00:00:00Z",
        "last": "2026-01-10T00:03:20Z",
        "since": None,
    }
    assert [
        (s["format"], s["lines"], s["records"], s["broken_lines"]) for s in report["sources"]
    ] == [
        ("squid-native", 246, 242, 3),
        ("zeek-tsv", 7, 5, 0),
    ]
    samples = report["sources"][0]["broken_samples"]
    assert len(samples) == 3
    assert not any("SECRET123" in s for s in samples)


def test_timeline(run: Any) -> None:
    assert run()["timeline"] == [
        {"day": "2026-01-01", "requests": 10},
        {"day": "2026-01-02", "requests": 10},
        {"day": "2026-01-03", "requests": 1},
        {"day": "2026-01-04", "requests": 10},
        {"day": "2026-01-09", "requests": 3},
        {"day": "2026-01-10", "requests": 9},
    ]


def test_services(run: Any) -> None:
    services = by_id(run()["services"])
    assert list(services) == [
        "openai-chatgpt",
        "anthropic-claude",
        "deepseek-chat",
        "openai-api",
        "microsoft-copilot",
    ]
    chatgpt = services["openai-chatgpt"]
    assert (chatgpt["requests"], chatgpt["users"], chatgpt["active_days"]) == (30, 1, 3)
    assert (chatgpt["first_seen"], chatgpt["last_seen"]) == (
        "2026-01-01T01:00:00Z",
        "2026-01-04T01:00:09Z",
    )
    assert (chatgpt["bytes_down"], chatgpt["upload_unknown_requests"]) == (30_000, 30)
    assert chatgpt["departments"] == ["Engineering"]
    assert (services["deepseek-chat"]["requests"], services["deepseek-chat"]["departments"]) == (
        4,
        ["Finance"],
    )
    assert services["anthropic-claude"]["requests"] == 5  # CONNECT to a dedicated host counts
    api = services["openai-api"]
    assert (api["requests"], api["bytes_up"], api["upload_unknown_requests"]) == (3, 3 * MB5, 0)
    copilot = services["microsoft-copilot"]
    assert (copilot["requests"], copilot["bytes_down"]) == (1, 700)  # bing.com/chat only
    assert by_id(run()["weak_evidence"])["microsoft-copilot"]["requests"] == 1


def test_users_and_departments(run: Any) -> None:
    report = run()
    users = by_id(report["users"], "user")
    assert set(users) == {"alice", "bob", "carol", "dave"}
    assert (users["alice"]["requests"], users["alice"]["services"]) == (
        31,
        ["microsoft-copilot", "openai-chatgpt"],
    )
    assert (users["bob"]["department"], users["bob"]["requests"]) == ("Finance", 4)
    assert users["dave"]["bytes_up"] == 3 * MB5
    departments = {
        d["department"]: (d["users"], d["services"], d["requests"]) for d in report["departments"]
    }
    assert departments == {"Engineering": (1, 2, 31), "Finance": (1, 1, 4), "(unknown)": (2, 2, 8)}


def test_findings(run: Any) -> None:
    findings = run()["findings"]
    got = [(f["kind"], f["severity"], f["service_id"], f["user"]) for f in findings]
    assert got == [
        ("high_risk_unsanctioned", "high", "deepseek-chat", None),
        ("large_upload", "high", "openai-api", "dave"),
        ("new_service", "high", "deepseek-chat", None),
        ("many_services", "medium", None, "alice"),
        ("new_service", "medium", "anthropic-claude", None),
        ("new_service", "medium", "openai-api", None),
    ]
    upload = findings[1]
    assert (
        upload["message"] == "dave uploaded 15.0 MB to OpenAI API (unsanctioned) in 3 request(s)."
    )
    assert upload["evidence"]["bytes_up"] == 3 * MB5
    assert all(f["message"].count(". ") == 0 for f in findings)  # one sentence each


def test_coverage(run: Any) -> None:
    coverage = run()["coverage"]
    formats = by_id(coverage["formats"], "format")
    assert formats["squid-native"]["fields_pct"]["bytes_up"] == 0.0
    assert formats["zeek-tsv"]["fields_pct"]["bytes_up"] == 100.0
    assert "squid-native has no upload bytes" in formats["squid-native"]["notes"][0]
    assert coverage["notes"][0].startswith(
        "Upload volume unknown for 93% of AI traffic (40 of 43 requests)"
    )
    assert coverage["user_identification"] == {"log": 40, "mapping": 4, "ip_only": 0}


def test_since_keeps_only_newer_traffic(run: Any) -> None:
    report = run(since=T0 + 5 * DAY)
    assert report["totals"]["skipped_before_since"] == 233
    assert {s["id"]: s["requests"] for s in report["services"]} == {
        "anthropic-claude": 5,
        "deepseek-chat": 4,
        "openai-api": 3,
    }
    assert report["window"]["since"] == "2026-01-06T00:00:00Z"


def test_account_signals(tmp_path: Path) -> None:
    from ramparts.discovery.catalog import load_catalog

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("corporate_hosts: [acme.openai.azure.com]\n")
    log = tmp_path / "access.log"
    base = "1767225600.000    120 10.0.0.1 TCP_MISS/200 100 GET {url} ann HIER_DIRECT/1.2.3.4 -"
    urls = [
        "https://acme.openai.azure.com/openai/deployments/x",  # the tenant's own resource
        "https://chatgpt.com/auth/login?login_hint=ann%40gmail.com",  # a personal account
        "https://chatgpt.com/backend-api/conversation",  # nothing visible
    ]
    log.write_text("\n".join(base.format(url=u) for u in urls) + "\n")
    report = run_discovery([str(log)], load_catalog(overlay), RunOptions())
    accounts = {s["id"]: s["accounts"] for s in report["services"]}
    assert accounts == {
        "openai-chatgpt": {"corporate": 0, "personal": 1, "unknown": 1},
        "azure-openai": {"corporate": 1, "personal": 0, "unknown": 0},
    }
    assert "gmail" not in str(report)  # the address itself never reaches the report


def test_finding_names_the_sanctioned_alternative(tmp_path: Path, known_traffic: Any) -> None:
    from ramparts.discovery.catalog import load_catalog

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "services:\n  deepseek-chat:\n    status: unsanctioned\n"
        "    alternative: \"Ramparts model 'gpt-4o'\"\n"
    )
    log = known_traffic.write(tmp_path / "access.log")
    report = run_discovery([str(log)], load_catalog(overlay), RunOptions())
    first = report["findings"][0]
    assert first["kind"] == "high_risk_unsanctioned"
    assert first["message"].endswith("; sanctioned alternative: Ramparts model 'gpt-4o'.")
    assert first["evidence"]["alternative"] == "Ramparts model 'gpt-4o'"
