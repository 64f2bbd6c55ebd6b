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
from ramparts.detectors.scanning import Located, SourceResult, display_path, is_failure
from ramparts.detectors.scanning_files import STDIN, UTF8_WITH_CP1252

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {
    Sensitivity.PUBLIC: "note",
    Sensitivity.INTERNAL: "note",
    Sensitivity.CONFIDENTIAL: "warning",
    Sensitivity.RESTRICTED: "error",
}
# Encodings as ``scan`` reports them (Python codec names) -> IANA names, as SARIF wants.
_IANA = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    UTF8_WITH_CP1252: "UTF-8",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "utf-32-le": "UTF-32LE",
    "utf-32-be": "UTF-32BE",
    "cp1252": "windows-1252",
}


def artifact_uri(path: str) -> str:
    """A path as a SARIF artifact URI: ``file://`` when absolute, else percent-encoded.

    The path's bytes are encoded, so a name that is not UTF-8 survives exactly.
    """
    if os.path.isabs(path):
        return pathlib.Path(path).as_uri()
    return urllib.parse.quote(os.fsencode(path).replace(os.sep.encode(), b"/"))


def _location(result: SourceResult, index: int | None = None) -> dict[str, Any]:
    """Where a source is: its URI, or a description for stdin, which has none."""
    where: dict[str, Any] = (
        {"description": {"text": "standard input"}}
        if result.path == STDIN
        else {"uri": artifact_uri(result.path)}
    )
    return where if index is None else where | {"index": index}


def _artifact(result: SourceResult) -> dict[str, Any]:
    roles = ["analysisTarget", "standardStream"] if result.path == STDIN else ["analysisTarget"]
    artifact: dict[str, Any] = {"location": _location(result), "roles": roles}
    if result.encoding:
        artifact["encoding"] = _IANA.get(result.encoding, result.encoding)
        artifact["properties"] = {"decodedAs": result.encoding}
    return artifact


def _notification(result: SourceResult) -> dict[str, Any]:
    where = "standard input" if result.path == STDIN else display_path(result.path)
    return {
        # An error when it makes the run incomplete (executionSuccessful false).
        "level": "error" if is_failure(result.skipped) else "note",
        "message": {"text": f"{where}: skipped ({result.skipped})"},
    }


def _result(result: SourceResult, index: int | None, item: Located) -> dict[str, Any]:
    finding = item.finding
    return {
        "ruleId": finding.detector,
        "level": _LEVELS[finding.sensitivity],
        "message": {
            "text": f"{finding.kind} ({finding.sensitivity}, score "
            f"{finding.score:.2f}): {finding.explanation}"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _location(result, index),
                    "region": {"startLine": item.line, "startColumn": item.column},
                }
            }
        ],
        "partialFingerprints": {"rampartsValue/v1": finding.fingerprint},
    }


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
    # Every source that was read is an artifact, in scan order; results name theirs by index.
    read = [result for result in results if result.encoding is not None]
    index = {id(result): number for number, result in enumerate(read)}
    sarif_results = [
        _result(result, index.get(id(result)), item)
        for result in results
        for item in result.findings
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
                # Columns count code points of the decoded text (after any byte-order
                # mark), as Python strings do; SARIF's default is UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                "artifacts": [_artifact(result) for result in read],
                "results": sarif_results,
                "invocations": [
                    {
                        "executionSuccessful": not any(
                            is_failure(result.skipped) for result in results
                        ),
                        "toolExecutionNotifications": [
                            _notification(result) for result in results if result.skipped
                        ],
                    }
                ],
            }
        ],
    }
