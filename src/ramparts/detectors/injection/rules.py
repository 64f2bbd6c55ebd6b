"""Hand-written rules for the well-known attack phrasings.

Rules run on the normalised, lower-case view (see ``normalize``), so they also
catch full-width, look-alike, leetspeak and decoded variants. Each rule has a
kind and a strength: roughly the precision it showed on benign training text.
They are deliberately narrow: the trained model covers paraphrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat

from ramparts.detectors.injection.features import tokenize

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
DIRECT = frozenset({"user", "assistant", "system"})
_READ_VERB = r"(?:reading|processing|summari[sz]ing|parsing)"

# The branches of the chat_delimiters rule, each with a substring all its matches
# contain. No two branches can match at the same position (they start with
# different characters), so the rule's match is the leftmost of the branches'
# matches: searched apart, only the branches whose substring occurs run, and a
# markdown "##" no longer runs five alternatives at every position (~7x faster).
_CHAT_DELIMITERS: tuple[tuple[str, str], ...] = (
    ("<|", r"<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>"),
    ("inst]", r"\[/?inst\]"),
    ("sys>>", r"<</?sys>>"),
    ("##", r"^\s*#{2,}\s*system\s*(?:prompt|message)?\s*:?\s*$"),
    ("input", r"\bend (?:of )?(?:untrusted )?(?:user )?input\b"),
)


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
        "|".join(pattern for _, pattern in _CHAT_DELIMITERS),
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
    # The same note's most telling branch, in text sent directly: a user talks *to* the
    # assistant, so words for "the AI reading this" are a note planted in content the
    # user pasted (a code comment, a config value, a log line). Weaker than in a
    # document (flagged, not blocked alone): pasted agent guides (AGENTS.md) also
    # address their AI readers.
    _rule(
        "addresses_ai_reader",
        "indirect_injection",
        0.6,
        (
            rf"\b(?:if|when)\s+(?:you\s+are\s+)?(?:an?\s+)?{_ASSISTANT}s?\s+(?:is\s+|are\s+)?"
            rf"{_READ_VERB}\s+this\b|\b(?:to|for|dear|hey|attention)\s+(?:the\s+|any\s+|all\s+|an?\s+)?"
            rf"{_ASSISTANT}s?\s+{_READ_VERB}\s+this\b"
        ),
        DIRECT,
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


# Words (whole tokens of ``features.tokenize``) that every match of a rule must
# contain: one word from each group. Each rule's regex puts these words between
# word boundaries or whitespace, so a text without them cannot match, and the
# check is a few set look-ups on the token set the model needs anyway (an
# Aho-Corasick pass over the text cost ~20 us per KB). Tests check every rule
# against its own regex on the whole data set.
_PREV_WORDS = frozenset(_PREV[3:-1].split("|"))  # each between whitespace in the rules
_INSTR_WORDS = frozenset(
    {"instruction", "instructions", "prompt", "prompts", "direction", "directions", "rules",
     "command", "commands", "guidelines", "directive", "directives", "context", "programming",
     "restrictions", "constraints", "policies", "orders", "text"}
)  # fmt: skip
_WORDS: dict[str, tuple[frozenset[str], ...]] = {
    "ignore_previous": (
        frozenset({"ignore", "disregard", "forget", "skip", "override", "bypass", "overlook",
                   "neglect", "abandon", "drop"}),
        _PREV_WORDS,
        _INSTR_WORDS,
    ),
    "forget_everything": (frozenset({"forget", "ignore", "disregard"}),),
    "new_instructions": (
        frozenset({"new", "updated", "real", "actual", "revised"}),
        frozenset({"instruction", "instructions"}),
    ),
    "stop_following": (
        frozenset({"stop", "not", "t", "longer"}),
        frozenset({"following", "follow", "obey", "obeying"}),
        _INSTR_WORDS,
    ),
    "do_anything_now": (  # one word of each group in every branch ("do anything now", ...)
        frozenset({"anything", "mode", "jailbroken", "jailbreken", "avoid"}),
        frozenset({"now", "dan", "antidan", "developer", "dude", "stan", "jailbroken",
                   "jailbreken"}),
    ),
    "dan_persona": (frozenset({"dan"}),),
    "ignore_above_and_say": (frozenset({"ignore", "disregard", "forget"}),),  # + _SUBSTRINGS
    "no_restrictions": (
        frozenset({"without", "free", "no", "bound", "freed", "unbound", "outside"}),
        frozenset({"restrictions", "filters", "censorship", "limitations", "guidelines", "rules",
                   "policies", "constraints"}),
        frozenset({"ai", "assistant", "chatbot", "model", "you"}),
    ),
    "unfiltered_persona": (
        frozenset({"unfiltered", "uncensored", "amoral", "unrestricted", "unethical"}),
    ),
    "ignore_policy": (
        frozenset({"ignore", "bypass", "disregard", "violate", "break"}),
        frozenset({"openai", "anthropic", "content", "safety", "ethical", "usage"}),
    ),
    "stay_in_character": (frozenset({"stay", "remain"}), frozenset({"character"})),
    "reveal_system_prompt": (
        frozenset({"reveal", "print", "show", "repeat", "output", "display", "leak", "dump",
                   "recite", "tell", "give", "write", "list", "spell", "share", "disclose"}),
        _INSTR_WORDS | {"preprompt"},
        # What ends a match: "system prompt", "pre-prompt", "instructions", or an
        # instruction word after "hidden" or one of _PREV.
        _PREV_WORDS | {"prompt", "preprompt", "instructions", "hidden"},
    ),
    "repeat_above": (
        frozenset({"repeat", "print", "output", "echo", "copy", "summarise", "summarize",
                   "translate", "what"}),
        frozenset({"text", "words", "everything", "content", "lines", "instructions", "above",
                   "written", "said"}),
    ),
    "what_is_your_prompt": (
        frozenset({"what"}), frozenset({"your"}), frozenset({"prompt", "instructions"}),
    ),
    "chat_delimiters": (frozenset({"end"}), frozenset({"input"})),
    "note_to_assistant": (
        frozenset({"note", "message", "instruction", "instructions", "reading", "processing",
                   "summarising", "summarizing", "parsing"}),
    ),
    "addresses_ai_reader": (
        frozenset({"reading", "processing", "summarising", "summarizing", "parsing"}),
        frozenset({"if", "when", "to", "for", "dear", "hey", "attention"}),
        frozenset({"ai", "ais", "assistant", "assistants", "chatbot", "chatbots", "llm", "llms",
                   "model", "models", "agent", "agents", "bot", "bots", "gpt", "gpts",
                   "copilot", "copilots"}),
    ),
    "directs_the_answer": (
        frozenset({"response", "responses", "reply", "replies", "answer", "answers", "output",
                   "outputs", "summary", "summaries", "code"}),
    ),
}  # fmt: skip
# Words a rule's regex also accepts glued to the next word ("aboveandsay"), so they
# are looked for as substrings of the view, once the rule's whole words are there.
_SUBSTRINGS: dict[str, tuple[str, ...]] = {
    "ignore_above_and_say": ("above", "previous", "prior"),
    # The last words of repeat_above, which may start a longer word ("beforehand").
    "repeat_above": ("above", "before", "preceding", "prior", "so far"),
}
# Rules (or branches) made of punctuation: a literal substring instead, any one
# of which makes the rule a candidate (chat_delimiters also has a word branch).
# Each mark comes with one of its characters that is rare in prose: looking for
# one character is a memchr, much cheaper than a substring search.
_MARKS: tuple[tuple[str, str, str], ...] = (
    ("chat_delimiters", "<", "<|"),
    ("chat_delimiters", "]", "inst]"),
    ("chat_delimiters", ">", "sys>>"),
    ("chat_delimiters", "#", "##"),
    ("hidden_comment_instruction", "<", "<!--"),
)


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    kind: str
    strength: float
    start: int
    end: int


def _leads() -> dict[str, tuple[str, ...]]:
    """For each word of a rule's first group, the rules it may start."""
    leads: dict[str, list[str]] = {}
    for name, groups in _WORDS.items():
        for word in groups[0]:
            leads.setdefault(word, []).append(name)
    return {word: tuple(names) for word, names in leads.items()}


_LEADS = _leads()
_REQUIRED = frozenset().union(*(group for groups in _WORDS.values() for group in groups))


def candidate_rules(view: str, tokens: set[str] | None = None) -> set[str]:
    """Names of the rules whose required words (or marks) occur in ``view``.

    ``tokens`` is the set of tokens of ``view`` when the caller has it already.
    """
    if tokens is None:
        tokens = set(tokenize(view))
    found: set[str] = set()
    present = tokens.intersection(_REQUIRED)  # a handful of words in ordinary text
    if present:
        for name in set().union(*map(_LEADS.get, present, repeat(()))):
            for group in _WORDS[name][1:]:
                if group.isdisjoint(present):
                    break
            else:
                glued = _SUBSTRINGS.get(name)
                if glued is None or any(part in view for part in glued):
                    found.add(name)
    for name, rare, mark in _MARKS:
        if rare in view and mark in view:
            found.add(name)
    return found


def match_rules(view: str, origin: str = "user", tokens: set[str] | None = None) -> list[RuleHit]:
    """Every rule for ``origin`` that matches the lower-case view (first match per rule).

    ``tokens`` is the set of ``features.tokenize(view)`` when the caller has it already.
    """
    hits: list[RuleHit] = []
    candidates = candidate_rules(view, tokens)
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
        "reveal_system_prompt", "ignore_above_and_say",
    }
)  # fmt: skip
_UNANCHORED = {
    rule.name: re.compile(rule.pattern.pattern.removeprefix(r"\b"), rule.pattern.flags)
    for rule in RULES
    if rule.name in _FAST_START
}
_BRANCHES: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "chat_delimiters": tuple(
        (needle, re.compile(pattern, re.MULTILINE)) for needle, pattern in _CHAT_DELIMITERS
    ),
}


def _search(rule: Rule, view: str) -> re.Match[str] | None:
    """``rule.pattern.search(view)``, the fast way where that is measured faster."""
    branches = _BRANCHES.get(rule.name)
    if branches is not None:
        first: re.Match[str] | None = None
        for needle, branch in branches:
            found = branch.search(view) if needle in view else None
            if found and (first is None or found.start() < first.start()):
                first = found
        return first
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
