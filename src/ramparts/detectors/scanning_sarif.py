"""SARIF 2.1.0 output for ``ramparts scan``, so CI systems can annotate findings."""

from __future__ import annotations

import os
import pathlib
import urllib.parse
from collections.abc import Iterable
from typing import Any

from ramparts import __version__
from ramparts.detectors.base import Sensitivity
from ramparts.detectors.registry import Registry
from ramparts.detectors.scanning import BINARY_FILE, SourceResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {
    Sensitivity.PUBLIC: "note",
    Sensitivity.INTERNAL: "note",
    Sensitivity.CONFIDENTIAL: "warning",
    Sensitivity.RESTRICTED: "error",
}


def artifact_uri(path: str) -> str:
    """A path as a SARIF artifact URI: ``file://`` when absolute, else percent-encoded."""
    if os.path.isabs(path):
        return pathlib.Path(path).as_uri()
    return urllib.parse.quote(path.replace(os.sep, "/"))


def to_sarif(results: Iterable[SourceResult], registry: Registry) -> dict[str, Any]:
    results = list(results)
    used = sorted({item.finding.detector for result in results for item in result.findings})
    rules = [
        {
            "id": name,
            "shortDescription": {
                "text": registry.get(name).description or name if name in registry else name
            },
        }
        for name in used
    ]
    sarif_results = [
        {
            "ruleId": item.finding.detector,
            "level": _LEVELS[item.finding.sensitivity],
            "message": {
                "text": f"{item.finding.kind} ({item.finding.sensitivity}, score "
                f"{item.finding.score:.2f}): {item.finding.explanation}"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(result.path)},
                        "region": {"startLine": item.line, "startColumn": item.column},
                    }
                }
            ],
            "partialFingerprints": {"rampartsValue/v1": item.finding.fingerprint},
        }
        for result in results
        for item in result.findings
    ]
    notifications = [
        {"level": "note", "message": {"text": f"{result.path}: skipped ({result.skipped})"}}
        for result in results
        if result.skipped
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ramparts",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                # Columns count code points, as Python strings do (SARIF's default is UTF-16).
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
                "invocations": [
                    {
                        "executionSuccessful": all(
                            result.skipped in (None, BINARY_FILE) for result in results
                        ),
                        "toolExecutionNotifications": notifications,
                    }
                ],
            }
        ],
    }
