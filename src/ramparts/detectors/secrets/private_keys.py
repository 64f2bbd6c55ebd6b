"""Private keys: PEM (RSA, EC, DSA, PKCS#8), OpenSSH, PGP, PuTTY, bare DER in base64,
JSON Web Keys with private members, and any of these wrapped in one more layer of base64.

A header alone is not enough: the block must carry enough base64 key material
before its footer (keys embedded in code, with quotes and ``\\n`` escapes
between lines, still count), and no obvious fake (``...``, words in the body,
FAKE or EXAMPLE in the header). Encrypted keys are reported with a lower score.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pattern_set import PatternSet, escape

_HEADER = re.compile(
    r"-----BEGIN[ ]((?:[A-Z0-9]{1,12}[ ]){0,3})PRIVATE[ ]KEY(?:[ ]BLOCK)?-----"
    r"|PuTTY-User-Key-File-[23]:[ ]"
)
_FAKE_BODY = re.compile(r"\.\.\.|(?:\b[a-z]{2,}\b[ ]){3}")
_FAKE_HEADER = re.compile(r"FAKE|EXAMPLE|DUMMY|TEST")
# A JSON Web Key with a private member: "d" (RSA, EC, OKP) or "k" (symmetric).
_JWK_PRIVATE = re.compile(r"\"(?:d|k|p|q)\"\s{0,8}:\s{0,8}\"[A-Za-z0-9_\-]{16,}+\"")
_JWK_MAX = 4096
# Base64 of "-----BEGIN" and of '"kty"' at each of the three byte alignments.
_ENCODED_MARKERS = ("LS0tLS1CRUdJ", "0tLS0tQkVH", "tLS0tLUJF", "Imt0eS", "JrdHki", "ia3R5I")
# One run, or lines of one (``base64`` wraps at 76 columns, ``openssl base64`` at 64),
# broken by line breaks or their escapes ("\\n" in JSON or code).
_B64_RUN = re.compile(
    r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{16,200000}+"
    r"(?:(?:\r?\n|\\r?\\n)[A-Za-z0-9+/=]{4,200000}+){0,4000}+"
)
_LINE_BREAKS = re.compile(r"\r|\n|\\r|\\n")
_MAX_BLOCK = 20_000
_MIN_MATERIAL = 64
_DER_KEY = re.compile(
    r"MII(?<![A-Za-z0-9+/]MII)[A-Za-z0-9+/]{16,100}+(?:[ \t]{0,4}(?:\r?\n|\\n)[ \t]{0,40}"
    r"[A-Za-z0-9+/]{8,100}+){0,200}={0,2}"
)


_FOOTER = re.compile(r"-----END|Private-MAC:")
# One Hyperscan pass tells which forms are worth looking for (each marker reported once).
_MARKERS = {
    "PRIVATE": "armoured",
    "PuTTY": "armoured",
    "MII": "der",
    '"kty"': "jwk",
    **dict.fromkeys(_ENCODED_MARKERS, "encoded"),
}
_FORM_OF_MARKER = tuple(_MARKERS.values())
_MARKER_PATTERNS = tuple(escape(marker) for marker in _MARKERS)
_MARKER_SET = PatternSet(_MARKER_PATTERNS, single=[True] * len(_MARKERS))
_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{4,}")


def _footer_end(text: str, footers: list[int], start: int) -> int:
    """End of the first footer after ``start`` (within the block limit), or -1."""
    index = bisect.bisect_left(footers, start)
    if index == len(footers) or footers[index] > start + _MAX_BLOCK:
        return -1
    footer = footers[index]
    if text.startswith("-----END", footer):
        close = text.find("-----", footer + 8, min(len(text), footer + 80))
        return close + 5 if close != -1 else footer + 8
    line_end = text.find("\n", footer, footer + 200)
    return line_end if line_end != -1 else min(len(text), footer + 200)


def _material(body: str) -> int:
    """Base64 characters in the first part of a block (enough to tell a key from a stub)."""
    return sum(map(len, _MATERIAL.findall(body, 0, 2048)))


def _is_der_private_key(blob: str) -> bool:
    """DER private keys open with SEQUENCE, a long length and INTEGER version 0 or 1."""
    head = re.sub(r"[^A-Za-z0-9+/]", "", blob[:40])[:16]
    try:
        raw = base64.b64decode(head, validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw[:2] == b"\x30\x82" and raw[4:6] == b"\x02\x01" and raw[6:7] in (b"\x00", b"\x01")


class PrivateKeyDetector(Detector):
    """Private key blocks in any of the common armoured or base64 forms."""

    name = "secrets.private_key"
    option_specs = NO_OPTIONS
    kinds = (
        "jwk-private-key",
        "encoded-private-key",
        "pem-private-key",
        "openssh-private-key",
        "pgp-private-key",
        "putty-private-key",
        "der-private-key",
    )
    description = "PEM, OpenSSH, PGP and PuTTY private keys, and base64 DER private keys"
    triggers = _MARKER_PATTERNS

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        forms = {_FORM_OF_MARKER[pattern_id] for pattern_id, _ in _MARKER_SET.scan(text)}
        if not forms:
            return findings
        if "armoured" in forms:
            findings.extend(self._armoured(text, context))
        if "der" in forms:
            blocks = [(f.start, f.end) for f in findings]
            findings.extend(
                f
                for f in self._der(text, context)
                if not any(start <= f.start < end for start, end in blocks)
            )
        if "jwk" in forms:
            findings.extend(self._jwk(text, context))
        if "encoded" in forms:
            findings.extend(self._encoded(text, context))
        return findings

    def _jwk(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        position = text.find('"kty"')
        while position != -1:
            start = text.rfind("{", max(0, position - _JWK_MAX), position)
            end = text.find("}", position, position + _JWK_MAX)
            if start != -1 and end != -1 and _JWK_PRIVATE.search(text, start, end):
                findings.append(
                    self.finding(
                        context,
                        text,
                        start,
                        end + 1,
                        kind="jwk-private-key",
                        score=0.9,
                        explanation="JSON Web Key with a private member (d, p, q or k)",
                        sensitivity=Sensitivity.RESTRICTED,
                    )
                )
            position = text.find('"kty"', max(position + 5, end))
        return findings

    def _encoded(self, text: str, context: ScanContext) -> list[Finding]:
        """A base64 run that decodes to a PEM private key or a private JWK."""
        findings: list[Finding] = []
        for run in _B64_RUN.finditer(text):
            blob = run.group()
            if len(blob) < 100 or not any(marker in blob for marker in _ENCODED_MARKERS):
                continue
            if "\n" in blob or "\r" in blob:
                blob = _LINE_BREAKS.sub("", blob)
            try:
                decoded = base64.b64decode(_padded(blob))
            except (binascii.Error, ValueError):
                continue
            inner = decoded.decode("latin-1")
            if any(f.score >= 0.8 for f in self._armoured(inner, context)) or (
                '"kty"' in inner and self._jwk(inner, context)
            ):
                findings.append(
                    self.finding(
                        context,
                        text,
                        run.start(),
                        run.end(),
                        kind="encoded-private-key",
                        score=0.9,
                        explanation="base64 text that decodes to a private key",
                        sensitivity=Sensitivity.RESTRICTED,
                    )
                )
        return findings

    def _armoured(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        position = 0
        footers = [m.start() for m in _FOOTER.finditer(text)]
        headers = list(_HEADER.finditer(text))
        for number, header in enumerate(headers):
            if header.start() < position:
                continue
            end = _footer_end(text, footers, header.end())
            # The body stops at the footer, the next header, or 4 KB: enough to judge it.
            next_header = headers[number + 1].start() if number + 1 < len(headers) else len(text)
            body_end = min(end if end != -1 else len(text), header.end() + 4096, next_header)
            body = text[header.end() : body_end]
            if (
                _material(body) < _MIN_MATERIAL
                or _FAKE_HEADER.search(header.group())
                or _FAKE_BODY.search(body)
            ):
                continue
            kind, label = _kind(header.group(), header.group(1) or "")
            encrypted = "ENCRYPTED" in header.group() or "ENCRYPTED" in body[:200]
            score = 0.6 if encrypted else (0.99 if end != -1 else 0.8)
            state = "encrypted" if encrypted else "unencrypted"
            if end == -1:
                state += ", footer missing (truncated)"
                end = header.end()
            findings.append(
                self.finding(
                    context,
                    text,
                    header.start(),
                    end,
                    kind=kind,
                    score=score,
                    explanation=f"{label} private key block ({state})",
                    sensitivity=Sensitivity.CONFIDENTIAL if encrypted else Sensitivity.RESTRICTED,
                )
            )
            position = end
        return findings

    def _der(self, text: str, context: ScanContext) -> list[Finding]:
        return [
            self.finding(
                context,
                text,
                m.start(),
                m.end(),
                kind="der-private-key",
                score=0.9,
                explanation="base64 DER private key (ASN.1 header with a version field)",
                sensitivity=Sensitivity.RESTRICTED,
            )
            for m in _DER_KEY.finditer(text)
            if m.end() - m.start() >= 100 and _is_der_private_key(m.group())
        ]


def _padded(blob: str) -> str:
    core = blob.rstrip("=")
    core = core[: len(core) - len(core) % 4] if len(core) % 4 == 1 else core
    return core + "=" * (-len(core) % 4)


# Header words an explanation may repeat; any other word is matched text, which an
# explanation must never echo ("-----BEGIN HUNTER2 PRIVATE KEY-----").
_HEADER_WORDS = frozenset({"RSA", "EC", "DSA", "ENCRYPTED", "SSH2"})


def _kind(header: str, algorithm: str) -> tuple[str, str]:
    if header.startswith("PuTTY"):
        return "putty-private-key", "PuTTY"
    if "OPENSSH" in algorithm:
        return "openssh-private-key", "OpenSSH"
    if "PGP" in algorithm:
        return "pgp-private-key", "PGP"
    words = algorithm.split()
    if not words:
        return "pem-private-key", "PKCS#8 PEM"
    known = [word for word in words if word in _HEADER_WORDS]
    if len(known) != len(words):
        return "pem-private-key", "PEM"
    return "pem-private-key", " ".join(known) + " PEM"
