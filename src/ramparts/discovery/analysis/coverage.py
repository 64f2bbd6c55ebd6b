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


# Records dated this far after the run started are called out: later than a long run
# reading a live log could explain.
FUTURE_NOTE_AFTER = 3600.0


def future_note(max_ts: float | None, run_ts: float | None) -> str | None:
    """A note when the newest record is dated after the run (skewed clock, forged time)."""
    if max_ts is None or run_ts is None or max_ts <= run_ts + FUTURE_NOTE_AFTER:
        return None
    hours = (max_ts - run_ts) / 3600
    return (
        f"The newest record is dated {hours:.1f} h after the run started: a skewed clock or "
        "a forged time. '--since last' resumes from the run time, not from that record, so "
        "records dated after the run are read again by the next run."
    )


def build_coverage(
    agg: Aggregate, services: dict[str, Usage], run_ts: float | None = None
) -> dict[str, Any]:
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
    future = future_note(agg.max_ts, run_ts)
    if future:
        notes.append(future)
    return {"formats": formats, "notes": notes, "user_identification": dict(identified)}
