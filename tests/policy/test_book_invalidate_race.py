"""A policy lookup that raced a policy change must not cache the old policy afterwards."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from ramparts.config import load_settings
from ramparts.policy.book import PolicyBook
from ramparts.policy.store import StoredPolicy
from ramparts.store.identity import KeyIdentity

SETTINGS = load_settings(
    environ={},
    overrides={"guardrails": {"default_policy": "none", "policy_cache_seconds": 300}},
)
IDENTITY = KeyIdentity("key_1", "ten_1", None, None, None, None)


class SlowStore:
    """A policy store whose first read is held until the test lets it go."""

    def __init__(self) -> None:
        self.version = 1
        self.reads = 0
        self.read_done, self.release = threading.Event(), threading.Event()

    def latest_version(self, tenant_id: str) -> int:
        self.reads += 1
        version = self.version
        if self.reads == 1:
            self.read_done.set()
            self.release.wait(5)
        return version

    def get(self, tenant_id: str, version: int) -> StoredPolicy:
        mode = "monitor" if version == 1 else "enforce"
        return StoredPolicy(tenant_id, version, f"mode: {mode}\n", "t", "", datetime.now(UTC))


def test_a_refresh_started_before_invalidate_does_not_cache_the_old_policy() -> None:
    store = SlowStore()
    book = PolicyBook(SETTINGS, store, b"secret")  # type: ignore[arg-type]

    async def scenario() -> tuple[str | None, str | None]:
        racing = asyncio.create_task(book.for_identity(IDENTITY))
        await asyncio.to_thread(store.read_done.wait, 5)
        store.version = 2  # a new policy is saved...
        book.invalidate("ten_1")  # ...and the admin API forgets the cached one
        store.release.set()
        old = await racing
        new = await book.for_identity(IDENTITY)
        return old.describe()["mode"], new.describe()["mode"]

    old, new = asyncio.run(scenario())
    assert old == "monitor"  # the request already under way used what it read
    assert new == "enforce"
    assert store.reads == 2
