"""IPv4, IPv6 and MAC addresses, confirmed with the ``ipaddress`` module."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii._anchors import anchored

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
# Hex groups and colons, bounded; ``ipaddress`` decides what is really an address.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]{2,39}+(?:%\w{1,15})?(?:\.\d{1,3}){0,3}(?![\w:])")
# The boundary checks sit after the first hex digit (a two-character lookbehind)
# so the pattern starts with a character class and the regex engine skips ahead.
_MAC = re.compile(
    r"[0-9A-Fa-f](?<![\w:\-][0-9A-Fa-f])[0-9A-Fa-f]([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"(?![\w:\-])"
    r"|[0-9A-Fa-f](?<![\w.][0-9A-Fa-f])[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])"
)
# Each starts with a literal, so the regex engine skips ahead fast.
_COLON_HINT = re.compile(r":[0-9A-Fa-f]{2}:")
_DASH_HINT = re.compile(r"-[0-9A-Fa-f]{2}-")
_DOTTED_HINT = re.compile(r"\.[0-9A-Fa-f]{4}\.")
# Two colons with at most one group of hex digits between: every IPv6 address has them.
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")


def _may_hold_mac(text: str) -> bool:
    """Every MAC form has an octet between two of its five separators, or a dotted group."""
    if text.count(":") >= 5 and _COLON_HINT.search(text):
        return True
    if text.count("-") >= 5 and _DASH_HINT.search(text):
        return True
    return _DOTTED_HINT.search(text) is not None


def _may_hold_ipv6(text: str) -> bool:
    """An IPv6 address has "::" or seven colons, some two of them a group apart."""
    return "::" in text or (text.count(":") >= 7 and _IPV6_HINT.search(text) is not None)


def _is_ipv6(candidate: str) -> bool:
    if candidate.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


_HEX_OR_COLON = frozenset("0123456789abcdefABCDEF:")


def ipv6_candidates(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_IPV6`` that hold a colon, found from the colons.

    A match starts where a run of hex digits and colons starts, at most 39
    characters before its colons; walking back from each colon finds that
    start without the regex engine trying every position of a long text.
    """
    pos = 0
    colon = text.find(":")
    while colon >= 0:
        start = colon
        while start > pos and colon - start < 40 and text[start - 1] in _HEX_OR_COLON:
            start -= 1
        match = _IPV6.match(text, start) if colon - start < 40 else None
        if match:
            pos = match.end()
            yield match
        colon = text.find(":", max(colon + 1, pos))


class IpAddressDetector(Detector):
    name = "ip_address"
    option_specs = NO_OPTIONS
    kinds = ("ipv4", "ipv6")
    description = "IPv4 and IPv6 addresses."
    # Four dotted digit groups; IPv6 needs two colons at most one hex group apart.
    triggers = (r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", r":[0-9A-Fa-f]{0,4}:")

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        if "." in text:
            # Each octet is a whole digit run, so the four share one cluster.
            for match in anchored(_IPV4, text, min_digits=4, clustered=True, min_runs=4):
                findings.append(self._ip(context, text, match.start(), match.end(), "ipv4"))
        if _may_hold_ipv6(text):
            for match in ipv6_candidates(text):
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
    option_specs = NO_OPTIONS
    kinds = ("mac_address",)
    description = "Ethernet MAC addresses (colon, dash or Cisco dotted form)."
    triggers = (
        r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}",
        r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}",
        r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
    )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if not _may_hold_mac(text):
            return []
        return self.match_findings(
            context,
            text,
            _MAC.finditer(text),
            kind="mac_address",
            score=0.9,
            explanation="six hex octets in MAC address notation",
            sensitivity=Sensitivity.INTERNAL,
        )
