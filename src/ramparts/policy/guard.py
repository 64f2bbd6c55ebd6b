"""Scanning what goes to the model and what comes back, and rewriting it.

The input side lists every piece of text the model will see with its origin
(system prompt, user, earlier assistant turns, tool results), scans each, and
can replace spans with placeholders. The output side checks answers for data
that was not in the prompt, exfiltration links, canary leaks and HTML, either
whole or as a stream with a bounded held-back window (``stream_context``, whose
names are re-exported here).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import replace as copy_with
from typing import Any

from ramparts.detectors.base import Finding
from ramparts.detectors.engine import Engine, family_of
from ramparts.detectors.registry import default_registry
from ramparts.gateway.types import (
    ChatRequest,
    DocumentPart,
    EmbeddingRequest,
    ImagePart,
    TextPart,
    ToolCall,
    ToolResult,
)
from ramparts.policy.decide import Located, Verdict, new_located
from ramparts.policy.fields import Gathered, Leaf, embedding_strings, request_strings
from ramparts.policy.model import Policy
from ramparts.policy.redaction import Vault, label_for
from ramparts.policy.scan_cache import Lookup, ScanCache

# The output side lives in ``stream_context``; re-exported for the modules that use it.
from ramparts.policy.stream_context import CHARS_PER_TOKEN as CHARS_PER_TOKEN
from ramparts.policy.stream_context import StreamOutputGuard as StreamOutputGuard
from ramparts.policy.stream_context import Violation as Violation
from ramparts.policy.stream_context import output_violations as output_violations
from ramparts.policy.tool_arguments import arguments_text


@dataclass(slots=True)
class Piece:
    """One of the parts a unit's text joins: where its text starts in the unit's text, the
    part, and the list that holds it (a part a redaction empties is dropped from it)."""

    start: int
    part: TextPart
    siblings: list[Any]


@dataclass(slots=True)
class TextUnit:
    """One piece of text the model will see, and how to put a rewritten version back."""

    origin: str
    text: str
    replace: Callable[[str], None]
    # Set for text gathered from a request's structures (tool definitions, fields, tool-call
    # arguments): the strings it joins, built on demand. Placeholders go into those strings
    # (see ``leaf_redactions``).
    leaves: Callable[[], list[Leaf]] | None = None
    # Set for text joined from several parts (see ``text_units``): placeholders go into
    # the parts (see ``apply_redactions``).
    pieces: list[Piece] | None = None


def _set_attr(obj: Any, name: str) -> Callable[[str], None]:
    def setter(value: str) -> None:
        setattr(obj, name, value)

    return setter


def text_units(request: ChatRequest) -> list[TextUnit]:
    """Every text the model will see, with its origin.

    Consecutive text parts of a message (or of a tool result) are one unit: the OpenAI
    renderer joins them with nothing between, and a value split over two parts
    (``"key AKIAZ7VR"``, ``"SQ4TLMXJ2P3Q"``) must be found whole. So are the text parts
    of consecutive messages of one role (empty messages between them included): the
    Anthropic renderer merges those into one turn of adjacent blocks. Images and
    documents end a run; tool calls and results between text parts do not (the OpenAI
    renderer joins the text around them too).
    """
    units: list[TextUnit | None] = [
        TextUnit("system", p.text, _set_attr(p, "text")) for p in request.system
    ]
    run: _Run | None = None
    for message in request.messages:
        if run is None or run.origin != message.role:
            if run is not None:
                run.end()
            run = _Run(units, message.role)
        for part in message.parts:
            if isinstance(part, DocumentPart):
                run.end()
                units.append(TextUnit("document", part.text, _set_attr(part, "text")))
            elif isinstance(part, TextPart):
                run.add(part, message.parts)
            elif isinstance(part, ToolCall):
                arguments = arguments_text(part)
                if arguments is not None:
                    units.append(TextUnit("assistant", arguments[0], _unwritable, arguments[1]))
            elif isinstance(part, ToolResult):
                _tool_result_units(units, part)
            elif isinstance(part, ImagePart):
                run.end()  # images are not scanned (no OCR); policy may restrict models instead
    if run is not None:
        run.end()
    # Last, so the opening turns still name the conversation (``conversation_scope``).
    units.extend(_gathered_unit(g) for g in request_strings(request))
    return [unit for unit in units if unit is not None]


class _Run:
    """Consecutive text parts, as one unit in the slot where the first one sits."""

    def __init__(self, units: list[TextUnit | None], origin: str) -> None:
        self._units = units
        self.origin = origin
        self._parts: list[tuple[TextPart, list[Any]]] = []  # each with the list holding it
        self._slot = 0

    def add(self, part: TextPart, siblings: list[Any]) -> None:
        if not self._parts:
            self._slot = len(self._units)
            self._units.append(None)
        self._parts.append((part, siblings))

    def end(self) -> None:
        parts, self._parts = self._parts, []
        if len(parts) == 1:
            part = parts[0][0]
            self._units[self._slot] = TextUnit(self.origin, part.text, _set_attr(part, "text"))
        elif parts:
            pieces, at = [], 0
            for part, siblings in parts:
                pieces.append(Piece(at, part, siblings))
                at += len(part.text)
            text = "".join(part.text for part, _ in parts)
            self._units[self._slot] = TextUnit(self.origin, text, _unwritable, pieces=pieces)


def _tool_result_units(units: list[TextUnit | None], result: ToolResult) -> None:
    run = _Run(units, "tool")
    for part in result.parts:
        if isinstance(part, DocumentPart):
            run.end()
            units.append(TextUnit("tool", part.text, _set_attr(part, "text")))
        elif isinstance(part, TextPart):
            run.add(part, result.parts)
        else:
            run.end()
    run.end()


def embedding_units(request: EmbeddingRequest) -> list[TextUnit]:
    return [_gathered_unit(g) for g in embedding_strings(request)]


def _gathered_unit(gathered: Gathered) -> TextUnit:
    return TextUnit(gathered.origin, gathered.text, _unwritable, gathered.leaves)


def _unwritable(text: str) -> None:
    raise RuntimeError("joined text is rewritten string by string or part by part")


def _leaf_of(leaves: list[Leaf], finding: Finding) -> int | None:
    """The index of the string that holds all of ``finding``, if one does.

    Leaves are in order and do not overlap: a binary search, since a request can hold
    thousands of them and of findings."""
    index = bisect.bisect_right(leaves, finding.start, key=_leaf_start) - 1
    if index >= 0 and finding.end <= leaves[index].end:
        return index
    return None


def _leaf_start(leaf: Leaf) -> int:
    return leaf.start


def place_of(unit: TextUnit, finding: Finding) -> str | None:
    """Where a finding in gathered text sits (``None`` for message text)."""
    if unit.leaves is None:
        return None
    leaves = unit.leaves()
    for leaf in leaves:
        if finding.start <= leaf.end:  # the first string it touches
            return leaf.place
    return leaves[-1].place


def _leaves_of(units: list[TextUnit], index: int, known: dict[int, list[Leaf]]) -> list[Leaf]:
    if index not in known:
        build = units[index].leaves
        assert build is not None
        known[index] = build()
    return known[index]


def unredactable(units: list[TextUnit], redactions: list[Located]) -> list[Located]:
    """Redactions no placeholder can cleanly stand in for: in a string that cannot be
    rewritten (a name, a key, a stop sequence, an embeddings input) or across two strings."""
    stuck = []
    known: dict[int, list[Leaf]] = {}
    for located in redactions:
        if units[located.unit].leaves is None:
            continue
        leaves = _leaves_of(units, located.unit, known)
        index = _leaf_of(leaves, located.finding)
        if index is None or leaves[index].replace is None:
            stuck.append(located)
    return stuck


def leaf_redactions(
    units: list[TextUnit], redactions: list[Located]
) -> tuple[list[TextUnit], list[Located]]:
    """``units`` and ``redactions`` for :func:`apply_redactions`, with each redaction in
    gathered text moved onto a unit of the one string it lies in (check
    :func:`unredactable` first), so the placeholder lands in that string of the request."""
    targets = list(units)
    made: dict[tuple[int, int], int] = {}
    known: dict[int, list[Leaf]] = {}
    moved = []
    for located in redactions:
        unit = units[located.unit]
        if unit.leaves is None:
            moved.append(located)
            continue
        leaves = _leaves_of(units, located.unit, known)
        index = _leaf_of(leaves, located.finding)
        assert index is not None
        leaf = leaves[index]
        assert leaf.replace is not None
        if (located.unit, index) not in made:
            made[located.unit, index] = len(targets)
            text = unit.text[leaf.start : leaf.end]
            targets.append(TextUnit(unit.origin, text, leaf.replace))
        finding = located.finding
        shifted = copy_with(finding, start=finding.start - leaf.start, end=finding.end - leaf.start)
        moved.append(new_located(shifted, located.origin, made[located.unit, index]))
    return targets, moved


# How ``decide`` names an origin in a block message ("found ... in the system prompt").
_ORIGIN_WORDS = {"user": "your message", "system": "the system prompt", "tool": "a tool result"}


def block_message(units: list[TextUnit], verdict: Verdict) -> str:
    """The verdict's block message, naming where in the request the finding sits when it
    is not in message text (a tool definition is not the system prompt)."""
    first = next((o for o in verdict.outcomes if o.enforced and o.action == "block"), None)
    if first is None:
        return verdict.message
    located = first.located
    place = place_of(units[located.unit], located.finding)
    if place is None:
        return verdict.message
    said = " in " + _ORIGIN_WORDS.get(located.origin, located.origin + " text")
    if said in verdict.message:
        return verdict.message.replace(said, f" in {place}", 1)
    return f"{verdict.message} (It is in {place}.)"


def refusal(
    units: list[TextUnit], verdict: Verdict, reroutable: bool = True
) -> tuple[str, list[str]] | None:
    """Why a verdict that would rewrite or reroute the request must block it instead, and
    the rules concerned: a placeholder cannot stand in for a value (see
    :func:`unredactable`), or the request cannot go to another model (embeddings)."""
    stuck = unredactable(units, verdict.redactions)
    if stuck:
        first = stuck[0]
        f = first.finding
        place = place_of(units[first.unit], f)
        ids = {id(located) for located in stuck}
        rules = [o.rule_id for o in verdict.outcomes if id(o.located) in ids and o.rule_id]
        more = f" (and {len(stuck) - 1} more)" if len(stuck) > 1 else ""
        return (
            f"Blocked: found {f.kind.replace('_', ' ')} ({f.detector}) in {place}{more},"
            " which this tenant's policy redacts, but a placeholder cannot stand in for it"
            f" there, so the request was not sent. Remove the value from {place}.",
            sorted(set(rules)),
        )
    if verdict.action == "reroute" and not reroutable:
        reasons = [o for o in verdict.outcomes if o.enforced and o.action == "reroute"]
        f = reasons[0].located.finding
        return (
            f"Blocked: found {f.kind.replace('_', ' ')} ({f.detector}), for which this"
            " tenant's policy sends requests to a more trusted model, and an embeddings"
            " request cannot change models. Remove the value.",
            sorted({o.rule_id for o in reasons if o.rule_id}),
        )
    return None


def scan_units(
    engine: Engine,
    units: list[TextUnit],
    cache: ScanCache | None = None,
    lookups: Sequence[Lookup] = (),
) -> list[Located]:
    """Every unit's findings; with ``lookups`` (one per unit, from ``cache``), hits are
    reused and what is scanned afresh is remembered."""
    found: list[Located] = []
    for index, unit in enumerate(units):
        lookup = lookups[index] if lookups else None
        findings: Sequence[Finding] | None = lookup.findings if lookup else None
        if findings is None:
            findings = engine.scan(unit.text, origin=unit.origin)
            if cache is not None and lookup is not None:
                cache.store(lookup.key, findings)
        if unit.leaves is not None and any(f.detector == _ENTROPY for f in findings):
            findings = _without_entropy_in_identifiers(findings, unit.leaves())
        origin = unit.origin
        found.extend([new_located(f, origin, index) for f in findings])
    return found


_ENTROPY = "secrets.high_entropy"


def _without_entropy_in_identifiers(
    findings: Sequence[Finding], leaves: list[Leaf]
) -> list[Finding]:
    """Random ids (``user``, ``metadata``) look like high-entropy secrets: there, only the
    named credential formats count."""
    kept = []
    for finding in findings:
        index = _leaf_of(leaves, finding) if finding.detector == _ENTROPY else None
        if index is None or not leaves[index].identifier:
            kept.append(finding)
    return kept


def _merged(findings: list[Finding]) -> list[tuple[int, int, Finding]]:
    """The spans to redact, in order: overlapping findings merged into their union (an
    e-mail inside a password: the whole password goes), each named by its most sensitive
    finding, the widest of those (the outermost): see ``_naming_rank``."""
    spans: list[tuple[int, int, Finding]] = []
    for finding in sorted(findings, key=_widest_first):
        if spans and finding.start < spans[-1][1]:
            start, end, named = spans[-1]
            named = max(named, finding, key=_naming_rank)
            spans[-1] = (start, max(end, finding.end), named)
        else:
            spans.append((finding.start, finding.end, finding))
    return spans


def _widest_first(finding: Finding) -> tuple[int, int]:
    return finding.start, -finding.end


def _naming_rank(finding: Finding) -> tuple[int, int, int, str]:
    """Most sensitive first, then the widest, the earliest, and by kind (deterministic)."""
    return finding.sensitivity, finding.end - finding.start, -finding.start, finding.kind


def apply_redactions(
    units: list[TextUnit],
    redactions: list[Located],
    vault: Vault,
    scope: str,
    sent: dict[str, str] | None = None,
) -> int:
    """Replace every redacted span with its placeholder; returns how many placeholders
    were put in (overlapping spans share one).

    ``sent``, when given, receives placeholder -> value for each placeholder put in the
    text: the only ones the answer to this request may have restored. Nothing is rewritten
    if the vault fails.
    """
    by_unit: dict[int, list[Finding]] = {}
    for located in redactions:
        by_unit.setdefault(located.unit, []).append(located.finding)
    # The vault numbers placeholders as it meets values, so they are asked for all at
    # once, each unit's from the last span back (the order of the span-by-span algorithm
    # this replaced, so numbering is unchanged).
    plans: list[tuple[TextUnit, list[tuple[int, int, Finding]]]] = []
    wanted: list[tuple[str, str]] = []
    for index, findings in by_unit.items():
        unit = units[index]
        spans = _merged(findings)
        wanted += [(unit.text[s:e], label_for(f.kind)) for s, e, f in reversed(spans)]
        plans.append((unit, spans))
    assigned = vault.placeholders_for(scope, wanted) if wanted else []
    if sent is not None:
        sent.update(zip(assigned, (value for value, _ in wanted), strict=True))
    at = 0
    for unit, spans in plans:
        tokens = assigned[at : at + len(spans)][::-1]
        at += len(spans)
        edits = [(s, e, token) for (s, e, _), token in zip(spans, tokens, strict=True)]
        if unit.pieces is None:
            text = _edited(unit.text, edits, 0, len(unit.text), [True] * len(edits))
            unit.replace(text)
            unit.text = text
        else:
            _rewrite_pieces(unit, edits)
    return len(wanted)


_Edit = tuple[int, int, str]  # a span to replace and its placeholder


def _edited(text: str, edits: list[_Edit], lo: int, hi: int, owns: list[bool]) -> str:
    """``text[lo:hi]`` with every edit's span cut out, and the token of each edit it owns
    put where that edit starts."""
    out = []
    at = lo
    for (start, end, token), owned in zip(edits, owns, strict=True):
        if not owned and (end <= lo or start >= hi):
            continue
        cut = max(start, lo)
        out.append(text[at:cut])
        if owned:
            out.append(token)
        at = max(at, min(end, hi))
    out.append(text[at:hi])
    return "".join(out)


def _rewrite_pieces(unit: TextUnit, edits: list[_Edit]) -> None:
    """Redact text joined from several parts: a placeholder goes into the part where its
    span starts, and the rest of the span is cut from the parts after it, so no piece of
    the value is left in any part. A part the cut leaves empty is dropped (Anthropic
    rejects empty text blocks); the part with the placeholder keeps the message whole."""
    pieces = unit.pieces
    assert pieces is not None
    starts = [piece.start for piece in pieces]
    owners = [bisect.bisect_right(starts, start) - 1 for start, _, _ in edits]
    bounds = [*starts[1:], len(unit.text)]
    kept, at = [], 0
    for index, piece in enumerate(pieces):
        lo, hi = piece.start, bounds[index]
        text = _edited(unit.text, edits, lo, hi, [owner == index for owner in owners])
        if not text and hi > lo:
            piece.siblings[:] = [p for p in piece.siblings if p is not piece.part]
            continue
        piece.part.text = text
        kept.append(Piece(at, piece.part, piece.siblings))
        at += len(text)
    unit.text = "".join(piece.part.text for piece in kept)
    unit.pieces = kept


def output_engine_config(policy: Policy) -> dict[str, Any]:
    settings = policy.guards.output
    section = dict(policy.detectors)
    detectors = dict(section.get("detectors") or {})
    detectors["prompt_injection"] = False
    if not settings.block_new_personal_data:
        # Only credentials and the output detectors can stop an answer: skip the rest.
        registry = default_registry()
        for name in registry.names():
            if family_of(registry.get(name)) in ("pii", "business"):
                detectors[name] = False
    detectors["output.exfil_link"] = {"allowed_domains": list(settings.allowed_domains)}
    detectors["output.canary_leak"] = (
        {"canaries": list(settings.canaries)} if settings.canaries else False
    )
    detectors["output.html_injection"] = settings.block_html
    section["detectors"] = detectors
    return section
