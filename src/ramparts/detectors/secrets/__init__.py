"""Secret detectors: provider credentials, JWTs, private keys, URLs with passwords,
``password=`` assignments and an entropy catch-all.

Every detector here is cheap: keyword prefilters keep clean text nearly free,
and every regex is linear-time (bounded or possessive repeats only).
"""

from __future__ import annotations

from ramparts.detectors.base import Detector
from ramparts.detectors.secrets.assignments import PasswordAssignmentDetector
from ramparts.detectors.secrets.connection_strings import ConnectionStringDetector
from ramparts.detectors.secrets.entropy import HighEntropyDetector
from ramparts.detectors.secrets.jwt import JwtDetector
from ramparts.detectors.secrets.private_keys import PrivateKeyDetector
from ramparts.detectors.secrets.provider import (
    PROVIDER_RULES,
    ProviderCredentialDetector,
    rule_catalog,
)

DETECTORS: tuple[type[Detector], ...] = (
    ProviderCredentialDetector,
    JwtDetector,
    PrivateKeyDetector,
    ConnectionStringDetector,
    PasswordAssignmentDetector,
    HighEntropyDetector,
)

__all__ = [
    "DETECTORS",
    "PROVIDER_RULES",
    "ConnectionStringDetector",
    "HighEntropyDetector",
    "JwtDetector",
    "PasswordAssignmentDetector",
    "PrivateKeyDetector",
    "ProviderCredentialDetector",
    "rule_catalog",
]
