"""Detection engine: personal data, secrets, confidential business data, prompt attacks."""

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity

__all__ = ["Detector", "Finding", "ScanContext", "Sensitivity"]
