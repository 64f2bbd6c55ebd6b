"""The AI service catalog: shipped data, tenant overlay, risk scoring and host matching."""

from ramparts.discovery.catalog.loader import Catalog, CatalogEntry, load_catalog, load_overlay
from ramparts.discovery.catalog.matcher import Match, ServiceMatcher
from ramparts.discovery.catalog.models import STATUSES, Service, TenantOverlay
from ramparts.discovery.catalog.scoring import RiskScore, score_service

__all__ = [
    "STATUSES",
    "Catalog",
    "CatalogEntry",
    "Match",
    "RiskScore",
    "Service",
    "ServiceMatcher",
    "TenantOverlay",
    "load_catalog",
    "load_overlay",
    "score_service",
]
