"""Writing audit records off the request path, in batches, without losing any.

The gateway hands each finished request to :meth:`AuditWriter.submit`, which
only appends to a list. A background task flushes batches in a worker thread,
numbering and hash-chaining them per tenant inside the same transaction that
stores them. If the store is down, records stay queued and the flush retries;
at shutdown whatever still cannot be written is spilled to a JSONL file in the
data directory rather than dropped. A record the store itself refuses (a value
it cannot hold) is set aside in a spill file of its own, so it never holds up
the records behind it, of any tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from ramparts.audit.chain import GENESIS, as_utc, record_hash
from ramparts.store.models import AuditHead, AuditRecord

log = logging.getLogger("ramparts.audit")

NO_TENANT = "_none"  # chain for requests rejected before a tenant was known


@dataclass(slots=True)
class AuditEvent:
    """What the gateway knows about one finished request. Holds no prompt text by default."""

    request_id: str
    api: str
    endpoint: str
    status: str
    http_status: int
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    tenant_id: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    key_id: str | None = None
    model: str | None = None
    provider: str | None = None
    error_code: str | None = None
    stream: bool = False
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    guardrails: dict[str, Any] = field(default_factory=dict)
    content: dict[str, Any] | None = None

    @property
    def tenant_key(self) -> str:
        return self.tenant_id or NO_TENANT

    def as_row(self) -> dict[str, Any]:
        # dataclasses.asdict deep-copies every value; a flat read is enough here.
        return dict(zip(_EVENT_FIELDS, _read_fields(self), strict=True))


_EVENT_FIELDS = tuple(f.name for f in fields(AuditEvent))
_read_fields = operator.attrgetter(*_EVENT_FIELDS)


# Core statements built once: the ORM's unit of work and bulk-insert bookkeeping cost more
# per record than hashing it, and the audit writer runs for every request.
_RECORDS = cast(Table, AuditRecord.__table__)
_HEADS = cast(Table, AuditHead.__table__)
_INSERT_RECORDS = insert(_RECORDS)
_SELECT_HEAD = (
    select(_HEADS.c.seq, _HEADS.c.hash)
    .where(_HEADS.c.tenant_key == bindparam("key"))
    .with_for_update()
)
_INSERT_HEAD = insert(_HEADS)
_UPDATE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.tenant_key == bindparam("key"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _chain_rows(
    tenant_key: str, events: list[AuditEvent], seq: int, prev: str
) -> list[dict[str, Any]]:
    """Number and hash-chain one tenant's events after (``seq``, ``prev``)."""
    rows = []
    for event in events:
        seq += 1
        row = event.as_row()
        row["tenant_key"] = tenant_key
        row["seq"] = seq
        # Aware: PostgreSQL would read a naive value in the session's time zone.
        row["created_at"] = as_utc(event.created_at)
        row["prev_hash"] = prev
        row["hash"] = prev = record_hash(row, prev)
        rows.append(row)
    return rows


# An empty head inserted only when the tenant has none (the dialects the store runs on).
_ENSURE_HEAD: dict[str, Executable] = {
    "postgresql": postgresql.insert(_HEADS).on_conflict_do_nothing(index_elements=["tenant_key"]),
    "sqlite": sqlite.insert(_HEADS).on_conflict_do_nothing(index_elements=["tenant_key"]),
}
_DELETE_EMPTY_HEAD = delete(_HEADS).where(
    _HEADS.c.tenant_key == bindparam("key"), _HEADS.c.seq == 0
)


def lock_heads(connection: Connection, tenant_keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Lock each tenant's chain head for this transaction; (0, GENESIS) for a new chain.

    A missing head is created empty first (a no-op if another writer just created it), so
    concurrent writers of a new tenant queue on the head's lock instead of one failing on
    its primary key. On SQLite that INSERT comes first every time: it takes the write lock,
    which the driver does not take for a SELECT, so the head read is in the transaction.
    """
    ensure = _ENSURE_HEAD.get(connection.dialect.name)
    take_write_lock = connection.dialect.name == "sqlite"
    heads: dict[str, tuple[int, str]] = {}
    for key in sorted(tenant_keys):  # one order everywhere, so writers cannot deadlock
        empty = {"tenant_key": key, "seq": 0, "hash": GENESIS}
        if take_write_lock and ensure is not None:
            connection.execute(ensure, empty)
        head = connection.execute(_SELECT_HEAD, {"key": key}).first()
        if head is None:
            connection.execute(ensure if ensure is not None else _INSERT_HEAD, empty)
            head = connection.execute(_SELECT_HEAD, {"key": key}).first()
        if head is None:  # created above, or by a writer that committed first
            raise RuntimeError(f"audit chain head of {key} vanished while being locked")
        heads[key] = (head[0], head[1])
    return heads


def append_locked(
    connection: Connection, events: list[AuditEvent], heads: dict[str, tuple[int, str]]
) -> None:
    """Chain and store ``events`` after the heads :func:`lock_heads` returned.

    An empty head created for a tenant that ends up with no records is removed again.
    """
    by_tenant: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        by_tenant[event.tenant_key].append(event)
    rows: list[dict[str, Any]] = []
    for tenant_key, (seq, prev) in sorted(heads.items()):
        if tenant_key not in by_tenant:
            if seq == 0:
                connection.execute(_DELETE_EMPTY_HEAD, {"key": tenant_key})
            continue
        tenant_rows = _chain_rows(tenant_key, by_tenant[tenant_key], seq, prev)
        rows.extend(tenant_rows)
        last = tenant_rows[-1]
        moved = {"key": tenant_key, "new_seq": last["seq"], "new_hash": last["hash"]}
        connection.execute(_UPDATE_HEAD, moved)
    if rows:
        connection.execute(_INSERT_RECORDS, rows)


def write_batch(sessions: sessionmaker[Session], events: list[AuditEvent]) -> None:
    """Number, chain and store ``events`` in one transaction."""
    with sessions.begin() as session:
        connection = session.connection()
        # Locked, so gateways sharing the store extend each chain one at a time.
        heads = lock_heads(connection, {event.tenant_key for event in events})
        append_locked(connection, events, heads)


def refuses_data(exc: BaseException) -> bool:
    """True when a write failed on the records' values, not because the store is unreachable.

    Such a batch would fail the same way on every retry, so its records are retried one by
    one instead and the refused one set aside.
    """
    if isinstance(exc, DBAPIError):
        return isinstance(exc, DataError | IntegrityError) and not exc.connection_invalidated
    # Values the driver could not bind, or the chain hash could not serialise.
    return isinstance(exc, StatementError | TypeError | ValueError)


class AuditWriter:
    """Batches audit events and writes them from a worker thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        spill_dir: Path,
        flush_interval: float = 0.05,
        batch_size: int = 500,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._spill_dir = spill_dir
        self._interval = flush_interval
        self._batch_size = batch_size
        self._pending: list[AuditEvent] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = threading.Lock()  # one batch in flight at a time keeps chains in order
        self.store_failing = False  # the last write failed; records are queued for retry
        self.rejected = 0  # records the store refused, set aside in audit-rejected-*.jsonl

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, event: AuditEvent) -> None:
        self._pending.append(event)
        if len(self._pending) >= self._batch_size:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ramparts-audit-writer")

    async def _run(self) -> None:
        backoff = self._interval
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()
            if await self._flush_once():
                backoff = self._interval
            else:
                backoff = min(max(backoff * 2, 0.1), 5.0)

    async def _flush_once(self) -> bool:
        """Write everything pending; False when the store failed (records are kept)."""
        while self._pending:
            batch = self._pending[: self._batch_size]
            try:
                await asyncio.to_thread(self._write_locked, batch)
            except Exception as exc:
                if not refuses_data(exc):
                    return self._failed(exc)
                # Some record's values are refused: write one by one so only that record
                # is set aside and every other tenant's chain keeps moving.
                done, failure = await asyncio.to_thread(self._write_one_by_one, batch)
                del self._pending[:done]
                if failure is not None:
                    return self._failed(failure)
                self.store_failing = False
                continue
            del self._pending[: len(batch)]
            self.store_failing = False
        return True

    def _failed(self, exc: BaseException) -> bool:
        self.store_failing = True
        log.error(
            "audit write failed; %d records kept for retry",
            len(self._pending),
            extra={"error": type(exc).__name__},
        )
        return False

    def _write_one_by_one(self, batch: list[AuditEvent]) -> tuple[int, BaseException | None]:
        """Write ``batch`` a record per transaction; set aside each record the store refuses.

        Returns how many leading records are settled (written or set aside) and, when the
        store itself failed on the next one, that error: the rest stay queued. A refused
        record's transaction rolls back with its chain head, so the chain skips it intact.
        """
        refused: list[AuditEvent] = []
        done = 0
        failure: BaseException | None = None
        for event in batch:
            try:
                self._write_locked([event])
            except Exception as exc:
                if not refuses_data(exc):
                    failure = exc
                    break
                refused.append(event)
                # The error's text would carry the values; its class is enough to act on.
                log.error(
                    "the store refused an audit record; it is set aside",
                    extra={"error": type(exc).__name__, "request_id": event.request_id},
                )
            done += 1
        if refused:
            self.rejected += len(refused)
            try:
                path = self._write_spill(refused, "audit-rejected")
            except OSError as exc:
                log.error(
                    "%d audit records the store refused could not be set aside either",
                    len(refused),
                    extra={"error": type(exc).__name__},
                )
            else:
                log.error(
                    "%d audit records the store refused were written to %s", len(refused), path
                )
        return done, failure

    def _write_locked(self, batch: list[AuditEvent]) -> None:
        with self._lock:
            write_batch(self._sessions, batch)

    async def flush(self) -> bool:
        return await self._flush_once()

    async def close(self) -> None:
        """Stop the loop, write what is pending, spill to disk what cannot be written."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        for _ in range(3):
            if await self._flush_once():
                return
            await asyncio.sleep(0.2)
        self._spill()

    def _spill(self) -> None:
        path = self._write_spill(self._pending, "audit-spill")
        log.error(
            "store unavailable at shutdown: %d audit records spilled to %s",
            len(self._pending),
            path,
        )
        self._pending.clear()

    def _write_spill(self, events: list[AuditEvent], prefix: str) -> Path:
        self._spill_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self._spill_dir / f"{prefix}-{stamp}.jsonl"
        with path.open("wb") as handle:
            for event in events:
                handle.write(_spill_line(event))
        return path


def _spill_line(event: AuditEvent) -> bytes:
    try:
        # default=str: a value the chain hash could not serialise is kept readable.
        return orjson.dumps(event.as_row(), default=str) + b"\n"
    except TypeError:  # e.g. a string orjson refuses (lone surrogates): keep who and when
        kept = {name: getattr(event, name) for name in ("request_id", "created_at", "tenant_id")}
        return orjson.dumps({**kept, "unreadable": True}, default=str) + b"\n"
