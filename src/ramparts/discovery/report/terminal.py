"""The rich terminal summary."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ramparts.discovery.analysis import human_bytes

_LEVEL_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}
_STATUS_STYLE = {"sanctioned": "green", "tolerated": "cyan", "unsanctioned": "red"}


def print_summary(report: dict[str, Any], console: Console | None = None, top: int = 15) -> None:
    console = console or Console()
    totals = report["totals"]
    console.print(
        f"[bold]Shadow-AI discovery[/bold]  {totals['lines']:,} lines, "
        f"{totals['records']:,} records, {totals['broken_lines']:,} broken; "
        f"[bold]{totals['ai_requests']:,}[/bold] AI requests to {totals['services']} services "
        f"by {totals['users']} users; uploaded {human_bytes(totals['bytes_up'])}"
    )
    console.print(_services_table(report["services"][:top]))
    if report["findings"]:
        findings = Table(title="Findings", show_lines=False)
        findings.add_column("severity")
        findings.add_column("finding", overflow="fold")
        for f in report["findings"]:
            severity = f["severity"]
            style = _LEVEL_STYLE.get(severity, "yellow")
            findings.add_row(f"[{style}]{escape(severity)}[/]", escape(f["message"]))
        console.print(findings)
    else:
        console.print("No findings.")
    # Every value from the report is escaped: names and messages can come from log lines
    # (user names) or an overlay, and must never be read as Rich markup.
    for note in report["coverage"]["notes"]:
        console.print(f"[dim]coverage:[/dim] {escape(note)}")
    for fmt in report["coverage"]["formats"]:
        for note in fmt["notes"]:
            console.print(f"[dim]coverage:[/dim] {escape(note)}")


def _services_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="AI services in use")
    for column in (
        "service",
        "category",
        "status",
        "risk",
        "users",
        "requests",
        "days",
        "up",
        "down",
    ):
        table.add_column(
            column,
            justify="right"
            if column in ("users", "requests", "days", "up", "down", "risk")
            else "left",
        )
    for r in rows:
        up = (
            "unknown"
            if r["upload_unknown_requests"] == r["requests"]
            else human_bytes(r["bytes_up"])
        )
        table.add_row(
            escape(r["name"]),
            escape(r["category"]),
            f"[{_STATUS_STYLE.get(r['status'], 'yellow')}]{escape(r['status'])}[/]",
            f"[{_LEVEL_STYLE.get(r['risk_level'], 'yellow')}]{r['risk_score']}[/]",
            str(r["users"]),
            f"{r['requests']:,}",
            str(r["active_days"]),
            up,
            human_bytes(r["bytes_down"]),
        )
    return table
