"""Email addresses.

Found by anchoring on each ``@`` and expanding a bounded distance either side,
so scanning stays linear even on megabyte-long tokens. Addresses written with a
bracketed "at" (``alice [at] example [dot] com``, ``bob(at)mail(.)org``,
``carol{@}x.io``) are found from the closing bracket of the "at"; a bare " at " or
" dot " alone is too common in prose to count (" dot " is taken after a bracketed
"at"). Their fingerprint is the plain address's.
"""

from __future__ import annotations

import re
import unicodedata

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity, new_finding
from ramparts.detectors.options import NO_OPTIONS

_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-'")
_MAX_LOCAL = 64
# Labels of letters and digits of any script (internationalised domains, RFC 6531) and
# hyphens; an ASCII top-level label. The address ends where no ASCII letter follows:
# "_" (markdown emphasis), a digit or a letter of another script is not part of it.
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.){{1,8}}[A-Za-z]{{2,24}}(?![A-Za-z])")


def _local_char(char: str) -> bool:
    """RFC 6531 local parts: ASCII atext, letters and digits of any script, and the
    combining marks that may follow them ("e" and a combining acute accent)."""
    return char in _LOCAL_CHARS or (
        not char.isascii() and (char.isalnum() or unicodedata.category(char)[0] == "M")
    )


class EmailDetector(Detector):
    name = "email"
    option_specs = NO_OPTIONS
    kinds = ("email",)
    description = "Email addresses (RFC 5322 common subset)."
    # A local-part character (letters and digits of any script: RFC 6531), "@" and the
    # domain's first character (any non-ASCII character stands for other scripts).
    # Or a bracketed "at" ("[at]", "( AT )", "{@}").
    triggers = (
        r"[\w.%+'\-]@(?:[A-Za-z0-9]|[^\x00-\x7f])",
        r"[\[({] ?(?:[aA][tT]|@) ?[\])}]",
    )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        at = text.find("@")
        while at != -1:
            start = at
            while start > 0 and at - start < _MAX_LOCAL and _local_char(text[start - 1]):
                start -= 1
            if start >= 2 and text[start - 1] == "\\" and text[start] in "nrt":
                start += 1  # a literal "\n" before the address is not part of it
            while start < at and text[start] in ".'":  # addresses do not start with a dot
                start += 1
            domain = _DOMAIN.match(text, at + 1)
            if start < at and domain:
                findings.append(
                    self.finding(
                        context,
                        text,
                        start,
                        domain.end(),
                        kind="email",
                        score=1.0,
                        explanation="local part, @ and a domain with a top-level label",
                        sensitivity=Sensitivity.CONFIDENTIAL,
                    )
                )
            at = text.find("@", (domain.end() if domain else at + 1))
        for close, gate in _AT_GATES:
            if close in text:
                for match in gate.finditer(text):
                    found = _bracketed(text, match.end())
                    if found is not None:
                        findings.append(self._bracketed_finding(context, *found))
        return findings

    def _bracketed_finding(
        self, context: ScanContext, start: int, end: int, address: str
    ) -> Finding:
        return new_finding(
            self.name,
            "email",
            start,
            end,
            0.95,
            'local part, a bracketed "at" and a domain with a top-level label',
            Sensitivity.CONFIDENTIAL,
            context.fingerprint(address),
        )


def _at_token_end(close: str) -> re.Pattern[str]:
    """Matches ``close`` where it ends an "at" token: "[at]", "( AT )", "{@}"... (at most
    one space either side). Led by the bracket, so the regex engine skips to brackets."""
    spaced = [f"{a}{word}{b}" for word in ("[aA][tT]", "@") for a in ("", " ") for b in ("", " ")]
    behind = "|".join(f"(?<=[\\[({{]{body}{re.escape(close)})" for body in spaced)
    return re.compile(f"{re.escape(close)}(?:{behind})")


_AT_GATES = tuple((close, _at_token_end(close)) for close in ")]}")
_AT_TOKEN = re.compile(r"[ \t]*[\[({][ \t]*(?:[aA][tT]|@)[ \t]*[\])}][ \t]*")
_ASCII_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+'-")
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SPELLED_DOT = re.compile(
    r"[ \t]*[\[({][ \t]*(?:[dD][oO][tT]|\.)[ \t]*[\])}][ \t]*|[ \t]+[dD][oO][tT][ \t]+|\."
)
_TOP_LABEL = re.compile(r"[A-Za-z]{2,24}")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _bracketed(text: str, closed: int) -> tuple[int, int, str] | None:
    """The span and plain form of the address whose "at" token's bracket closes just
    before ``closed``, if a local part is before it and a domain after it."""
    opened = max(text.rfind(bracket, max(0, closed - 6), closed) for bracket in "[({")
    local_end = opened
    while local_end > 0 and text[local_end - 1] in " \t":
        local_end -= 1
    token = _AT_TOKEN.match(text, local_end)
    if opened < 0 or token is None or token.end() < closed:
        return None
    start = local_end
    while start > 0 and local_end - start < _MAX_LOCAL and text[start - 1] in _ASCII_LOCAL:
        start -= 1
    while start < local_end and text[start] in ".'":
        start += 1
    label = _PLAIN_LABEL.match(text, token.end())
    if start == local_end or label is None:
        return None
    labels = [label.group()]
    end = 0
    found: list[str] = []
    for _ in range(8):
        dot = _SPELLED_DOT.match(text, label.end())
        label = _PLAIN_LABEL.match(text, dot.end()) if dot else None
        if label is None:
            break
        labels.append(label.group())
        if _TOP_LABEL.fullmatch(labels[-1]) and text[label.end() : label.end() + 1] not in _ALNUM:
            end, found = label.end(), labels.copy()  # a domain ends here; a longer may follow
    if not found:
        return None
    return start, end, f"{text[start:local_end]}@{'.'.join(found)}"
