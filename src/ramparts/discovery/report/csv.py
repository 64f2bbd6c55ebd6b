"""CSV reports: one row per service, and one row per user (spreadsheet-friendly)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

SERVICE_COLUMNS = (
    "id", "name", "vendor", "category", "status", "risk_score", "risk_level", "users",
    "requests", "active_days", "first_seen", "last_seen", "bytes_up", "bytes_down",
    "upload_unknown_requests", "alternative",
)  # fmt: skip
USER_COLUMNS = (
    "user", "department", "services", "requests", "active_days", "first_seen", "last_seen",
    "bytes_up", "bytes_down", "upload_unknown_requests",
)  # fmt: skip


def render_rows(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value)
    # Why: spreadsheet apps run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def users_csv_path(path: Path) -> Path:
    """Where :func:`write_csv` puts the users of ``path``: ``<stem>-users.csv`` beside it."""
    return path.with_name(f"{path.stem}-users{path.suffix or '.csv'}")


def write_csv(report: dict[str, Any], path: Path) -> list[Path]:
    """``<path>`` gets the services; ``<stem>-users.csv`` beside it gets the users."""
    users_path = users_csv_path(path)
    path.write_text(render_rows(report["services"], SERVICE_COLUMNS), encoding="utf-8")
    users_path.write_text(render_rows(report["users"], USER_COLUMNS), encoding="utf-8")
    return [path, users_path]
