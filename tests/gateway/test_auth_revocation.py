"""How long a revoked, suspended, expired or narrowed key stays usable, across processes.

Two real ``ramparts serve`` processes share one store: ``steady`` caches key lookups for
a minute, ``brisk`` for one second. A change made through one process's admin API takes
effect at once there; the other process notices within its ``auth.cache_ttl_seconds``.
Expiry is checked on every request, cached or not. Unit tests below pin the cache's
shape: keyed by hash, bounded, unknown keys remembered only briefly.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import update

from ramparts.errors import AuthenticationError
from ramparts.gateway import auth as auth_module
from ramparts.gateway.auth import KeyAuthenticator
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore, KeyIdentity, hash_secret
from ramparts.store.models import ApiKey, User
from support.databases import database
from support.gateway_process import GatewayProcess, gateway_config, write_config

from .conftest import RunningGateway

STEADY_TTL = 60.0
BRISK_TTL = 1.0
# Request latency and polling on a loaded 2-core machine, on top of the TTL.
SLACK = 2.0
CHAT = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}


@dataclass
class Pair:
    steady: RunningGateway
    brisk: RunningGateway
    admin_secret: str

    @property
    def identities(self) -> IdentityStore:
        return self.steady.identities

    def admin(self, gateway: RunningGateway, path: str) -> httpx2.Response:
        headers = {"authorization": f"Bearer {self.admin_secret}"}
        return httpx2.post(gateway.url + "/admin" + path, headers=headers, timeout=10)

    def tenant(self) -> str:
        return self.identities.create_tenant(f"rev-{time.monotonic_ns()}").id


def chat(gateway: RunningGateway, secret: str, model: str = "echo") -> httpx2.Response:
    return httpx2.post(
        gateway.url + "/v1/chat/completions",
        json={**CHAT, "model": model},
        headers={"authorization": f"Bearer {secret}"},
        timeout=10,
    )


def seconds_until(gateway: RunningGateway, secret: str, status: int, model: str = "echo") -> float:
    """Seconds until ``gateway`` answers ``secret`` with ``status``; fails after TTL + slack."""
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < BRISK_TTL + SLACK:
        if chat(gateway, secret, model).status_code == status:
            return elapsed
        time.sleep(0.02)
    raise AssertionError(f"still not {status} after {elapsed:.2f} s")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    tmp: Path = tmp_path_factory.mktemp(f"revocation-{request.param}")
    with database(request.param, tmp) as url:
        engine = create_store_engine(url)
        migrate(engine)
        identities = IdentityStore(session_factory(engine))
        nowhere = "http://127.0.0.1:9"  # only the built-in echo model is called
        started: list[RunningGateway] = []
        try:
            for name, ttl in (("steady", STEADY_TTL), ("brisk", BRISK_TTL)):
                config = gateway_config(nowhere + "/v1", nowhere, tmp / "data")
                config["auth"] = {"cache_ttl_seconds": ttl}
                path = write_config(tmp / f"{name}.yaml", config)
                process = GatewayProcess(path, url, tmp / f"{name}.log")
                started.append(RunningGateway(process, identities, url, config))
            admin_secret = identities.create_admin_key(name="root")[1].secret
            yield Pair(started[0], started[1], admin_secret)
        finally:
            for gateway in started:
                gateway.process.stop()
            engine.dispose()


def test_a_revocation_through_the_admin_api_is_immediate_in_that_process(pair: Pair) -> None:
    tenant = pair.tenant()
    team = pair.identities.create_team(tenant, "eng")
    by_key = pair.identities.create_key(tenant)
    by_team = pair.identities.create_key(tenant, team_ref=team.id)[1].secret
    by_tenant = pair.identities.create_key(tenant)[1].secret
    for secret in (by_key[1].secret, by_team, by_tenant):
        assert chat(pair.steady, secret).status_code == 200  # now cached for a minute
    assert pair.admin(pair.steady, f"/keys/{by_key[0].id}/revoke").status_code == 200
    assert chat(pair.steady, by_key[1].secret).status_code == 401
    assert chat(pair.steady, by_team).status_code == 200
    assert pair.admin(pair.steady, f"/teams/{tenant}/eng/revoke").status_code == 200
    assert chat(pair.steady, by_team).status_code == 401
    assert chat(pair.steady, by_tenant).status_code == 200
    assert pair.admin(pair.steady, f"/tenants/{tenant}/revoke").status_code == 200
    assert chat(pair.steady, by_tenant).status_code == 401


def test_another_process_stops_a_revoked_key_within_its_cache_ttl(pair: Pair) -> None:
    row, created = pair.identities.create_key(pair.tenant())
    for gateway in (pair.steady, pair.brisk):
        assert chat(gateway, created.secret).status_code == 200
    assert pair.admin(pair.steady, f"/keys/{row.id}/revoke").status_code == 200
    assert seconds_until(pair.brisk, created.secret, 401) < BRISK_TTL + SLACK
    # The window is the setting's: a process that caches for a minute still has the key
    # (the documented trade-off; drop this check if revocations are ever broadcast).
    other_row, other = pair.identities.create_key(pair.tenant())
    assert chat(pair.steady, other.secret).status_code == 200
    assert pair.admin(pair.brisk, f"/keys/{other_row.id}/revoke").status_code == 200
    assert chat(pair.brisk, other.secret).status_code == 401
    assert chat(pair.steady, other.secret).status_code == 200


def test_another_process_stops_a_key_of_a_revoked_tenant_within_its_cache_ttl(pair: Pair) -> None:
    tenant = pair.tenant()
    secret = pair.identities.create_key(tenant)[1].secret
    assert chat(pair.brisk, secret).status_code == 200
    assert pair.admin(pair.steady, f"/tenants/{tenant}/revoke").status_code == 200
    assert seconds_until(pair.brisk, secret, 401) < BRISK_TTL + SLACK


def test_store_side_changes_reach_a_running_process_within_its_cache_ttl(pair: Pair) -> None:
    """A suspended user and a narrowed allowlist have no admin route: they are store edits,
    seen by every process within its TTL."""
    tenant = pair.tenant()
    user = pair.identities.create_user(tenant, "alice")
    of_user = pair.identities.create_key(tenant, user_ref=user.id)[1].secret
    narrowed_row, narrowed = pair.identities.create_key(tenant)
    assert chat(pair.brisk, of_user).status_code == 200
    assert chat(pair.brisk, narrowed.secret).status_code == 200
    engine = create_store_engine(pair.brisk.database_url)
    try:
        with session_factory(engine).begin() as session:
            now = datetime.now(UTC)
            session.execute(update(User).where(User.id == user.id).values(disabled_at=now))
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == narrowed_row.id)
                .values(allowed_models=["echo-embed"])
            )
    finally:
        engine.dispose()
    assert seconds_until(pair.brisk, of_user, 401) < BRISK_TTL + SLACK
    assert seconds_until(pair.brisk, narrowed.secret, 403) < BRISK_TTL + SLACK


def test_an_expired_key_is_refused_at_its_expiry_even_while_cached(pair: Pair) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=3)
    secret = pair.identities.create_key(pair.tenant(), expires_at=expires)[1].secret
    assert chat(pair.steady, secret).status_code == 200  # cached for a minute
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    assert chat(pair.steady, secret).status_code == 401


def test_failed_attempts_are_logged_without_key_material(pair: Pair) -> None:
    bad = "rk-" + secrets.token_urlsafe(32)  # shaped like a real key, stored nowhere
    row, revoked = pair.identities.create_key(pair.tenant())
    assert chat(pair.steady, revoked.secret).status_code == 200
    assert pair.admin(pair.steady, f"/keys/{row.id}/revoke").status_code == 200
    request_ids = []
    for gateway in (pair.steady, pair.brisk):
        for headers in ({"authorization": f"Bearer {bad}"}, {"x-api-key": bad}):
            response = httpx2.post(
                gateway.url + "/v1/chat/completions", json=CHAT, headers=headers, timeout=10
            )
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_api_key"
            assert bad not in response.text
            request_ids.append((gateway, response.headers["x-request-id"]))
    refused = chat(pair.steady, revoked.secret)
    assert refused.status_code == 401
    request_ids.append((pair.steady, refused.headers["x-request-id"]))
    time.sleep(0.3)  # the access log line is written as the response goes out
    for gateway, request_id in request_ids:
        logs = gateway.process.logs()
        line = next(line for line in logs.splitlines() if request_id in line)
        assert '"http_status":401' in line
        for secret in (bad, revoked.secret):
            tail = secret.removeprefix("rk-")
            for material in (tail[:12], tail[-12:], hash_secret(secret)[:16]):
                assert material not in logs
        for record in gateway.audit(request_id):
            assert record.key_id is None and record.http_status == 401
            assert bad not in repr(vars(record)) and revoked.secret not in repr(vars(record))


# --- the cache itself, without processes -----------------------------------------------

IDENTITY = KeyIdentity("key_1", "ten_1", None, None, None, None)


def counting(known: set[str]) -> tuple[Callable[[str], KeyIdentity | None], list[str]]:
    seen: list[str] = []

    def resolve(secret: str) -> KeyIdentity | None:
        seen.append(secret)
        return IDENTITY if secret in known else None

    return resolve, seen


def attempt(auth: KeyAuthenticator, secret: str) -> KeyIdentity | None:
    try:
        return asyncio.run(auth.authenticate(secret))
    except AuthenticationError:
        return None


def test_the_cache_holds_hashes_never_raw_keys() -> None:
    good, bad = "rk-" + secrets.token_urlsafe(32), "rk-" + secrets.token_urlsafe(32)
    resolve, _ = counting({good})
    auth = KeyAuthenticator(resolve, ttl_seconds=300)
    assert attempt(auth, good) == IDENTITY and attempt(auth, bad) is None
    stored = set(auth._cache)
    assert stored == {hashlib.sha256(s.encode()).hexdigest() for s in (good, bad)}
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in stored)


def test_a_flood_of_unknown_keys_stays_within_the_cache_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth_module, "_MAX_CACHE", 50)
    resolve, seen = counting(set())
    auth = KeyAuthenticator(resolve, ttl_seconds=300)

    async def flood() -> int:
        biggest = 0
        for _ in range(500):
            with pytest.raises(AuthenticationError):
                await auth.authenticate("rk-" + secrets.token_urlsafe(32))
            biggest = max(biggest, len(auth._cache))
        return biggest

    assert asyncio.run(flood()) <= 50
    assert len(seen) == 500  # each new guess costs one lookup, a repeated one none (below)


def test_an_unknown_key_is_remembered_for_at_most_a_second() -> None:
    """Repeats of a wrong key do not reach the store; a key that becomes valid (it cannot,
    being random, before it is created) would be accepted a second later at most."""
    secret = "rk-" + secrets.token_urlsafe(32)
    known: set[str] = set()
    resolve, seen = counting(known)
    auth = KeyAuthenticator(resolve, ttl_seconds=300)
    for _ in range(5):
        assert attempt(auth, secret) is None
    assert len(seen) == 1
    known.add(secret)
    time.sleep(1.05)
    assert attempt(auth, secret) == IDENTITY
    assert len(seen) == 2


def test_a_zero_ttl_looks_every_key_up() -> None:
    secret = "rk-" + secrets.token_urlsafe(32)
    resolve, seen = counting({secret})
    auth = KeyAuthenticator(resolve, ttl_seconds=0)
    for _ in range(3):
        assert attempt(auth, secret) == IDENTITY
    assert len(seen) == 3


def test_a_revocation_forgets_only_the_identities_it_touched() -> None:
    def identity(key: str, tenant: str, team: str | None) -> KeyIdentity:
        return KeyIdentity(key, tenant, team, None, None, None)

    secrets_by_identity = {
        "rk-a1": identity("key_a1", "ten_a", "team_a"),
        "rk-a2": identity("key_a2", "ten_a", None),
        "rk-b1": identity("key_b1", "ten_b", "team_b"),
        "rk-b2": identity("key_b2", "ten_b", "team_b"),
        "rk-c1": identity("key_c1", "ten_c", None),
    }
    auth = KeyAuthenticator(secrets_by_identity.get, ttl_seconds=300)

    def cached() -> set[str]:
        for secret in secrets_by_identity:
            attempt(auth, secret)  # cached after the first lookup
        return {ident.key_id for ident, _ in auth._cache.values() if ident is not None}

    def after(**revoked: str) -> set[str]:
        assert cached() == {"key_a1", "key_a2", "key_b1", "key_b2", "key_c1"}
        auth.forget(**revoked)
        return {ident.key_id for ident, _ in auth._cache.values() if ident is not None}

    # One tenant's revocations leave the other tenants' cached keys alone.
    assert after(key_id="key_a1") == {"key_a2", "key_b1", "key_b2", "key_c1"}
    assert after(team_id="team_b") == {"key_a1", "key_a2", "key_c1"}
    assert after(tenant_id="ten_a") == {"key_b1", "key_b2", "key_c1"}
    assert after() == set()
