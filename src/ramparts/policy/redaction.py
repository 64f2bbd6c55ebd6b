"""Redact and restore: sensitive values leave as placeholders and come back on the way in.

A value becomes a placeholder such as ``[EMAIL_1]``. The same value gets the
same placeholder everywhere in a conversation, across messages and turns,
because the mapping is remembered per conversation in a :class:`Vault` (in
memory, or in Redis with a TTL and the values encrypted). Restoring works on
whole answers, on streams where a placeholder may be split across any number of
chunks (:class:`StreamRestorer`), and inside JSON tool-call arguments.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import orjson
import redis
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLACEHOLDER = re.compile(r"\[([A-Z][A-Z0-9_]{0,40})_(\d{1,6})\]")
MAX_PLACEHOLDER = 50  # characters; longer bracketed text is never a placeholder
_PARTIAL = re.compile(r"\[[A-Z0-9_]*$")
_LABEL_CLEAN = re.compile(r"[^A-Z0-9]+")


@functools.lru_cache(maxsize=1024)  # kinds come from detectors, a small fixed set; no values
def label_for(kind: str) -> str:
    """The placeholder label of a finding kind: ``payment_card`` -> ``PAYMENT_CARD``."""
    label = _LABEL_CLEAN.sub("_", kind.upper()).strip("_")[:40]
    return label if label and label[0].isalpha() else "VALUE"


class Vault(Protocol):
    """Remembers value <-> placeholder for each (tenant, conversation)."""

    def placeholder(self, scope: str, value: str, label: str) -> str: ...

    def placeholders_for(self, scope: str, wanted: Sequence[tuple[str, str]]) -> list[str]:
        """``placeholder(scope, value, label)`` for each (value, label), in order."""
        ...

    def mapping(self, scope: str) -> Mapping[str, str]:
        """Placeholder -> value for a conversation: a lookup, not a copy, so restoring an
        answer costs what its placeholders cost, however many the conversation holds."""
        ...


class _Conversation:
    __slots__ = ("by_placeholder", "by_value", "counters", "expires")

    def __init__(self, expires: float) -> None:
        self.by_value: dict[str, str] = {}
        self.by_placeholder: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.expires = expires


def _assign(conversation: _Conversation, value: str, label: str) -> str:
    """The value's placeholder in this conversation, numbered per label on first sight."""
    existing = conversation.by_value.get(value)
    if existing is not None:
        return existing
    number = conversation.counters.get(label, 0) + 1
    conversation.counters[label] = number
    token = f"[{label}_{number}]"
    conversation.by_value[value] = token
    conversation.by_placeholder[token] = value
    return token


class MemoryVault:
    """Per-process vault with a TTL per conversation and a bound on how many it keeps.

    Conversations are kept least recently used first. Every access sets a conversation's
    expiry to ``now + ttl`` and moves it to the end, and ``clock`` never goes back, so that
    order is also expiry order: each access drops expired conversations from the front, and
    no redacted value outlives its TTL by more than the time to the vault's next use.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_conversations: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_conversations
        self._clock = clock  # must be monotonic (see the class docstring)
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def _evict_expired(self, now: float) -> None:
        conversations = self._conversations
        while conversations and next(iter(conversations.values())).expires <= now:
            conversations.popitem(last=False)

    def _get(self, scope: str) -> _Conversation:
        now = self._clock()
        self._evict_expired(now)  # this scope too, if it expired: it then starts afresh
        conversation = self._conversations.get(scope)
        if conversation is None:
            conversation = _Conversation(now + self._ttl)
            self._conversations[scope] = conversation  # a new key goes to the end
            while len(self._conversations) > self._max:
                self._conversations.popitem(last=False)
        else:
            conversation.expires = now + self._ttl
            self._conversations.move_to_end(scope)
        return conversation

    def placeholder(self, scope: str, value: str, label: str) -> str:
        with self._lock:
            return _assign(self._get(scope), value, label)

    def placeholders_for(self, scope: str, wanted: Sequence[tuple[str, str]]) -> list[str]:
        # One lock and one conversation look-up for all of a request's values.
        with self._lock:
            conversation = self._get(scope)
            return [_assign(conversation, value, label) for value, label in wanted]

    def mapping(self, scope: str) -> Mapping[str, str]:
        with self._lock:
            # A read-only live view: single look-ups are atomic, nothing is copied.
            return MappingProxyType(self._get(scope).by_placeholder)

    def __repr__(self) -> str:
        return f"<MemoryVault conversations={len(self._conversations)}>"


def load_or_create_key(path: Path) -> bytes:
    """A 256-bit key kept in ``path`` (created with mode 0600 on first use)."""
    if path.exists():
        return base64.b64decode(path.read_bytes().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key))
    return key


class RedisVault:
    """Vault in Redis: one hash per conversation, values encrypted (AES-GCM), TTL refreshed on use.

    Field ``v:<digest>`` maps a value's keyed digest to its placeholder, ``p:<placeholder>``
    holds the encrypted value, ``n:<label>`` counts placeholders per label.
    """

    # Atomic "get or assign" for all of a request's values in one round trip, so that
    # concurrent requests of a conversation agree on numbering. ARGV[1] is the TTL, then
    # one (digest field, label, sealed value) triple per value; a value met twice in the
    # same call finds the placeholder its first occurrence was given.
    _ASSIGN = """
    local tokens = {}
    for i = 2, #ARGV, 3 do
      local token = redis.call('HGET', KEYS[1], ARGV[i])
      if not token then
        local n = redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[i + 1], 1)
        token = '[' .. ARGV[i + 1] .. '_' .. n .. ']'
        redis.call('HSET', KEYS[1], ARGV[i], token, 'p:' .. token, ARGV[i + 2])
      end
      tokens[#tokens + 1] = token
    end
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    return tokens
    """

    def __init__(
        self, client: redis.Redis, key: bytes, ttl_seconds: int, prefix: str = "ramparts:vault:"
    ) -> None:
        self._redis = client
        self._aead = AESGCM(key)
        self._digest_key = hashlib.sha256(b"vault-digest" + key).digest()
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._assign = client.register_script(self._ASSIGN)

    def _key(self, scope: str) -> str:
        return self._prefix + scope

    def placeholder(self, scope: str, value: str, label: str) -> str:
        return self.placeholders_for(scope, [(value, label)])[0]

    def placeholders_for(self, scope: str, wanted: Sequence[tuple[str, str]]) -> list[str]:
        if not wanted:
            return []
        args: list[str | bytes | int] = [self._ttl]
        digest_key = self._digest_key[:32]
        aad = scope.encode()
        for value, label in wanted:
            raw = value.encode()
            digest = hashlib.blake2b(raw, key=digest_key, digest_size=16).hexdigest()
            nonce = os.urandom(12)
            sealed = base64.b64encode(nonce + self._aead.encrypt(nonce, raw, aad))
            args += (f"v:{digest}", label, sealed)
        tokens = self._assign(keys=[self._key(scope)], args=args)
        return [t.decode() if isinstance(t, bytes) else str(t) for t in tokens]

    def mapping(self, scope: str) -> Mapping[str, str]:
        return _RedisPlaceholders(self, scope)

    def value_of(self, scope: str, placeholder: str) -> str | None:
        """The value behind one placeholder, decrypted; None when unknown."""
        sealed = self._redis.hget(self._key(scope), "p:" + placeholder)
        if sealed is None:
            return None
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], scope.encode()).decode()

    def placeholders(self, scope: str) -> list[str]:
        fields: list[bytes] = self._redis.hkeys(self._key(scope))  # type: ignore[assignment]
        return [name[2:] for name in (f.decode() for f in fields) if name.startswith("p:")]

    def has_placeholders(self, scope: str) -> bool:
        return bool(self._redis.exists(self._key(scope)))

    def __repr__(self) -> str:
        return "<RedisVault>"


class _RedisPlaceholders(Mapping[str, str]):
    """A conversation's placeholders in Redis, fetched one at a time as an answer names them
    (and remembered for the rest of the answer), never all at once."""

    def __init__(self, vault: RedisVault, scope: str) -> None:
        self._vault = vault
        self._scope = scope
        self._seen: dict[str, str | None] = {}

    def __getitem__(self, placeholder: str) -> str:
        if placeholder not in self._seen:
            self._seen[placeholder] = self._vault.value_of(self._scope, placeholder)
        value = self._seen[placeholder]
        if value is None:
            raise KeyError(placeholder)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._vault.placeholders(self._scope))

    def __len__(self) -> int:
        return len(self._vault.placeholders(self._scope))

    def __bool__(self) -> bool:  # one EXISTS, not a scan of every field
        return self._vault.has_placeholders(self._scope)

    def __repr__(self) -> str:
        return "<RedisPlaceholders>"


def conversation_scope(
    secret: bytes, tenant_id: str, key_id: str, first_texts: list[str], end_user: str | None = None
) -> str:
    """A stable id for a conversation: the same opening turns give the same scope.

    Keyed with the vault's secret: the scope names the conversation's Redis hash, and the
    opening turns hold the very values the vault encrypts, so an unkeyed digest would let
    anyone who can list key names confirm or brute-force a short value offline. The end
    user an app names (``user`` / ``metadata.user_id``) is part of it: the vault numbers
    a conversation's values in the order it meets them, so two users sharing a scope could
    learn from the numbers how many values the other sent, and test a guess.
    """
    digest = hmac.new(secret, b"conversation-scope\x00", hashlib.sha256)
    digest.update(b"\x01" + end_user.encode("utf-8", "surrogatepass") if end_user else b"\x00")
    for part in (tenant_id, key_id, *first_texts):
        raw = part.encode("utf-8", "surrogatepass")
        digest.update(len(raw).to_bytes(8, "big"))  # length-prefixed: no two splits collide
        digest.update(raw)
    return f"{tenant_id}:{digest.hexdigest()[:32]}"


# --- restoring -------------------------------------------------------------------


def restore(text: str, mapping: Mapping[str, str], *, json_string: bool = False) -> str:
    """Put original values back for every known placeholder in ``text``."""
    if "[" not in text or not mapping:
        return text

    def swap(match: re.Match[str]) -> str:
        value = mapping.get(match.group(0))
        if value is None:
            return match.group(0)
        return orjson.dumps(value).decode()[1:-1] if json_string else value

    return PLACEHOLDER.sub(swap, text)


_JSON_SPECIAL = re.compile(r'["\\]')


class JsonStrings:
    """Whether a JSON text read so far ends inside a string (and right after a backslash).

    Fed the answer piece by piece, in order; placeholders hold neither quotes nor
    backslashes, so the raw answer and the restored one agree on where strings are.
    """

    __slots__ = ("escaped", "inside")

    def __init__(self) -> None:
        self.inside = False
        self.escaped = False  # the next character is escaped (only inside a string)

    def advance(self, text: str) -> None:
        if not text:
            return
        pos = 0
        if self.escaped:
            self.escaped = False
            pos = 1  # consumed by the backslash before it
        for match in _JSON_SPECIAL.finditer(text, pos):
            at = match.start()
            if at < pos:
                continue  # an escaped quote or backslash
            if not self.inside:
                if text[at] == '"':
                    self.inside = True
            elif text[at] == '"':
                self.inside = False
            elif at + 1 < len(text):
                pos = at + 2
            else:
                self.escaped = True


def restore_json_text(text: str, mapping: Mapping[str, str], strings: JsonStrings) -> str:
    """Restore placeholders in (a piece of) a JSON answer: a value that lands inside a JSON
    string is escaped as one, so a quote or backslash in it keeps the answer valid JSON.
    ``strings`` carries the position across pieces and is moved past ``text``."""
    if "[" not in text or not mapping:
        strings.advance(text)
        return text
    out: list[str] = []
    pos = 0
    for match in PLACEHOLDER.finditer(text):
        strings.advance(text[pos : match.start()])
        token = match.group(0)
        value = mapping.get(token)
        if value is None:
            out.append(text[pos : match.end()])
        else:
            escaped = orjson.dumps(value).decode()[1:-1] if strings.inside else value
            out.append(text[pos : match.start()] + escaped)
        strings.advance(token)
        pos = match.end()
    strings.advance(text[pos:])
    out.append(text[pos:])
    return "".join(out)


class StreamRestorer:
    """Restores placeholders in a stream, holding back only a possible partial placeholder.

    Any chunking of the same text yields the same restored text (property-tested). With
    ``json_text`` the stream is a JSON answer (the request asked for a JSON response
    format): values inside its strings are escaped as JSON (see :func:`restore_json_text`).
    """

    def __init__(
        self, mapping: Mapping[str, str], *, json_string: bool = False, json_text: bool = False
    ) -> None:
        self._mapping = mapping
        self._json = json_string
        self._strings = JsonStrings() if json_text else None
        self._pending = ""

    def _restore(self, text: str) -> str:
        if self._strings is not None:
            return restore_json_text(text, self._mapping, self._strings)
        return restore(text, self._mapping, json_string=self._json)

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = _hold_from(text)
        self._pending = text[cut:]
        return self._restore(text[:cut])

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._restore(text)


def _hold_from(text: str) -> int:
    """Where a trailing, possibly incomplete placeholder starts (len(text) when none)."""
    start = text.rfind("[", max(0, len(text) - MAX_PLACEHOLDER))
    if start < 0:
        return len(text)
    tail = text[start:]
    if _PARTIAL.fullmatch(tail):
        return start
    # "[LABEL_12" without the closing bracket is matched above; a complete one is released.
    return len(text)
