from __future__ import annotations

import logging
import sys
import types

import pytest

from ramparts.detectors import pii
from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.registry import Registry, builtin_detectors, detectors_of, plugin_detectors
from ramparts.errors import DetectorError


class _Plugin(Detector):
    name = "plugin_probe"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        return []


def test_missing_module_is_skipped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ramparts.detectors"):
        found = builtin_detectors(("ramparts.detectors.pii", "ramparts.detectors.not_there_yet"))
    assert set(found) == set(pii.DETECTORS)
    assert "ramparts.detectors.not_there_yet is not installed" in caplog.text


def test_module_without_detectors_is_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "ramparts_fake_wip", types.ModuleType("ramparts_fake_wip"))
    with caplog.at_level(logging.WARNING, logger="ramparts.detectors"):
        assert builtin_detectors(("ramparts_fake_wip",)) == []
    assert "defines no DETECTORS yet" in caplog.text


def test_broken_detectors_attribute_is_an_error() -> None:
    module = types.ModuleType("bad")
    module.DETECTORS = [object]  # type: ignore[attr-defined]
    with pytest.raises(DetectorError, match="tuple of Detector subclasses"):
        detectors_of(module)


def test_duplicate_names_are_rejected() -> None:
    clone = type("Clone", (Detector,), {"name": "email"})
    with pytest.raises(DetectorError, match="two detectors are named 'email'"):
        Registry([*pii.DETECTORS, clone])


def test_plugins_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    class _EntryPoint:
        name = "probe"

        def load(self) -> object:
            return _Plugin

    monkeypatch.setattr("ramparts.detectors.registry.entry_points", lambda group: [_EntryPoint()])
    assert plugin_detectors() == [_Plugin]


def test_registry_lookup() -> None:
    registry = Registry(pii.DETECTORS)
    assert registry.get("email").name == "email"
    assert "email" in registry
    assert len(registry) == len(pii.DETECTORS)
    with pytest.raises(DetectorError, match="known detectors: "):
        registry.get("nope")
