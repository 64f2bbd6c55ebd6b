"""Discovery results in the Ramparts store (tables on the shared declarative Base).

``discovery_runs`` holds one row per run, with the full JSON report, next to the
per-service, per-user and finding rows, for SQL queries and later runs (``--since last``
and ``new_service``). Schema changes go through the Alembic migration ``0002_discovery``.
Every value is fitted to its column here, so no log line can make the store refuse a run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ramparts.discovery.parsers.record import clean_text
from ramparts.errors import StoreError
from ramparts.store.base import Base
from ramparts.store.db import create_store_engine, migrate

DEFAULT_STORE_URL = "sqlite:///ramparts-data/ramparts.db"


class DiscoveryRun(Base):
    __tablename__ = "discovery_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_first: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    window_last: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lines: Mapped[int] = mapped_column(BigInteger)
    broken_lines: Mapped[int] = mapped_column(BigInteger)
    ai_requests: Mapped[int] = mapped_column(BigInteger)
    report_json: Mapped[str] = mapped_column(Text)


class DiscoveryServiceUsage(Base):
    __tablename__ = "discovery_service_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_runs.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(32))
    risk_score: Mapped[int] = mapped_column(Integer)
    users: Mapped[int] = mapped_column(Integer)
    requests: Mapped[int] = mapped_column(BigInteger)
    active_days: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bytes_up: Mapped[int] = mapped_column(BigInteger)
    bytes_down: Mapped[int] = mapped_column(BigInteger)


class DiscoveryUserUsage(Base):
    __tablename__ = "discovery_user_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_runs.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(256))
    department: Mapped[str] = mapped_column(String(256))
    services: Mapped[int] = mapped_column(Integer)
    requests: Mapped[int] = mapped_column(BigInteger)
    bytes_up: Mapped[int] = mapped_column(BigInteger)
    bytes_down: Mapped[int] = mapped_column(BigInteger)


class DiscoveryFinding(Base):
    __tablename__ = "discovery_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[str | None] = mapped_column(String(128))
    user: Mapped[str | None] = mapped_column(String(256))
    message: Mapped[str] = mapped_column(Text)


TABLES: list[Table] = [
    Base.metadata.tables[name]
    for name in (
        "discovery_runs",
        "discovery_service_usage",
        "discovery_user_usage",
        "discovery_findings",
    )
]


def open_store(url: str = DEFAULT_STORE_URL) -> Engine:
    """An engine on ``url`` with every pending store migration applied (idempotent)."""
    try:
        engine = create_store_engine(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise StoreError(
            f"cannot open the store: {type(exc).__name__}; check --store-url"
        ) from None
    migrate(engine)
    return engine


_BIGINT_MAX = 2**63 - 1


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _text(value: str, length: int) -> str:
    """``value`` as its column takes it: no NUL or control characters, not too long."""
    return clean_text(str(value), length)


def _opt_text(value: str | None, length: int) -> str | None:
    return None if value is None else _text(value, length)


def _big(value: int) -> int:
    return min(max(int(value), 0), _BIGINT_MAX)


def window_cutoff(report: dict[str, Any], read_until: datetime | None = None) -> datetime | None:
    """Where the next ``--since last`` run starts: the newest record, but never later than
    the end of reading (``read_until``, else the run time). A record dated after the run
    (a skewed clock, a forged time) would otherwise hide all traffic up to its time."""
    last = _dt(report["window"]["last"])
    limit = read_until or _dt(report["generated_at"])
    if last is None or limit is None:
        return last
    return min(last, limit.astimezone(UTC))


def save_run(engine: Engine, report: dict[str, Any], *, read_until: datetime | None = None) -> int:
    """Store one report; returns the run id. ``read_until``: when reading the logs ended
    (records dated up to then are real; see :func:`window_cutoff`)."""
    totals = report["totals"]
    created = _dt(report["generated_at"]) or datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            run = DiscoveryRun(
                tenant=_text(report["tenant"], 128),
                created_at=created,
                window_first=_dt(report["window"]["first"]),
                window_last=window_cutoff(report, read_until),
                lines=_big(totals["lines"]),
                broken_lines=_big(totals["broken_lines"]),
                ai_requests=_big(totals["ai_requests"]),
                report_json=orjson.dumps(report).decode("utf-8"),
            )
            session.add(run)
            session.flush()
            session.add_all(
                DiscoveryServiceUsage(
                    run_id=run.id,
                    service_id=_text(s["id"], 128),
                    status=_text(s["status"], 32),
                    risk_score=s["risk_score"],
                    users=s["users"],
                    requests=_big(s["requests"]),
                    active_days=s["active_days"],
                    first_seen=_dt(s["first_seen"]),
                    last_seen=_dt(s["last_seen"]),
                    bytes_up=_big(s["bytes_up"]),
                    bytes_down=_big(s["bytes_down"]),
                )
                for s in report["services"]
            )
            session.add_all(
                DiscoveryUserUsage(
                    run_id=run.id,
                    user=_text(u["user"], 256),
                    department=_text(u["department"], 256),
                    services=len(u["services"]),
                    requests=_big(u["requests"]),
                    bytes_up=_big(u["bytes_up"]),
                    bytes_down=_big(u["bytes_down"]),
                )
                for u in report["users"]
            )
            session.add_all(
                DiscoveryFinding(
                    run_id=run.id,
                    kind=_text(f["kind"], 64),
                    severity=_text(f["severity"], 16),
                    service_id=_opt_text(f["service_id"], 128),
                    user=_opt_text(f["user"], 256),
                    message=_text(f["message"], 4000),
                )
                for f in report["findings"]
            )
            return run.id
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot save the discovery run: {type(exc).__name__}") from None


def known_services(engine: Engine, tenant: str) -> set[str] | None:
    """Services seen by earlier runs of ``tenant``; None when there is no earlier run."""
    with Session(engine) as session:
        runs = session.scalar(
            select(func.count()).select_from(DiscoveryRun).where(DiscoveryRun.tenant == tenant)
        )
        if not runs:
            return None
        rows = session.scalars(
            select(DiscoveryServiceUsage.service_id)
            .join(DiscoveryRun, DiscoveryRun.id == DiscoveryServiceUsage.run_id)
            .where(DiscoveryRun.tenant == tenant)
            .distinct()
        )
        return set(rows)


def last_window_end(engine: Engine, tenant: str) -> float | None:
    """The newest traffic time stored for ``tenant`` (``--since last`` starts after it)."""
    with Session(engine) as session:
        last = session.scalar(
            select(func.max(DiscoveryRun.window_last)).where(DiscoveryRun.tenant == tenant)
        )
    if last is None:
        return None
    if last.tzinfo is None:  # SQLite drops the zone; we always store UTC
        last = last.replace(tzinfo=UTC)
    return last.timestamp()
