"""Hyperscan databases, compiled once per machine rather than once per process.

Compiling the engine's trigger set and the detectors' pattern sets costs over a
second of CPU, paid by every ``ramparts`` process (each ``ramparts scan`` in a
pre-commit hook, each gateway start). A compiled database is stored under the
cache directory, named by a digest of everything that goes into it (Hyperscan's
version, the mode, each pattern with its id and flags), and loaded from there in
about a millisecond next time. Hyperscan checks a database's checksum and
platform when loading one; anything that does not load is compiled afresh.

A database decides what the detectors look at, so the cache is private: its
folder is created ``0700``, files are written ``0600`` by rename, and a file
that another user owns or that others may write is ignored (a shared or
world-writable location cannot be used to blind the detectors).

The folder is ``$RAMPARTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/ramparts``, else
``~/.cache/ramparts``; ``RAMPARTS_CACHE_DIR=off`` turns the cache off. A cache that
cannot be written is skipped silently: the database is compiled as before.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hyperscan

SUBDIRECTORY = "hyperscan"


def cache_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled databases are kept, or None when caching is off."""
    env = os.environ if environ is None else environ
    configured = env.get("RAMPARTS_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(configured) / SUBDIRECTORY
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "ramparts" / SUBDIRECTORY


def compile_database(
    expressions: Sequence[str],
    ids: Sequence[int],
    flags: Sequence[int],
    *,
    mode: int = hyperscan.HS_MODE_BLOCK,
) -> Any:
    """A block-mode database of ``expressions``, from the cache when it holds one."""
    encoded = [expression.encode("utf-8") for expression in expressions]
    folder = cache_directory()
    path = folder / f"{_digest(encoded, ids, flags, mode)}.db" if folder else None
    if path is not None:
        loaded = _load(path, mode)
        if loaded is not None:
            return loaded
    database = hyperscan.Database(mode=mode)
    database.compile(expressions=encoded, ids=list(ids), elements=len(encoded), flags=list(flags))
    if path is not None:
        _store(path, hyperscan.dumpb(database))
    return database


def _digest(encoded: list[bytes], ids: Sequence[int], flags: Sequence[int], mode: int) -> str:
    digest = hashlib.sha256(
        f"hyperscan {getattr(hyperscan, '__version__', '?')} mode {mode}\n".encode()
    )
    for expression, pattern_id, flag in zip(encoded, ids, flags, strict=True):
        digest.update(f"{pattern_id} {flag} {len(expression)}\n".encode())
        digest.update(expression)
    return digest.hexdigest()


def _load(path: Path, mode: int) -> Any | None:
    try:
        with path.open("rb") as handle:
            if not _private(os.fstat(handle.fileno())):
                return None
            data = handle.read()
        database = hyperscan.loadb(data, mode)
        # A compiled database comes with a default scratch (used by a scan that names
        # none); a loaded one does not.
        database.scratch = hyperscan.Scratch(database)
        return database
    except (OSError, hyperscan.error):
        return None


def _private(info: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent.stat()):
            return
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:  # mkstemp creates the file 0600
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return
