"""`ramparts policy test`: what a policy would do to sample prompts, without calling a model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ramparts.config import Settings
from ramparts.errors import ConfigError, ParseError
from ramparts.gateway.types import ChatRequest, Message, TextPart
from ramparts.policy.book import compile_policy
from ramparts.policy.decide import decide
from ramparts.policy.guard import apply_redactions, scan_units, text_units
from ramparts.policy.model import Policy
from ramparts.policy.redaction import MemoryVault

TRIAL_KEY = b"ramparts-policy-test"


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    prompt: str
    model: str | None = None


@dataclass(frozen=True, slots=True)
class TrialResult:
    sample: Sample
    model: str
    verdict: str
    rules: list[str]
    findings: list[str]
    message: str
    sent_text: str | None  # what would leave, placeholders in place; None when blocked

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.sample.id,
            "model": self.model,
            "verdict": self.verdict,
            "rules": self.rules,
            "findings": self.findings,
            "message": self.message,
            "sent_text": self.sent_text,
        }


def read_samples(path: Path) -> list[Sample]:
    """Prompts from a file: JSON lines with ``prompt`` (and optional ``id``, ``model``), or plain
    text with one prompt per line."""
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.lstrip().startswith("{"):
            try:
                data = orjson.loads(line)
                samples.append(
                    Sample(str(data.get("id", number)), str(data["prompt"]), data.get("model"))
                )
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise ParseError(f"{path}:{number}: expected a JSON object with 'prompt'") from None
        else:
            samples.append(Sample(str(number), line))
    return samples


def run_trial(
    policy: Policy, settings: Settings, samples: list[Sample], model: str | None
) -> list[TrialResult]:
    compiled = compile_policy(policy, "file", None, TRIAL_KEY)
    assert compiled.input_engine is not None
    results = []
    for sample in samples:
        name = sample.model or model or next(m.name for m in settings.models if not m.embeddings)
        target = settings.model(name)
        if target is None:
            known = ", ".join(m.name for m in settings.models)
            raise ConfigError(f"sample {sample.id} names unknown model '{name}' (known: {known})")
        request = ChatRequest(model=name, messages=[Message("user", [TextPart(sample.prompt)])])
        units = text_units(request)
        located = scan_units(compiled.input_engine, units)
        verdict = decide(located, policy, settings, target, None)
        sent: str | None = None
        if verdict.action != "block":
            apply_redactions(units, verdict.redactions, MemoryVault(60), f"trial:{sample.id}")
            sent = units[0].text
        results.append(
            TrialResult(
                sample=sample,
                model=verdict.reroute_to or name,
                verdict=verdict.action if verdict.outcomes else "allow",
                rules=sorted({o.rule_id or "" for o in verdict.outcomes} - {""}),
                findings=[f"{o.located.finding.detector}:{o.action}" for o in verdict.outcomes],
                message=verdict.message,
                sent_text=sent,
            )
        )
    return results
