"""The detection engine: per-tenant detector settings, one scan call, resolved findings.

Settings come from the ``detectors`` section of a tenant's policy YAML::

    threshold: 0.5            # default minimum score, optional
    detectors:
      email: true             # cheap detectors run unless set to false
      person_name: {threshold: 0.7}
      tenant_terms: {terms: {project: [Bluebird, Nightjar]}}
      injection_model: {enabled: true}   # expensive ones run only when asked

Overlapping findings from the same detector family (``pii``, ``secrets``...)
are resolved so one span is reported once: a finding inside a larger, nearly as
confident one is dropped, then the most confident of any partial overlap wins.
Findings from different families may overlap (an email inside a connection
string is both personal data and part of a secret).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.registry import Registry, default_registry
from ramparts.errors import DetectorError

DEFAULT_THRESHOLD = 0.5
DEFAULT_FINGERPRINT_KEY = ScanContext().fingerprint_key
# A contained finding survives only if it is this much more confident than its container.
_CONTAINMENT_MARGIN = 0.3
# Texts longer than this are scanned window by window (see Engine.scan).
WINDOW_CHARS = 256 * 1024
OVERLAP_CHARS = 8192
CONTEXT_CHARS = 256
_TOP_LEVEL_KEYS = ("threshold", "detectors")


@dataclass(frozen=True)
class DetectorSettings:
    """One detector's settings for a tenant."""

    enabled: bool | None = None  # None: the detector's cost decides
    threshold: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineConfig:
    """Which detectors run and how, for one tenant."""

    threshold: float = DEFAULT_THRESHOLD
    detectors: Mapping[str, DetectorSettings] = field(default_factory=dict)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, registry: Registry | None = None
    ) -> EngineConfig:
        """Parse and check the policy's ``detectors`` section."""
        registry = default_registry() if registry is None else registry
        data = data or {}
        if not isinstance(data, Mapping):
            raise DetectorError("detector settings must be a mapping with 'detectors'")
        unknown = sorted(set(data) - set(_TOP_LEVEL_KEYS))
        if unknown:
            raise DetectorError(
                f"unknown detector setting(s) {', '.join(map(str, unknown))}; "
                f"allowed: {', '.join(_TOP_LEVEL_KEYS)}"
            )
        threshold = _threshold(data.get("threshold", DEFAULT_THRESHOLD), "threshold")
        section = data.get("detectors")
        section = {} if section is None else section
        if not isinstance(section, Mapping):
            raise DetectorError("'detectors' must map detector names to true, false or settings")
        settings = {name: _settings(registry, name, value) for name, value in section.items()}
        return cls(threshold=threshold, detectors=settings)


def _threshold(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise DetectorError(f"{where} must be a number from 0 to 1")
    return float(value)


def _settings(registry: Registry, name: Any, value: Any) -> DetectorSettings:
    registry.get(str(name))  # raises with the known names
    if value is None or isinstance(value, bool):
        return DetectorSettings(enabled=value)
    if not isinstance(value, Mapping):
        raise DetectorError(f"detectors.{name} must be true, false or a mapping of settings")
    options = dict(value)
    enabled = options.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise DetectorError(f"detectors.{name}.enabled must be true or false")
    threshold = options.pop("threshold", None)
    if threshold is not None:
        threshold = _threshold(threshold, f"detectors.{name}.threshold")
    check_options = getattr(registry.get(str(name)), "check_options", None)
    if callable(check_options):
        check_options(options)
    return DetectorSettings(enabled=enabled, threshold=threshold, options=options)


@dataclass(frozen=True)
class _Active:
    detector: Detector
    family: str
    threshold: float
    options: Mapping[str, Any]


class _Step(NamedTuple):
    scan: Callable[[str, ScanContext], list[Finding]]
    context: ScanContext
    threshold: float
    family: str


def family_of(detector: type[Detector]) -> str:
    """The detector's family: ``pii`` for ``ramparts.detectors.pii.email`` and so on."""
    parts = detector.__module__.split(".")
    if parts[:2] == ["ramparts", "detectors"] and len(parts) > 2:
        return parts[2]
    return parts[0]


class Engine:
    """Runs a tenant's enabled detectors over text and resolves their findings."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        registry: Registry | None = None,
        fingerprint_key: bytes = DEFAULT_FINGERPRINT_KEY,
        side: Literal["input", "output"] = "input",
    ) -> None:
        registry = default_registry() if registry is None else registry
        config = EngineConfig() if config is None else config
        self._fingerprint_key = fingerprint_key
        self._active: list[_Active] = []
        for name in registry.names():
            cls = registry.get(name)
            settings = config.detectors.get(name, DetectorSettings())
            enabled = settings.enabled
            if enabled is None:  # not set by policy: cheap ones meant for this side run
                enabled = cls.cost == "cheap" and cls.side in ("any", side)
            if not enabled:
                continue
            threshold = config.threshold if settings.threshold is None else settings.threshold
            self._active.append(_Active(cls(), family_of(cls), threshold, settings.options))
        self._plans: dict[str, list[_Step]] = {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, **kwargs: Any) -> Engine:
        registry = kwargs.get("registry")
        return cls(EngineConfig.from_dict(data, registry=registry), **kwargs)

    @property
    def detector_names(self) -> list[str]:
        return [active.detector.name for active in self._active]

    def _plan_for(self, origin: str) -> list[_Step]:
        """Each active detector with its context for ``origin``, built once and reused."""
        plan = self._plans.get(origin)
        if plan is None:
            plan = [
                _Step(
                    active.detector.scan,
                    ScanContext(
                        self._fingerprint_key, origin, dict(active.options), active.threshold
                    ),
                    active.threshold,
                    active.family,
                )
                for active in self._active
            ]
            self._plans[origin] = plan
        return plan

    def scan(self, text: str, *, origin: str = "user") -> list[Finding]:
        """All findings at or above their detector's threshold, overlaps resolved.

        Long texts are scanned in overlapping windows, so memory stays bounded by
        the window size (plus the findings) whatever the input size.
        """
        if len(text) <= WINDOW_CHARS:
            return self._scan_window(text, origin) if text else []
        findings: list[Finding] = []
        start = 0
        while start < len(text):
            end = min(len(text), start + WINDOW_CHARS)
            left = max(0, start - CONTEXT_CHARS)  # detectors look back for context words
            right = min(len(text), end + OVERLAP_CHARS)  # values that straddle ``end``
            reported_to = end
            for finding in self._scan_window(text[left:right], origin):
                absolute = finding.start + left
                if start <= absolute < end:
                    findings.append(_shifted(finding, left))
                    reported_to = max(reported_to, finding.end + left)
            start = reported_to
        return findings

    def _scan_window(self, text: str, origin: str) -> list[Finding]:
        by_family: dict[str, list[Finding]] = {}
        for scan, context, threshold, family in self._plan_for(origin):
            found = scan(text, context)
            if found:
                kept = [finding for finding in found if finding.score >= threshold]
                if kept:
                    by_family.setdefault(family, []).extend(kept)
        resolved: list[Finding] = []
        for findings in by_family.values():
            resolved.extend(resolve_overlaps(findings) if len(findings) > 1 else findings)
        resolved.sort(key=_finding_order)
        return resolved


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    return (finding.start, finding.end, finding.detector)


def _shifted(finding: Finding, offset: int) -> Finding:
    if not offset:
        return finding
    # Built directly: dataclasses.replace costs several times more, once per finding.
    return Finding(
        finding.detector,
        finding.kind,
        finding.start + offset,
        finding.end + offset,
        finding.score,
        finding.explanation,
        finding.sensitivity,
        finding.fingerprint,
    )


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep one finding per overlapping region (see the module docstring)."""
    ordered = sorted(findings, key=lambda finding: (finding.start, -finding.end))
    kept: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in ordered:
        if cluster and finding.start >= cluster_end:
            kept.extend(_resolve_cluster(cluster))
            cluster = []
        cluster.append(finding)
        cluster_end = max(cluster_end, finding.end) if len(cluster) > 1 else finding.end
    if cluster:
        kept.extend(_resolve_cluster(cluster))
    return kept


def _resolve_cluster(cluster: list[Finding]) -> list[Finding]:
    if len(cluster) == 1:
        return cluster
    survivors = [
        inner
        for inner in cluster
        if not any(
            outer is not inner
            and outer.start <= inner.start
            and inner.end <= outer.end
            and (outer.end - outer.start) > (inner.end - inner.start)
            and inner.score < outer.score + _CONTAINMENT_MARGIN
            for outer in cluster
        )
    ]
    survivors.sort(key=lambda finding: (-finding.score, finding.start - finding.end))
    accepted: list[Finding] = []
    for finding in survivors:
        if all(finding.end <= other.start or other.end <= finding.start for other in accepted):
            accepted.append(finding)
    return accepted
