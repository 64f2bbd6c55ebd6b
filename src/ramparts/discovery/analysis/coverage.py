"""The coverage section: which fields each source provided, and what that means."""

from __future__ import annotations

from typing import Any

from ramparts.discovery.analysis.aggregate import Aggregate, FormatCoverage, Usage

_FIELDS = {
    "user": "with_user",
    "timestamp": "with_ts",
    "url_path": "with_path",
    "bytes_up": "with_up",
    "bytes_down": "with_down",
}


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def format_notes(name: str, cov: FormatCoverage) -> list[str]:
    notes = []
    if cov.records and cov.with_up == 0:
        notes.append(f"{name} has no upload bytes: upload volume from this source is unknown.")
    if cov.records and cov.with_path == 0:
        notes.append(
            f"{name} has no URL paths: dual-use hosts (bing.com, api.github.com...) "
            "count only as weak evidence."
        )
    if cov.records and cov.with_user == 0:
        notes.append(
            f"{name} has no user names: users come from the IP map or show as IP addresses."
        )
    if cov.records and cov.with_ts == 0:
        notes.append(f"{name} has no usable timestamps: active days and first/last seen unknown.")
    return notes


def build_coverage(agg: Aggregate, services: dict[str, Usage]) -> dict[str, Any]:
    formats = []
    for name in sorted(agg.coverage):
        cov = agg.coverage[name]
        formats.append(
            {
                "format": name,
                "records": cov.records,
                "ai_records": cov.ai_records,
                "fields_pct": {
                    f: _pct(getattr(cov, attr), cov.records) for f, attr in _FIELDS.items()
                },
                "notes": format_notes(name, cov),
            }
        )
    ai = sum(u.requests for u in services.values())
    up_unknown = sum(u.up_unknown for u in services.values())
    notes = []
    if ai:
        notes.append(
            f"Upload volume unknown for {_pct(up_unknown, ai):g}% of AI traffic "
            f"({up_unknown} of {ai} requests): the log source did not record request sizes."
            if up_unknown
            else "Upload volume is known for all AI traffic."
        )
    identified = agg.user_source
    total_ids = sum(identified.values())
    if total_ids:
        notes.append(
            f"Users: {_pct(identified['log'], total_ids):g}% named in the log, "
            f"{_pct(identified['mapping'], total_ids):g}% from the IP-to-user map, "
            f"{_pct(identified['ip_only'], total_ids):g}% known only by IP address."
        )
    weak = sum(u.requests for u in agg.weak.values())
    if weak:
        notes.append(
            f"{weak} request(s) reached dual-use hosts without a visible path; they are listed "
            "as weak evidence and kept out of the findings."
        )
    return {"formats": formats, "notes": notes, "user_identification": dict(identified)}
