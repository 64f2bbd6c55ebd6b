from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ramparts.discovery.catalog import Catalog, ServiceMatcher, load_catalog
from ramparts.discovery.catalog.models import Service
from ramparts.discovery.catalog.scoring import DEFAULT_WEIGHTS, level_for, score_service
from ramparts.errors import ConfigError

SHARED_ONLY = (
    "bing.com",
    "api.github.com",
    "github.com",
    "googleapis.com",
    "google.com",
    "amazonaws.com",
    "azure.com",
    "microsoft.com",
    "windows.net",
    "cloudflare.net",
    "notion.so",
    "canva.com",
    "zoom.us",
    "x.com",
)


def test_catalog_is_large_and_valid(catalog: Catalog) -> None:
    assert len(catalog) >= 300
    categories = Counter(e.service.category for e in catalog.entries.values())
    for needed in (
        "chat",
        "coding",
        "image",
        "video",
        "audio",
        "meeting",
        "writing",
        "search",
        "agent",
        "model_api",
    ):
        assert categories[needed] >= 3, needed
    non_us = {e.service.hq for e in catalog.entries.values()} - {"US", "unknown"}
    assert {"CN", "RU", "FR", "KR", "JP", "DE"} <= non_us


def test_every_known_fact_names_its_source(catalog: Catalog) -> None:
    for entry in catalog.entries.values():
        service = entry.service
        for fact in service.risk.known_facts():
            assert service.sources.get(fact), (service.id, fact)
        assert service.domain_source
        assert service.reviewed is not None


def test_a_fact_without_source_is_rejected() -> None:
    raw = {
        "id": "x-test",
        "name": "X",
        "vendor": "X",
        "category": "chat",
        "domains": {"web": ["x-test.example"]},
        "domain_source": "test",
        "risk": {"sso": "yes"},
        "reviewed": "2026-01-01",
    }
    with pytest.raises(ValueError, match="facts without a source: sso"):
        Service.model_validate(raw)
    raw["sources"] = {"sso": "https://x-test.example/security"}
    assert Service.model_validate(raw).risk.sso == "yes"


def test_host_patterns_are_not_claimed_twice(catalog: Catalog) -> None:
    seen: Counter[str] = Counter()
    for entry in catalog.entries.values():
        for _kind, pattern in entry.service.domains.all():
            seen[pattern] += 1
    assert [p for p, n in seen.items() if n > 1] == []


def test_dual_use_domains_are_never_dedicated(catalog: Catalog) -> None:
    patterns = {
        p.removeprefix("full:")
        for e in catalog.entries.values()
        for _k, p in e.service.domains.all()
    }
    assert not patterns & set(SHARED_ONLY)


@pytest.mark.parametrize(
    ("host", "path", "service", "strength"),
    [
        ("chatgpt.com", "/", "openai-chatgpt", "strong"),
        ("cdn.oaistatic.com", None, "openai-chatgpt", "strong"),
        ("api.openai.com", "/v1/chat/completions", "openai-api", "strong"),
        ("www.bing.com", "/chat?q=1", "microsoft-copilot", "path"),
        ("www.bing.com", None, "microsoft-copilot", "weak"),
        ("api.github.com", None, "github-copilot", "weak"),
        ("api.github.com", "/copilot_internal/v2/token", "github-copilot", "path"),
        ("generativelanguage.googleapis.com", None, "google-ai-studio", "strong"),
        ("bedrock-runtime.eu-west-1.amazonaws.com", None, "aws-bedrock", "strong"),
        ("huggingface.co", "/chat/conversation", "huggingchat", "path"),
        ("huggingface.co", "/models", "huggingface", "strong"),
    ],
)
def test_matcher(
    catalog: Catalog, host: str, path: str | None, service: str, strength: str
) -> None:
    found = ServiceMatcher(catalog).match(host, path)
    assert found is not None
    assert (found.service_id, found.strength) == (service, strength)


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("www.bing.com", "/search?q=x"),
        ("api.github.com", "/repos/a/b"),
        ("storage.googleapis.com", None),
        ("example.com", "/"),
        ("notchatgpt.com", None),
        ("s3.amazonaws.com", None),
    ],
)
def test_matcher_ignores_non_ai(catalog: Catalog, host: str, path: str | None) -> None:
    assert ServiceMatcher(catalog).match(host, path) is None


def test_score_follows_the_documented_formula(catalog: Catalog) -> None:
    entry = catalog.get("deepseek-chat")
    assert entry is not None
    parts = entry.risk.subscores
    expected = round(
        sum(parts[k] * w for k, w in DEFAULT_WEIGHTS.items()) / sum(DEFAULT_WEIGHTS.values())
    )
    assert entry.risk.score == expected
    assert parts["jurisdiction"] == 90
    assert parts["data_use"] == 100
    assert entry.risk.level == "high"


def test_known_good_facts_lower_the_score(catalog: Catalog) -> None:
    claude = catalog.get("anthropic-claude")
    unknown = catalog.get("pi-companion-replika")
    assert claude is not None
    assert unknown is not None
    assert (
        claude.risk.subscores["enterprise_controls"] < unknown.risk.subscores["enterprise_controls"]
    )
    assert claude.risk.subscores["compliance"] < unknown.risk.subscores["compliance"]


def test_levels() -> None:
    assert [level_for(s) for s in (0, 39, 40, 64, 65, 100)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


OVERLAY = """
tenant: acme
default_status: under_review
weights: {jurisdiction: 0.5}
corporate_hosts: [acme.openai.azure.com]
services:
  openai-chatgpt: {status: sanctioned}
  deepseek-chat: {status: unsanctioned, alternative: "Use Ramparts model 'gpt-4o' via the gateway"}
  anthropic-claude: {status: tolerated, risk_score: 12}
add:
  - {id: acme-internal-llm, name: Acme LLM, vendor: Acme, category: chat, hq: DE,
     web: [llm.acme.example], src: "tenant"}
"""


def test_overlay_applies_status_alternative_weights_and_additions(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(OVERLAY)
    cat = load_catalog(path)
    assert cat.tenant == "acme"
    assert cat.entries["openai-chatgpt"].status == "sanctioned"
    deepseek = cat.entries["deepseek-chat"]
    assert deepseek.status == "unsanctioned"
    assert deepseek.alternative == "Use Ramparts model 'gpt-4o' via the gateway"
    assert cat.entries["perplexity"].status == "under_review"
    claude = cat.entries["anthropic-claude"]
    assert (claude.risk.score, claude.risk.pinned) == (12, True)
    added = cat.entries["acme-internal-llm"]
    assert added.origin == "tenant"
    assert added.service.category == "chat"
    base = load_catalog().entries["deepseek-chat"].risk.score
    assert deepseek.risk.score > base  # jurisdiction weighs more for this tenant
    assert score_service(deepseek.service, {"jurisdiction": 0.5}).score == deepseek.risk.score
    assert cat.corporate_hosts == ("acme.openai.azure.com",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services: {no-such-service: {status: sanctioned}}",
            "policy for services not in the catalog",
        ),
        ("services: {perplexity: {status: banned}}", "status"),
        ("weights: {vibes: 1.0}", "unknown weight"),
        (
            "add: [{id: perplexity, name: P, vendor: P, category: chat, web: [p.example], src: t}]",
            "reuse shipped ids",
        ),
        (
            "add: [{id: bad-domain, name: P, vendor: P, category: chat, web: ['http://x'], src: t}]",
            "bad host pattern",
        ),
        ("tenant: [unclosed", "invalid YAML"),
    ],
)
def test_bad_overlays_fail_with_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_catalog(path)
    assert str(path) in str(caught.value)
