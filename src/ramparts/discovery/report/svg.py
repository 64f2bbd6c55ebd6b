"""Inline SVG charts (no script, no network): horizontal bars and a status donut."""

from __future__ import annotations

import math
from html import escape

RISK_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#27ae60"}
STATUS_COLOURS = {
    "sanctioned": "#27ae60",
    "tolerated": "#2980b9",
    "under_review": "#f1c40f",
    "unsanctioned": "#c0392b",
}


def bar_chart(
    title: str, items: list[tuple[str, float, str, str]], *, chart_id: str, width: int = 640
) -> str:
    """Bars for (label, value, colour, value text); empty input draws a 'no data' note."""
    row, label_w, pad = 22, 190, 8
    height = max(1, len(items)) * row + 2 * pad + 18
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<text x="{pad}" y="14" class="chart-title">{escape(title)}</text>',
    ]
    if not items:
        parts.append(f'<text x="{pad}" y="36" class="empty">no data</text></svg>')
        return "".join(parts)
    top = max(value for _, value, _, _ in items) or 1.0
    span = width - label_w - 90
    for i, (label, value, colour, text) in enumerate(items):
        y = 18 + pad + i * row
        w = max(1.0, span * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label[:28])}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def donut_chart(title: str, slices: list[tuple[str, float, str]], *, chart_id: str) -> str:
    """A donut of (label, value, colour) with a legend."""
    size, r, stroke = 220, 70, 34
    cx = cy = 100
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{size + 200}" height="{size}" '
        f'viewBox="0 0 {size + 200} {size}">',
        f'<text x="8" y="14" class="chart-title">{escape(title)}</text>',
    ]
    total = sum(v for _, v, _ in slices)
    if total <= 0:
        parts.append('<text x="8" y="36" class="empty">no data</text></svg>')
        return "".join(parts)
    circumference = 2 * math.pi * r
    offset = 0.0
    for i, (label, value, colour) in enumerate(slices):
        length = circumference * value / total
        parts.append(
            f'<circle class="slice" cx="{cx}" cy="{cy + 10}" r="{r}" fill="none" '
            f'stroke="{colour}" stroke-width="{stroke}" '
            f'stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {cx} {cy + 10})">'
            f"<title>{escape(label)}: {value:g}</title></circle>"
            f'<rect x="{size}" y="{30 + i * 22}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{size + 20}" y="{42 + i * 22}">{escape(label)} ({value:g})</text>'
        )
        offset += length
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str, items: list[tuple[str, float]], *, chart_id: str, height: int = 200
) -> str:
    """Vertical columns for (label, value), e.g. requests per day; labels thinned to fit."""
    pad, top_pad, label_h = 30, 26, 22
    width = max(320, min(1200, 40 + len(items) * 14))
    parts = [
        f'<svg id="{chart_id}" class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<text x="8" y="14" class="chart-title">{escape(title)}</text>',
    ]
    if not items:
        parts.append('<text x="8" y="36" class="empty">no data</text></svg>')
        return "".join(parts)
    top = max(v for _, v in items) or 1.0
    plot_h = height - top_pad - label_h
    step = (width - pad - 10) / len(items)
    every = max(1, math.ceil(len(items) / 12))
    for i, (label, value) in enumerate(items):
        h = max(1.0, plot_h * value / top)
        x = pad + i * step
        bar = max(1.0, min(step - 2, 24.0))
        parts.append(
            f'<rect class="column" x="{x:.1f}" y="{top_pad + plot_h - h:.1f}" '
            f'width="{bar:.1f}" height="{h:.1f}" fill="#2980b9">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
        )
        if i % every == 0:  # "2026-01-31" shows as "01-31"; the full date is in the tooltip
            short = label[5:] if len(label) == 10 and label[4] == "-" else label
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{escape(short)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
