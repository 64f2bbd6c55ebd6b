"""Confidential business data: markings, tenant dictionaries, category signals, code."""

from __future__ import annotations

from ramparts.detectors.base import Detector
from ramparts.detectors.business.categories import BusinessCategoryDetector
from ramparts.detectors.business.markings import ClassificationMarkingDetector
from ramparts.detectors.business.source_code import SourceCodeDetector
from ramparts.detectors.business.terms import TenantTermsDetector

DETECTORS: tuple[type[Detector], ...] = (
    ClassificationMarkingDetector,
    TenantTermsDetector,
    BusinessCategoryDetector,
    SourceCodeDetector,
)

__all__ = ["DETECTORS"]
