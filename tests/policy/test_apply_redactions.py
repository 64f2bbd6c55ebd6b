"""Redaction asks the vault for all of a request's placeholders at once, with the same result
as asking span by span from the end of each text; overlapping spans are redacted as their
union (no piece of an enclosing value is left)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.policy.decide import Located
from ramparts.policy.guard import TextUnit, apply_redactions
from ramparts.policy.redaction import MemoryVault, label_for

KINDS = ("email", "phone", "payment_card")


def unions(findings: list[Finding]) -> list[tuple[int, int, Finding]]:
    """Overlapping spans merged until none overlap, each named by its most sensitive
    finding (the widest of those): the reference for the sort-and-sweep in the guard."""
    groups = [(f.start, f.end, [f]) for f in findings]
    merged = True
    while merged:
        merged = False
        for i, j in itertools.combinations(range(len(groups)), 2):
            (s1, e1, f1), (s2, e2, f2) = groups[i], groups[j]
            if max(s1, s2) < min(e1, e2):
                groups[i] = (min(s1, s2), max(e1, e2), f1 + f2)
                del groups[j]
                merged = True
                break
    named = [
        (s, e, max(fs, key=lambda f: (f.sensitivity, f.end - f.start, -f.start, f.kind)))
        for s, e, fs in groups
    ]
    return sorted(named, key=lambda g: g[0])


def one_at_a_time(
    texts: list[str], redactions: list[Located], vault: MemoryVault, scope: str
) -> tuple[list[str], int]:
    """The span-by-span algorithm over the merged spans, from the last one back."""
    out = list(texts)
    by_unit: dict[int, list[Finding]] = {}
    for located in redactions:
        by_unit.setdefault(located.unit, []).append(located.finding)
    changed = 0
    for index, findings in by_unit.items():
        text = out[index]
        for start, end, finding in reversed(unions(findings)):
            value = text[start:end]
            token = vault.placeholder(scope, value, label_for(finding.kind))
            text = text[:start] + token + text[end:]
            changed += 1
        out[index] = text
    return out, changed


def setter(texts: list[str], index: int) -> Callable[[str], None]:
    def put(value: str) -> None:
        texts[index] = value

    return put


def test_batched_redaction_matches_span_by_span() -> None:
    rng = random.Random(7)
    for _ in range(300):
        texts = ["".join(rng.choice("ab c") for _ in range(rng.randint(0, 40))) for _ in range(3)]
        redactions = []
        for _ in range(rng.randint(1, 8)):
            unit = rng.randrange(3)
            size = len(texts[unit])
            start = rng.randint(0, size)
            if size == 0:
                continue  # detectors never report empty spans
            start = min(start, size - 1)
            end = rng.randint(start + 1, min(size, start + 6))
            kind = rng.choice(KINDS)
            sensitivity = rng.choice((Sensitivity.CONFIDENTIAL, Sensitivity.RESTRICTED))
            finding = Finding(kind, kind, start, end, 0.9, "t", sensitivity, "f")
            redactions.append(Located(finding, "user", unit))
        expected_vault, vault = MemoryVault(60), MemoryVault(60)
        expected, expected_count = one_at_a_time(texts, redactions, expected_vault, "t:c")
        seen: list[str] = list(texts)
        units = [TextUnit("user", text, setter(seen, i)) for i, text in enumerate(texts)]
        count = apply_redactions(units, redactions, vault, "t:c")
        assert count == expected_count
        assert [u.text for u in units] == expected
        assert seen == expected
        assert dict(vault.mapping("t:c")) == dict(expected_vault.mapping("t:c"))


def test_sent_lists_only_this_requests_placeholders() -> None:
    vault = MemoryVault(60)
    # Another user of the same conversation scope was given [EMAIL_1] earlier.
    assert vault.placeholder("t:shared", "alice@example.com", "EMAIL") == "[EMAIL_1]"
    text = "cc bob@example.com and bob@example.com"
    email = Finding("email", "email", 3, 18, 0.9, "t", Sensitivity.CONFIDENTIAL, "f")
    again = Finding("email", "email", 23, 38, 0.9, "t", Sensitivity.CONFIDENTIAL, "f")
    units = [TextUnit("user", text, lambda _: None)]
    sent: dict[str, str] = {}
    located = [Located(email, "user", 0), Located(again, "user", 0)]
    assert apply_redactions(units, located, vault, "t:shared", sent) == 2
    assert units[0].text == "cc [EMAIL_2] and [EMAIL_2]"
    assert sent == {"[EMAIL_2]": "bob@example.com"}
