"""Policy size limits: canaries, allowed domains, text, values and aliases are bounded, each
refused with the file, line and key; a recursive alias is an error, not a crash; a PUT
reads the policy text once."""

from __future__ import annotations

import pytest

from ramparts.errors import ConfigError
from ramparts.policy.model import parse_policy

CANARY = "CANARY-7f3a9c2e51"
# The documented limits (docs/policy.md), as ramparts.policy.model and ramparts.yamlfile
# define them.
MAX_POLICY_CHARS = 256 * 1024
MAX_POLICY_NODES = 10_000
MAX_EXPANDED_CHARS = 1_000_000


def output_guard(key: str, items: list[str]) -> str:
    listed = "\n".join(f"      - {item}" for item in items)
    return f"mode: enforce\nguards:\n  output:\n    {key}:\n{listed}\n"


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "tenant.yaml")
    return caught.value


def test_a_canary_longer_than_the_limit_is_refused_with_its_line() -> None:
    error = refused(output_guard("canaries", [CANARY, "Q" * 129]))
    assert error.source == "tenant.yaml" and error.line == 6
    assert error.key == "guards.output.canaries.1"
    assert "at most 128 characters" in str(error)
    assert "QQQQ" not in str(error)  # canaries are secrets: never echoed
    assert parse_policy(output_guard("canaries", ["Q" * 128])).guards.output.canaries


def test_more_canaries_than_the_limit_are_refused() -> None:
    error = refused(output_guard("canaries", [f"CANARY-{i:08d}" for i in range(101)]))
    assert error.key == "guards.output.canaries" and error.line == 4
    assert "at most 100 items" in str(error)
    assert (
        len(
            parse_policy(
                output_guard("canaries", [f"C-{i:08d}" for i in range(100)])
            ).guards.output.canaries
        )
        == 100
    )


def test_a_team_override_has_the_same_canary_limits() -> None:
    text = f"teams:\n  red:\n    guards:\n      output:\n        canaries: [{'Z' * 200}]\n"
    error = refused(text)
    assert error.key == "teams.red.guards.output.canaries.0" and error.line == 5


def test_canaries_set_as_detector_options_are_bounded_too() -> None:
    """An input-side engine may run output.canary_leak with options of its own."""
    text = (
        "detectors:\n  detectors:\n    output.canary_leak:\n"
        f"      canaries: [{CANARY}, {'Q' * 500}]\n"
    )
    error = refused(text)
    assert error.line == 4 and "longer than 128 characters" in str(error)


def test_allowed_domains_are_bounded_in_number_and_length() -> None:
    error = refused(output_guard("allowed_domains", [f"d{i}.example.com" for i in range(1001)]))
    assert error.key == "guards.output.allowed_domains" and "at most 1000 items" in str(error)
    error = refused(output_guard("allowed_domains", ["example.com", "a" * 254 + ".com"]))
    assert error.key == "guards.output.allowed_domains.1" and error.line == 6
    error = refused(output_guard("allowed_domains", ["example.com", "''"]))
    assert error.key == "guards.output.allowed_domains.1"


def test_a_policy_text_over_the_limit_is_refused() -> None:
    padding = "# " + "x" * 1000 + "\n"
    text = "mode: enforce\n" + padding * (MAX_POLICY_CHARS // len(padding) + 1)
    error = refused(text)
    assert f"at most {MAX_POLICY_CHARS}" in str(error) and error.source == "tenant.yaml"


def test_a_policy_of_more_values_than_the_limit_is_refused() -> None:
    """Well under the text limit, but more values than a policy needs (the node limit)."""
    text = "rules:\n" + "".join(
        f"  - {{id: r{i}, match: {{detectors: [email, phone]}}, action: alert}}\n"
        for i in range(2000)
    )
    assert len(text) < MAX_POLICY_CHARS
    error = refused(text)
    assert f"more than {MAX_POLICY_NODES} values" in str(error) and error.line is not None


def test_aliases_cannot_amplify_scalars_past_the_character_limit() -> None:
    """An alias counts as one node, however long the value it stands for."""
    long = "d" * 50_000
    text = "guards:\n  output:\n    allowed_domains: [&x " + long + ", *x" * 30 + "]\n"
    error = refused(text)
    assert f"more than {MAX_EXPANDED_CHARS} characters" in str(error) and error.line == 3


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("teams: &a\n  x: *a\n", 2),
        ("rules: &a\n- *a\n", 2),
        ("mode: enforce\nteams: &t {red: {rules: [*t]}}\n", 2),
    ],
)
def test_a_recursive_alias_is_a_config_error_with_its_line(text: str, line: int) -> None:
    error = refused(text)
    assert "refers to a value that contains it" in str(error)
    assert error.line == line


def test_reusing_a_closed_anchor_is_not_recursion() -> None:
    text = "trust: &t {echo: internal}\nteams:\n  red: {trust: *t}\n  blue: {trust: *t}\n"
    policy = parse_policy(text)
    assert policy.teams["blue"].trust == {"echo": "internal"}


def test_errors_keep_their_lines_with_the_c_parser() -> None:
    error = refused("mode: enforce\nrules:\n  - id: a\n    action: explode\n")
    assert (error.line, error.key) == (4, "rules.0.action")
    error = refused("mode: enforce\nguards: {output: [\n")
    assert error.line is not None and error.line >= 2


def test_a_put_reads_the_policy_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings check and the store take the parse they are given (a large policy took
    seconds per read, and a PUT read it three times)."""
    from ramparts.config import load_settings
    from ramparts.policy import model as policy_model
    from ramparts.policy.model import check_against_settings, read_policy
    from ramparts.policy.store import PolicyStore

    text = "trust: {ghost: public}\nmode: enforce\n"
    policy, lines = read_policy(text, "request body")

    def no_more_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the policy text was read again")

    monkeypatch.setattr(policy_model, "yaml_mapping", no_more_reading)
    problems = check_against_settings(
        policy, load_settings(environ={}), "request body", lines=lines
    )
    assert problems and problems[0].startswith("request body:1: key 'trust.ghost'")

    class Saved(Exception):
        pass

    class Sessions:
        def begin(self) -> None:
            raise Saved  # reached the database: nothing parsed the text on the way

    store = PolicyStore(Sessions())  # type: ignore[arg-type]
    monkeypatch.setattr("ramparts.policy.store.parse_policy", no_more_reading)
    with pytest.raises(Saved):
        store.save("ten_x", text, author="a", validated=policy)
