"""Reading the audit trail back: verification, export and spill re-import."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from ramparts.audit.chain import (
    HASHED_FIELDS,
    ChainProblem,
    VerifyResult,
    as_utc,
    verify_chain,
)
from ramparts.audit.spill import read_spill
from ramparts.audit.writer import AuditEvent, append_locked, lock_heads
from ramparts.store.models import AuditHead, AuditRecord

EXPORT_FIELDS = ("id", *HASHED_FIELDS, "prev_hash", "hash")
_BATCH = 2000


def _as_dict(record: AuditRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in EXPORT_FIELDS}


def _tenant_keys(session: Session, tenant_id: str | None) -> list[str]:
    if tenant_id is not None:
        return [tenant_id]
    return list(session.scalars(select(AuditHead.tenant_key).order_by(AuditHead.tenant_key)))


def _iter_tenant(session: Session, tenant_key: str) -> Iterator[dict[str, Any]]:
    """Records of one tenant in storage (insertion) order, fetched in batches."""
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditRecord)
                .where(AuditRecord.tenant_key == tenant_key, AuditRecord.id > last_id)
                .order_by(AuditRecord.id)
                .limit(_BATCH)
            )
        )
        if not batch:
            return
        for record in batch:
            yield _as_dict(record)
        last_id = batch[-1].id
        session.expunge_all()


class _Counter:
    """Counts records as they stream past the verifier."""

    def __init__(self, records: Iterator[dict[str, Any]]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in self._records:
            self.count += 1
            yield record


def _session_zone(session: Session) -> tzinfo | None:
    """The PostgreSQL session's TimeZone setting as a zone, when it names one."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    name = session.scalar(text("SHOW TimeZone"))
    try:
        return ZoneInfo(str(name))
    except (ValueError, OSError, ZoneInfoNotFoundError):
        return None  # a POSIX or offset spec: the values' own zone is still tried


def verify_trail(
    engine: Engine, tenant_id: str | None = None, *, legacy_zone: tzinfo | None = None
) -> VerifyResult:
    """Verify every tenant's chain (or one tenant's) against its records and head.

    Records hashed by writers before UTC-aware times are accepted in the session's zone
    or ``legacy_zone`` (the zone those writers' sessions ran in) and counted apart.
    """
    sessions = sessionmaker(engine)
    result = VerifyResult()
    with sessions() as session:
        zones = [z for z in (_session_zone(session), legacy_zone) if z is not None]
        tenants = set(_tenant_keys(session, tenant_id))
        tenants |= set(
            session.scalars(select(AuditRecord.tenant_key).distinct()) if tenant_id is None else []
        )
        for tenant_key in sorted(tenants):
            head_row = session.get(AuditHead, tenant_key)
            head = (head_row.seq, head_row.hash) if head_row else None
            counter = _Counter(_iter_tenant(session, tenant_key))
            problems, legacy = verify_chain(tenant_key, counter, head, legacy_zones=zones)
            result.legacy_time_records += legacy
            if head is None and counter.count:
                problems.append(ChainProblem(tenant_key, None, "chain head is missing"))
            result.records += counter.count
            result.tenants += 1
            result.problems.extend(problems)
    return result


def export_records(
    engine: Engine,
    *,
    tenant_id: str | None = None,
    since: datetime | None = None,
) -> Iterator[bytes]:
    """JSON lines, one record each, tenant by tenant in chain order.

    Times are written and compared in UTC, whatever the database session's time zone;
    a naive ``since`` is taken as UTC.
    """
    since_utc = as_utc(since) if since is not None else None
    sessions = sessionmaker(engine)
    with sessions() as session:
        tenants = _tenant_keys(session, tenant_id)
        for tenant_key in tenants:
            for record in _iter_tenant(session, tenant_key):
                created = record["created_at"] = as_utc(record["created_at"])
                if since_utc is not None and created < since_utc:
                    continue
                yield orjson.dumps(record) + b"\n"


IMPORTED_SUFFIX = ".imported"
_LOOKUP = 500  # request ids per existence query, well under every driver's parameter limit


@dataclass
class SpillImport:
    imported: int
    skipped: int  # already in the trail (an earlier import of the same file) or the file
    moved_to: Path | None  # where the file was renamed once imported; None if it could not be
    already_imported: bool = False  # only the renamed file was there: nothing was read


def _existing_request_ids(session: Session, request_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(request_ids), _LOOKUP):
        chunk = request_ids[start : start + _LOOKUP]
        found.update(
            session.scalars(select(AuditRecord.request_id).where(AuditRecord.request_id.in_(chunk)))
        )
    return found


def import_spill(engine: Engine, path: Path) -> SpillImport:
    """Write the records of a spill file (from a shutdown with the store down) into the trail.

    Records whose request id is already in the trail, or earlier in the file, are skipped,
    so importing a file twice adds nothing; request ids are 128 random bits, so a match is
    the same request. The check runs under the chain heads' locks, in the transaction that
    writes, so two imports of one file at once add its records once. Every line is checked
    before anything is written. Once imported, the file is renamed with an ``.imported``
    suffix; asked for the old name again, nothing is done.
    """
    done = path.with_name(path.name + IMPORTED_SUFFIX)
    if not path.exists() and done.exists():
        return SpillImport(imported=0, skipped=0, moved_to=done, already_imported=True)
    unique: dict[str, AuditEvent] = {}
    read = 0
    for event in read_spill(path):
        read += 1
        unique.setdefault(event.request_id, event)
    events = list(unique.values())
    with sessionmaker(engine).begin() as session:
        connection = session.connection()
        heads = lock_heads(connection, {event.tenant_key for event in events})
        existing = _existing_request_ids(session, list(unique))
        new = [event for event in events if event.request_id not in existing]
        append_locked(connection, new, heads)
    moved_to: Path | None = None
    if not path.name.endswith(IMPORTED_SUFFIX):
        try:
            path.rename(done)
        except OSError:
            pass  # the records are in; skipping by request id keeps a rerun harmless
        else:
            moved_to = done
    return SpillImport(imported=len(new), skipped=read - len(new), moved_to=moved_to)


def recent_records(engine: Engine, *, tenant_id: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` records, newest first (one tenant's, or everyone's)."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(AuditRecord.tenant_key == tenant_id)
    with sessionmaker(engine)() as session:
        return [_as_dict(row) for row in session.scalars(query)]
