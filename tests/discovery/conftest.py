"""Shared fixtures for discovery tests: the catalog and a log builder with known AI traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ramparts.discovery.catalog import Catalog, load_catalog

DAY = 86400
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
REAL_LOGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "logs"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def squid_line(
    ts: float,
    client: str,
    url: str,
    user: str = "-",
    size: int = 500,
    method: str = "GET",
) -> str:
    return (
        f"{ts:.3f}    120 {client} TCP_MISS/200 {size} {method} {url} {user} "
        "HIER_DIRECT/203.0.113.9 text/html"
    )


@dataclass
class KnownTraffic:
    """A Squid log with AI traffic inserted at known places among ordinary browsing."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path


def build_known_traffic() -> KnownTraffic:
    """The e2e scenario. Expected numbers are spelled out in test_end_to_end.py."""
    log = KnownTraffic()
    # 200 lines of ordinary browsing by alice/bob (never AI).
    for i in range(200):
        log.add(
            squid_line(T0 + i * 60, "10.0.0.1", f"http://news{i % 7}.example.org/a/{i}", "alice")
        )
    # alice: ChatGPT on 3 different days, 10 requests per day, 1000 bytes each.
    for day in (0, 1, 3):
        for i in range(10):
            log.add(
                squid_line(
                    T0 + day * DAY + 3600 + i,
                    "10.0.0.1",
                    "https://chatgpt.com/backend-api/conversation",
                    "alice",
                    1000,
                    "POST",
                )
            )
    # bob (no user in the log; known through the IP map): DeepSeek 4 requests on day 9.
    for i in range(4):
        log.add(
            squid_line(
                T0 + 9 * DAY + i, "10.0.0.2", "https://chat.deepseek.com/api/v0/chat", size=2000
            )
        )
    # carol: Claude 5 requests on day 9, one of them via CONNECT (no path).
    for i in range(4):
        log.add(
            squid_line(
                T0 + 9 * DAY + 100 + i, "10.0.0.3", "https://claude.ai/api/append", "carol", 300
            )
        )
    log.add(squid_line(T0 + 9 * DAY + 200, "10.0.0.3", "claude.ai:443", "carol", 300, "CONNECT"))
    # Dual-use: bing.com/search is not AI; bing.com/chat is Copilot (path evidence);
    # CONNECT www.bing.com is weak evidence only.
    log.add(squid_line(T0 + 2 * DAY, "10.0.0.1", "https://www.bing.com/search?q=x", "alice"))
    log.add(
        squid_line(T0 + 2 * DAY + 5, "10.0.0.1", "https://www.bing.com/chat?q=hello", "alice", 700)
    )
    log.add(squid_line(T0 + 2 * DAY + 9, "10.0.0.1", "www.bing.com:443", "alice", 900, "CONNECT"))
    # 3 broken lines.
    log.add("this is not a squid line")
    log.add("1767225600.000 garbage")
    log.add("")
    log.add("also broken ?token=SECRET123")
    return log


@pytest.fixture(scope="session")
def real_logs() -> Path:
    return REAL_LOGS


@pytest.fixture
def known_traffic() -> KnownTraffic:
    return build_known_traffic()
