"""The self-contained HTML report: inline CSS and SVG, no script, no external resource.

A Content-Security-Policy meta tag forbids every network fetch, so the file opened
from a mail attachment or a share cannot call home.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ramparts.discovery.analysis import human_bytes
from ramparts.discovery.report.svg import (
    RISK_COLOURS,
    STATUS_COLOURS,
    bar_chart,
    column_chart,
    donut_chart,
)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{margin-bottom:4px} .meta{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0 24px;font-size:14px}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
th{background:#f4f4f4} td.num{text-align:right}
.high{color:#c0392b;font-weight:600} .medium{color:#e67e22} .low{color:#27ae60}
.charts{display:flex;flex-wrap:wrap;gap:24px} .chart text{font-size:12px;fill:#333}
.chart .chart-title{font-weight:600;font-size:13px} .cards{display:flex;gap:16px;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px} code{background:#f4f4f4;padding:1px 4px}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(report: dict[str, Any]) -> str:
    t = report["totals"]
    window = report["window"]
    body = [
        "<h1>Shadow-AI discovery report</h1>",
        f'<p class="meta">Tenant {_e(report["tenant"])} &middot; '
        f"generated {_e(report['generated_at'])}"
        f" &middot; traffic {_e(window['first'] or 'unknown')} to {_e(window['last'] or 'unknown')}"
        f" &middot; catalog of {report['catalog']['services']} services reviewed "
        f"{_e(report['catalog']['reviewed'])}</p>",
        _cards(t),
        '<h2>Charts</h2><div class="charts">',
        _charts(report),
        "</div>",
        _findings(report["findings"]),
        _table(
            "AI services in use",
            [
                "Service",
                "Vendor",
                "Category",
                "Status",
                "Risk",
                "Users",
                "Requests",
                "Days",
                "First seen",
                "Last seen",
                "Uploaded",
                "Downloaded",
                "Sanctioned alternative",
            ],
            [_service_row(s) for s in report["services"]],
        ),
        _table(
            "Users",
            ["User", "Department", "Services", "Requests", "Days", "Uploaded", "Downloaded"],
            [
                [
                    _e(u["user"]),
                    _e(u["department"]),
                    _e(", ".join(u["services"])),
                    _n(u["requests"]),
                    _n(u["active_days"]),
                    _bytes(u),
                    _n(human_bytes(u["bytes_down"])),
                ]
                for u in report["users"]
            ],
        ),
        _table(
            "Departments",
            ["Department", "Users", "Services", "Requests", "Uploaded"],
            [
                [
                    _e(d["department"]),
                    _n(d["users"]),
                    _n(d["services"]),
                    _n(d["requests"]),
                    _bytes(d),
                ]
                for d in report["departments"]
            ],
        ),
        _table(
            "Weak evidence (dual-use hosts without a path)",
            ["Service", "Requests", "Users", "Note"],
            [
                [_e(w["name"]), _n(w["requests"]), _n(w["users"]), _e(w["note"])]
                for w in report["weak_evidence"]
            ],
        ),
        _coverage(report["coverage"]),
        _table(
            "Sources",
            ["File", "Format", "Lines", "Records", "Broken", "Broken samples"],
            [
                [
                    _e(s["path"]),
                    _e(s["format"]),
                    _n(s["lines"]),
                    _n(s["records"]),
                    _n(s["broken_lines"]),
                    "<br>".join(_e(x) for x in s["broken_samples"]),
                ]
                for s in report["sources"]
            ],
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        "<title>Ramparts shadow-AI discovery</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _charts(report: dict[str, Any]) -> str:
    services = report["services"]
    by_requests = [
        (s["name"], float(s["requests"]), RISK_COLOURS[s["risk_level"]], f"{s['requests']:,}")
        for s in services[:15]
    ]
    uploads = sorted(services, key=lambda s: (-s["bytes_up"], s["id"]))
    by_upload = [
        (s["name"], float(s["bytes_up"]), RISK_COLOURS[s["risk_level"]], human_bytes(s["bytes_up"]))
        for s in uploads[:10]
        if s["bytes_up"] > 0
    ]
    statuses: dict[str, float] = {}
    for s in services:
        statuses[s["status"]] = statuses.get(s["status"], 0.0) + s["requests"]
    slices = [(k, statuses[k], STATUS_COLOURS[k]) for k in STATUS_COLOURS if k in statuses]
    return "".join(
        [
            bar_chart(
                "Requests per service (colour = risk level)", by_requests, chart_id="chart-requests"
            ),
            bar_chart("Bytes uploaded per service", by_upload, chart_id="chart-uploads"),
            donut_chart("Requests by sanction status", slices, chart_id="chart-status"),
            column_chart(
                "AI requests per day (UTC)",
                [(d["day"], float(d["requests"])) for d in report["timeline"]],
                chart_id="chart-timeline",
            ),
        ]
    )


def _cards(t: dict[str, Any]) -> str:
    cards = [
        ("AI requests", f"{t['ai_requests']:,}"),
        ("Services", str(t["services"])),
        ("Users", str(t["users"])),
        ("Uploaded", human_bytes(t["bytes_up"])),
        ("Lines read", f"{t['lines']:,}"),
        ("Broken lines", f"{t['broken_lines']:,}"),
    ]
    inner = "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards)
    return f'<div class="cards">{inner}</div>'


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<h2>Findings</h2><p>No findings.</p>"
    items = "".join(
        f'<li><span class="{_e(f["severity"])}">{_e(f["severity"])}</span> '
        f"<code>{_e(f['kind'])}</code> {_e(f['message'])}</li>"
        for f in findings
    )
    return f'<h2>Findings</h2><ul id="findings">{items}</ul>'


def _service_row(s: dict[str, Any]) -> list[str]:
    return [
        _e(s["name"]),
        _e(s["vendor"]),
        _e(s["category"]),
        _e(s["status"]),
        f'<span class="{_e(s["risk_level"])}">{s["risk_score"]}</span>',
        _n(s["users"]),
        _n(s["requests"]),
        _n(s["active_days"]),
        _e(s["first_seen"] or ""),
        _e(s["last_seen"] or ""),
        _bytes(s),
        _n(human_bytes(s["bytes_down"])),
        _e(s["alternative"] or ""),
    ]


def _coverage(coverage: dict[str, Any]) -> str:
    notes = "".join(f"<li>{_e(n)}</li>" for n in coverage["notes"])
    for fmt in coverage["formats"]:
        notes += "".join(f"<li>{_e(n)}</li>" for n in fmt["notes"])
    rows = [
        [_e(f["format"]), _n(f["records"]), _n(f["ai_records"])]
        + [_n(f"{v:g}%") for v in f["fields_pct"].values()]
        for f in coverage["formats"]
    ]
    table = _table(
        "Fields provided per log format",
        [
            "Format",
            "Records",
            "AI records",
            "User",
            "Timestamp",
            "URL path",
            "Bytes up",
            "Bytes down",
        ],
        rows,
    )
    return f'<h2>Coverage</h2><ul id="coverage">{notes}</ul>' + table


def _table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">none</td></tr>'
    return f"<h2>{_e(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(cell: str) -> str:
    return cell if cell.startswith("<td") else f"<td>{cell}</td>"


def _bytes(row: dict[str, Any]) -> str:
    if row["requests"] and row["upload_unknown_requests"] == row["requests"]:
        return '<td class="num">unknown</td>'
    return _n(human_bytes(row["bytes_up"]))


def _n(value: object) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return f'<td class="num">{_e(text)}</td>'


def _e(value: object) -> str:
    return escape(str(value), quote=True)
