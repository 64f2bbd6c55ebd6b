"""Fixtures for end-to-end gateway tests: a fake upstream and real `ramparts serve` processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from ramparts.store.models import AuditRecord
from support.databases import database
from support.gateway_process import GatewayProcess, gateway_config, write_config
from support.upstream import FakeUpstream


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@dataclass
class RunningGateway:
    process: GatewayProcess
    identities: IdentityStore
    database_url: str
    config: dict[str, Any]

    @property
    def url(self) -> str:
        return self.process.url

    def new_key(self, **options: Any) -> tuple[str, str]:
        """A fresh tenant and API key: (tenant id, secret)."""
        tenant = self.identities.create_tenant(f"t-{time.monotonic_ns()}")
        _, created = self.identities.create_key(tenant.id, **options)
        return tenant.id, created.secret

    def audit(self, request_id: str, timeout: float = 5.0) -> list[AuditRecord]:
        """The audit records of one request, once the writer has flushed them."""
        engine = create_store_engine(self.database_url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                with session_factory(engine)() as session:
                    rows = list(
                        session.scalars(
                            select(AuditRecord).where(AuditRecord.request_id == request_id)
                        )
                    )
                if rows or time.monotonic() > deadline:
                    return rows
                time.sleep(0.02)
        finally:
            engine.dispose()

    def tenant_audit(self, tenant_id: str) -> list[AuditRecord]:
        engine = create_store_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                query = select(AuditRecord).where(AuditRecord.tenant_key == tenant_id)
                return list(session.scalars(query.order_by(AuditRecord.seq)))
        finally:
            engine.dispose()


@contextmanager
def sqlite_gateway(tmp: Path, name: str, upstream_port: int) -> Iterator[RunningGateway]:
    """A gateway on its own SQLite store whose providers all point at one upstream port
    (a scripted upstream of a test module)."""
    url = f"sqlite:///{tmp / (name + '.db')}"
    engine = create_store_engine(url)
    migrate(engine)
    base = f"http://127.0.0.1:{upstream_port}"
    config = gateway_config(f"{base}/v1", base, tmp / "data")
    process = GatewayProcess(write_config(tmp / f"{name}.yaml", config), url, tmp / f"{name}.log")
    try:
        yield RunningGateway(process, IdentityStore(session_factory(engine)), url, config)
    finally:
        process.stop()
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def gateway(
    request: pytest.FixtureRequest, upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    tmp = tmp_path_factory.mktemp(f"gateway-{request.param}")
    with database(request.param, tmp) as url:
        engine = create_store_engine(url)
        migrate(engine)
        config = gateway_config(upstream.openai_url, upstream.anthropic_url, tmp / "data")
        path = write_config(tmp / "ramparts.yaml", config)
        process = GatewayProcess(path, url, tmp / "gateway.log")
        try:
            yield RunningGateway(process, IdentityStore(session_factory(engine)), url, config)
        finally:
            process.stop()
            engine.dispose()


@pytest.fixture
def api_key(gateway: RunningGateway) -> str:
    return gateway.new_key()[1]
