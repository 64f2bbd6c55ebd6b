"""Which files a scan reads, and how their bytes become text.

Paths named on the command line are read whatever they are (a FIFO or
``/dev/stdin`` can be legitimate input); directories are walked, and there
anything that is not a regular file (FIFOs, sockets, devices, broken or looping
symbolic links) is skipped with a note instead of being opened, since opening a
FIFO waits for a writer that may never come.

The encoding is taken from a byte-order mark (UTF-8, UTF-16, UTF-32), else
UTF-16 without one is recognised by its alternating NUL bytes; otherwise the
text is UTF-8 when its first chunk is valid UTF-8 or holds more valid multi-byte
sequences than stray bytes, else cp1252 (a superset of Latin-1 for printable
text). Stray bytes that are not UTF-8 in a UTF-8 text are read as cp1252, one
character each. Findings' offsets, lines and
columns count characters (code points) of the decoded text, after the
byte-order mark.
"""

from __future__ import annotations

import codecs
import errno
import os
import pathlib
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from ramparts.detectors.engine import Engine
from ramparts.detectors.scanning import (
    BINARY_FILE,
    BROKEN_LINK,
    LINK_LOOP,
    Located,
    SourceResult,
    scan_stream,
)

STDIN = "-"
CHUNK_BYTES = 1 << 18
_SNIFF_BYTES = 8192  # a NUL byte in here (and no UTF-16/32 signs) means a binary file
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv"})
NO_SUCH_FILE = "no such file"

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
UTF8_WITH_CP1252 = "utf-8+cp1252"  # UTF-8 with some stray bytes read as cp1252
# C0 controls that do not occur in text (tab, newlines, form feed and ESC do).
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _cp1252(byte: int) -> str:
    # The five bytes cp1252 leaves undefined become the C1 controls, as browsers do.
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


# A byte escaped by ``surrogateescape`` (U+DC80 + byte) -> what it is in cp1252.
_AS_CP1252 = {0xDC00 + byte: _cp1252(byte) for byte in range(0x80, 0x100)}
_AS_LATIN1 = {0xDC00 + byte: chr(byte) for byte in range(0x80, 0x100)}


@dataclass(frozen=True)
class Sniffed:
    """How to decode a source: the codec of its body, and the byte-order mark to drop."""

    encoding: str  # as reported: a Python codec name, or UTF8_WITH_CP1252
    bom: int = 0

    @property
    def codec(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding


def sniff(head: bytes) -> Sniffed | None:
    """The encoding of a text starting with ``head``; None when it looks binary."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return Sniffed(encoding, len(bom))
    if b"\x00" in head[:_SNIFF_BYTES]:
        utf16 = _utf16_without_bom(head[:_SNIFF_BYTES])
        return None if utf16 is None else Sniffed(utf16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return Sniffed("utf-8" if _mostly_utf8(head) else "cp1252")
    return Sniffed("utf-8")


def _mostly_utf8(head: bytes) -> bool:
    """Whether ``head``, not valid UTF-8, is UTF-8 with a few stray bytes: more valid
    multi-byte sequences than bytes that fit none. One stray byte must not turn a UTF-8
    file's every accented letter into two wrong characters; Latin-1 text has no valid
    sequences at all."""
    text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(head, final=False)
    stray = sum(1 for char in text if "\udc80" <= char <= "\udcff")
    multibyte = sum(1 for char in text if char > "\x7f") - stray
    return multibyte > stray


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when ``head`` is mostly-Latin UTF-16 text without a mark.

    In such text one byte of each pair is NUL and the other almost never is; the
    decoded text must also be free of the control characters binary data is full of.
    """
    size = len(head) - len(head) % 2
    pairs = size // 2
    if pairs < 2:
        return None
    even, odd = head[0:size:2].count(0), head[1:size:2].count(0)
    if odd * 2 >= pairs and even * 10 < pairs:
        codec = "utf-16-le"
    elif even * 2 >= pairs and odd * 10 < pairs:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head[:size], final=False)
    except UnicodeDecodeError:
        return None
    return None if _NOT_TEXT.search(text) else codec


# --- which sources --------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A source to scan: a path (as the OS spells it), or ``-`` for stdin."""

    path: str
    skip: str | None = None  # why it is not read; a note or a failure: scanning.is_failure
    walked: bool = False  # found by walking a directory (not named)
    size: int = 0


def iter_entries(
    paths: Iterable[str], on_error: Callable[[OSError], None] | None = None
) -> Iterator[Entry]:
    """The sources of a scan in argument order; stdin (``-``, or no paths) once.

    ``on_error`` hears of each directory that could not be listed, when it is met.
    """
    seen_stdin = False
    named = False
    for raw in paths:
        named = True
        if raw == STDIN:
            if not seen_stdin:
                yield Entry(STDIN)
            seen_stdin = True
            continue
        yield from _named(str(pathlib.Path(raw)), on_error)  # spelt as pathlib does
    if not named:
        yield Entry(STDIN)


def _named(raw: str, on_error: Callable[[OSError], None] | None) -> Iterator[Entry]:
    try:
        info = os.stat(raw)
    except OSError as exc:
        # Named explicitly, so a failure (unlike in a walked directory), said exactly.
        reason = _missing(raw, exc)
        if reason == BROKEN_LINK:
            reason = f"{NO_SUCH_FILE} ({BROKEN_LINK})"
        elif reason == LINK_LOOP:
            reason = f"unreadable ({LINK_LOOP})"
        yield Entry(raw, reason or unreadable(exc))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _walk(raw, on_error)
    else:  # a FIFO or device named explicitly is read: the user asked for it
        yield Entry(raw, size=info.st_size if stat.S_ISREG(info.st_mode) else 0)


def _missing(path: str, exc: OSError) -> str | None:
    """BROKEN_LINK, LINK_LOOP or NO_SUCH_FILE when that is why ``path`` cannot be stat'ed."""
    if isinstance(exc, FileNotFoundError):
        return BROKEN_LINK if os.path.islink(path) else NO_SUCH_FILE
    if exc.errno == errno.ELOOP:
        return LINK_LOOP
    return None


def _walk(root: str, on_error: Callable[[OSError], None] | None) -> Iterator[Entry]:
    for folder, dirs, files in os.walk(root, onerror=on_error):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            yield _walked(str(pathlib.Path(folder) / name))


def _walked(path: str) -> Entry:
    """A directory entry: read when a regular file, else skipped with a note."""
    try:
        info = os.stat(path)
    except OSError as exc:
        # A broken link or loop is a note; a file gone since the listing is a failure.
        return Entry(path, _missing(path, exc) or unreadable(exc), walked=True)
    if not stat.S_ISREG(info.st_mode):
        return Entry(path, not_regular(info.st_mode), walked=True)
    return Entry(path, walked=True, size=info.st_size)


def not_regular(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        kind = "FIFO"
    elif stat.S_ISSOCK(mode):
        kind = "socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "device"
    else:
        kind = "other"
    return f"not a regular file ({kind})"


def unreadable(exc: OSError, what: str = "") -> str:
    """``unreadable (why)``, or ``unreadable <what> (why)``."""
    return f"unreadable{' ' + what if what else ''} ({exc.strerror or type(exc).__name__})"


# --- reading --------------------------------------------------------------------


@dataclass
class SourceScan:
    """One source being scanned: findings produced as it is read, and what reading found.

    ``skipped`` and ``encoding`` are final once :meth:`findings` is exhausted: a
    read error partway ends the findings and sets ``skipped``; stray non-UTF-8
    bytes change ``encoding``.
    """

    path: str
    skipped: str | None = None
    encoding: str | None = None
    _items: Iterator[Located] = field(default_factory=lambda: iter(()), repr=False)

    def findings(self) -> Iterator[Located]:
        try:
            yield from self._items
        except OSError as exc:  # a read error partway: what was found so far stands
            self.skipped = unreadable(exc)

    def result(self) -> SourceResult:
        """All findings in memory."""
        findings = list(self.findings())
        return SourceResult(self.path, findings, self.skipped, self.encoding)


def open_entry(
    engine: Engine, entry: Entry, *, on_progress: Callable[[int], None] | None = None
) -> SourceScan:
    """Start scanning a file (not stdin); skipped entries come back skipped."""
    if entry.skip is not None:
        return SourceScan(entry.path, skipped=entry.skip)
    try:
        raw = _open(entry.path, entry.walked)
    except OSError as exc:
        return SourceScan(entry.path, skipped=unreadable(exc))
    if isinstance(raw, str):
        return SourceScan(entry.path, skipped=raw)
    return read_source(engine, entry.path, raw, on_progress=on_progress, close=True)


def _open(path: str, walked: bool) -> IO[bytes] | str:
    """The file opened for reading, or why a walked one is skipped after all."""
    if not walked:
        return open(path, "rb")  # closed by the reading generator
    # Non-blocking, so a regular file replaced by a FIFO since the walk cannot hang us.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            return not_regular(mode)
        os.set_blocking(fd, True)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_source(
    engine: Engine,
    path: str,
    raw: IO[bytes],
    *,
    on_progress: Callable[[int], None] | None = None,
    close: bool = False,
) -> SourceScan:
    """Start scanning an open byte stream; ``close`` it when done or skipped."""
    try:
        head = raw.read(CHUNK_BYTES)
    except OSError as exc:
        if close:
            raw.close()
        return SourceScan(path, skipped=unreadable(exc))
    sniffed = sniff(head)
    if sniffed is None:
        if close:
            raw.close()
        return SourceScan(path, skipped=BINARY_FILE)
    scan = SourceScan(path, encoding=sniffed.encoding)
    chunks = _decoded(raw, head, sniffed, scan, on_progress, close)
    scan._items = scan_stream(engine, chunks)
    return scan


def _decoded(
    raw: IO[bytes],
    head: bytes,
    sniffed: Sniffed,
    scan: SourceScan,
    on_progress: Callable[[int], None] | None,
    close: bool,
) -> Iterator[str]:
    """The text of ``raw`` (whose first bytes, ``head``, are already read) in chunks."""
    # Bytes UTF-8 or cp1252 cannot decode are read one character each (see _lenient).
    table = {"utf-8": _AS_CP1252, "cp1252": _AS_LATIN1}.get(sniffed.codec)
    decoder = codecs.getincrementaldecoder(sniffed.codec)("strict" if table else "replace")
    data = head[sniffed.bom :]
    try:
        while True:
            final = not data
            if table is None:
                text = decoder.decode(data, final=final)
            else:
                text, stray = _lenient(decoder, data, final, table)
                if stray and sniffed.codec == "utf-8":
                    scan.encoding = UTF8_WITH_CP1252
            if on_progress is not None and data:
                on_progress(len(data))
            if text:
                yield text
            if final:
                return
            data = raw.read(CHUNK_BYTES)
    finally:
        if close:
            raw.close()


def _lenient(
    decoder: codecs.IncrementalDecoder, data: bytes, final: bool, table: dict[int, str]
) -> tuple[str, bool]:
    """(text, whether some bytes did not decode); those become characters by ``table``.

    Strict first: checking every chunk for escaped bytes would cost more than decoding.
    """
    state = decoder.getstate()
    try:
        return decoder.decode(data, final=final), False
    except UnicodeDecodeError:
        decoder.setstate(state)
    decoder.errors = "surrogateescape"  # one character (U+DC80 + byte) per stray byte
    try:
        text = decoder.decode(data, final=final)
    finally:
        decoder.errors = "strict"
    return text.translate(table), True


def scan_file(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SourceResult:
    """Scan one file into a result (all findings in memory)."""
    return open_entry(engine, Entry(os.fspath(path)), on_progress=on_progress).result()
