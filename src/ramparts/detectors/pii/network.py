"""IPv4, IPv6 and MAC addresses, confirmed with the ``ipaddress`` module."""

from __future__ import annotations

import ipaddress
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.pii._anchors import anchored

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
# Hex groups and colons, bounded; ``ipaddress`` decides what is really an address.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}+(?:%\w{1,15})?(?:\.\d{1,3}){0,3}(?![\w:])")
_MAC = re.compile(
    r"(?<![\w:\-])[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:\-])"
    r"|(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])"
)


# Starts with a literal character class, so the regex engine skips ahead fast.
_MAC_HINT = re.compile(r"[:\-.][0-9A-Fa-f]{2}")


def _is_ipv6(candidate: str) -> bool:
    if candidate.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


class IpAddressDetector(Detector):
    name = "ip_address"
    kinds = ("ipv4", "ipv6")
    description = "IPv4 and IPv6 addresses."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        if "." in text:
            for match in anchored(_IPV4, text, min_digits=4):
                findings.append(self._ip(context, text, match.start(), match.end(), "ipv4"))
        if "::" in text or text.count(":") >= 7:
            for match in _IPV6.finditer(text):
                if _is_ipv6(match.group()):
                    findings.append(self._ip(context, text, match.start(), match.end(), "ipv6"))
        return findings

    def _ip(self, context: ScanContext, text: str, start: int, end: int, kind: str) -> Finding:
        return self.finding(
            context,
            text,
            start,
            end,
            kind=kind,
            score=0.95,
            explanation=f"well-formed {kind} address",
            sensitivity=Sensitivity.INTERNAL,
        )


class MacAddressDetector(Detector):
    name = "mac_address"
    kinds = ("mac_address",)
    description = "Ethernet MAC addresses (colon, dash or Cisco dotted form)."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if _MAC_HINT.search(text) is None:
            return []
        return [
            self.finding(
                context,
                text,
                match.start(),
                match.end(),
                kind="mac_address",
                score=0.9,
                explanation="six hex octets in MAC address notation",
                sensitivity=Sensitivity.INTERNAL,
            )
            for match in _MAC.finditer(text)
        ]
