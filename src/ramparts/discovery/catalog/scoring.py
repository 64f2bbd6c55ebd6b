"""The documented risk formula: a 0-100 score from a service's facts.

Six sub-scores, each 0 (benign) to 100 (worst), are combined as a weighted mean.
An unknown fact scores 60: unknown is treated as somewhat worse than the middle,
because a vendor that does not document a safe practice usually lacks it.

=====================  ======  ==========================================================
sub-score              weight  rule
=====================  ======  ==========================================================
data_use               0.25    trains on consumer-tier input: yes 100, no 0, unknown 60
retention              0.15    none 0, <=30 days 25, <=365 days 60, longer/indefinite 90
jurisdiction           0.20    data region (else vendor HQ): EU/EEA/UK/CH 10; other
                               adequacy-style jurisdictions 30; CN/RU 90; unknown 60
enterprise_controls    0.15    enterprise tier + SSO 10; enterprise tier only 40;
                               no enterprise tier 90; unknown 60
compliance             0.10    SOC2 or ISO27001 listed 15; known to have none 80; unknown 60
category               0.15    exposure inherent to the kind of tool (table CATEGORY_EXPOSURE)
=====================  ======  ==========================================================

Level: score >= 65 high, >= 40 medium, else low. Tenants may override weights
(they are re-normalised) or pin a score per service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ramparts.discovery.catalog.models import RiskFacts, Service

UNKNOWN = 60
DEFAULT_WEIGHTS: dict[str, float] = {
    "data_use": 0.25,
    "retention": 0.15,
    "jurisdiction": 0.20,
    "enterprise_controls": 0.15,
    "compliance": 0.10,
    "category": 0.15,
}
# Why: agents and extensions act on or read everything; note-takers record whole meetings.
CATEGORY_EXPOSURE: dict[str, int] = {
    "agent": 85,
    "browser_extension": 85,
    "meeting": 80,
    "companion": 70,
    "chat": 70,
    "coding": 70,
    "research": 65,
    "data_analysis": 70,
    "legal": 65,
    "writing": 60,
    "translation": 60,
    "productivity": 60,
    "model_api": 55,
    "search": 50,
    "audio": 50,
    "education": 45,
    "design": 40,
    "image": 40,
    "video": 40,
    "model_hub": 30,
}
_LOW_RISK_REGIONS = {"EU", "UK", "GB", "CH", "NO", "IS", "LI"} | {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}  # fmt: skip
_HIGH_RISK_REGIONS = {"CN", "RU"}
Level = Literal["low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: int
    level: Level
    subscores: dict[str, int]
    pinned: bool = False  # the tenant set the score by hand


def level_for(score: int) -> Level:
    return "high" if score >= 65 else "medium" if score >= 40 else "low"


def subscores(service: Service) -> dict[str, int]:
    facts = service.risk
    return {
        "data_use": _tri(facts.trains_on_input.consumer, yes=100, no=0),
        "retention": _retention(facts.retention),
        "jurisdiction": _jurisdiction(facts.data_region, service.hq),
        "enterprise_controls": _enterprise(facts),
        "compliance": _compliance(facts.certifications),
        "category": CATEGORY_EXPOSURE[service.category],
    }


def score_service(
    service: Service, weights: dict[str, float] | None = None, pinned: int | None = None
) -> RiskScore:
    parts = subscores(service)
    if pinned is not None:
        return RiskScore(pinned, level_for(pinned), parts, pinned=True)
    w = {k: (weights or {}).get(k, DEFAULT_WEIGHTS[k]) for k in parts}
    top = max(w.values())
    if not 0 < top < math.inf or min(w.values()) < 0:  # NaN fails the first test too
        raise ValueError("risk weights must be finite, >= 0 and not all 0")
    # Scaled by the largest first: huge weights would otherwise overflow the sums.
    scaled = {k: v / top for k, v in w.items()}
    value = round(sum(parts[k] * scaled[k] for k in parts) / sum(scaled.values()))
    return RiskScore(value, level_for(value), parts)


def _tri(value: str, *, yes: int, no: int) -> int:
    return yes if value == "yes" else no if value == "no" else UNKNOWN


def _retention(value: str) -> int:
    if value == "none":
        return 0
    if value == "indefinite":
        return 90
    if value.endswith("d"):
        days = int(value[:-1])
        return 25 if days <= 30 else 60 if days <= 365 else 90
    return UNKNOWN


def _jurisdiction(region: str, hq: str) -> int:
    where = region if region != "unknown" else hq
    if where in _HIGH_RISK_REGIONS:
        return 90
    if where in _LOW_RISK_REGIONS:
        return 10
    if where in ("unknown", "multi", ""):
        return UNKNOWN
    return 30


def _enterprise(facts: RiskFacts) -> int:
    if facts.enterprise_tier == "no":
        return 90
    if facts.enterprise_tier == "yes":
        return 10 if facts.sso == "yes" else 40
    return UNKNOWN


def _compliance(certs: tuple[str, ...] | None) -> int:
    if certs is None:
        return UNKNOWN
    return 15 if {"SOC2", "ISO27001"} & set(certs) else 80
