"""Output-side detectors: what a model answer must not do.

Exfiltration links and images, HTML/script injection, canary-token leaks, and
:func:`new_sensitive_findings` for secrets or personal data that appear in an
answer but were not in the prompt.
"""

from __future__ import annotations

from ramparts.detectors.base import Detector
from ramparts.detectors.output.canary import CanaryLeakDetector
from ramparts.detectors.output.html import HtmlInjectionDetector
from ramparts.detectors.output.links import ExfiltrationLinkDetector, registered_domain
from ramparts.detectors.output.new_findings import new_sensitive_findings

DETECTORS: tuple[type[Detector], ...] = (
    ExfiltrationLinkDetector,
    HtmlInjectionDetector,
    CanaryLeakDetector,
)

__all__ = [
    "DETECTORS",
    "CanaryLeakDetector",
    "ExfiltrationLinkDetector",
    "HtmlInjectionDetector",
    "new_sensitive_findings",
    "registered_domain",
]
