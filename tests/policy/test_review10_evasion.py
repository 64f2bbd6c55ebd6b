"""Review 10: sensitive values written with escapes (percent-encoding, HTML entities,
``\\u``/``\\x`` escapes), look-alike letters of other scripts, a bracketed "at", a line
continuation or an underscore before an ID are redacted whole (or the message
blocked) by the built-in policy's input guard.

What the upstream model would read must hold no four-character piece of the value's
letters and digits as a reader takes them: escapes decoded, look-alikes read as
their ASCII twins, "[at]" and "[dot]" as "@" and "."."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest

from ramparts.policy.book import CompiledPolicy

from .test_review9_evasion import gate, leftover

# Cyrillic a, e, o, es, capital A; Greek capital omicron.
CA, CE, CO, CS, CCA, GO = "\u0430", "\u0435", "\u043e", "\u0441", "\u0410", "\u039f"

CASES = [
    ("percent-encoded @", "mail ", "alice.smith%40example.com", " please"),
    ("mailto, percent-encoded", "link mailto:", "alice.smith%40example.com", " ok"),
    ("percent-encoded dots and @", "mail ", "alice%2Esmith%40example%2Ecom", " ok"),
    ("HTML decimal entity", "mail ", "alice.smith&#64;example.com", " ok"),
    ("HTML hex entity and &period;", "mail ", "alice.smith&#x40;example&period;com", " ok"),
    ("HTML &commat;", "mail ", "alice.smith&commat;example.com", " ok"),
    ("JSON \\u0040", "mail ", "alice.smith\\u0040example.com", " ok"),
    ("Cyrillic letters in an e-mail", "mail ", f"{CA}lice.smith@ex{CA}mple.{CS}{CO}m", " ok"),
    ("Cyrillic A in an AWS key id", "key ", f"{CCA}KIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("Greek O in an AWS key id", "key ", f"AKIAZ7VRSKN4P{GO}J3QL5M", " ok"),
    ("\\u-escaped AWS key id", "key ", "\\u0041\\u004bIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("\\x-escaped AWS key id", "key ", "\\x41\\x4b\\x49\\x41Z7VRSKN4PXJ3QL5M", " ok"),
    ("percent-encoded AWS key id", "key ", "%41KIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("AWS key id split by a line continuation", "AWS_KEY=", "AKIAZ7VRSK\\\nN4PXJ3QL5M", "\n"),
    ("[at] [dot] e-mail", "write to ", "alice.smith [at] example [dot] com", " today"),
    ("(at) (.) e-mail", "write to ", "alice.smith(at)mail(.)co(.)uk", ", thanks"),
    ("{@} e-mail", "write to ", "alice.smith{@}example.org", "."),
    ("( AT ) and dot", "write to ", "alice.smith ( AT ) example dot com", " now"),
    ("DNI after an underscore", "file scan_dni_", "12345678Z", ".pdf"),
    ("tax id after an underscore", "tax_id_", "65929970489", " ok"),
]


_LOOKALIKES = str.maketrans({CA: "a", CE: "e", CO: "o", CS: "c", CCA: "A", GO: "O"})
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})")
_AT = re.compile(r"\s*[\[({]\s*(?:at|@)\s*[\])}]\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*[\[({]\s*(?:dot|\.)\s*[\])}]\s*|\s+dot\s+", re.IGNORECASE)


def _as_read(text: str) -> str:
    """Letters and digits as a reader (or a model) takes them, written independently
    of the detection view: escapes decoded, look-alikes folded, spelled-out "at"/"dot"
    read as punctuation, the rest dropped."""
    text = urllib.parse.unquote(html.unescape(text)).replace("\\\n", "")
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    text = _DOT.sub(".", _AT.sub("@", text.translate(_LOOKALIKES)))
    return "".join(c for c in text if c.isalnum())


@pytest.mark.parametrize(("label", "before", "value", "after"), CASES, ids=[c[0] for c in CASES])
def test_the_value_does_not_reach_the_model(
    builtin: CompiledPolicy, label: str, before: str, value: str, after: str
) -> None:
    action, sent = gate(builtin, before + value + after)
    assert action in ("redact", "block")
    assert leftover(value, sent, _as_read) is None, label


@pytest.mark.parametrize(
    "text",
    [
        "Please look (at) the results.  They are in [at] most two files.",
        "Oran (%70 Mekanik) and 50% of the rest",
        "Escape it as \\u00e9 or &amp; in HTML, or %2F in a URL",
    ],
)
def test_prose_with_brackets_and_escapes_passes(builtin: CompiledPolicy, text: str) -> None:
    assert gate(builtin, text) == ("pass", text)
