"""Detector options are declared by each detector and checked once, when settings load."""

from __future__ import annotations

from typing import Any

import pytest

from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.engine import DetectorSettings, Engine, EngineConfig
from ramparts.detectors.options import (
    CheckedOptions,
    DetectorSettingError,
    Strings,
    describe,
    specs_of,
)
from ramparts.detectors.registry import Registry, default_registry
from ramparts.detectors.secrets.provider import ProviderCredentialDetector
from ramparts.errors import DetectorError

GITLAB_TOKEN = "glpat-" + "8d5ri2n9g85LAnC9YW85"


def _load(detectors: dict[str, Any]) -> Engine:
    return Engine.from_dict({"detectors": detectors}, side="output")


def test_every_builtin_detector_declares_its_options() -> None:
    undeclared = [name for name, cls in default_registry().items().items() if specs_of(cls) is None]
    assert undeclared == []
    assert set(describe(ProviderCredentialDetector)) == {"disabled_rules"}


@pytest.mark.parametrize(
    ("detectors", "path", "needles"),
    [
        (
            {"secrets.provider": {"disabled_rules": ["not-a-rule"]}},
            ("detectors", "secrets.provider", "disabled_rules"),
            ["unknown ids not-a-rule", "rule catalog"],
        ),
        (
            {"secrets.provider": {"disabled_rules": ["gitlab-tokn"]}},
            ("detectors", "secrets.provider", "disabled_rules"),
            ["did you mean gitlab-token?"],
        ),
        (
            {"secrets.high_entropy": {"min_entropy": "high"}},
            ("detectors", "secrets.high_entropy", "min_entropy"),
            ["must be a number from 0 to 8", "got a string"],
        ),
        (
            {"secrets.high_entropy": {"min_entropy": 9}},
            ("detectors", "secrets.high_entropy", "min_entropy"),
            ["from 0 to 8", "out of range"],
        ),
        (
            {"output.exfil_link": {"allowed_domains": "example.com"}},
            ("detectors", "output.exfil_link", "allowed_domains"),
            ["must be a list of strings", "got a string"],
        ),
        (
            {"output.exfil_link": {"allowed_domain": ["example.com"]}},
            ("detectors", "output.exfil_link", "allowed_domain"),
            ["unknown option 'allowed_domain'", "did you mean 'allowed_domains'", "enabled"],
        ),
        (
            {"output.canary_leak": {"canaries": ["abc"]}},
            ("detectors", "output.canary_leak", "canaries"),
            ["shorter than 6 characters"],
        ),
        (
            {"person_name": {"treshold": 0.99}},
            ("detectors", "person_name", "treshold"),
            ["unknown option 'treshold'", "did you mean 'threshold'", "enabled, threshold"],
        ),
        (
            {"email": {"enabeld": False}},
            ("detectors", "email", "enabeld"),
            ["did you mean 'enabled'"],
        ),
        (
            {"tenant_terms": {"terms": ["Bluebird"], "case_sensitive": "false"}},
            ("detectors", "tenant_terms", "case_sensitive"),
            ["must be true or false", "got a string"],
        ),
        (
            {"tenant_terms": {"terms": {"x": {"terms": ["a"], "sensitivty": "restricted"}}}},
            ("detectors", "tenant_terms", "terms"),
            ["unknown key 'sensitivty'"],
        ),
        (
            {"prompt_injection": {"rules": "no"}},
            ("detectors", "prompt_injection", "rules"),
            ["must be true or false"],
        ),
        (
            {"prompt_injection": {"indirect_threshold": 2}},
            ("detectors", "prompt_injection", "indirect_threshold"),
            ["from 0 to 1"],
        ),
        ({"emial": True}, ("detectors", "emial"), ["unknown detector 'emial'"]),
        (
            {"email": {"enabled": "no"}},
            ("detectors", "email", "enabled"),
            ["must be true or false"],
        ),
    ],
)  # fmt: skip
def test_bad_options_are_refused_when_the_settings_load(
    detectors: dict[str, Any], path: tuple[str, ...], needles: list[str]
) -> None:
    with pytest.raises(DetectorSettingError) as caught:
        _load(detectors)
    message = str(caught.value)
    assert caught.value.path == path
    assert caught.value.key == (path[2] if len(path) > 2 else None)
    for needle in needles:
        assert needle in message


def test_option_errors_never_echo_a_canary() -> None:
    for canaries in (["short", "CANARY-7f3a9c2e"], "CANARY-7f3a9c2e", [1, "CANARY-7f3a9c2e"]):
        with pytest.raises(DetectorSettingError) as caught:
            _load({"output.canary_leak": {"canaries": canaries}})
        assert "CANARY-7f3a9c2e" not in str(caught.value)
        assert "short" not in str(caught.value).replace("shorter", "")


def test_good_options_load_normalised_and_scan() -> None:
    engine = _load(
        {
            "secrets.provider": {"disabled_rules": ["gitlab-token"], "threshold": 0.6},
            "secrets.high_entropy": {"min_entropy": 4},
            "tenant_terms": {"terms": {"project": ["Bluebird"]}, "case_sensitive": False},
            "output.canary_leak": {"canaries": ["CANARY-7f3a9c2e"]},
        }
    )
    assert "secrets.provider" in {f.detector for f in Engine().scan(f"token {GITLAB_TOKEN}")}
    assert "secrets.provider" not in {f.detector for f in engine.scan(f"token {GITLAB_TOKEN}")}
    kinds = {f.detector for f in engine.scan("Bluebird leaked CANARY-7f3a9c2e")}
    assert {"tenant_terms", "output.canary_leak"} <= kinds
    config = EngineConfig.from_dict({"detectors": {"secrets.high_entropy": {"min_entropy": 4}}})
    options = config.detectors["secrets.high_entropy"].options
    assert isinstance(options, CheckedOptions) and options["min_entropy"] == 4.0


def test_options_are_checked_at_build_time_not_per_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _load(
        {
            "secrets.provider": {"disabled_rules": ["gitlab-token"]},
            "output.exfil_link": {"allowed_domains": ["example.com"]},
        }
    )
    calls: list[str] = []
    original = Strings.check

    def counting(self: Strings, value: Any, where: str) -> Any:
        calls.append(where)
        return original(self, value, where)

    monkeypatch.setattr(Strings, "check", counting)
    for _ in range(3):
        engine.scan(f"token {GITLAB_TOKEN} ![x](https://evil.test/a.png)")
    assert calls == []


def test_a_config_built_by_hand_is_checked_by_the_engine() -> None:
    config = EngineConfig(
        detectors={"secrets.high_entropy": DetectorSettings(options={"min_entropy": "high"})}
    )
    with pytest.raises(DetectorError, match="min_entropy"):
        Engine(config)


def test_detectors_called_directly_still_check_their_options() -> None:
    detector = ProviderCredentialDetector()
    with pytest.raises(DetectorError, match="unknown ids"):
        detector.scan(GITLAB_TOKEN, ScanContext(options={"disabled_rules": ["no-such-rule"]}))
    # A context shared by several detectors may hold others' options.
    assert detector.scan(GITLAB_TOKEN, ScanContext(options={"canaries": ["CANARY-7f3a9c2e"]}))


class _Plugin(Detector):
    """A plugin written before option specs: its options pass through unchecked."""

    name = "test_plugin"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        return []


def test_undeclared_plugins_keep_working() -> None:
    config = EngineConfig.from_dict(
        {"detectors": {"test_plugin": {"anything": [1, 2]}}}, registry=Registry([_Plugin])
    )
    assert dict(config.detectors["test_plugin"].options) == {"anything": [1, 2]}


def test_an_option_left_empty_takes_its_default() -> None:
    # What YAML gives for "disabled_rules:" with nothing after it.
    engine = Engine.from_dict(
        {
            "detectors": {
                "secrets.provider": {"disabled_rules": None},
                "prompt_injection": {"indirect_threshold": None},
            }
        }
    )
    assert [f.detector for f in engine.scan("key AKIAZ7VRSQ4TLMXJ2P3Q")] == ["secrets.provider"]
