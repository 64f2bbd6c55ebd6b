"""RedisVault assigns a request's placeholders in one round trip, atomically, against the real
Redis at 127.0.0.1:6379."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from ramparts.policy.redaction import RedisVault

PREFIX = f"ramparts-test:{uuid.uuid4().hex}:"


class CountingRedis(redis.Redis):
    """Counts commands sent (each one is a round trip without a pipeline)."""

    commands = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        type(self).commands += 1
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


@pytest.fixture
def client() -> Iterator[CountingRedis]:
    client = CountingRedis(host="127.0.0.1", port=6379, socket_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield client
    for key in client.scan_iter(PREFIX + "*"):
        client.delete(key)
    client.close()


def _vault(client: redis.Redis) -> RedisVault:
    return RedisVault(client, b"k" * 32, ttl_seconds=60, prefix=PREFIX)


def test_one_round_trip_for_all_of_a_request(client: CountingRedis) -> None:
    vault = _vault(client)
    vault.placeholder("warm", "x", "EMAIL")  # loads the script once
    wanted = [
        ("a@example.com", "EMAIL"),
        ("555-0100", "PHONE"),
        ("b@example.com", "EMAIL"),
        ("a@example.com", "EMAIL"),
        ("555-0101", "PHONE"),
    ]
    CountingRedis.commands = 0
    tokens = vault.placeholders_for("s1", wanted)
    assert CountingRedis.commands == 1
    assert tokens == ["[EMAIL_1]", "[PHONE_1]", "[EMAIL_2]", "[EMAIL_1]", "[PHONE_2]"]
    # Later requests of the conversation see the same numbering and carry it on.
    assert vault.placeholders_for("s1", [("b@example.com", "EMAIL"), ("c@x.org", "EMAIL")]) == [
        "[EMAIL_2]",
        "[EMAIL_3]",
    ]
    assert vault.placeholder("s1", "555-0100", "PHONE") == "[PHONE_1]"
    assert vault.value_of("s1", "[EMAIL_3]") == "c@x.org"
    assert vault.value_of("s2", "[EMAIL_1]") is None  # scopes do not share
    assert 0 < client.ttl(PREFIX + "s1") <= 60
    assert vault.placeholders_for("s1", []) == []


def test_concurrent_requests_of_one_conversation_agree(client: CountingRedis) -> None:
    vault = _vault(client)
    shared = [(f"shared-{i}@example.com", "EMAIL") for i in range(20)]
    results: dict[int, list[list[str]]] = {0: [], 1: []}
    start = threading.Barrier(2)

    def request(worker: int) -> None:
        own = [(f"own-{worker}-{i}@example.com", "EMAIL") for i in range(20)]
        start.wait()
        for round_ in range(10):
            # Interleave shared and own values, in a different order per worker.
            batch = [v for pair in zip(shared, own, strict=True) for v in pair]
            if (worker + round_) % 2:
                batch.reverse()
            results[worker].append(vault.placeholders_for("conv", batch))

    threads = [threading.Thread(target=request, args=(w,)) for w in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    by_value: dict[str, set[str]] = {}
    for worker in (0, 1):
        own = [(f"own-{worker}-{i}@example.com", "EMAIL") for i in range(20)]
        forward = [v for pair in zip(shared, own, strict=True) for v in pair]
        for round_, tokens in enumerate(results[worker]):
            batch = list(reversed(forward)) if (worker + round_) % 2 else forward
            for (value, _), token in zip(batch, tokens, strict=True):
                by_value.setdefault(value, set()).add(token)
    # The same value always got the same placeholder, distinct values distinct ones, and
    # the numbers run 1..60 with no gap or repeat.
    assert all(len(seen) == 1 for seen in by_value.values())
    assigned = sorted(int(next(iter(seen))[7:-1]) for seen in by_value.values())
    assert assigned == list(range(1, 61))
    for value, seen in by_value.items():
        assert vault.value_of("conv", next(iter(seen))) == value
