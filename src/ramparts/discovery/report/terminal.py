"""The rich terminal summary."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ramparts.discovery.analysis import human_bytes
from ramparts.discovery.parsers.record import clean_text

UNRECOGNISED = "unrecognised"  # ramparts.discovery.parsers.UNRECOGNISED
MAX_LISTED_FILES = 10
# Bidi overrides and isolates, and zero-width characters: a name could reorder or hide
# part of what is printed after it.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def safe_text(value: str, limit: int = 256) -> str:
    """Text from outside (file names, log values) fit for Rich: no control or invisible
    characters (a terminal acts on escape sequences), markup escaped, at most ``limit``."""
    return escape(_INVISIBLE.sub("", clean_text(value, limit)))


def input_problems(report: dict[str, Any]) -> list[str]:
    """One Rich line per input file that gave nothing or had broken lines (escaped)."""
    problems: list[tuple[str, str]] = []
    for source in report["sources"]:
        path = safe_text(source["path"])
        if not source["lines"]:
            problems.append((path, "empty: no lines"))
        elif source["format"] == UNRECOGNISED:
            problems.append(
                (
                    path,
                    f"[red]unrecognised[/red] ({source['lines']:,} lines): not a known log "
                    "format or not UTF-8 text; nothing read (--format / --map force one)",
                )
            )
        elif source["broken_lines"]:
            sample = source["broken_samples"][0] if source["broken_samples"] else ""
            problems.append(
                (
                    path,
                    f"{source['broken_lines']:,} broken of {source['lines']:,} lines "
                    f"({escape(source['format'])}), e.g. {safe_text(sample, 400)}",
                )
            )
    lines = [f"[dim]input:[/dim] {path}: {what}" for path, what in problems[:MAX_LISTED_FILES]]
    if len(problems) > MAX_LISTED_FILES:
        lines.append(
            f"[dim]input:[/dim] ... and {len(problems) - MAX_LISTED_FILES} more files "
            "(all are listed under 'sources' in the JSON report)"
        )
    return lines


_LEVEL_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}
_STATUS_STYLE = {"sanctioned": "green", "tolerated": "cyan", "unsanctioned": "red"}


def nothing_read_message(report: dict[str, Any]) -> str:
    """Why a run has no record, by kind of input (Rich markup, escaped)."""
    sources = report["sources"]
    kinds = {
        "unrecognised": sum(s["format"] == UNRECOGNISED and s["lines"] > 0 for s in sources),
        "with only broken lines": sum(
            s["format"] != UNRECOGNISED and s["lines"] > 0 and s["records"] == 0 for s in sources
        ),
        "empty": sum(s["lines"] == 0 for s in sources),
    }
    parts = [f"{n} {kind}" for kind, n in kinds.items() if n]
    files = f"{len(sources)} input file(s)" + (f": {', '.join(parts)}" if parts else "")
    return (
        f"no input produced a record ({files}); nothing was analysed or stored, so this "
        "run says nothing about AI use (every file is listed under 'sources' in the JSON report)"
    )


def print_summary(report: dict[str, Any], console: Console | None = None, top: int = 15) -> None:
    console = console or Console()
    totals = report["totals"]
    console.print(
        f"[bold]Shadow-AI discovery[/bold]  {totals['lines']:,} lines, "
        f"{totals['records']:,} records, {totals['broken_lines']:,} broken; "
        f"[bold]{totals['ai_requests']:,}[/bold] AI requests to {totals['services']} services "
        f"by {totals['users']} users; uploaded {human_bytes(totals['bytes_up'])}"
    )
    for line in input_problems(report):
        console.print(line)
    if not totals["records"]:
        console.print(
            "[bold red]No input produced a record[/bold red]: nothing was analysed, so no "
            "findings does not mean no AI use."
        )
        return
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
