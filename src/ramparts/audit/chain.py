"""The per-tenant hash chain that makes the audit trail tamper-evident.

Each record's hash covers its own fields and the previous record's hash, and
records are numbered per tenant. Altering a record breaks its hash; deleting
one leaves a gap in the numbers and a broken link; reordering breaks the links;
deleting the newest records is caught by the stored chain head, unless whoever
deleted them also rewrote the head (it is an unkeyed hash in the same database:
see "Audit trail" in docs/gateway.md for catching that).

Hash formats: records keep the format they were written in, and the verifier tries
the newest first. Format 1 rounded floats to 6 decimals, so an edit below that (a
cost stored with 8) went unseen. Format 2 (written since) hashes floats exactly as
stored (``-0.0`` as ``0.0``: SQLite stores it so) and puts ``"hash_format": 2`` in
the hashed body, so no reading of a record in format 1, or with its time in a local
zone (:func:`legacy_times`), can match a format-2 hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

GENESIS = "0" * 64
# The format record_hash writes; verification also knows the older ones (see above).
HASH_FORMAT = 2
HASH_FORMATS = (2, 1)

# The fields a record's hash covers; changing this list is a format break.
HASHED_FIELDS = (
    "tenant_key",
    "seq",
    "request_id",
    "created_at",
    "tenant_id",
    "team_id",
    "user_id",
    "key_id",
    "api",
    "endpoint",
    "model",
    "provider",
    "status",
    "http_status",
    "error_code",
    "stream",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "attempts",
    "guardrails",
    "content",
)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time; a naive one (as SQLite returns) already is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _canonical_value(value: Any, hash_format: int = HASH_FORMAT) -> Any:
    if isinstance(value, datetime):
        # Hashed as naive UTC. PostgreSQL returns timestamptz in the session's time zone,
        # so an aware value is converted, not just stripped: the hash must not depend on
        # the zone of the session that reads (or wrote) it.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, float):
        # Format 2: the float as stored (adding 0.0 turns -0.0 into 0.0, nothing else).
        return value + 0.0 if hash_format >= 2 else round(value, 6)
    return value


# Types _canonical_value returns unchanged (exact types, not subclasses): skipping the call
# for them is the hot path of every audit write and of verification.
_AS_IS = frozenset({str, int, bool, type(None), dict, list})


def record_hash(
    fields: Mapping[str, Any], prev_hash: str, *, hash_format: int = HASH_FORMAT
) -> str:
    payload: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = fields.get(name)
        payload[name] = value if value.__class__ in _AS_IS else _canonical_value(value, hash_format)
    if hash_format >= 2:
        payload["hash_format"] = hash_format
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


@dataclass
class ChainProblem:
    tenant_key: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"record #{self.seq}" if self.seq is not None else "chain head"
        return f"tenant {self.tenant_key}, {where}: {self.problem}"


@dataclass
class VerifyResult:
    records: int = 0
    tenants: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    # Records whose hash matched only the pre-UTC time form (see legacy_times).
    legacy_time_records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def legacy_times(value: Any, zones: Sequence[tzinfo] = ()) -> list[datetime]:
    """The forms in which writers before UTC-aware times hashed ``value``, newest form aside.

    Those writers stored naive UTC into a timestamptz column, which PostgreSQL read as
    the writing session's local time, and hashed the naive digits; their verifier hashed
    the value read back with its zone stripped. So such a record matches when its wall
    clock in the writer's zone is taken: the zone the value comes back in, or one of
    ``zones`` (the session's TimeZone setting, for drivers that return every value in
    UTC, and any zone the operator names as the old writers').
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return []  # SQLite returns naive UTC: the new form is the only one
    forms = [value.replace(tzinfo=None)]
    for zone in zones:
        converted = value.astimezone(zone).replace(tzinfo=None)
        if converted not in forms:
            forms.append(converted)
    return forms


def _matches_legacy(record: Mapping[str, Any], zones: Sequence[tzinfo]) -> bool:
    # Only format 1: the writers that hashed local wall clocks predate format 2.
    for when in legacy_times(record.get("created_at"), zones):
        legacy = {**record, "created_at": when}
        if record_hash(legacy, record["prev_hash"], hash_format=1) == record["hash"]:
            return True
    return False


def _hash_format(record: Mapping[str, Any], first: int) -> int | None:
    """The format in which the record's hash matches its contents (``first`` tried first:
    a chain's records are mostly in one format); None when none does."""
    order = (first, *(f for f in HASH_FORMATS if f != first))
    for hash_format in order:
        if record_hash(record, record["prev_hash"], hash_format=hash_format) == record["hash"]:
            return hash_format
    return None


SHIFTED_TIME = (
    "its hash matches only with its time read in a local zone (the pre-UTC form), but"
    " earlier records of this chain were hashed in UTC: its created_at may have been"
    " shifted (or an old gateway wrote it during an upgrade)"
)


def verify_chain(
    tenant_key: str,
    records: Iterable[Mapping[str, Any]],
    head: tuple[int, str] | None,
    *,
    legacy_zones: Sequence[tzinfo] = (),
) -> tuple[list[ChainProblem], int]:
    """Check one tenant's records, in storage order, against each other and the head.

    Returns the problems and how many records matched only in a legacy time form
    (see :func:`legacy_times`). That form is accepted only for format-1 records before
    the chain's first record hashed in UTC: writers hashed local times only before they
    hashed UTC ones, and accepting the form later would let a time be shifted by a zone's
    offset unseen.
    """
    problems: list[ChainProblem] = []
    legacy = 0
    hash_format = HASH_FORMAT
    utc_seen = False
    expected_seq = 1
    prev_hash = GENESIS
    last: tuple[int, str] | None = None
    for record in records:
        seq = int(record["seq"])
        if seq != expected_seq:
            kind = "missing or reordered records" if seq > expected_seq else "reordered records"
            problems.append(
                ChainProblem(tenant_key, seq, f"expected #{expected_seq} here ({kind})")
            )
        if record["prev_hash"] != prev_hash:
            problems.append(ChainProblem(tenant_key, seq, "link to the previous record is broken"))
        matched = _hash_format(record, hash_format)
        if matched is not None:
            hash_format, utc_seen = matched, True
        elif not _matches_legacy(record, legacy_zones):
            problems.append(ChainProblem(tenant_key, seq, "contents were altered"))
        elif utc_seen:
            problems.append(ChainProblem(tenant_key, seq, SHIFTED_TIME))
        else:
            legacy += 1
        prev_hash = record["hash"]
        expected_seq = seq + 1
        last = (seq, record["hash"])
    if head is not None and last != head:
        problems.append(
            ChainProblem(
                tenant_key,
                None,
                f"head says #{head[0]} is newest but the chain ends at"
                f" #{last[0] if last else 0} (records deleted or altered at the end)",
            )
        )
    return problems, legacy
