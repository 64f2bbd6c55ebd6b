"""Where detectors come from: built-in modules and installed plugins.

Every built-in module exposes ``DETECTORS: tuple[type[Detector], ...]``. A
plugin package adds detectors through the ``ramparts.detectors`` entry-point
group; each entry point names a module (with ``DETECTORS``) or a single
:class:`Detector` subclass.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from types import ModuleType

from ramparts.detectors.base import Detector
from ramparts.errors import DetectorError

logger = logging.getLogger("ramparts.detectors")

BUILTIN_MODULES = (
    "ramparts.detectors.pii",
    "ramparts.detectors.business",
    "ramparts.detectors.secrets",
    "ramparts.detectors.output",
    "ramparts.detectors.injection",
)
ENTRY_POINT_GROUP = "ramparts.detectors"


class Registry:
    """An immutable name -> detector class mapping."""

    def __init__(self, detectors: Iterable[type[Detector]]) -> None:
        self._detectors: dict[str, type[Detector]] = {}
        for detector in detectors:
            self._add(detector)

    def _add(self, detector: type[Detector]) -> None:
        name = getattr(detector, "name", None)
        if not isinstance(name, str) or not name:
            raise DetectorError(f"detector class {detector.__qualname__} has no 'name'")
        existing = self._detectors.get(name)
        if existing is not None and existing is not detector:
            raise DetectorError(
                f"two detectors are named '{name}': {existing.__module__}.{existing.__qualname__}"
                f" and {detector.__module__}.{detector.__qualname__}; rename one of them"
            )
        self._detectors[name] = detector

    def names(self) -> list[str]:
        return sorted(self._detectors)

    def get(self, name: str) -> type[Detector]:
        try:
            return self._detectors[name]
        except KeyError:
            raise DetectorError(
                f"unknown detector '{name}'; known detectors: {', '.join(self.names())}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._detectors

    def __iter__(self) -> Iterator[type[Detector]]:
        return iter(self._detectors[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._detectors)

    def items(self) -> Mapping[str, type[Detector]]:
        return dict(self._detectors)


def detectors_of(module: ModuleType) -> tuple[type[Detector], ...]:
    """The ``DETECTORS`` tuple a module exposes, checked."""
    detectors = getattr(module, "DETECTORS", None)
    if not isinstance(detectors, tuple) or not all(
        isinstance(item, type) and issubclass(item, Detector) for item in detectors
    ):
        raise DetectorError(
            f"module {module.__name__} must define DETECTORS as a tuple of Detector subclasses"
        )
    return detectors


def builtin_detectors(modules: Iterable[str] = BUILTIN_MODULES) -> list[type[Detector]]:
    """Detector classes from the built-in modules; a module not present yet is skipped."""
    found: list[type[Detector]] = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            logger.warning("detector module %s is not installed; skipping it", module_name)
            continue
        if not hasattr(module, "DETECTORS"):
            logger.warning("detector module %s defines no DETECTORS yet; skipping it", module_name)
            continue
        found.extend(detectors_of(module))
    return found


def plugin_detectors() -> list[type[Detector]]:
    """Detector classes that installed packages register as entry points."""
    found: list[type[Detector]] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry_point.load()
        if isinstance(loaded, ModuleType):
            found.extend(detectors_of(loaded))
        elif isinstance(loaded, type) and issubclass(loaded, Detector):
            found.append(loaded)
        else:
            raise DetectorError(
                f"entry point '{entry_point.name}' in group {ENTRY_POINT_GROUP} must name a"
                " Detector subclass or a module with DETECTORS"
            )
    return found


@functools.cache
def default_registry() -> Registry:
    """Built-in plus plugin detectors, loaded once per process."""
    return Registry([*builtin_detectors(), *plugin_detectors()])
