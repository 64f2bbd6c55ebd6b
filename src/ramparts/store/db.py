"""Connecting to the store and bringing its schema up to date with Alembic."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ramparts.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Every module that defines tables on the shared Base; migrations must cover them all.
TABLE_MODULES = ("ramparts.store.models", "ramparts.policy.store", "ramparts.discovery.storage")


def load_tables() -> None:
    """Import every table definition, so the shared metadata knows the whole schema."""
    for name in TABLE_MODULES:
        importlib.import_module(name)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the gateway read keys while the audit writer commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def dump_json(value: Any) -> str:
    """JSON columns' serializer: orjson (audit records are written on every request),
    falling back to the standard library for what orjson refuses (huge ints...).

    Columns are read back with the standard library (:func:`json.loads`), which reads
    everything either writes exactly (orjson would read a 70-bit integer as a float,
    and refuse a NaN the fallback wrote); reads are rare next to writes.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode and its directory created."""
    parsed = make_url(url)
    codecs: dict[str, Any] = {"json_serializer": dump_json, "json_deserializer": json.loads}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **codecs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, **codecs)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    try:
        command.upgrade(alembic_config(engine), "heads")
    except SQLAlchemyError as exc:
        raise StoreError(
            f"could not migrate the store at {engine.url.render_as_string(hide_password=True)}:"
            f" {type(exc).__name__}. Check that the database is reachable and writable."
        ) from None


def pending_migrations(engine: Engine) -> list[str]:
    """Revisions not yet applied; empty when the schema is current."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(script.get_heads())
    if heads <= current:
        return []
    return sorted(heads - current)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
