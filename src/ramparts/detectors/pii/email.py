"""Email addresses.

Found by anchoring on each ``@`` and expanding a bounded distance either side,
so scanning stays linear even on megabyte-long tokens.
"""

from __future__ import annotations

import re
import unicodedata

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
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
    triggers = (r"[\w.%+'\-]@(?:[A-Za-z0-9]|[^\x00-\x7f])",)

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
        return findings
