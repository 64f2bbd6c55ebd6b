"""Personal-data detectors, one concept per module."""

from __future__ import annotations

from ramparts.detectors.base import Detector
from ramparts.detectors.pii.address import StreetAddressDetector
from ramparts.detectors.pii.card import PaymentCardDetector
from ramparts.detectors.pii.dates import DateOfBirthDetector
from ramparts.detectors.pii.email import EmailDetector
from ramparts.detectors.pii.iban import IbanDetector
from ramparts.detectors.pii.location import LocationDetector
from ramparts.detectors.pii.national_id import NationalIdDetector, UkNinoDetector, UsSsnDetector
from ramparts.detectors.pii.network import IpAddressDetector, MacAddressDetector
from ramparts.detectors.pii.passport import PassportDetector
from ramparts.detectors.pii.person import PersonNameDetector
from ramparts.detectors.pii.phone import PhoneDetector

DETECTORS: tuple[type[Detector], ...] = (
    EmailDetector,
    PhoneDetector,
    PaymentCardDetector,
    IbanDetector,
    UsSsnDetector,
    UkNinoDetector,
    NationalIdDetector,
    PassportDetector,
    IpAddressDetector,
    MacAddressDetector,
    DateOfBirthDetector,
    StreetAddressDetector,
    PersonNameDetector,
    LocationDetector,
)

__all__ = ["DETECTORS"]
