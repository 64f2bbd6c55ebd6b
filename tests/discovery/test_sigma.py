from __future__ import annotations

from pathlib import Path

import yaml

from ramparts.discovery.catalog import Catalog
from ramparts.discovery.sigma import export_rules, rule_for


def test_rules_for_every_service_and_log_source(tmp_path: Path, catalog: Catalog) -> None:
    written = export_rules(catalog, tmp_path)
    proxy = list((tmp_path / "proxy").glob("*.yml"))
    dns = list((tmp_path / "dns").glob("*.yml"))
    assert len(proxy) == len(catalog)
    assert len(dns) == sum(1 for e in catalog.entries.values() if e.service.domains.all())
    assert len(written) == len(proxy) + len(dns)
    ids = set()
    for path in written:
        rule = yaml.safe_load(path.read_text())
        assert rule["logsource"]["category"] in ("proxy", "dns")
        assert rule["detection"]["condition"] == "1 of selection_*"
        assert rule["level"] in ("low", "medium", "high")
        ids.add(rule["id"])
    assert len(ids) == len(written)


def test_dual_use_hosts_need_their_path(catalog: Catalog) -> None:
    copilot = catalog.entries["microsoft-copilot"]
    proxy = rule_for(copilot, "proxy")
    dns = rule_for(copilot, "dns")
    assert proxy is not None
    assert dns is not None
    shared = proxy["detection"]["selection_shared_0"]
    assert shared == {
        "cs-host": ["bing.com", "www.bing.com"],
        "c-uri|contains": ["/chat", "/turing/", "/sydney/", "/copilotsearch"],
    }
    assert "bing.com" not in str(dns["detection"])
    assert rule_for(catalog.entries["huggingchat"], "dns") is None  # shared host only


def test_rule_ids_are_stable(catalog: Catalog) -> None:
    entry = catalog.entries["openai-chatgpt"]
    first, second = rule_for(entry, "proxy"), rule_for(entry, "proxy")
    assert first is not None
    assert second is not None
    assert first["id"] == second["id"]
    assert "chatgpt.com" in first["detection"]["selection_host"]["cs-host"]
    assert ".chatgpt.com" in first["detection"]["selection_subdomain"]["cs-host|endswith"]


def test_status_filter(tmp_path: Path, catalog: Catalog) -> None:
    assert export_rules(catalog, tmp_path, statuses={"sanctioned"}) == []
