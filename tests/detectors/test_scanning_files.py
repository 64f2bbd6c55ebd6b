"""How scanned bytes become text, and what a read error partway does."""

from __future__ import annotations

import array
import io
import random

import pytest

from ramparts.detectors.engine import Engine
from ramparts.detectors.registry import default_registry
from ramparts.detectors.scanning_files import CHUNK_BYTES, Sniffed, read_source, sniff
from support.streams import FailsAfterHead


@pytest.fixture(scope="module")
def email_engine() -> Engine:
    return Engine(registry=type(default_registry())([default_registry().get("email")]))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"plain ascii\n", Sniffed("utf-8")),
        ("café".encode()[:-1], Sniffed("utf-8")),  # a character cut at the chunk's end
        ("café\n".encode("latin-1"), Sniffed("cp1252")),
        (b"\xef\xbb\xbfx", Sniffed("utf-8-sig", 3)),
        (b"\xff\xfe\x00\x00x\x00\x00\x00", Sniffed("utf-32-le", 4)),
        (b"\xff\xfex\x00", Sniffed("utf-16-le", 2)),
        ("hello\r\nworld".encode("utf-16-le"), Sniffed("utf-16-le")),
        ("hello\r\nworld".encode("utf-16-be"), Sniffed("utf-16-be")),
        (b"\x00\x01bob@example.com", None),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(56), None),
        # Little numbers look like UTF-16 by their NULs, but decode to control characters.
        (array.array("H", range(1, 200)).tobytes(), None),
        (random.Random(7).randbytes(4096), None),
    ],
)
def test_sniff(head: bytes, expected: Sniffed | None) -> None:
    assert sniff(head) == expected


def test_stray_bytes_after_a_utf8_start_are_read_as_cp1252(email_engine: Engine) -> None:
    start = ("é" * 10 + "\n") * (CHUNK_BYTES // 20)  # valid UTF-8 beyond the first chunk
    tail = "Garc\xeda mail a@example.com\n"
    raw = io.BytesIO(start.encode() + tail.encode("latin-1"))
    scan = read_source(email_engine, "x", raw)
    [item] = list(scan.findings())
    text = start + tail
    assert scan.encoding == "utf-8+cp1252"
    assert (item.finding.start, item.finding.end) == (text.index("a@"), text.index("a@") + 13)
    assert (item.line, item.column) == (text.count("\n"), tail.index("a@") + 1)


def test_one_stray_byte_early_keeps_a_utf8_file_utf8(email_engine: Engine) -> None:
    # More valid multi-byte sequences than stray bytes: UTF-8, the stray byte as cp1252.
    line = "Café résumé naïve: bob@example.com\n"
    raw = io.BytesIO(b"r\xe9sum\xe9 draft\n" + line.encode())
    assert sniff(raw.getvalue()) == Sniffed("utf-8")
    scan = read_source(email_engine, "x", raw)
    [item] = list(scan.findings())
    assert scan.encoding == "utf-8+cp1252"
    assert (item.line, item.column) == (2, line.index("bob") + 1)


def test_a_read_error_partway_ends_the_findings_and_marks_the_source(
    email_engine: Engine,
) -> None:
    scan = read_source(email_engine, "x", FailsAfterHead(b"mail a@example.com\n"))  # type: ignore[arg-type]
    assert scan.skipped is None and scan.encoding == "utf-8"
    result = scan.result()  # no OSError escapes
    assert result.skipped == "unreadable (Input/output error)"
