"""Settings: one YAML file plus ``RAMPARTS_*`` environment variables, validated once at start-up.

The :class:`Settings` object is built once (by :func:`load_settings`) and passed
down; nothing reads configuration from globals. Environment variables override
the file: top-level keys as ``RAMPARTS_<KEY>`` (``RAMPARTS_DATABASE_URL``), nested
keys with a double underscore (``RAMPARTS_SERVER__PORT``). Values are parsed as
YAML, so ``RAMPARTS_MODELS='[{"name": ...}]'`` works for lists.

A setting that does not validate raises :class:`~ramparts.errors.ConfigError`
naming the file, line, key and allowed values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ramparts.errors import ConfigError
from ramparts.yamlfile import LineIndex, line_of, read_yaml_mapping

ENV_PREFIX = "RAMPARTS_"
DEFAULT_CONFIG_NAME = "ramparts.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    shutdown_grace_seconds: float = Field(30.0, ge=0)
    access_log: bool = True


class AuditSettings(_Strict):
    flush_interval_ms: int = Field(50, ge=1, le=60_000)
    batch_size: int = Field(500, ge=1, le=100_000)
    queue_limit: int = Field(100_000, ge=100)


class AuthSettings(_Strict):
    cache_ttl_seconds: float = Field(5.0, ge=0, le=3600)


class ProviderSettings(_Strict):
    """How to reach one upstream. Credentials come from the environment or a file."""

    type: Literal["openai-compatible", "anthropic", "echo"]
    base_url: str | None = None
    api_key_env: str | None = None
    api_key_file: Path | None = None
    api_version: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    max_connections: int = Field(256, ge=1)

    @model_validator(mode="after")
    def _needs_base_url(self) -> ProviderSettings:
        if self.type != "echo" and not self.base_url:
            raise ValueError(f"provider type '{self.type}' needs base_url")
        return self

    def api_key(self) -> SecretStr | None:
        """Read the credential; called once at start-up, never logged."""
        if self.api_key_file is not None:
            try:
                return SecretStr(self.api_key_file.read_text().strip())
            except OSError as exc:
                raise ConfigError(
                    f"cannot read api_key_file {self.api_key_file}: {exc.strerror}",
                    key="api_key_file",
                ) from None
        if self.api_key_env is not None:
            value = os.environ.get(self.api_key_env)
            return SecretStr(value) if value else None
        return None


SENSITIVITY_LEVELS = ("public", "internal", "confidential", "restricted")
SensitivityName = Literal["public", "internal", "confidential", "restricted"]


class PriceSettings(_Strict):
    input_per_million: float = Field(0.0, ge=0)
    output_per_million: float = Field(0.0, ge=0)


class ModelSettings(_Strict):
    name: str = Field(min_length=1, max_length=200)
    provider: str
    upstream_name: str | None = None
    timeout_seconds: float = Field(120.0, gt=0)
    connect_timeout_seconds: float = Field(10.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    backoff_seconds: float = Field(0.2, ge=0)
    fallbacks: list[str] = Field(default_factory=list)
    price: PriceSettings = Field(default_factory=PriceSettings)
    embeddings: bool = False
    # The most sensitive data this model may receive (its trust tier). Unset: "restricted"
    # for the built-in echo model, "internal" for everything that leaves the machine.
    max_sensitivity: SensitivityName | None = None

    @property
    def upstream(self) -> str:
        return self.upstream_name or self.name


def _default_providers() -> dict[str, ProviderSettings]:
    return {"local": ProviderSettings(type="echo")}


def _default_models() -> list[ModelSettings]:
    return [
        ModelSettings(name="echo", provider="local"),
        ModelSettings(name="echo-embed", provider="local", embeddings=True),
    ]


class GuardrailSettings(_Strict):
    enabled: bool = True
    # Policy for tenants that have none of their own: "builtin", "none", or a YAML path.
    default_policy: str = "builtin"
    policy_cache_seconds: float = Field(5.0, ge=0, le=3600)
    # Texts whose input findings the process remembers (resent history); 0 turns it off.
    scan_cache_entries: int = Field(4096, ge=0, le=1_000_000)


class RedactionSettings(_Strict):
    """Where redaction placeholders are remembered between turns of a conversation."""

    store: Literal["memory", "redis"] = "memory"
    ttl_seconds: int = Field(3600, ge=1, le=30 * 86400)
    max_conversations: int = Field(100_000, ge=100)
    # Connect and read timeout of each Redis call (store: redis); they run on the event loop.
    redis_timeout_seconds: float = Field(1.0, gt=0, le=30)
    # Key that encrypts values held in Redis; default: data_dir/vault.key, made on first use.
    key_file: Path | None = None


class Settings(_Strict):
    """Everything Ramparts is configured with. Build with :func:`load_settings`."""

    data_dir: Path = Path("./ramparts-data")
    database_url: str | None = None
    redis_url: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    guardrails: GuardrailSettings = Field(default_factory=GuardrailSettings)
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=_default_providers)
    models: list[ModelSettings] = Field(default_factory=_default_models)

    @model_validator(mode="before")
    @classmethod
    def _keep_builtin_provider(cls, data: Any) -> Any:
        # The offline echo provider is always there, so the default models stay valid.
        if (
            isinstance(data, dict)
            and isinstance(data.get("providers"), dict)
            and "local" not in data["providers"]
        ):
            data = {**data, "providers": {"local": {"type": "echo"}, **data["providers"]}}
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Settings:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique; repeated: {', '.join(duplicates)}")
        for model in self.models:
            if model.provider not in self.providers:
                allowed = ", ".join(sorted(self.providers)) or "(none configured)"
                raise ValueError(
                    f"model '{model.name}' names unknown provider '{model.provider}'"
                    f" (allowed: {allowed})"
                )
            for fallback in model.fallbacks:
                if fallback not in names or fallback == model.name:
                    raise ValueError(
                        f"model '{model.name}' has fallback '{fallback}', which is not"
                        " another configured model"
                    )
        return self

    def trust_tier(self, model: ModelSettings) -> str:
        """The most sensitive data ``model`` may receive."""
        if model.max_sensitivity is not None:
            return model.max_sensitivity
        return "restricted" if self.providers[model.provider].type == "echo" else "internal"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ramparts.db').resolve()}"

    def model(self, name: str) -> ModelSettings | None:
        for model in self.models:
            if model.name == name:
                return model
        return None


# --- loading ---------------------------------------------------------------


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "RAMPARTS_CONFIG":
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        try:
            value = yaml.safe_load(raw) if raw != "" else None
        except yaml.YAMLError:
            value = raw
        # Keep URLs and paths verbatim: YAML would turn 'on' into True, '08' into 8...
        if isinstance(value, (bool, int, float)) and path[-1] in {"database_url", "redis_url"}:
            value = raw
        target = overrides
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return overrides


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _config_error(
    exc: ValidationError,
    source: str,
    lines: LineIndex,
    env_keys: set[tuple[str, ...]],
) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    key = ".".join(str(p) for p in loc) or "(root)"
    line = line_of(lines, loc)
    where = source
    if any(loc[: len(k)] == k for k in env_keys):
        where = "environment " + ENV_PREFIX + "__".join(str(p) for p in loc).upper()
        line = None
    allowed: list[str] | None = None
    ctx = first.get("ctx") or {}
    if first["type"] == "literal_error" and "expected" in ctx:
        allowed = [
            s.strip().strip("'") for s in str(ctx["expected"]).replace(" or ", ",").split(",")
        ]
    elif first["type"] == "extra_forbidden":
        allowed = _known_keys(loc[:-1])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    return ConfigError(message, source=where, line=line, key=key, allowed=allowed)


def _known_keys(parent: tuple[Any, ...]) -> list[str] | None:
    model: type[BaseModel] = Settings
    for part in parent:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return sorted(model.model_fields)


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the one :class:`Settings` object from a YAML file, the environment and overrides.

    ``path`` defaults to ``$RAMPARTS_CONFIG`` or ``./ramparts.yaml`` when present.
    """
    env = os.environ if environ is None else environ
    if path is None and env.get("RAMPARTS_CONFIG"):
        path = Path(env["RAMPARTS_CONFIG"])
    if path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    data: dict[str, Any] = {}
    lines: LineIndex = {}
    source = "settings"
    if path is not None:
        data, lines = read_yaml_mapping(path)
        source = str(path)
    env_data = _env_overrides(env)
    env_keys = {tuple(k.split(".")) for k in _flatten_keys(env_data)}
    merged = _merge(_merge(data, env_data), overrides or {})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, source, lines, env_keys) from None


def _flatten_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            keys.extend(_flatten_keys(value, full + "."))
        else:
            keys.append(full)
    return keys
