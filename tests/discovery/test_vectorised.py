"""The polars path for Zeek http TSV gives exactly the line-by-line results."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ramparts.discovery.catalog import Catalog
from ramparts.discovery.parsers import vectorised, zeek
from ramparts.discovery.pipeline import RunOptions, run_discovery

FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.resp_h",
    "method",
    "host",
    "uri",
    "request_body_len",
    "response_body_len",
    "username",
    "status_code",
]
HOSTS = [
    "chatgpt.com",
    "CLAUDE.AI:443",
    "api.openai.com",
    "www.bing.com",
    "example.org",
    "news.example.com",
    "-",
    "huggingface.co",
    ":80",
    "(empty)",
    "..",
]
PATHS = ["/", "/chat?q=1", "/models", "-", "/backend-api/x"]


def write_log(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = ["#separator \\x09", "#fields\t" + "\t".join(FIELDS)]
    for i in range(rows):
        ts = "XXXXXXXXXX.XXXXXX" if i % 97 == 0 else f"{1767225600 + i * 37}.25"
        up = rng.choice(["-", "0", str(rng.randint(1, 10**7)), "²"])
        user = rng.choice(["-", "alice", "bob", "(empty)"])
        cells = [
            ts,
            f"C{i}",
            f"10.0.0.{i % 9}",
            f"1.2.3.{i % 5}",
            rng.choice(["GET", "POST", "-"]),
            rng.choice(HOSTS),
            rng.choice(PATHS),
            up,
            str(rng.randint(0, 5000)),
            user,
            "200",
        ]
        if i % 211 == 0:
            cells = cells[:-2]  # wrong number of fields
        lines.append("\t".join(cells))
        if i == rows // 2:
            lines.append("#close\t2026-01-01-00-00-00")
            lines.append("#fields\t" + "\t".join(FIELDS))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("since", [None, 1767225600 + 3000 * 37])
def test_vectorised_path_matches_line_by_line(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, since: float | None
) -> None:
    monkeypatch.setattr(zeek, "BATCH_LINES", 700)  # several batches per file
    batches: list[int] = []
    real_batch = vectorised.http_batch

    def spy(lines: list[str], *args: Any) -> Any:
        batches.append(len(lines))
        return real_batch(lines, *args)

    monkeypatch.setattr(zeek, "http_batch", spy)  # the name zeek.py calls
    log = write_log(tmp_path / "http.log", 6000, seed=3)
    when = datetime(2026, 2, 1, tzinfo=UTC)
    fast = run_discovery([str(log)], catalog, RunOptions(since=since, generated_at=when))
    slow = run_discovery(
        [str(log)], catalog, RunOptions(since=since, generated_at=when, vectorised=False)
    )
    assert len(batches) >= 8
    assert max(batches) == 700
    assert fast["totals"]["ai_requests"] > 1000
    assert fast["totals"]["broken_lines"] > 0
    for section in fast:
        if section == "sources":
            continue  # broken-line samples may come in a different order
        assert fast[section] == slow[section], section
    assert [s["broken_lines"] for s in fast["sources"]] == [
        s["broken_lines"] for s in slow["sources"]
    ]
