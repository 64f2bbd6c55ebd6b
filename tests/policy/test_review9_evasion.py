"""Review 9: sensitive values written with look-alike or invisible characters, or next
to markdown underscores, are redacted whole by the built-in policy's input guard.

Each message goes through the guard's steps in process (scan, decide, refuse or
redact); what the upstream model would read must hold no four-character piece of
the value's letters and digits (read as a person reads them: invisible characters
dropped, other scripts' digits as ASCII)."""

from __future__ import annotations

import base64
import random
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from ramparts.config import load_settings
from ramparts.gateway.openai_format import parse_chat_request
from ramparts.policy.book import CompiledPolicy
from ramparts.policy.decide import decide
from ramparts.policy.guard import (
    apply_redactions,
    leaf_redactions,
    refusal,
    scan_units,
    text_units,
)
from ramparts.policy.redaction import MemoryVault

SETTINGS = load_settings(environ={})
ZWSP, SHY, WJ, NBSP, NNBSP = "\u200b", "\u00ad", "\u2060", "\u00a0", "\u202f"

# (label, before, value, after): the reviewer's headline cases, and a few more.
CASES = [
    ("ZWSP in email", "mail ", f"john.smith@{ZWSP}example.com", " please"),
    ("soft hyphen in card", "card ", f"4111 1111 11{SHY}11 1111", " thanks"),
    ("word joiner in SSN", "my SSN is ", f"123-45-{WJ}6789", ""),
    ("ZWSP in IBAN", "IBAN ", f"GB82 WEST 1234 5698{ZWSP} 7654 32", ""),
    ("card with NBSP groups", "card ", NBSP.join(["4111", "1111", "1111", "1111"]), ""),
    ("card fr-FR narrow NBSP", "carte ", NNBSP.join(["4111", "1111", "1111", "1111"]), ""),
    (
        "IBAN with NBSP groups",
        "IBAN ",
        NBSP.join(["GB82", "WEST", "1234", "5698", "7654", "32"]),
        "",
    ),
    (
        "full-width card",
        "カード ",
        "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
        "",
    ),
    (
        "Arabic-Indic SSN",
        "my SSN is ",
        "\u0661\u0662\u0663-\u0664\u0665-\u0666\u0667\u0668\u0669",
        "",
    ),
    ("SSN with en dashes", "my SSN is ", "123\u201345\u20136789", ""),
    ("markdown _italic_ email", "reach me at _", "john.smith@example.com", "_ today"),
    ("markdown _italic_ card", "card _", "4111 1111 1111 1111", "_ ok"),
    ("phone, en dash in last gap", "call ", "(415) 555\u20132671", " tonight"),
    ("NFD e-mail", "mail ", "jose\u0301.smith@example.com", " ok"),
    ("soft hyphen in e-mail local part", "mail ", f"john.sm{SHY}ith@example.com", " ok"),
    ("e-mail before an underscore", "mail ", "john.smith@example.co.uk", "_ ok"),
    ("card with dots", "card ", "4111.1111.1111.1111", " thanks"),
    ("card with slashes", "card ", "4111/1111/1111/1111", " thanks"),
    ("SSN with dots", "my SSN is ", "123.45.6789", " ok"),
    ("SSN with slashes", "my SSN is ", "123/45/6789", " ok"),
    ("IBAN with dashes", "pay to IBAN ", "GB82-WEST-1234-5698-7654-32", " today"),
]


def gate(compiled: CompiledPolicy, text: str) -> tuple[str, str]:
    """(action, what the upstream model reads) for one user message."""
    assert compiled.input_engine is not None and compiled.policy is not None
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": text}]}
    request = parse_chat_request(body)
    units = text_units(request)
    located = scan_units(compiled.input_engine, units)
    verdict = decide(located, compiled.policy, SETTINGS, SETTINGS.models[0], None, compiled.rules)
    if verdict.action == "block" or refusal(units, verdict) is not None:
        return "block", ""
    if not verdict.redactions:
        return "pass", text
    targets, redactions = leaf_redactions(units, verdict.redactions)
    apply_redactions(targets, redactions, MemoryVault(60), "t:c")
    parts = [p.text for m in request.messages for p in m.parts if hasattr(p, "text")]
    return "redact", "".join(parts)


def _as_read(text: str) -> str:
    """Letters and digits as a reader takes them: compatibility forms folded, other
    scripts' digits as ASCII, everything else (spaces, dashes, invisibles) gone."""
    folded = unicodedata.normalize("NFKC", text)
    digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in folded)
    return "".join(c for c in digits if c.isalnum())


def leftover(value: str, sent: str, as_read: Callable[[str], str] = _as_read) -> str | None:
    """The first four-character piece of ``value`` still readable in ``sent``."""
    wanted, seen = as_read(value), as_read(sent)
    for start in range(len(wanted) - 3):
        if wanted[start : start + 4] in seen:
            return wanted[start : start + 4]
    return None


@pytest.mark.parametrize(("label", "before", "value", "after"), CASES, ids=[c[0] for c in CASES])
def test_the_value_does_not_reach_the_model(
    builtin: CompiledPolicy, label: str, before: str, value: str, after: str
) -> None:
    action, sent = gate(builtin, before + value + after)
    assert action in ("redact", "block")
    assert leftover(value, sent) is None, label


def test_plain_values_are_redacted_as_before(builtin: CompiledPolicy) -> None:
    action, sent = gate(builtin, "mail john.smith@example.com, card 4111 1111 1111 1111")
    assert (action, sent) == ("redact", "mail [EMAIL_1], card [PAYMENT_CARD_1]")


def _pem() -> str:
    rng = random.Random(9)
    body = base64.b64encode(b"\x30\x82\x02\x5c" + bytes(rng.randrange(256) for _ in range(600)))
    lines = [body[i : i + 64].decode() for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *lines, "-----END RSA PRIVATE KEY-----"])


@pytest.mark.parametrize("width", [64, 76])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\\n"])
def test_a_private_key_base64_encoded_with_line_wrapping_is_blocked(
    builtin: CompiledPolicy, width: int, newline: str
) -> None:
    encoded = base64.b64encode(_pem().encode()).decode()
    wrapped = newline.join(encoded[i : i + width] for i in range(0, len(encoded), width))
    assert gate(builtin, f"decode this:\n{wrapped}\nthanks")[0] == "block"
