"""Load the shipped catalog and a tenant overlay into one effective :class:`Catalog`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ramparts.discovery.catalog.models import Service, ServicePolicy, Status, TenantOverlay
from ramparts.discovery.catalog.scoring import RiskScore, score_service
from ramparts.errors import ConfigError
from ramparts.yamlfile import LineIndex, line_of, yaml_mapping

DATA_FILE = "services.yaml"
_V2FLY = "v2fly domain-list-community ({name}), MIT"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A service as one tenant sees it: facts, score, status and sanctioned alternative."""

    service: Service
    risk: RiskScore
    status: Status
    alternative: str | None
    origin: str  # "ramparts" (shipped) or "tenant"


class Catalog:
    def __init__(
        self,
        entries: dict[str, CatalogEntry],
        reviewed: date,
        tenant: str,
        corporate_hosts: tuple[str, ...] = (),
    ) -> None:
        self.entries = entries
        self.reviewed = reviewed
        self.tenant = tenant
        self.corporate_hosts = corporate_hosts

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, service_id: str) -> CatalogEntry | None:
        return self.entries.get(service_id)


def load_catalog(overlay_path: Path | None = None) -> Catalog:
    """The shipped catalog with ``overlay_path`` (a tenant overlay YAML) applied."""
    raw = _read_yaml_text(
        resources.files("ramparts.discovery.catalog").joinpath("data", DATA_FILE).read_text(),
        DATA_FILE,
    )
    reviewed = date.fromisoformat(str(raw.get("reviewed", "1970-01-01")))
    services = parse_services(raw.get("services") or [], reviewed, DATA_FILE)
    if overlay_path is None:
        return apply_overlay(services, TenantOverlay(), reviewed, "")
    overlay, lines = load_overlay_lines(overlay_path)
    return apply_overlay(services, overlay, reviewed, str(overlay_path), lines)


def load_overlay(path: Path) -> TenantOverlay:
    return load_overlay_lines(path)[0]


def load_overlay_lines(path: Path) -> tuple[TenantOverlay, LineIndex]:
    """The overlay and the line of each of its keys (errors name ``file:line``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read tenant overlay: {exc.strerror}", source=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("tenant overlay is not UTF-8 text", source=str(path)) from None
    data, lines = yaml_mapping(text, str(path))
    try:
        return TenantOverlay.model_validate(data), lines
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if not str(p).startswith("function-")]
        raise ConfigError(
            _message(err["msg"]),
            source=str(path),
            line=line_of(lines, loc),
            key=".".join(str(p) for p in loc) or None,
        ) from None


def parse_services(items: list[Any], reviewed: date, source: str) -> list[Service]:
    services: list[Service] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError("each service must be a mapping", source=source, key=f"[{index}]")
        try:
            service = Service.model_validate(expand_compact(item, reviewed))
        except ValidationError as exc:
            where = f"services[{index}] ({item.get('id', '?')})"
            raise ConfigError(_first_error(exc), source=source, key=where) from None
        if service.id in seen:
            raise ConfigError("duplicate service id", source=source, key=service.id)
        seen.add(service.id)
        services.append(service)
    return services


def expand_compact(item: dict[str, Any], reviewed: date) -> dict[str, Any]:
    """Turn the one-line YAML form into the :class:`Service` shape."""
    out = dict(item)
    domains = {k: out.pop(k) for k in ("web", "api", "cdn") if k in out}
    out.setdefault("domains", domains)
    src = str(out.pop("src", "unknown"))
    if src.startswith("v2fly:"):
        src = _V2FLY.format(name=src.removeprefix("v2fly:"))
    out.setdefault("domain_source", src)
    out.setdefault("reviewed", reviewed)
    return out


def apply_overlay(
    services: list[Service],
    overlay: TenantOverlay,
    reviewed: date,
    source: str,
    lines: LineIndex | None = None,
) -> Catalog:
    lines = lines or {}
    added = parse_services(list(overlay.add), reviewed, source or "overlay")
    shipped_ids = {s.id for s in services}
    clash = [i for i, s in enumerate(added) if s.id in shipped_ids]
    if clash:
        raise ConfigError(
            "added services reuse shipped ids; pick new ids or use 'services:' to override",
            source=source,
            line=line_of(lines, ("add", clash[0])),
            key=", ".join(added[i].id for i in clash),
        )
    unknown = sorted(set(overlay.services) - shipped_ids - {s.id for s in added})
    if unknown:
        raise ConfigError(
            "policy for services not in the catalog",
            source=source,
            line=line_of(lines, ("services", unknown[0])),
            key=unknown[0],
        )
    entries: dict[str, CatalogEntry] = {}
    for service, origin in [(s, "ramparts") for s in services] + [(s, "tenant") for s in added]:
        policy = overlay.services.get(service.id, ServicePolicy())
        entries[service.id] = CatalogEntry(
            service=service,
            risk=score_service(service, overlay.weights, policy.risk_score),
            status=policy.status or overlay.default_status,
            alternative=policy.alternative,
            origin=origin,
        )
    return Catalog(entries, reviewed, overlay.tenant, overlay.corporate_hosts)


def _read_yaml_text(text: str, source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError(
            "invalid YAML", source=source, line=(line + 1) if line else None
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", source=source)
    return data


def _message(msg: str) -> str:
    # pydantic prefixes a validator's own message with "Value error, ".
    return msg.removeprefix("Value error, ")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else str(err["msg"])
