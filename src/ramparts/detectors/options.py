"""Detector options: what each detector accepts, checked once when its settings are built.

A detector declares its options as a mapping from key to spec::

    class HighEntropyDetector(Detector):
        option_specs = {"min_entropy": Number(0, 8, unit="bits per character")}

The engine checks a tenant's options against it when the policy loads
(:func:`check_options`): an unknown key or a value of the wrong type or range is
a :class:`DetectorSettingError` naming the detector, the key and what is
expected, never the value itself (options hold canaries and other secrets).
The checked options reach the detector as :class:`CheckedOptions`, so its scan
reads them without checking again; :func:`options_of` checks options that did
not come through the engine (a detector called directly, in tests and tools).

The engine's own keys (``enabled``, ``threshold``) are handled by the engine and
need no spec. A detector that declares nothing (``option_specs = None``, a plugin
written before specs) gets its options unchecked, apart from its optional
``check_options`` classmethod.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ramparts.errors import DetectorError

if TYPE_CHECKING:
    from ramparts.detectors.base import Detector

ENGINE_KEYS = ("enabled", "threshold")


class DetectorSettingError(DetectorError):
    """A bad value in the ``detectors`` settings, with where it is.

    ``path`` locates the value inside the settings mapping the engine was given
    (``("detectors", "email", "enabled")``), so a YAML loader can point at its line.
    """

    def __init__(
        self, message: str, *, path: tuple[str, ...] = (), detector: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.detector = detector
        self.key = path[2] if len(path) > 2 else None


class CheckedOptions(dict[str, Any]):
    """Options that passed their detector's specs (values normalised: tuples, floats).

    The repr shows the keys only: values may be canary tokens or other secrets.
    """

    def __repr__(self) -> str:
        return f"<options: {', '.join(map(str, self)) or 'none'}>"


def _kind_of(value: Any) -> str:
    """A value's YAML type, for messages (the value itself is never echoed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    return type(value).__name__


@dataclass(frozen=True)
class Flag:
    """``true`` or ``false`` (not the strings "true"/"false", not 0/1)."""

    help: str = ""

    @property
    def expected(self) -> str:
        return "true or false"

    def check(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise DetectorError(f"{where} must be {self.expected}, got {_kind_of(value)}")
        return value


@dataclass(frozen=True)
class Number:
    """A number from ``low`` to ``high`` (inclusive); booleans are not numbers."""

    low: float
    high: float
    unit: str = ""
    help: str = ""

    @property
    def expected(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"a number from {self.low:g} to {self.high:g}{unit}"

    def check(self, value: Any, where: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not self.low <= value <= self.high
        ):
            got = "a number out of range" if isinstance(value, int | float) else _kind_of(value)
            if isinstance(value, bool):
                got = "true/false"
            raise DetectorError(f"{where} must be {self.expected}, got {got}")
        return float(value)


@dataclass(frozen=True)
class Strings:
    """A list of strings, kept in order as a tuple (``as_set``: a frozenset).

    ``min_length`` refuses short items (counted without surrounding spaces);
    ``known`` lists the allowed values (ids), and ``catalog`` says where to find them.
    """

    min_length: int = 0
    known: frozenset[str] | None = None
    catalog: str = ""
    as_set: bool = False
    secret: bool = False  # items are secrets: never named in an error
    help: str = ""

    @property
    def expected(self) -> str:
        items = (
            f"strings of at least {self.min_length} characters" if self.min_length else "strings"
        )
        return f"a list of {items}"

    def check(self, value: Any, where: str) -> tuple[str, ...] | frozenset[str]:
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(item, str) for item in value
        ):
            got = (
                _kind_of(value)
                if not isinstance(value, list | tuple)
                else "a list with non-strings"
            )
            raise DetectorError(f"{where} must be {self.expected}, got {got}")
        short = sum(1 for item in value if len(item.strip()) < self.min_length)
        if short:
            raise DetectorError(
                f"{where} has {short} item(s) shorter than {self.min_length} characters;"
                " use longer random tokens, which text cannot contain by chance"
            )
        if self.known is not None:
            self._check_known(value, where)
        return frozenset(value) if self.as_set else tuple(value)

    def _check_known(self, value: Iterable[str], where: str) -> None:
        known = self.known or frozenset()
        unknown = sorted(set(value) - known)
        if not unknown:
            return
        if self.secret:
            raise DetectorError(f"{where} has {len(unknown)} unknown value(s); {self.catalog}")
        hints = [
            f"{name} (did you mean {close[0]}?)" if close else name
            for name in unknown
            for close in [difflib.get_close_matches(name, known, n=1)]
        ]
        raise DetectorError(f"{where} names unknown ids {', '.join(hints)}; {self.catalog}")


@dataclass(frozen=True)
class Custom:
    """A value checked (and normalised) by ``validate(value, where)``, which raises
    :class:`DetectorError` with a message that says what is expected."""

    validate: Callable[[Any, str], Any]
    expected: str
    help: str = ""

    def check(self, value: Any, where: str) -> Any:
        return self.validate(value, where)


OptionSpec = Flag | Number | Strings | Custom
# For detectors that take no options besides the engine's ``enabled`` and ``threshold``.
NO_OPTIONS: Mapping[str, OptionSpec] = MappingProxyType({})


def specs_of(detector: type[Detector]) -> Mapping[str, OptionSpec] | None:
    """The detector's declared options; None when it declares none (unchecked)."""
    declared: Mapping[str, OptionSpec] | None = getattr(detector, "option_specs", None)
    return declared


def check_options(
    detector: type[Detector],
    options: Mapping[str, Any],
    *,
    path: tuple[str, ...] = (),
    strict: bool = True,
) -> CheckedOptions:
    """``options`` (without the engine's keys) checked against the detector's specs.

    ``path`` is where the detector's settings sit (default ``detectors.<name>``).
    ``strict=False`` passes unknown keys through unchecked (a context shared by
    several detectors called directly); the engine is always strict.
    """
    name = detector.name
    path = path or ("detectors", name)
    where = ".".join(path)
    specs = specs_of(detector)
    checked = CheckedOptions()
    if specs is not None:
        unknown = [key for key in options if key not in specs]
        if unknown and strict:
            raise _unknown_key(str(unknown[0]), specs, where, path, name)
        for key, value in options.items():
            if key not in specs:
                checked[key] = value
                continue
            if value is None:
                continue  # a YAML key left empty ("disabled_rules:"): the default applies
            try:
                checked[key] = specs[key].check(value, f"{where}.{key}")
            except DetectorSettingError:
                raise
            except DetectorError as exc:
                raise DetectorSettingError(str(exc), path=(*path, key), detector=name) from None
    else:
        checked.update(options)
    legacy = getattr(detector, "check_options", None)
    if callable(legacy):
        try:
            legacy(checked)
        except DetectorSettingError:
            raise
        except DetectorError as exc:
            raise DetectorSettingError(str(exc), path=path, detector=name) from None
    return checked


def _unknown_key(
    key: str, specs: Mapping[str, OptionSpec], where: str, path: tuple[str, ...], name: str
) -> DetectorSettingError:
    known = sorted(set(ENGINE_KEYS) | set(specs))
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return DetectorSettingError(
        f"{where}: unknown option '{key}'{hint}; {name} accepts: {', '.join(known)}",
        path=(*path, key),
        detector=name,
    )


def options_of(
    detector: Detector | type[Detector], options: Mapping[str, Any], *, strict: bool = False
) -> CheckedOptions:
    """``options`` as checked by the engine, or checked now (a detector called directly)."""
    if type(options) is CheckedOptions:
        return options
    cls = detector if isinstance(detector, type) else type(detector)
    return check_options(cls, options, strict=strict)


def describe(detector: type[Detector]) -> dict[str, str]:
    """Each option of a detector and what it expects (for docs and ``--help`` texts)."""
    specs = specs_of(detector) or {}
    return {
        key: spec.expected + (f": {spec.help}" if spec.help else "") for key, spec in specs.items()
    }
