"""Fixtures shared by the policy tests."""

from __future__ import annotations

from importlib import resources

import pytest

from ramparts.policy.book import CompiledPolicy, compile_policy
from ramparts.policy.model import parse_policy


@pytest.fixture(scope="module")
def builtin() -> CompiledPolicy:
    """The built-in policy, compiled for tenant "t"."""
    text = resources.files("ramparts.policy").joinpath("default-policy.yaml").read_text("utf-8")
    return compile_policy(parse_policy(text), "t", 1, b"k" * 32)
