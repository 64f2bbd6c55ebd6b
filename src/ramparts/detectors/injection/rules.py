"""Hand-written rules for the well-known attack phrasings.

Rules run on the normalised, lower-case view (see ``normalize``), so they also
catch full-width, look-alike, leetspeak and decoded variants. Each rule has a
kind and a strength: roughly the precision it showed on benign training text.
They are deliberately narrow: the trained model covers paraphrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

_PREV = (
    r"(?:previous|prior|above|preceding|earlier|initial|original|old|foregoing|"
    r"system|developer|safety)"
)
_ALL = r"(?:(?:all|any|every|each|the|your|my|these|those|of|that)\s+){0,3}"
_INSTR = (
    r"(?:instructions?|prompts?|directions?|rules|commands?|guidelines|directives?|"
    r"context|programming|restrictions|constraints|policies|orders|text)"
)
_ASSISTANT = r"(?:ai|assistant|chatbot|llm|language model|model|agent|bot|gpt|copilot)"


INDIRECT = frozenset({"tool", "document"})


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str
    strength: float
    pattern: re.Pattern[str]
    origins: frozenset[str] | None = None  # None: text of any origin


def _rule(
    name: str, kind: str, strength: float, pattern: str, origins: frozenset[str] | None = None
) -> Rule:
    return Rule(name, kind, strength, re.compile(pattern, re.MULTILINE), origins)


RULES: tuple[Rule, ...] = (
    _rule(
        "ignore_previous",
        "instruction_override",
        0.95,
        (
            rf"\b(?:ignore|disregard|forget|skip|override|bypass|overlook|neglect|abandon|"
            rf"drop)\s+{_ALL}(?:{_PREV}\s+){_ALL}{_INSTR}\b"
        ),
    ),
    _rule(
        "forget_everything",
        "instruction_override",
        0.9,
        (
            r"\b(?:forget|ignore|disregard)\s+(?:everything|all)\s+(?:(?:that\s+)?(?:you\s+(?:were|"
            r"have been)\s+told|above|before|previously|so far|you know))"
        ),
    ),
    _rule(
        "new_instructions",
        "instruction_override",
        0.8,
        r"(?:^|\n|\.\s)\s*(?:new|updated|real|actual|revised)\s+(?:system\s+)?instructions?\s*:",
    ),
    _rule(
        "stop_following",
        "instruction_override",
        0.85,
        (
            rf"\b(?:stop|do not|don't|no longer)\s+(?:following|follow|obey|"
            rf"obeying)\s+{_ALL}(?:{_PREV}\s+)?{_INSTR}\b"
        ),
    ),
    _rule(
        "do_anything_now",
        "jailbreak",
        0.95,
        (
            r"\bdo anything now\b|\b(?:anti-?)?dan mode\b|\bdeveloper mode (?:enabled|output)\b|"
            r"\bjailbr(?:o|e)ken\b|\bdude mode\b|\bstan\b.{0,40}\bstrive to avoid norms"
        ),
    ),
    _rule(
        "dan_persona",
        "jailbreak",
        0.85,
        r"\b(?:you are|you're|act as|become)\s+(?:now\s+)?(?:a\s+|the\s+)?dan\b(?!['\u2019]s)",
    ),
    # The classic short override, "...ignore the above and say X": the model alone
    # cannot flag a text this short, and "ignore the above" by itself is too common.
    _rule(
        "ignore_above_and_say",
        "instruction_override",
        0.75,
        (
            r"\b(?:ignore|disregard|forget)\s+(?:all\s+(?:of\s+)?|everything\s+)?(?:the\s+|that\s+)?"
            r"(?:above|previous|prior)\s*(?:and|,|\.|;)\s*(?:instead\s+|just\s+|only\s+)?"
            r"(?:say|print|output|write|respond|reply|tell|repeat)\b"
        ),
    ),
    _rule(
        "no_restrictions",
        "jailbreak",
        0.85,
        (
            r"\b(?:without|free (?:of|from)|no|not bound by|freed from|unbound by|"
            r"outside)\s+(?:any\s+|all\s+)?(?:ethical\s+|moral\s+|content\s+|safety\s+)?(?:restrictions|"
            r"filters|censorship|limitations|guidelines|rules|policies|constraints)\b.{0,80}\b(?:ai|"
            r"assistant|chatbot|model|you)\b"
        ),
    ),
    _rule(
        "unfiltered_persona",
        "jailbreak",
        0.85,
        (
            r"\b(?:unfiltered|uncensored|amoral|unrestricted|unethical)\s+(?:and\s+\w+\s+)?(?:ai|"
            r"assistant|chatbot|model|persona|version|character)\b"
        ),
    ),
    _rule(
        "ignore_policy",
        "jailbreak",
        0.9,
        (
            r"\b(?:ignore|bypass|disregard|violate|break)\s+(?:all\s+)?(?:of\s+)?(?:openai|anthropic"
            r"|content|safety|ethical|usage)(?:'s)?\s+(?:content\s+)?(?:polic(?:y|ies)|guidelines|"
            r"filters|rules)"
        ),
    ),
    _rule(
        "stay_in_character",
        "jailbreak",
        0.7,
        r"\b(?:stay|remain)\s+in\s+character\b.{0,120}\b(?:no matter|never|always|even if|refuse)",
    ),
    _rule(
        "reveal_system_prompt",
        "system_prompt_extraction",
        0.9,
        (
            rf"\b(?:reveal|print|show|repeat|output|display|leak|dump|recite|tell me|give me|"
            rf"write out|list|spell out|share|disclose)\s+(?:me\s+)?(?:\w+\s+){{0,2}}(?:your|the|"
            rf"its)\s+(?:full\s+|entire\s+|complete\s+|initial\s+|original\s+|hidden\s+|secret\s+|"
            rf"exact\s+|system\s+)*(?:system\s+prompt|pre-?prompt|initial\s+prompt|hidden\s+{_INSTR}|"
            rf"instructions|{_PREV}\s+{_INSTR})\b"
        ),
    ),
    _rule(
        "repeat_above",
        "system_prompt_extraction",
        0.85,
        (
            r"\b(?:repeat|print|output|echo|copy|summari[sz]e|translate)\s+(?:back\s+)?(?:all\s+|"
            r"everything\s+|the\s+)?(?:text|words|everything|content|lines|instructions|"
            r"above)\s+(?:above|before|preceding|prior|so far)|\bwhat (?:is|was) (?:written|said|"
            r"the text) (?:above|before (?:this|my))"
        ),
    ),
    _rule(
        "what_is_your_prompt",
        "system_prompt_extraction",
        0.8,
        (
            r"\bwhat (?:is|are|were) your (?:system\s+prompt|initial\s+prompt|"
            r"original\s+instructions|instructions|hidden\s+instructions)\b"
        ),
    ),
    _rule(
        "chat_delimiters",
        "indirect_injection",
        0.9,
        (
            r"<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[/?inst\]|<</?sys>>|"
            r"^\s*#{2,}\s*system\s*(?:prompt|message)?\s*:?\s*$|"
            r"\bend (?:of )?(?:untrusted )?(?:user )?input\b"
        ),
    ),
    _rule(
        "note_to_assistant",
        "indirect_injection",
        0.85,
        (
            rf"\b(?:(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+|"
            rf"all\s+)?{_ASSISTANT}s?|(?:if|"
            rf"when)\s+(?:you\s+are\s+)?(?:an?\s+)?{_ASSISTANT}s?\s+(?:is\s+|are\s+)?(?:reading|"
            rf"processing|summari[sz]ing|parsing)|when\s+summari[sz]ing\s+this|"
            rf"{_ASSISTANT}s?\s+(?:reading|processing|summari[sz]ing)\s+this)\b"
        ),
        # A user writing "instructions for the AI:" is simply instructing it
        # (8 of 9 such prompts in the data were benign prompt templates).
        INDIRECT,
    ),
    _rule(
        "hidden_comment_instruction",
        "indirect_injection",
        0.8,
        (
            r"<!--[^>]{0,300}\b(?:ignore|instruction|assistant|ai\b|summar|respond|reply|visit|send|"
            r"important)[^>]{0,300}-->"
        ),
    ),
    # In a user prompt "in your answer" is normal; inside a retrieved document or
    # a tool result, text that tells the assistant how to answer is an injection.
    _rule(
        "directs_the_answer",
        "indirect_injection",
        0.75,
        (
            r"\b(?:in|to|into|throughout|within)\s+(?:your|all|each|"
            r"every)\s+(?:future\s+)?(?:responses?|repl(?:y|ies)|answers?|outputs?|summary|"
            r"summaries)\b|\b(?:begin|start|end|conclude|prefix|finish)\s+(?:your|the|each|"
            r"every)\s+(?:responses?|repl(?:y|ies)|answers?|summary)\b|\byour\s+(?:responses?|"
            r"repl(?:y|ies)|answers?|code)\s+(?:should|must|will)\b"
        ),
        INDIRECT,
    ),
)


# Literal substrings, one of which every match of the rule must contain (spaces
# are matched against a whitespace-collapsed copy), so that one Aho-Corasick
# pass skips most regexes on most text.
_NEEDLES: dict[str, tuple[str, ...]] = {
    "ignore_previous": (
        "ignore", "disregard", "forget", "skip", "override", "bypass", "overlook", "neglect",
        "abandon", "drop",
    ),
    "forget_everything": ("forget", "ignore", "disregard"),
    "new_instructions": tuple(
        f"{adjective} {system}instruction"
        for adjective in ("new", "updated", "real", "actual", "revised")
        for system in ("", "system ")
    ),
    "stop_following": (
        "stop follow", "not follow", "t follow", "longer follow", "not obey", "t obey", "stop obey",
    ),
    "do_anything_now": (
        "do anything now", "dan mode", "developer mode", "jailbr", "dude mode", "avoid norms",
    ),
    "dan_persona": tuple(
        f"{verb} {now}{article}dan"
        for verb in ("you are", "you're", "act as", "become")
        for now in ("", "now ")
        for article in ("", "a ", "the ")
    ),
    "ignore_above_and_say": ("ignore", "disregard", "forget"),
    "no_restrictions": ("without", "free", "no ", "not bound", "unbound", "outside"),
    "unfiltered_persona": ("unfiltered", "uncensored", "amoral", "unrestricted", "unethical"),
    "ignore_policy": ("openai", "anthropic", "content", "safety", "ethical", "usage"),
    "stay_in_character": ("stay in", "remain in"),
    "reveal_system_prompt": (
        "prompt", "instruction", "hidden", "previous", "prior", "above", "preceding", "earlier",
        "initial", "original", "foregoing", "system", "developer", "safety",
    ),
    "repeat_above": ("above", "before", "preceding", "prior", "so far"),
    "what_is_your_prompt": ("what is your", "what are your", "what were your"),
    "chat_delimiters": (
        "<|", "inst]", "sys>>", "##", "end input", "end of input", "end untrusted",
        "end of untrusted", "end user input", "end of user input",
    ),
    "note_to_assistant": (
        "note to", "note for", "message to", "message for", "instruction to", "instructions to",
        "instruction for", "instructions for", "reading", "processing", "summari", "parsing",
    ),
    "hidden_comment_instruction": ("<!--",),
    "directs_the_answer": ("respons", "repl", "answer", "output", "summar", "code"),
}  # fmt: skip


# Rules with two independent literal parts: a rule is a candidate only when a
# needle from _NEEDLES and one from here both occur (broad target words such
# as "prompt" or "above" alone made these regexes run on most long prompts).
_ALSO_NEEDED: dict[str, tuple[str, ...]] = {
    "no_restrictions": (
        "restriction", "filter", "censorship", "limitation", "guideline", "rule", "polic",
        "constraint",
    ),
    "reveal_system_prompt": (
        "reveal", "print", "show", "repeat", "output", "display", "leak", "dump", "recite",
        "tell me", "give me", "write out", "list", "spell out", "share", "disclose",
    ),
    "repeat_above": (
        "repeat", "print", "output", "echo", "copy", "summari", "translate", "what is",
        "what was",
    ),
    "ignore_above_and_say": ("above", "previous", "prior"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    kind: str
    strength: float
    start: int
    end: int


def _needle_automaton() -> ahocorasick.Automaton:
    """One Aho-Corasick pass finds every rule whose needles occur in the text."""
    owners: dict[str, set[str]] = {}
    for name, needles in _NEEDLES.items():
        for needle in needles:
            owners.setdefault(needle, set()).add(name)
    for name, needles in _ALSO_NEEDED.items():
        for needle in needles:
            owners.setdefault(needle, set()).add(_mark(name))
    automaton = ahocorasick.Automaton()
    for needle, names in owners.items():
        automaton.add_word(needle, frozenset(names))
    automaton.make_automaton()
    return automaton


def _mark(name: str) -> str:
    return f"{name}:also"


_AUTOMATON = _needle_automaton()


def candidate_rules(view: str) -> set[str]:
    """Names of the rules whose literal needles occur in ``view``."""
    found: set[str] = set()
    for _, names in _AUTOMATON.iter(" ".join(view.split())):
        found.update(names)
    for name in _ALSO_NEEDED:
        if name in found and _mark(name) not in found:
            found.discard(name)
    return found


def match_rules(view: str, origin: str = "user") -> list[RuleHit]:
    """Every rule for ``origin`` that matches the lower-case view (first match per rule)."""
    hits: list[RuleHit] = []
    candidates = candidate_rules(view)
    if not candidates:
        return hits
    for rule in RULES:
        if rule.name not in candidates:
            continue
        if rule.origins is not None and origin not in rule.origins:
            continue
        match = _search(rule, view)
        if match:
            hits.append(RuleHit(rule.name, rule.kind, rule.strength, match.start(), match.end()))
    return hits


# Rules whose pattern is "\b(?:verb|verb...)...": re scans much faster without the
# leading \b (it can then skip to the verbs' first letters), so the word
# boundary is checked by hand. Measured per rule; others got slower.
_FAST_START = frozenset(
    {
        "ignore_previous", "forget_everything", "stop_following", "no_restrictions",
        "unfiltered_persona", "ignore_policy", "stay_in_character", "what_is_your_prompt",
        "reveal_system_prompt",
    }
)  # fmt: skip
_UNANCHORED = {
    rule.name: re.compile(rule.pattern.pattern.removeprefix(r"\b"), rule.pattern.flags)
    for rule in RULES
    if rule.name in _FAST_START
}


def _search(rule: Rule, view: str) -> re.Match[str] | None:
    """``rule.pattern.search(view)``, the fast way where that is measured faster."""
    fast = _UNANCHORED.get(rule.name)
    if fast is None:
        return rule.pattern.search(view)
    pos = 0
    while (match := fast.search(view, pos)) is not None:
        start = match.start()
        if start == 0 or not (view[start - 1].isalnum() or view[start - 1] == "_"):
            return match
        pos = start + 1
    return None
