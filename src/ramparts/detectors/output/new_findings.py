"""Sensitive values an answer introduced: in the answer, not in the prompt.

Findings carry keyed fingerprints of their values, so the comparison needs no
raw text. Scan the prompt and the answer with the same fingerprint key (the
same tenant's :class:`~ramparts.detectors.base.ScanContext`), or nothing will match.
"""

from __future__ import annotations

from collections.abc import Iterable

from ramparts.detectors.base import Finding, Sensitivity


def new_sensitive_findings(
    prompt_findings: Iterable[Finding],
    answer_findings: Iterable[Finding],
    *,
    at_least: Sensitivity = Sensitivity.PUBLIC,
) -> list[Finding]:
    """Answer findings whose value (by fingerprint) was not already in the prompt.

    ``at_least`` drops answer findings below a sensitivity level, for callers
    that only care about, say, restricted values (secrets, card numbers).
    """
    seen = {finding.fingerprint for finding in prompt_findings}
    return [
        finding
        for finding in answer_findings
        if finding.fingerprint not in seen and finding.sensitivity >= at_least
    ]
