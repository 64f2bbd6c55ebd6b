"""Placeholders: consistent per conversation, restored whole, in any chunking, and inside JSON."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import redis
from cryptography.exceptions import InvalidTag
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.policy.redaction import (
    JsonStrings,
    MemoryVault,
    RedisVault,
    StreamRestorer,
    conversation_scope,
    label_for,
    restore,
    restore_json_text,
)

MAPPING = {
    "[EMAIL_1]": "bob@example.com",
    "[EMAIL_2]": "ann@example.org",
    "[PAYMENT_CARD_1]": "4111 1111 1111 1111",
    "[PERSON_12]": 'Jane "JJ" O\'Neil',
}


def test_labels_come_from_finding_kinds() -> None:
    assert label_for("email") == "EMAIL"
    assert label_for("payment_card") == "PAYMENT_CARD"
    assert label_for("aws-access-key-id") == "AWS_ACCESS_KEY_ID"
    assert label_for("123") == "VALUE"


def test_same_value_same_placeholder_within_a_conversation_only() -> None:
    vault = MemoryVault(ttl_seconds=60)
    first = vault.placeholder("t:conv1", "bob@example.com", "EMAIL")
    assert first == "[EMAIL_1]"
    assert vault.placeholder("t:conv1", "ann@example.org", "EMAIL") == "[EMAIL_2]"
    assert vault.placeholder("t:conv1", "bob@example.com", "EMAIL") == first
    assert vault.placeholder("t:conv2", "ann@example.org", "EMAIL") == "[EMAIL_1]"
    assert vault.mapping("t:conv1") == {
        "[EMAIL_1]": "bob@example.com",
        "[EMAIL_2]": "ann@example.org",
    }
    assert "bob" not in repr(vault)


def test_memory_vault_forgets_after_its_ttl_and_is_bounded() -> None:
    vault = MemoryVault(ttl_seconds=0.0)
    vault.placeholder("t:c", "x@y.z", "EMAIL")
    assert vault.mapping("t:c") == {}
    small = MemoryVault(ttl_seconds=60, max_conversations=100)
    for i in range(150):
        small.placeholder(f"t:{i}", "v", "V")
    assert small.mapping("t:0") == {} and small.mapping("t:149") == {"[V_1]": "v"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def held_scopes(vault: MemoryVault) -> list[str]:
    return list(vault._conversations)


def test_memory_vault_drops_expired_conversations_on_any_access() -> None:
    clock = FakeClock()
    vault = MemoryVault(ttl_seconds=10, clock=clock)
    vault.placeholder("t:old", "4111 1111 1111 1111", "PAYMENT_CARD")
    clock.now += 4
    vault.placeholder("t:refreshed", "a@b.c", "EMAIL")
    clock.now += 4
    vault.placeholder("t:old", "4111 1111 1111 1111", "PAYMENT_CARD")  # refreshed: now newest
    clock.now += 4  # "t:refreshed" (last used 8 s ago) lives on; nothing has expired yet
    vault.placeholder("t:new", "x@y.z", "EMAIL")
    assert held_scopes(vault) == ["t:refreshed", "t:old", "t:new"]
    clock.now += 3  # "t:refreshed" expired 1 s ago; the others not yet
    vault.placeholder("t:other", "q@r.s", "EMAIL")  # unrelated traffic evicts it
    assert held_scopes(vault) == ["t:old", "t:new", "t:other"]
    clock.now += 100
    vault.mapping("t:unrelated")
    assert held_scopes(vault) == ["t:unrelated"]  # no expired value is kept
    assert vault.mapping("t:old") == {}


def test_memory_vault_expiry_is_exact_at_the_ttl() -> None:
    clock = FakeClock()
    vault = MemoryVault(ttl_seconds=10, clock=clock)
    vault.placeholder("t:a", "a@b.c", "EMAIL")
    clock.now += 9.999
    assert vault.mapping("t:a") == {"[EMAIL_1]": "a@b.c"}  # an access refreshes the TTL
    clock.now += 9.999
    vault.placeholder("t:b", "b@b.c", "EMAIL")
    assert "t:a" in held_scopes(vault)
    clock.now += 0.001
    vault.placeholder("t:b", "b@b.c", "EMAIL")
    assert held_scopes(vault) == ["t:b"]


SECRET = b"s" * 32


def test_conversation_scope_is_stable_and_tenant_scoped() -> None:
    a = conversation_scope(SECRET, "ten_a", "key_1", ["system", "hello"])
    assert a == conversation_scope(SECRET, "ten_a", "key_1", ["system", "hello"])
    assert a != conversation_scope(SECRET, "ten_b", "key_1", ["system", "hello"])
    assert a.startswith("ten_a:")


def test_conversation_scope_is_keyed_and_splits_cannot_collide() -> None:
    """The scope names a Redis key: without the vault's secret it must not be computable
    from guessed opening turns (an unkeyed digest let short values be brute-forced)."""
    texts = ["My SSN is 123-45-6789"]
    scope = conversation_scope(SECRET, "ten_a", "key_1", texts)
    unkeyed = hashlib.sha256()
    for part in ("ten_a", "key_1", *texts):
        unkeyed.update(part.encode() + b"\x00")
    assert scope.split(":", 1)[1] != unkeyed.hexdigest()[:32]
    assert scope != conversation_scope(b"t" * 32, "ten_a", "key_1", texts)
    assert conversation_scope(SECRET, "t", "k", ["a\x00b"]) != conversation_scope(
        SECRET, "t", "k", ["a", "b"]
    )
    conversation_scope(SECRET, "t", "k", ["lone \ud800 surrogate"])  # no UnicodeEncodeError


def test_restore_whole_text_and_json_strings() -> None:
    text = "Write to [EMAIL_1] and [EMAIL_2]; card [PAYMENT_CARD_1]; unknown [EMAIL_9]."
    assert restore(text, MAPPING) == (
        "Write to bob@example.com and ann@example.org; card 4111 1111 1111 1111; unknown [EMAIL_9]."
    )
    arguments = json.dumps({"to": "[PERSON_12]", "cc": ["[EMAIL_1]"]})
    restored = json.loads(restore(arguments, MAPPING, json_string=True))
    assert restored == {"to": 'Jane "JJ" O\'Neil', "cc": ["bob@example.com"]}


answers = st.lists(
    st.sampled_from(
        [
            *MAPPING,
            "[",
            "]",
            "[EMAIL",
            "_1",
            "[EMAIL_",
            "x",
            " ",
            "[a]",
            "[EMAIL_3]",
            "ünï",
            "[[",
            "]]",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(answers, st.data())
def test_any_chunking_restores_the_same_text(text: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    restorer = StreamRestorer(MAPPING)
    streamed = "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()
    assert streamed == restore(text, MAPPING)


# --- JSON answers (response_format json_object / json_schema) -----------------------------

JSON_VALUES = {
    "[PASSWORD_1]": 'Tr0ub4dor\\3x9"Zq',
    "[EMAIL_1]": "bob@example.com",
    "[PERSON_12]": 'Jane "JJ" O\'Neil',
    "[NOTE_1]": "line\nbreak\ttab \u2028",
}


def test_values_inside_json_strings_are_escaped_and_others_are_not() -> None:
    answer = '{"line": "db_password = [PASSWORD_1]", "[PERSON_12]": 1} then [EMAIL_1] and [NOTE_9]'
    restored = restore_json_text(answer, JSON_VALUES, JsonStrings())
    document, rest = restored.split("} ", 1)
    assert json.loads(document + "}") == {
        "line": 'db_password = Tr0ub4dor\\3x9"Zq',
        'Jane "JJ" O\'Neil': 1,
    }
    assert rest == "then bob@example.com and [NOTE_9]"  # outside strings: as it was


def test_escaped_quotes_and_backslashes_do_not_end_a_string() -> None:
    answer = r'{"a": "say \"hi\" [EMAIL_1]", "b": "c:\\", "c": "[PASSWORD_1]"}'
    restored = restore_json_text(answer, JSON_VALUES, JsonStrings())
    assert json.loads(restored) == {
        "a": 'say "hi" bob@example.com',
        "b": "c:\\",
        "c": 'Tr0ub4dor\\3x9"Zq',
    }


json_documents = st.recursive(
    st.one_of(
        st.sampled_from([None, True, 1, 2.5]),
        st.lists(st.sampled_from([*JSON_VALUES, "[EMAIL_7]", "x", ' "q" ', "\\", "ü", "["])).map(
            "".join
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["k", "[EMAIL_1]"]), inner)
    ),
    max_leaves=12,
)


def _swap(value: object) -> object:
    """``value`` with each known placeholder in its strings replaced by its value."""
    if isinstance(value, str):
        return restore(value, JSON_VALUES)
    if isinstance(value, list):
        return [_swap(item) for item in value]
    if isinstance(value, dict):
        return {_swap(key): _swap(item) for key, item in value.items()}
    return value


@settings(max_examples=400, deadline=None)
@given(json_documents, st.booleans(), st.data())
def test_any_chunking_of_a_json_answer_restores_valid_json(
    document: object, ascii_only: bool, data: st.DataObject
) -> None:
    """Whatever the chunking, the streamed restore equals the whole one and decodes to the
    document with every value put back."""
    text = json.dumps(document, ensure_ascii=ascii_only)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    restorer = StreamRestorer(JSON_VALUES, json_text=True)
    streamed = "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()
    assert streamed == restore_json_text(text, JSON_VALUES, JsonStrings())
    assert json.loads(streamed) == _swap(document)


@settings(max_examples=300, deadline=None)
@given(answers, st.data())
def test_json_mode_chunking_matches_on_any_text(text: str, data: st.DataObject) -> None:
    """Not only on valid JSON: a half-written or broken answer restores the same however
    it is chunked (quotes and backslashes included)."""
    text = text.replace("x", '"').replace("ü", "\\")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    restorer = StreamRestorer(MAPPING, json_text=True)
    streamed = "".join(restorer.feed(chunk) for chunk in chunks) + restorer.flush()
    assert streamed == restore_json_text(text, MAPPING, JsonStrings())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab[]_E1 ", max_size=8), max_size=20))
def test_restorer_holds_back_only_a_possible_placeholder(chunks: list[str]) -> None:
    restorer = StreamRestorer({})  # nothing to restore: output must equal input
    total = "".join(chunks)
    released = ""
    for count in range(1, len(chunks) + 1):
        released += restorer.feed(chunks[count - 1])
        sent = "".join(chunks[:count])
        assert sent.startswith(released)
        held = sent[len(released) :]
        assert held == "" or (re.fullmatch(r"\[[A-Z0-9_]*", held) and len(held) <= 50)
    assert released + restorer.flush() == total


@pytest.fixture
def redis_client() -> redis.Redis:
    client = redis.Redis(host="127.0.0.1", port=6379)
    client.ping()
    return client


def test_redis_vault_shares_numbering_encrypts_values_and_expires(
    redis_client: redis.Redis,
) -> None:
    key = b"k" * 32
    scope = f"ten_test:{id(redis_client)}"
    vault = RedisVault(redis_client, key, ttl_seconds=30, prefix="ramparts-test:vault:")
    other_process = RedisVault(redis_client, key, ttl_seconds=30, prefix="ramparts-test:vault:")
    assert vault.placeholder(scope, "bob@example.com", "EMAIL") == "[EMAIL_1]"
    assert other_process.placeholder(scope, "bob@example.com", "EMAIL") == "[EMAIL_1]"
    assert other_process.placeholder(scope, "ann@example.org", "EMAIL") == "[EMAIL_2]"
    assert vault.mapping(scope) == {"[EMAIL_1]": "bob@example.com", "[EMAIL_2]": "ann@example.org"}
    stored = redis_client.hgetall("ramparts-test:vault:" + scope)
    assert b"bob@example.com" not in b"".join(list(stored.keys()) + list(stored.values()))  # type: ignore[arg-type]
    assert 0 < redis_client.ttl("ramparts-test:vault:" + scope) <= 30
    wrong_key = RedisVault(redis_client, b"x" * 32, ttl_seconds=30, prefix="ramparts-test:vault:")
    with pytest.raises(InvalidTag):
        wrong_key.mapping(scope)["[EMAIL_1]"]
    # Restoring fetches only the placeholders an answer names, once each.
    lazy = vault.mapping(scope)
    assert restore("to [EMAIL_2] and [EMAIL_2], not [EMAIL_9]", lazy) == (
        "to ann@example.org and ann@example.org, not [EMAIL_9]"
    )
    assert sorted(lazy._seen) == ["[EMAIL_2]", "[EMAIL_9]"]  # type: ignore[attr-defined]
    assert lazy and not vault.mapping(scope + ":none")
    redis_client.delete("ramparts-test:vault:" + scope)


def test_memory_vault_mapping_is_a_live_read_only_view() -> None:
    vault = MemoryVault(ttl_seconds=60)
    view = vault.mapping("t:live")
    assert not view
    vault.placeholder("t:live", "bob@example.com", "EMAIL")
    assert view == {"[EMAIL_1]": "bob@example.com"}  # no copy: later values show up
    with pytest.raises(TypeError):
        view["[EMAIL_2]"] = "x"  # type: ignore[index]


def test_the_end_user_an_app_names_is_part_of_the_scope() -> None:
    """Review 8: two end users of one app (one key, the same opening turns) must not share
    the vault's numbering, which would tell one how many values the other sent."""
    texts = ["You are HelpBot.", "hello"]
    shared = conversation_scope(SECRET, "t", "k", texts)
    alice = conversation_scope(SECRET, "t", "k", texts, "alice")
    assert alice == conversation_scope(SECRET, "t", "k", texts, "alice")
    assert len({shared, alice, conversation_scope(SECRET, "t", "k", texts, "mallory")}) == 3
    assert conversation_scope(SECRET, "t", "k", texts, "") == shared
