"""What changed between two policies: a line diff and a summary a reviewer can read."""

from __future__ import annotations

import difflib
from typing import Any

from ramparts.policy.model import Policy, parse_policy


def _rules(policy: Policy) -> dict[str, dict[str, Any]]:
    return {rule.id: rule.model_dump(exclude_none=True) for rule in policy.rules}


def summarize(old: Policy, new: Policy) -> list[str]:
    """One line per meaningful change: rules added, removed or changed, mode, tiers, guards."""
    lines: list[str] = []
    if old.mode != new.mode:
        lines.append(f"mode: {old.mode} -> {new.mode}")
    if old.over_tier_action != new.over_tier_action:
        lines.append(f"over_tier_action: {old.over_tier_action} -> {new.over_tier_action}")
    before, after = _rules(old), _rules(new)
    for rule_id in after.keys() - before.keys():
        lines.append(f"rule added: {rule_id} ({after[rule_id]['action']})")
    for rule_id in before.keys() - after.keys():
        lines.append(f"rule removed: {rule_id} ({before[rule_id]['action']})")
    for rule_id in sorted(before.keys() & after.keys()):
        if before[rule_id] != after[rule_id]:
            changed = sorted(
                k
                for k in before[rule_id].keys() | after[rule_id].keys()
                if before[rule_id].get(k) != after[rule_id].get(k)
            )
            lines.append(f"rule changed: {rule_id} ({', '.join(changed)})")
    if [r.id for r in old.rules if r.id in after] != [r.id for r in new.rules if r.id in before]:
        lines.append("rule order changed (the first matching rule decides)")
    for model in sorted(old.trust.keys() | new.trust.keys()):
        if old.trust.get(model) != new.trust.get(model):
            lines.append(
                f"trust {model}: {old.trust.get(model, '-')} -> {new.trust.get(model, '-')}"
            )
    if old.guards != new.guards:
        lines.append("guards changed")
    if old.detectors != new.detectors:
        lines.append("detector settings changed")
    if old.teams != new.teams:
        lines.append("team overrides changed")
    return sorted(lines, key=lambda line: (not line.startswith("mode"), line))


def diff_texts(
    old_text: str, new_text: str, old_label: str, new_label: str
) -> tuple[str, list[str]]:
    """A unified diff and the summary; both texts must be valid policies."""
    old = parse_policy(old_text, old_label)
    new = parse_policy(new_text, new_label)
    unified = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )
    return unified, summarize(old, new)
