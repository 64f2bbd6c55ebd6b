"""Open the HTML report in headless Chromium and check that its charts really render."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from ramparts.discovery.analysis import Thresholds
from ramparts.discovery.catalog import Catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.report import render_html

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RED, ORANGE, BLUE = (0xC0, 0x39, 0x2B), (0xE6, 0x7E, 0x22), (0x29, 0x80, 0xB9)


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) for an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8
            assert colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + b) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def count_colour(png: bytes, rgb: tuple[int, int, int]) -> int:
    width, _height, rows = decode_png(png)
    channels = len(rows[0]) // width
    return sum(
        1
        for row in rows
        for x in range(width)
        if all(abs(row[x * channels + k] - rgb[k]) <= 6 for k in range(3))
    )


@pytest.fixture
def html_file(tmp_path: Path, known_traffic: Any, catalog: Catalog) -> Path:
    log = known_traffic.write(tmp_path / "access.log")
    zeek = tmp_path / "http.log"
    zeek.write_text(
        "#fields\tts\tuid\tid.orig_h\tid.resp_h\tmethod\thost\turi\trequest_body_len\tresponse_body_len\n"
        "1767225600\tC1\t10.0.0.9\t1.2.3.4\tPOST\tapi.openai.com\t/v1/files\t900000\t10\n"
    )
    report = run_discovery(
        [str(log), str(zeek)],
        catalog,
        RunOptions(thresholds=Thresholds(), generated_at=datetime(2026, 1, 15, tzinfo=UTC)),
    )
    path = tmp_path / "report.html"
    path.write_text(render_html(report))
    return path


def test_charts_render_in_headless_chromium(html_file: Path) -> None:
    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "request",
                lambda r: (
                    blocked.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                ),
            )
            page.goto(html_file.as_uri())
            assert page.title() == "Ramparts shadow-AI discovery"
            bars = page.locator("#chart-requests rect.bar")
            assert bars.count() == 5  # one bar per service in use
            widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]  # type: ignore[index]
            assert all(w > 0 for w in widths)
            assert widths[0] == max(widths)
            assert page.locator("#chart-uploads rect.bar").count() == 1
            assert page.locator("#chart-status circle.slice").count() == 1
            assert page.locator("#chart-timeline rect.column").count() == 5  # days with AI use
            timeline = page.locator("#chart-timeline").screenshot()
            assert count_colour(timeline, BLUE) > 300
            shot = page.locator("#chart-requests").screenshot()
            assert count_colour(shot, RED) > 50  # DeepSeek, high risk
            assert count_colour(shot, ORANGE) > 200  # medium-risk services
            donut = page.locator("#chart-status").screenshot()
            assert count_colour(donut, RED) > 1000  # all traffic unsanctioned
            assert page.locator("#findings li").count() >= 1
        finally:
            browser.close()
    assert blocked == []
