"""Turn an :class:`Aggregate` into the report document (a JSON-ready dict, stable order)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ramparts.discovery.analysis.aggregate import DAY, Aggregate, Usage
from ramparts.discovery.analysis.coverage import build_coverage
from ramparts.discovery.analysis.findings import Thresholds, build_findings
from ramparts.discovery.catalog import Catalog
from ramparts.discovery.parsers import SourceStats

SCHEMA = "ramparts.discovery.report/v1"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_exact(ts: float | None, *, end: bool = False) -> str | None:
    """``ts`` to the microsecond (whole seconds print as such). With ``end`` the result is
    never earlier than ``ts``, otherwise never later: the window holds every record, and
    ``--since last`` (which starts after the stored end) never counts a record twice."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, UTC)  # nearest microsecond
    exact = moment.timestamp()
    if end and exact < ts:
        moment += timedelta(microseconds=1)
    elif not end and exact > ts:
        moment -= timedelta(microseconds=1)
    return moment.isoformat(timespec="auto").replace("+00:00", "Z")


def _usage_fields(u: Usage) -> dict[str, Any]:
    return {
        "requests": u.requests,
        "active_days": len(u.days),
        "first_seen": iso(u.first),
        "last_seen": iso(u.last),
        "bytes_up": u.bytes_up,
        "bytes_down": u.bytes_down,
        "upload_unknown_requests": u.up_unknown,
    }


def build_report(
    agg: Aggregate,
    catalog: Catalog,
    sources: list[SourceStats],
    *,
    generated_at: datetime,
    since: float | None = None,
    thresholds: Thresholds | None = None,
    known_services: set[str] | None = None,
) -> dict[str, Any]:
    thresholds = thresholds or Thresholds()
    services: dict[str, Usage] = {}
    users: dict[str, dict[str, Usage]] = {}
    for (sid, user), usage in agg.pairs.items():
        services.setdefault(sid, Usage()).merge(usage)
        users.setdefault(user, {})[sid] = usage
    return {
        "schema": SCHEMA,
        "generated_at": generated_at.astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "tenant": catalog.tenant,
        "catalog": {"services": len(catalog), "reviewed": catalog.reviewed.isoformat()},
        "window": {
            "first": iso_exact(agg.min_ts),
            "last": iso_exact(agg.max_ts, end=True),
            "since": iso_exact(since),
        },
        "totals": _totals(agg, sources, services, users),
        "sources": [_source(s) for s in sources],
        "services": _services(agg, catalog, services),
        "users": _users(agg, users),
        "departments": _departments(agg, users),
        "weak_evidence": _weak(agg, catalog),
        "timeline": _timeline(services),
        "findings": build_findings(agg, services, users, catalog, thresholds, known_services),
        "coverage": build_coverage(agg, services, generated_at.timestamp()),
    }


def _totals(
    agg: Aggregate,
    sources: list[SourceStats],
    services: dict[str, Usage],
    users: dict[str, dict[str, Usage]],
) -> dict[str, int]:
    return {
        "lines": sum(s.stats.lines for s in sources),
        "records": agg.records,
        "broken_lines": sum(s.stats.broken for s in sources),
        "skipped_before_since": agg.skipped_before_since,
        "ai_requests": sum(u.requests for u in services.values()),
        "services": len(services),
        "users": len(users),
        "bytes_up": sum(u.bytes_up for u in services.values()),
        "bytes_down": sum(u.bytes_down for u in services.values()),
        "weak_requests": sum(u.requests for u in agg.weak.values()),
    }


def _path_text(path: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (kept by Python as lone
    surrogates, which JSON and the store refuse) become ``\\xff`` escapes."""
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system byte stands for
        return path.encode("utf-8", "replace").decode("utf-8")


def _source(s: SourceStats) -> dict[str, Any]:
    return {
        "path": _path_text(s.path),
        "format": s.stats.format,
        "lines": s.stats.lines,
        "records": s.stats.records,
        "broken_lines": s.stats.broken,
        "broken_samples": list(s.stats.broken_samples),
    }


def _services(agg: Aggregate, catalog: Catalog, services: dict[str, Usage]) -> list[dict[str, Any]]:
    users_by_service: dict[str, list[str]] = {}
    for sid, user in agg.pairs:
        users_by_service.setdefault(sid, []).append(user)
    rows = []
    for sid, usage in services.items():
        entry = catalog.entries[sid]
        svc_users = users_by_service.get(sid, [])
        departments = sorted({agg.departments.get(u, "") for u in svc_users} - {""})
        rows.append(
            {
                "id": sid,
                "name": entry.service.name,
                "vendor": entry.service.vendor,
                "category": entry.service.category,
                "status": entry.status,
                "risk_score": entry.risk.score,
                "risk_level": entry.risk.level,
                "alternative": entry.alternative,
                "users": len(svc_users),
                **_usage_fields(usage),
                "accounts": {
                    "corporate": usage.corporate,
                    "personal": usage.personal,
                    "unknown": usage.requests - usage.corporate - usage.personal,
                },
                "departments": departments,
            }
        )
    rows.sort(key=lambda r: (-r["requests"], r["id"]))
    return rows


def _users(agg: Aggregate, users: dict[str, dict[str, Usage]]) -> list[dict[str, Any]]:
    rows = []
    for user, per_service in users.items():
        total = Usage()
        for usage in per_service.values():
            total.merge(usage)
        rows.append(
            {
                "user": user,
                "department": agg.departments.get(user, ""),
                "services": sorted(per_service),
                **_usage_fields(total),
            }
        )
    rows.sort(key=lambda r: (-r["requests"], r["user"]))
    return rows


def _departments(agg: Aggregate, users: dict[str, dict[str, Usage]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}  # name -> users, services, usage
    for user, per_service in users.items():
        name = agg.departments.get(user, "") or "(unknown)"
        group = groups.setdefault(name, {"users": set(), "services": set(), "usage": Usage()})
        group["users"].add(user)
        for sid, usage in per_service.items():
            group["services"].add(sid)
            group["usage"].merge(usage)
    rows: list[dict[str, Any]] = [
        {
            "department": name,
            "users": len(g["users"]),
            "services": len(g["services"]),
            **_usage_fields(g["usage"]),
        }
        for name, g in groups.items()
    ]
    rows.sort(key=lambda r: (-int(r["requests"]), str(r["department"])))
    return rows


def _timeline(services: dict[str, Usage]) -> list[dict[str, Any]]:
    """AI requests per UTC day (days without AI traffic are left out)."""
    total = Usage()
    for usage in services.values():
        total.merge(usage)
    return [
        {"day": datetime.fromtimestamp(day * DAY, UTC).date().isoformat(), "requests": count}
        for day, count in sorted(total.days.items())
    ]


def _weak(agg: Aggregate, catalog: Catalog) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "id": sid,
            "name": catalog.entries[sid].service.name,
            "requests": usage.requests,
            "users": len(agg.weak_users.get(sid, ())),
            "note": "shared host seen without a URL path; may or may not be AI use",
        }
        for sid, usage in agg.weak.items()
    ]
    rows.sort(key=lambda r: (-r["requests"], r["id"]))
    return rows
