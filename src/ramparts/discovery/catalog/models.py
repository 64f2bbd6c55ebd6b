"""The catalog schema: what Ramparts knows about one AI service, and how a tenant overrides it.

Unknown facts stay ``"unknown"`` (or ``None`` for lists); every fact that is given
must name its source, so a reader can always check where a claim came from.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Category = Literal[
    "chat",
    "coding",
    "image",
    "video",
    "audio",
    "meeting",
    "writing",
    "search",
    "research",
    "agent",
    "model_api",
    "model_hub",
    "productivity",
    "design",
    "companion",
    "browser_extension",
    "translation",
    "education",
    "legal",
    "data_analysis",
]
TriState = Literal["yes", "no", "unknown"]
Status = Literal["sanctioned", "tolerated", "unsanctioned", "under_review"]
STATUSES: tuple[Status, ...] = ("sanctioned", "tolerated", "unsanctioned", "under_review")

# The risk sub-scores a tenant may weigh (ramparts.discovery.catalog.scoring.DEFAULT_WEIGHTS).
RISK_FACTORS = (
    "data_use",
    "retention",
    "jurisdiction",
    "enterprise_controls",
    "compliance",
    "category",
)

_HOST = re.compile(r"^[a-z0-9_*]([a-z0-9_.-]*[a-z0-9])?$")
_RETENTION = re.compile(r"^(unknown|none|indefinite|\d+d)$")
_SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainsOnInput(_Strict):
    """Whether the vendor trains on user input by default, per account tier."""

    consumer: TriState = "unknown"
    business: TriState = "unknown"
    api: TriState = "unknown"


class RiskFacts(_Strict):
    trains_on_input: TrainsOnInput = TrainsOnInput()
    retention: str = "unknown"  # "unknown", "none", "indefinite" or "<days>d"
    data_region: str = "unknown"  # ISO country / "EU" / "multi" / "unknown"
    enterprise_tier: TriState = "unknown"
    sso: TriState = "unknown"
    certifications: tuple[str, ...] | None = None  # None = unknown, () = known to have none

    @field_validator("retention")
    @classmethod
    def _retention_format(cls, value: str) -> str:
        if not _RETENTION.match(value):
            raise ValueError("retention must be unknown, none, indefinite or '<days>d' (e.g. 30d)")
        return value

    def known_facts(self) -> list[str]:
        """Names of the facts that are not unknown (each needs a source)."""
        known = []
        if self.trains_on_input != TrainsOnInput():
            known.append("trains_on_input")
        for name in ("retention", "data_region", "enterprise_tier", "sso"):
            if getattr(self, name) != "unknown":
                known.append(name)
        if self.certifications is not None:
            known.append("certifications")
        return known


class SharedHost(_Strict):
    """A dual-use host: AI use only when the URL path says so."""

    host: str
    paths: tuple[str, ...]

    @field_validator("paths")
    @classmethod
    def _paths_absolute(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not p.startswith("/") for p in value):
            raise ValueError("shared host paths must be a non-empty list of '/...' prefixes")
        return value


class Domains(_Strict):
    web: tuple[str, ...] = ()
    api: tuple[str, ...] = ()
    cdn: tuple[str, ...] = ()

    @field_validator("web", "api", "cdn")
    @classmethod
    def _patterns_valid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            validate_host_pattern(pattern)
        return value

    def all(self) -> list[tuple[str, str]]:
        """(kind, pattern) for every host pattern."""
        return [(kind, p) for kind in ("web", "api", "cdn") for p in getattr(self, kind)]


def validate_host_pattern(pattern: str) -> None:
    """Raise ValueError unless ``pattern`` is a host, ``full:host`` or ``regexp:...``."""
    if pattern.startswith("regexp:"):
        try:
            re.compile(pattern[len("regexp:") :])
        except re.error as exc:
            raise ValueError(f"bad host regexp {pattern!r}: {exc}") from None
        return
    host = pattern.removeprefix("full:")
    if not _HOST.match(host) or "." not in host:
        raise ValueError(f"bad host pattern {pattern!r}: expected a lower-case host name")


class Service(_Strict):
    id: str
    name: str
    vendor: str
    category: Category
    hq: str = "unknown"
    domains: Domains
    shared: tuple[SharedHost, ...] = ()
    domain_source: str
    risk: RiskFacts = RiskFacts()
    sources: dict[str, str] = Field(default_factory=dict)
    reviewed: date

    @field_validator("id")
    @classmethod
    def _id_slug(cls, value: str) -> str:
        if not _SERVICE_ID.match(value):
            raise ValueError("service id must be a lower-case slug (a-z, 0-9, '-')")
        return value

    @model_validator(mode="after")
    def _evidence(self) -> Service:
        if not self.domains.all() and not self.shared:
            raise ValueError(f"service {self.id!r} has no domains and no shared hosts")
        missing = [f for f in self.risk.known_facts() if not self.sources.get(f)]
        if missing:
            raise ValueError(f"service {self.id!r}: facts without a source: {', '.join(missing)}")
        return self


class ServicePolicy(_Strict):
    """A tenant's decision about one service."""

    status: Status | None = None
    alternative: str | None = None  # e.g. "Use Ramparts model 'gpt-4o' via the gateway"
    risk_score: int | None = Field(default=None, ge=0, le=100)
    note: str | None = None


def _no_bool(value: object) -> object:
    # YAML reads yes/no/true as booleans, which would otherwise count as 1 and 0.
    if isinstance(value, bool):
        raise ValueError("a weight must be a number, not true/false/yes/no")
    return value


def _finite_non_negative(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError("a weight must be a finite number >= 0")
    return value


Weight = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_finite_non_negative)]


class TenantOverlay(_Strict):
    """Tenant overlay YAML: statuses, weights, extra services."""

    tenant: str = "default"
    default_status: Status = "unsanctioned"
    # Merged over the default weights and re-normalised: each finite and >= 0, and not
    # all zero (the score is a weighted mean).
    weights: dict[str, Weight] = Field(default_factory=dict)
    services: dict[str, ServicePolicy] = Field(default_factory=dict)
    add: tuple[dict[str, object], ...] = ()
    # Hosts that only the tenant's own accounts use (e.g. "acme.openai.azure.com"):
    # traffic to them is a corporate-account signal.
    corporate_hosts: tuple[str, ...] = ()

    @field_validator("weights")
    @classmethod
    def _known_and_not_all_zero(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(RISK_FACTORS))
        if unknown:
            raise ValueError(f"unknown weight {unknown[0]!r} (allowed: {', '.join(RISK_FACTORS)})")
        if set(value) == set(RISK_FACTORS) and not any(value.values()):
            raise ValueError("the weights are all 0: at least one must be > 0")
        return value
