"""Policy YAML is checked for size and depth before anything expands or recurses into it."""

from __future__ import annotations

import time

import pytest

from ramparts.errors import ConfigError
from ramparts.policy.model import parse_policy
from ramparts.yamlfile import yaml_mapping

MAX_DEPTH = 100  # ramparts.yamlfile.MAX_DEPTH


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    return "\n".join([*lines, "mode: enforce"])


@pytest.mark.parametrize("levels", [17, 40])
def test_an_alias_bomb_is_refused_quickly_with_its_line(levels: int) -> None:
    started = time.process_time()
    with pytest.raises(ConfigError) as caught:
        parse_policy(alias_bomb(levels), "policy.yaml")
    assert time.process_time() - started < 1.0
    assert "aliases are expanded" in str(caught.value)
    assert caught.value.line is not None and 1 < caught.value.line <= levels


@pytest.mark.parametrize("depth", [MAX_DEPTH, 5_000, 100_000])
def test_deep_nesting_is_a_config_error_not_a_crash(depth: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy("mode: " + "[" * depth + "]" * depth, "policy.yaml")
    assert f"deeper than {MAX_DEPTH} levels" in str(caught.value)
    assert caught.value.line == 1


def test_ordinary_aliases_and_nesting_still_load() -> None:
    text = "base: &base {a: [1, 2]}\nother: *base\ndeep: " + "[" * 50 + "]" * 50 + "\n"
    data, lines = yaml_mapping(text, "settings.yaml")
    assert data["other"] == {"a": [1, 2]}
    assert lines[("other",)] == 2
    assert parse_policy("mode: monitor\n").mode == "monitor"


def test_a_detector_option_error_names_its_own_line() -> None:
    text = "mode: enforce\ndetectors:\n  detectors:\n    email: true\n    person_name: {treshold: 0.9}\n"
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "p.yaml")
    assert caught.value.line == 5
    assert "did you mean 'threshold'" in str(caught.value)
