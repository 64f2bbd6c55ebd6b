"""Sigma rules for the catalog, so discovery can run inside a SIEM.

One rule per service and log source: ``proxy`` (``cs-host`` / ``c-uri``) and ``dns``
(``query``). Dual-use hosts appear only in proxy rules, and only with their AI path;
DNS cannot see paths, so a DNS rule never fires on ``bing.com`` alone.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

from ramparts.discovery.catalog import Catalog, CatalogEntry

_NAMESPACE = uuid.UUID("8a0f7c0e-5d1e-4f51-9a57-3c1d2b6f0d11")  # fixed: rule ids stay stable
LOGSOURCES = {"proxy": ("cs-host", "c-uri"), "dns": ("query", None)}


def _host_selections(entry: CatalogEntry, field: str) -> dict[str, Any]:
    exact: list[str] = []
    suffix: list[str] = []
    regex: list[str] = []
    for _kind, pattern in entry.service.domains.all():
        if pattern.startswith("regexp:"):
            regex.append(pattern[len("regexp:") :])
        elif pattern.startswith("full:"):
            exact.append(pattern[len("full:") :])
        else:
            exact.append(pattern)
            suffix.append("." + pattern)
    selections: dict[str, Any] = {}
    if exact:
        selections["selection_host"] = {field: sorted(exact)}
    if suffix:
        selections["selection_subdomain"] = {f"{field}|endswith": sorted(suffix)}
    for i, pattern in enumerate(regex):
        selections[f"selection_regex_{i}"] = {f"{field}|re": pattern}
    return selections


def rule_for(entry: CatalogEntry, logsource: str) -> dict[str, Any] | None:
    """The Sigma rule for one service and log source, or None if it has nothing to match."""
    host_field, uri_field = LOGSOURCES[logsource]
    service = entry.service
    detection = _host_selections(entry, host_field)
    if uri_field:
        for i, shared in enumerate(service.shared):
            detection[f"selection_shared_{i}"] = {
                host_field: [shared.host, f"www.{shared.host}"],
                f"{uri_field}|contains": list(shared.paths),
            }
    if not detection:
        return None
    detection["condition"] = "1 of selection_*"
    level = {"high": "high", "medium": "medium", "low": "low"}[entry.risk.level]
    return {
        "title": f"Generative AI service access: {service.name}",
        "id": str(uuid.uuid5(_NAMESPACE, f"{service.id}/{logsource}")),
        "status": "experimental",
        "description": (
            f"Access to {service.name} ({service.vendor}, {service.category}), "
            f"risk {entry.risk.score}/100 in the Ramparts catalog; tenant status: {entry.status}."
        ),
        "author": "Ramparts AI service catalog",
        "date": entry.service.reviewed.isoformat(),
        "tags": ["attack.exfiltration", "attack.t1567"],
        "logsource": {"category": logsource},
        "detection": detection,
        "fields": ["c-ip", "cs-username", host_field]
        if logsource == "proxy"
        else ["src_ip", host_field],
        "falsepositives": [f"Sanctioned use of {service.name}"],
        "level": level,
    }


def export_rules(
    catalog: Catalog,
    out_dir: Path,
    *,
    statuses: set[str] | None = None,
    logsources: tuple[str, ...] = ("proxy", "dns"),
) -> list[Path]:
    """Write ``<out_dir>/<logsource>/<service>.yml``; returns the files written."""
    written: list[Path] = []
    for entry in sorted(catalog.entries.values(), key=lambda e: e.service.id):
        if statuses is not None and entry.status not in statuses:
            continue
        for logsource in logsources:
            rule = rule_for(entry, logsource)
            if rule is None:
                continue
            target = out_dir / logsource / f"{entry.service.id}.yml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                yaml.safe_dump(rule, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
            written.append(target)
    return written
