"""Which policy applies to a request, compiled once and cached per tenant and team.

A tenant's newest stored policy applies; a tenant without one gets the default
from settings (``guardrails.default_policy``: the built-in policy, none, or a
YAML file). The book rechecks the stored version every
``guardrails.policy_cache_seconds`` so changes reach running gateways quickly.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ramparts.config import Settings
from ramparts.detectors.engine import DEFAULT_THRESHOLD, Engine
from ramparts.detectors.registry import default_registry
from ramparts.errors import ConfigError, DetectorError, GatewayError
from ramparts.policy.decide import CompiledRule, compile_rules
from ramparts.policy.guard import output_engine_config
from ramparts.policy.model import BUILTIN_POLICY_PATH, Policy, parse_policy
from ramparts.policy.store import PolicyStore
from ramparts.store.identity import KeyIdentity

REWRITING_ACTIONS = {"redact", "reroute"}


log = logging.getLogger("ramparts.policy")


class PolicyUnavailableError(GatewayError):
    """The tenant's active policy no longer validates (stored by an older version, or
    against settings that changed): its requests are refused, not let through unchecked."""

    status = 503
    code = "policy_invalid"


def _unusable(tenant_id: str, version: int | None, exc: Exception) -> PolicyUnavailableError:
    # The operator's log says why; the caller only learns what to do.
    log.error("policy v%s of tenant %s is unusable: %s", version, tenant_id, exc)
    return PolicyUnavailableError(
        f"This tenant's active policy (version {version}) does not validate with this gateway,"
        " so requests are refused; an administrator must store a corrected version"
        " (`ramparts policy lint` names the problem)."
    )


@dataclass(slots=True)
class CompiledPolicy:
    """A policy ready to run: its detection engines and what the audit should say about it."""

    policy: Policy | None
    source: str
    version: int | None = None
    input_engine: Engine | None = None
    output_engine: Engine | None = None
    input_versions: dict[str, str] = field(default_factory=dict)
    output_versions: dict[str, str] = field(default_factory=dict)
    skip_reason: str = ""
    # Names this compilation in scan-cache keys: findings never outlive their policy.
    cache_scope: bytes = field(default_factory=lambda: os.urandom(16))
    # The policy's rules compiled for matching, once rather than per request (None: not
    # compiled here, decide() compiles them itself).
    rules: tuple[CompiledRule, ...] | None = None

    @property
    def threshold(self) -> float:
        if self.policy is None:
            return DEFAULT_THRESHOLD
        value = self.policy.detectors.get("threshold", DEFAULT_THRESHOLD)
        return float(value)

    @property
    def block_only(self) -> bool:
        """True when no outcome can rewrite a request (so its check may run alongside)."""
        if self.policy is None:
            return True
        actions = {r.action for r in self.policy.rules}
        return not (actions & REWRITING_ACTIONS) and self.policy.over_tier_action == "block"

    @property
    def runs_alongside(self) -> bool:
        """Whether the input check may run concurrently with the upstream call."""
        return self.policy is not None and self.policy.guards.input.concurrent and self.block_only

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "mode": self.policy.mode if self.policy else None,
        }


def _versions(engine: Engine) -> dict[str, str]:
    registry = default_registry()
    return {name: registry.get(name).version for name in engine.detector_names}


def compile_policy(
    policy: Policy | None,
    source: str,
    version: int | None,
    fingerprint_key: bytes,
    reason: str = "",
) -> CompiledPolicy:
    if policy is None:
        return CompiledPolicy(None, source, version, skip_reason=reason)
    # Input-side engine: output detectors stay off unless the policy turns them on.
    input_engine = Engine.from_dict(policy.detectors, fingerprint_key=fingerprint_key)
    output_engine = Engine.from_dict(
        output_engine_config(policy), fingerprint_key=fingerprint_key, side="output"
    )
    return CompiledPolicy(
        policy,
        source,
        version,
        input_engine,
        output_engine,
        _versions(input_engine),
        _versions(output_engine),
        rules=compile_rules(policy),
    )


def default_policy(settings: Settings) -> tuple[Policy | None, str]:
    """The policy for tenants without one, and where it came from. Invalid files stop start-up."""
    choice = settings.guardrails.default_policy
    if choice == "none":
        return None, "none"
    path = BUILTIN_POLICY_PATH if choice == "builtin" else Path(choice)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the default policy: {exc.strerror}",
            source=str(path),
            key="guardrails.default_policy",
        ) from None
    return parse_policy(text, str(path)), "builtin" if choice == "builtin" else str(path)


@dataclass(slots=True)
class _Entry:
    checked: float
    version: int | None
    policy: Policy | None
    source: str
    compiled: dict[str | None, CompiledPolicy] = field(default_factory=dict)


class PolicyBook:
    def __init__(self, settings: Settings, store: PolicyStore, secret: bytes) -> None:
        self._settings = settings
        self._store = store
        self._secret = secret
        self._ttl = settings.guardrails.policy_cache_seconds
        self._enabled = settings.guardrails.enabled
        self._default, self._default_source = (
            default_policy(settings) if self._enabled else (None, "none")
        )
        self._entries: dict[str, _Entry] = {}
        # Moved on by invalidate(): a refresh or compilation that started before a policy
        # change may hold the old policy, so it must not be cached.
        self._generation = 0
        # One shared answer while guardrails are off: it holds no engines and is never changed.
        self._disabled = CompiledPolicy(
            None, "none", skip_reason="guardrails are disabled in settings"
        )

    def fingerprint_key(self, tenant_id: str) -> bytes:
        """Per-tenant key for finding fingerprints: comparable within a tenant, not across."""
        return hmac.new(self._secret, b"fingerprint:" + tenant_id.encode(), hashlib.sha256).digest()

    def invalidate(self, tenant_id: str | None = None) -> None:
        self._generation += 1
        if tenant_id is None:
            self._entries.clear()
        else:
            self._entries.pop(tenant_id, None)

    async def for_identity(self, identity: KeyIdentity) -> CompiledPolicy:
        if not self._enabled:
            return self._disabled
        generation = self._generation
        entry = self._entries.get(identity.tenant_id)
        now = time.monotonic()
        if entry is None or now - entry.checked > self._ttl:
            entry = await asyncio.to_thread(self._refresh, identity.tenant_id, entry)
            if generation == self._generation:
                self._entries[identity.tenant_id] = entry
                # invalidate() runs in admin worker threads: it may have landed just now.
                if generation != self._generation:
                    self._entries.pop(identity.tenant_id, None)
        team = identity.team_name
        compiled = entry.compiled.get(team)
        if compiled is None:
            policy = entry.policy.for_team(team) if entry.policy else None
            if policy is not None and identity.team_id and team not in entry.policy.teams:  # type: ignore[union-attr]
                policy = entry.policy.for_team(identity.team_id)  # type: ignore[union-attr]
            try:
                compiled = await asyncio.to_thread(
                    compile_policy,
                    policy,
                    entry.source,
                    entry.version,
                    self.fingerprint_key(identity.tenant_id),
                    "no policy applies to this tenant",
                )
            except (ConfigError, DetectorError) as exc:
                raise _unusable(identity.tenant_id, entry.version, exc) from None
            if generation == self._generation:
                entry.compiled[team] = compiled
            gc.freeze()  # the new engines live on; spare them from garbage-collector scans
        return compiled

    def _refresh(self, tenant_id: str, entry: _Entry | None) -> _Entry:
        version = self._store.latest_version(tenant_id)
        now = time.monotonic()
        if entry is not None and entry.version == version:
            entry.checked = now
            return entry
        if version is None:
            return _Entry(now, None, self._default, self._default_source)
        stored = self._store.get(tenant_id, version)
        assert stored is not None
        try:
            policy = stored.policy
        except (ConfigError, DetectorError) as exc:
            raise _unusable(tenant_id, version, exc) from None
        return _Entry(now, version, policy, "tenant")
