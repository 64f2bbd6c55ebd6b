"""A key lookup that raced a revocation must not cache the key as valid afterwards."""

from __future__ import annotations

import asyncio
import threading

from ramparts.gateway.auth import KeyAuthenticator
from ramparts.store.identity import KeyIdentity

IDENTITY = KeyIdentity("key_1", "ten_1", None, None, None, None)


def test_a_lookup_started_before_forget_does_not_cache_the_revoked_key() -> None:
    revoked = False
    read_done, forgotten = threading.Event(), threading.Event()
    lookups = 0

    def resolve(secret: str) -> KeyIdentity | None:
        nonlocal lookups
        lookups += 1
        if lookups == 1:
            # Read the key while it is valid; the revocation lands before the answer is used.
            read_done.set()
            forgotten.wait(5)
            return IDENTITY
        return None if revoked else IDENTITY

    auth = KeyAuthenticator(resolve, ttl_seconds=300)

    async def scenario() -> KeyIdentity | None:
        nonlocal revoked
        racing = asyncio.create_task(auth.authenticate("rk-secret"))
        await asyncio.to_thread(read_done.wait, 5)
        revoked = True
        auth.forget()  # what the admin API does after revoking
        forgotten.set()
        assert await racing == IDENTITY  # the request already under way may finish
        try:
            return await auth.authenticate("rk-secret")
        except Exception:
            return None

    assert asyncio.run(scenario()) is None
    assert lookups == 2


def test_lookups_are_still_cached_when_nothing_was_revoked() -> None:
    calls = 0

    def resolve(secret: str) -> KeyIdentity | None:
        nonlocal calls
        calls += 1
        return IDENTITY

    auth = KeyAuthenticator(resolve, ttl_seconds=300)

    async def twice() -> None:
        await auth.authenticate("rk-secret")
        await auth.authenticate("rk-secret")

    asyncio.run(twice())
    assert calls == 1
