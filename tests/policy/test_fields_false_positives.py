"""Ordinary request fields do not trip the built-in policy: random ids, numeric seeds."""

from __future__ import annotations

import random
from importlib import resources
from typing import Any

import pytest

from ramparts.config import load_settings
from ramparts.gateway.openai_format import parse_chat_request
from ramparts.policy.book import compile_policy
from ramparts.policy.decide import decide
from ramparts.policy.guard import refusal, scan_units, text_units
from ramparts.policy.model import parse_policy

SETTINGS = load_settings(environ={})
BUILTIN = compile_policy(
    parse_policy(
        resources.files("ramparts.policy").joinpath("default-policy.yaml").read_text("utf-8")
    ),
    "t",
    1,
    b"k" * 32,
)
BASE: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _blocked(body: dict[str, Any]) -> bool:
    request = parse_chat_request(body)
    units = text_units(request)
    assert BUILTIN.input_engine is not None and BUILTIN.policy is not None
    located = scan_units(BUILTIN.input_engine, units)
    model = SETTINGS.models[0]
    verdict = decide(located, BUILTIN.policy, SETTINGS, model, None, BUILTIN.rules)
    return verdict.action == "block" or refusal(units, verdict, True) is not None


def test_random_user_and_metadata_ids_pass() -> None:
    rng = random.Random(1)
    for _ in range(100):
        opaque = "".join(rng.choice(_ALNUM) for _ in range(32))
        assert not _blocked({**BASE, "user": opaque})
        assert not _blocked({**BASE, "metadata": {"request_id": "req_" + opaque}})


def test_a_credential_in_the_user_field_is_still_blocked() -> None:
    assert _blocked({**BASE, "user": "AKIA" + "QYLPMN5HHHFPZAM2"})
    assert _blocked({**BASE, "metadata": {"note": "AKIA" + "QYLPMN5HHHFPZAM2"}})


@pytest.mark.parametrize("seed", [4111111111111111, 2**63 - 1, 5500000000000004])
def test_numeric_seeds_pass(seed: int) -> None:
    assert not _blocked({**BASE, "seed": seed})
