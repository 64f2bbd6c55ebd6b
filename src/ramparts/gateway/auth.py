"""Turning a presented API key into a :class:`KeyIdentity`, with a short-lived cache.

Keys are accepted as ``Authorization: Bearer <key>`` or ``x-api-key: <key>``.
The cache is keyed by the key's SHA-256, so no secret sits in memory longer
than the request that carried it; unknown keys are cached too (briefly), so
guessing does not hammer the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ramparts.errors import AuthenticationError
from ramparts.store.identity import KeyIdentity, hash_secret

_MAX_CACHE = 100_000


def presented_key(get: Callable[[str], str | None]) -> str | None:
    """The key from ``Authorization: Bearer`` or ``x-api-key``; ``get`` reads a header."""
    value = get("authorization")
    if value:
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    value = get("x-api-key")
    return value.strip() if value else None


class KeyAuthenticator:
    def __init__(self, resolve: Callable[[str], KeyIdentity | None], ttl_seconds: float) -> None:
        self._resolve = resolve
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[KeyIdentity | None, float]] = {}
        # Moved on by forget(): a lookup that started before a revocation may have read the
        # key as valid, so it must not cache what it read.
        self._generation = 0

    async def authenticate(self, secret: str | None) -> KeyIdentity:
        if not secret:
            raise AuthenticationError(
                "no API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
                code="missing_api_key",
            )
        digest = hash_secret(secret)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            identity = cached[0]
        else:
            generation = self._generation
            identity = await asyncio.to_thread(self._resolve, secret)
            if generation == self._generation:
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                ttl = self._ttl if identity else min(self._ttl, 1.0)
                self._cache[digest] = (identity, now + ttl)
                # forget() runs in admin worker threads: it may have landed just now.
                if generation != self._generation:
                    self._cache.pop(digest, None)
        if identity is None:
            raise AuthenticationError(
                "invalid API key: it is unknown, expired or revoked", code="invalid_api_key"
            )
        if identity.expires_at is not None and identity.expires_at <= datetime.now(UTC):
            self._cache.pop(digest, None)
            raise AuthenticationError(
                "invalid API key: it is unknown, expired or revoked", code="invalid_api_key"
            )
        return identity

    def forget(
        self, *, key_id: str | None = None, team_id: str | None = None, tenant_id: str | None = None
    ) -> None:
        """Drop the cached identities a revocation through this process touched (the key,
        or every key of the team or tenant; all of them when none is named), and keep
        lookups already under way from caching theirs.

        Only the revoked ones go: clearing everything on each revocation would let one
        tenant's admin, revoking in a loop, send every tenant's requests to the store."""
        self._generation += 1
        if key_id is None and team_id is None and tenant_id is None:
            self._cache.clear()
            return
        for digest, (identity, _) in list(self._cache.items()):
            if identity is not None and (
                identity.key_id == key_id
                or (team_id is not None and identity.team_id == team_id)
                or identity.tenant_id == tenant_id
            ):
                self._cache.pop(digest, None)
