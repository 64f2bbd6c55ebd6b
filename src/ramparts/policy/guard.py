"""Scanning what goes to the model and what comes back, and rewriting it.

The input side lists every piece of text the model will see with its origin
(system prompt, user, earlier assistant turns, tool results), scans each, and
can replace spans with placeholders. The output side checks answers for data
that was not in the prompt, exfiltration links, canary leaks and HTML, either
whole or as a stream with a bounded held-back window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import replace as copy_with
from typing import Any

from ramparts.detectors.base import Finding, Sensitivity, new_finding
from ramparts.detectors.engine import Engine, family_of
from ramparts.detectors.output import new_sensitive_findings
from ramparts.detectors.output.labels import LABEL_REACH
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
from ramparts.policy.decide import SENSITIVITY_NAMES, Located, Verdict, new_located
from ramparts.policy.fields import Gathered, Leaf, embedding_strings, request_strings
from ramparts.policy.model import OutputGuardSettings, Policy
from ramparts.policy.redaction import Vault, label_for
from ramparts.policy.scan_cache import Lookup, ScanCache
from ramparts.policy.stream_context import (
    MAX_CONSTRUCT,
    MAX_REFERENCE_PREFIX,
    MAX_REFERENCES,
    ReferenceMemory,
    StyleElements,
    open_construct,
)

CHARS_PER_TOKEN = 4


@dataclass(slots=True)
class TextUnit:
    """One piece of text the model will see, and how to put a rewritten version back."""

    origin: str
    text: str
    replace: Callable[[str], None]
    # Set for text gathered from a request's structures (tool definitions, fields): the
    # strings it joins, built on demand. Placeholders go into those strings (see
    # ``leaf_redactions``).
    leaves: Callable[[], list[Leaf]] | None = None


def _set_attr(obj: Any, name: str) -> Callable[[str], None]:
    def setter(value: str) -> None:
        setattr(obj, name, value)

    return setter


def text_units(request: ChatRequest) -> list[TextUnit]:
    units = [TextUnit("system", p.text, _set_attr(p, "text")) for p in request.system]
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, DocumentPart):
                units.append(TextUnit("document", part.text, _set_attr(part, "text")))
            elif isinstance(part, TextPart):
                units.append(TextUnit(message.role, part.text, _set_attr(part, "text")))
            elif isinstance(part, ToolCall):
                units.append(TextUnit("assistant", part.arguments, _set_attr(part, "arguments")))
            elif isinstance(part, ToolResult):
                units.extend(
                    TextUnit("tool", p.text, _set_attr(p, "text"))
                    for p in part.parts
                    if isinstance(p, TextPart)
                )
            elif isinstance(part, ImagePart):
                continue  # images are not scanned (no OCR); policy may restrict models instead
    # Last, so the opening turns still name the conversation (``conversation_scope``).
    units.extend(_gathered_unit(g) for g in request_strings(request))
    return units


def embedding_units(request: EmbeddingRequest) -> list[TextUnit]:
    return [_gathered_unit(g) for g in embedding_strings(request)]


def _gathered_unit(gathered: Gathered) -> TextUnit:
    return TextUnit(gathered.origin, gathered.text, _whole_text_unwritable, gathered.leaves)


def _whole_text_unwritable(text: str) -> None:
    raise RuntimeError("gathered text is rewritten string by string: use leaf_redactions")


def _leaf_of(leaves: list[Leaf], finding: Finding) -> int | None:
    """The index of the string that holds all of ``finding``, if one does."""
    for index, leaf in enumerate(leaves):
        if leaf.start <= finding.start and finding.end <= leaf.end:
            return index
    return None


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


def _start(finding: Finding) -> int:
    return finding.start


def apply_redactions(
    units: list[TextUnit],
    redactions: list[Located],
    vault: Vault,
    scope: str,
    sent: dict[str, str] | None = None,
) -> int:
    """Replace every redacted span with its placeholder; returns how many spans changed.

    ``sent``, when given, receives placeholder -> value for each placeholder put in the
    text: the only ones the answer to this request may have restored. Nothing is rewritten
    if the vault fails.
    """
    by_unit: dict[int, list[Finding]] = {}
    for located in redactions:
        by_unit.setdefault(located.unit, []).append(located.finding)
    # Each unit's spans from the last one back (a span overlapping one already taken stays
    # as it is), and their values in that order: the vault numbers placeholders as it meets
    # values, so they are asked for all at once, in the order one at a time would have.
    plans: list[tuple[TextUnit, list[Finding]]] = []
    wanted: list[tuple[str, str]] = []
    for index, findings in by_unit.items():
        unit = units[index]
        text = unit.text
        last_start = len(text) + 1
        taken = []
        for finding in sorted(findings, key=_start, reverse=True):
            if finding.end > last_start:
                continue  # overlaps a span already replaced
            taken.append(finding)
            wanted.append((text[finding.start : finding.end], label_for(finding.kind)))
            last_start = finding.start
        plans.append((unit, taken))
    assigned = vault.placeholders_for(scope, wanted) if wanted else []
    if sent is not None:
        sent.update(zip(assigned, (value for value, _ in wanted), strict=True))
    tokens = iter(assigned)
    for unit, taken in plans:
        text = unit.text
        pieces = []  # the new text, back to front
        end = len(text)
        for finding in taken:
            pieces.append(text[finding.end : end])
            pieces.append(next(tokens))
            end = finding.start
        pieces.append(text[:end])
        text = "".join(reversed(pieces))
        unit.replace(text)
        unit.text = text
    return len(wanted)


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


@dataclass(frozen=True, slots=True)
class Violation:
    finding: Finding
    reason: str

    def audit(self) -> dict[str, Any]:
        f = self.finding
        return {
            "detector": f.detector,
            "kind": f.kind,
            "score": round(f.score, 4),
            "sensitivity": SENSITIVITY_NAMES[f.sensitivity],
            "fingerprint": f.fingerprint,
            "reason": self.reason,
        }


def output_violations(
    findings: list[Finding], prompt_findings: list[Finding], settings: OutputGuardSettings
) -> list[Violation]:
    """Which answer findings the output guard must stop."""
    found: list[Violation] = []
    if not findings:
        return found
    fresh = {id(f) for f in new_sensitive_findings(prompt_findings, findings)}
    for finding in findings:
        name = finding.detector
        if name == "output.exfil_link" and settings.block_exfiltration:
            found.append(Violation(finding, "a link or image to a domain not on the allowlist"))
        elif name == "output.canary_leak" and settings.block_canary_leaks:
            found.append(Violation(finding, "a canary token from the system prompt"))
        elif name == "output.html_injection" and settings.block_html:
            found.append(Violation(finding, "HTML or script in the answer"))
        elif id(finding) in fresh:
            if name.startswith("secrets.") and settings.block_new_secrets:
                found.append(Violation(finding, "a credential that was not in the prompt"))
            elif (
                not name.startswith(("secrets.", "output."))
                and settings.block_new_personal_data
                and finding.sensitivity >= Sensitivity.CONFIDENTIAL
            ):
                found.append(Violation(finding, "sensitive data that was not in the prompt"))
    return found


# How far back a streamed rescan must reach. A match that ends in new text but begins
# before the rescan's start would be missed, so each rescan starts at the earliest
# construct still open (``stream_context.open_construct``: its text so far is a prefix
# of something the output detectors match), and at least ``_CONTEXT_FLOOR`` chars back
# for the short patterns (credentials, javascript: URLs).
_CONTEXT_FLOOR = 256


def _too_many_references(at: int) -> Violation:
    finding = new_finding(
        "output.exfil_link",
        "reference-overflow",
        at,
        at,
        1.0,
        f"more than {MAX_REFERENCES} link references (or {MAX_REFERENCE_PREFIX} characters"
        " of them) in one streamed answer: too many to pair with their uses safely",
        Sensitivity.CONFIDENTIAL,
        "",
    )
    return Violation(finding, "too many link references in a streamed answer to check")


class StreamOutputGuard:
    """Scans a streamed answer, holding back text until it is checked.

    ``feed`` returns the text that is now safe to release; once a violation is
    found, nothing more is released. The hold is the last ``window`` chars plus
    any markdown image/link, HTML tag, style attribute or CSS token still open at the
    release point, so at most ``max(window, MAX_CONSTRUCT)`` chars. Every rescan starts
    at the earliest open construct (and at least ``max(window, _CONTEXT_FLOOR)`` back,
    more for long canaries, ``LABEL_REACH`` before a markdown destination), with earlier
    references and an open ``<style>`` element put in front, so any chunking of an
    answer gets the verdict the whole answer gets from the same detectors, except that
    markup inside a fenced code block opened before the rescan's start scores as if
    outside one (stricter).
    """

    def __init__(
        self,
        engine: Engine,
        settings: OutputGuardSettings,
        prompt_findings: list[Finding],
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._prompt = prompt_findings
        self._window = settings.window_tokens * CHARS_PER_TOKEN
        longest_canary = max((len(c) for c in settings.canaries), default=0)
        # Spelled-out canaries put up to 3 separators between characters.
        self._context = max(self._window, _CONTEXT_FLOOR, 4 * longest_canary + 8)
        self._text = ""
        self._released = 0
        self._scanned_to = 0
        self._next_start = 0  # where the next rescan starts
        self._open_at: int | None = None  # earliest construct still open at _open_to
        self._open_to = 0
        self._references = ReferenceMemory()
        self._styles = StyleElements()
        self.violations: list[Violation] = []

    def _track_open(self, end: int) -> None:
        # A construct open now was open at the last check too (a prefix of a prefix),
        # so the search only needs to go back to the last open one, or the last check.
        lo = self._open_to if self._open_at is None else self._open_at
        lo = max(lo - 1, end - MAX_CONSTRUCT, 0)  # - 1: a "!" before a "["
        self._styles.advance(self._text)
        self._open_at = open_construct(self._text, lo, end, self._styles.inside(end))
        self._open_to = end

    def _scan_tail(self, end: int) -> None:
        """Scan up to ``end``, which is no later than any construct still open there
        (``_track_open(end)`` ran): a half-streamed URL must not be judged by its
        partial host."""
        start = self._next_start
        destination = self._text.find("](", start, end)
        if destination >= 0:
            # Whether a destination is an image's is read from the LABEL_REACH (+ 2)
            # chars before it: give it the same view as the whole answer.
            start = max(0, min(start, destination - LABEL_REACH - 2))
        text = self._text[start:end]
        self._styles.advance(self._text)
        prefix = self._references.prefix(text)
        if self._styles.inside(start):
            prefix += "<style>"  # the rescan starts inside a <style> element
        findings = self._engine.scan(prefix + text, origin="assistant")
        self.violations = output_violations(findings, self._prompt, self._settings)
        if self._references.overflow and self._settings.block_exfiltration:
            self.violations.append(_too_many_references(end))
        self._scanned_to = end
        floor = max(0, end - self._context)
        self._next_start = floor if self._open_at is None else min(floor, self._open_at)

    def feed(self, chunk: str) -> str:
        if self.violations:
            return ""
        self._text += chunk
        end = len(self._text)
        if end - self._released <= self._window:
            return ""
        self._track_open(end)
        release_to = end - self._window
        if self._open_at is not None:
            release_to = min(release_to, self._open_at)
        if release_to <= self._released:
            # Nothing could be released: the scan waits (it covers all since the last).
            return ""
        self._scan_tail(end if self._open_at is None else self._open_at)
        if self.violations:
            return ""
        out = self._text[self._released : release_to]
        self._released = release_to
        return out

    def release_all(self) -> str:
        """Everything held back, unchecked (for a guard that failed open)."""
        out = self._text[self._released :]
        self._released = len(self._text)
        return out

    def finish(self) -> str:
        if self.violations:
            return ""
        if self._scanned_to < len(self._text) or not self._text:
            self._open_at = None  # the answer is complete: judge everything
            self._scan_tail(len(self._text))
        if self.violations:
            return ""
        out = self._text[self._released :]
        self._released = len(self._text)
        return out
