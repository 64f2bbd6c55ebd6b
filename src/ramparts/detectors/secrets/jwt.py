"""JSON Web Tokens, validated by structure rather than by shape alone.

A candidate is three (JWS) or five (JWE) base64url segments starting with
``eyJ`` (base64 of ``{"``). It is reported only when the header decodes to a
JSON object naming an ``alg``, so random dotted base64 does not qualify.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS

_SEGMENT = r"[A-Za-z0-9_\-]"
# Possessive repeats: a segment never gives characters back, so a failed
# attempt costs one pass over the run and no backtracking.
_JWT = re.compile(
    rf"(?<![A-Za-z0-9_\-])eyJ{_SEGMENT}{{5,2000}}+=?\.{_SEGMENT}{{2,8000}}+=?\.{_SEGMENT}{{0,2000}}+=?"
    rf"(?:\.{_SEGMENT}{{2,8000}}+\.{_SEGMENT}{{0,2000}}+)?(?![A-Za-z0-9_\-])"
)
_RUN = re.compile(r"[A-Za-z0-9_\-]{1,65536}+")
_FAKE = re.compile(r"(?i)example|fake|dummy|x{6,}")
_CLAIMS = ("exp", "iat", "sub", "iss", "aud", "nbf", "jti")


def decode_segment(segment: str) -> Any:
    """Decode one base64url JSON segment; None when it is not base64url JSON."""
    padded = segment.rstrip("=") + "=" * (-len(segment.rstrip("=")) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
        return json.loads(raw.decode("utf-8").strip())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


class JwtDetector(Detector):
    """JSON Web Tokens (signed or encrypted), with a decodable header."""

    name = "secrets.jwt"
    option_specs = NO_OPTIONS
    kinds = ("jwt",)
    description = "JSON Web Tokens whose header decodes to JSON with an 'alg'"
    triggers = ("eyJ",)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        position = text.find("eyJ")
        while position != -1:
            match = _JWT.match(text, position)
            if match is None:
                # A token cannot start inside a run of token characters: skip the run.
                run = _RUN.match(text, position)
                position = text.find("eyJ", run.end() if run else position + 3)
                continue
            finding = self._check(context, text, match)
            if finding is not None:
                findings.append(finding)
            position = text.find("eyJ", match.end())
        return findings

    def _check(self, context: ScanContext, text: str, match: re.Match[str]) -> Finding | None:
        segments = match.group().split(".")
        header = decode_segment(segments[0])
        if not isinstance(header, dict) or "alg" not in header:
            return None
        payload = decode_segment(segments[1]) if len(segments) == 3 else None
        if len(segments) == 3 and not isinstance(payload, dict):
            return None  # a signed JWT carries a JSON claims object
        if _FAKE.search(segments[-1]):
            return None
        has_claims = isinstance(payload, dict) and any(c in payload for c in _CLAIMS)
        unsigned = len(segments) == 3 and not segments[2]
        score = 0.95 if has_claims else 0.8
        form = "encrypted (JWE)" if len(segments) == 5 else "signed (JWS)"
        if unsigned:
            form = "unsigned"
            score -= 0.1
        return self.finding(
            context,
            text,
            match.start(),
            match.end(),
            kind="jwt",
            score=score,
            explanation=f"JSON Web Token, {form}, header decodes with an alg field",
            sensitivity=Sensitivity.RESTRICTED,
        )
