"""Findings: each one sentence with its evidence, built from the aggregated usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ramparts.discovery.analysis.aggregate import DAY, Aggregate, Usage
from ramparts.discovery.catalog import Catalog


@dataclass(frozen=True)
class Thresholds:
    large_upload_bytes: int = 10 * 1024 * 1024
    many_services: int = 5
    new_window_days: int = 7


def human_bytes(value: int) -> str:
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover - loop always returns


def day_text(ts: float | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") if ts is not None else "unknown"


def build_findings(
    agg: Aggregate,
    services: dict[str, Usage],
    users: dict[str, dict[str, Usage]],
    catalog: Catalog,
    thresholds: Thresholds,
    known_services: set[str] | None,
) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    users_per_service: dict[str, int] = {}
    for per_service in users.values():
        for sid in per_service:
            users_per_service[sid] = users_per_service.get(sid, 0) + 1
    findings += _high_risk_unsanctioned(services, users_per_service, catalog)
    findings += _large_uploads(agg, catalog, thresholds)
    findings += _new_services(services, agg, catalog, thresholds, known_services)
    findings += _many_services(users, thresholds)
    order = {"high": 0, "medium": 1, "low": 2}
    findings.sort(
        key=lambda f: (order[f["severity"]], f["kind"], f["service_id"] or "", f["user"] or "")
    )
    return findings


def _high_risk_unsanctioned(
    services: dict[str, Usage], users_per_service: dict[str, int], catalog: Catalog
) -> list[dict[str, Any]]:
    out = []
    for sid, usage in services.items():
        entry = catalog.entries[sid]
        if entry.status != "unsanctioned" or entry.risk.level != "high":
            continue
        n_users = users_per_service.get(sid, 0)
        alt = f"; sanctioned alternative: {entry.alternative}" if entry.alternative else ""
        out.append(
            _finding(
                "high_risk_unsanctioned",
                "high",
                sid,
                None,
                f"{entry.service.name} is unsanctioned and high risk ({entry.risk.score}/100): "
                f"{n_users} user(s) made {usage.requests} request(s) between "
                f"{day_text(usage.first)} and {day_text(usage.last)}{alt}.",
                {
                    "risk_score": entry.risk.score,
                    "users": n_users,
                    "requests": usage.requests,
                    "first_seen": day_text(usage.first),
                    "last_seen": day_text(usage.last),
                    "alternative": entry.alternative,
                },
            )
        )
    return out


def _large_uploads(agg: Aggregate, catalog: Catalog, t: Thresholds) -> list[dict[str, Any]]:
    out = []
    for (sid, user), usage in agg.pairs.items():
        entry = catalog.entries[sid]
        if entry.status == "sanctioned" or usage.bytes_up < t.large_upload_bytes:
            continue
        severity = "high" if entry.status == "unsanctioned" else "medium"
        out.append(
            _finding(
                "large_upload",
                severity,
                sid,
                user,
                f"{user} uploaded {human_bytes(usage.bytes_up)} to {entry.service.name} "
                f"({entry.status}) in {usage.requests} request(s).",
                {"bytes_up": usage.bytes_up, "requests": usage.requests, "status": entry.status},
            )
        )
    return out


def _new_services(
    services: dict[str, Usage],
    agg: Aggregate,
    catalog: Catalog,
    t: Thresholds,
    known: set[str] | None,
) -> list[dict[str, Any]]:
    if agg.max_ts is None:
        return []
    window_start = agg.max_ts - t.new_window_days * DAY
    if known is None and (agg.min_ts is None or agg.min_ts > window_start):
        return []  # no history and less than a week of data: everything would look new
    out = []
    for sid, usage in services.items():
        entry = catalog.entries[sid]
        if entry.status == "sanctioned" or usage.first is None:
            continue
        is_new = sid not in known if known is not None else usage.first >= window_start
        if not is_new or usage.first < window_start:
            continue
        out.append(
            _finding(
                "new_service",
                "high" if entry.risk.level == "high" else "medium",
                sid,
                None,
                f"{entry.service.name} was first seen on {day_text(usage.first)}, within the "
                f"last {t.new_window_days} days, with {usage.requests} request(s).",
                {"first_seen": day_text(usage.first), "requests": usage.requests},
            )
        )
    return out


def _many_services(users: dict[str, dict[str, Usage]], t: Thresholds) -> list[dict[str, Any]]:
    out = []
    for user, per_service in users.items():
        if len(per_service) < t.many_services:
            continue
        names = sorted(per_service)
        out.append(
            _finding(
                "many_services",
                "medium",
                None,
                user,
                f"{user} used {len(names)} different AI services (threshold {t.many_services}).",
                {"services": names},
            )
        )
    return out


def _finding(
    kind: str,
    severity: str,
    service_id: str | None,
    user: str | None,
    message: str,
    evidence: dict[str, Any],
) -> dict[str, Any]:
    return {
        "kind": kind,
        "severity": severity,
        "service_id": service_id,
        "user": user,
        "message": message,
        "evidence": evidence,
    }
