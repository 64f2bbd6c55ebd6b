"""The tenant policy: what each kind of finding means for a request, as YAML.

A policy maps findings to actions with ordered rules (the first rule that
matches a finding decides), declares per-model trust tiers, and configures the
input and output guards. Teams may override parts of it. See docs/policy.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from ramparts.config import SENSITIVITY_LEVELS, SensitivityName, Settings
from ramparts.detectors.base import Sensitivity
from ramparts.detectors.engine import EngineConfig
from ramparts.errors import ConfigError, DetectorError
from ramparts.yamlfile import LineIndex, line_of, yaml_mapping

Action = Literal["allow", "redact", "block", "alert", "reroute"]
Mode = Literal["enforce", "monitor"]
FailureMode = Literal["fail_open", "fail_closed"]
Origin = Literal["system", "user", "assistant", "tool", "document"]
ACTION_STRENGTH = {"allow": 0, "alert": 1, "redact": 2, "reroute": 3, "block": 4}
# The output.canary_leak detector refuses shorter canaries (at scan time, failing every
# answer): checked here too so that lint and the policy store refuse them first.
MIN_CANARY_CHARS = 6
# Every canary becomes several patterns run on every answer: bounded so that a policy
# cannot make scans (and their compilation) expensive. Same bounds as the detector's.
MAX_CANARY_CHARS = 128
MAX_CANARIES = 100
# Allowed link domains: a DNS name has at most 253 characters.
MAX_DOMAIN_CHARS = 253
MAX_ALLOWED_DOMAINS = 1_000
# A policy's text and its YAML values (aliases expanded): real ones are a few kilobytes.
MAX_POLICY_CHARS = 256 * 1024
MAX_POLICY_NODES = 10_000
_ModelT = TypeVar("_ModelT", bound=BaseModel)


def _canary_length(canary: str) -> str:
    if len(canary.strip()) < MIN_CANARY_CHARS:
        # The token itself is not echoed: canaries are secrets of the system prompt.
        raise ValueError(
            f"canary tokens need at least {MIN_CANARY_CHARS} characters (besides spaces);"
            " use long random tokens, which the answer cannot contain by chance"
        )
    if len(canary) > MAX_CANARY_CHARS:
        raise ValueError(
            f"canary tokens have at most {MAX_CANARY_CHARS} characters;"
            " a random token of 16-32 characters is enough"
        )
    return canary


Canary = Annotated[str, AfterValidator(_canary_length)]
AllowedDomain = Annotated[str, Field(min_length=1, max_length=MAX_DOMAIN_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Which findings a rule applies to. Every given condition must hold."""

    detectors: list[str] | None = None
    families: list[str] | None = None
    kinds: list[str] | None = None
    sensitivity: SensitivityName | None = None  # at or above this level
    origins: list[Origin] | None = None
    min_score: float | None = Field(None, ge=0, le=1)


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    match: Match = Field(default_factory=Match)
    action: Action
    mode: Mode | None = None  # None: the policy's mode
    reroute_to: str | None = None
    message: str | None = Field(None, max_length=500)  # how to proceed, shown to the caller


class GuardSettings(_Strict):
    enabled: bool = True
    timeout_ms: float = Field(250, gt=0, le=60_000)
    failure_mode: FailureMode = "fail_closed"


class InputGuardSettings(GuardSettings):
    # Run a block-only check alongside the upstream call (cancelling it on a block), so a
    # clean prompt pays no detector latency. The prompt leaves before the verdict, so this
    # only suits policies whose blocks guard against prompt attacks, not data leaks.
    concurrent: bool = False


class OutputGuardSettings(GuardSettings):
    # How much of a streamed answer is held back for scanning (about 4 characters a token).
    window_tokens: int = Field(64, ge=1, le=4096)
    block_new_secrets: bool = True
    block_new_personal_data: bool = False
    block_exfiltration: bool = True
    block_html: bool = False
    block_canary_leaks: bool = True
    allowed_domains: list[AllowedDomain] = Field(
        default_factory=list, max_length=MAX_ALLOWED_DOMAINS
    )
    canaries: list[Canary] = Field(default_factory=list, max_length=MAX_CANARIES)


class Guards(_Strict):
    input: InputGuardSettings = Field(default_factory=InputGuardSettings)
    output: OutputGuardSettings = Field(default_factory=OutputGuardSettings)


def _unique_ids(rules: list[Rule]) -> list[Rule]:
    ids = [r.id for r in rules]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"rule ids must be unique; repeated: {', '.join(repeated)}")
    return rules


class TeamOverride(_Strict):
    # Only the keys a team writes override the tenant's: guards merge key by key
    # (`model_fields_set`), trust merges by model, rules replace by id.
    mode: Mode | None = None
    rules: list[Rule] = Field(default_factory=list)
    trust: dict[str, SensitivityName] = Field(default_factory=dict)
    guards: Guards | None = None

    # A team's rules replace the tenant's by id, so a repeated id would be ambiguous.
    _rule_ids = field_validator("rules")(_unique_ids)


class Policy(_Strict):
    mode: Mode = "enforce"
    detectors: dict[str, Any] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    # What happens when data above a model's trust tier would reach it unredacted.
    over_tier_action: Literal["block", "reroute"] = "block"
    trust: dict[str, SensitivityName] = Field(default_factory=dict)
    guards: Guards = Field(default_factory=Guards)
    teams: dict[str, TeamOverride] = Field(default_factory=dict)

    _rule_ids = field_validator("rules")(_unique_ids)

    def for_team(self, team: str | None) -> Policy:
        """This policy with a team's overrides applied (team rules first, same id replaces)."""
        override = self.teams.get(team) if team else None
        if override is None:
            return self
        team_ids = {r.id for r in override.rules}
        rules = [*override.rules, *(r for r in self.rules if r.id not in team_ids)]
        return self.model_copy(
            update={
                "mode": override.mode or self.mode,
                "rules": rules,
                "trust": {**self.trust, **override.trust},
                "guards": self.guards
                if override.guards is None
                else _merge_set(self.guards, override.guards),
                "teams": {},
            }
        )


def _merge_set(base: _ModelT, override: _ModelT) -> _ModelT:
    """``base`` with the fields ``override`` was given (nested settings merged key by key).

    A team that sets ``guards: {input: {concurrent: true}}`` keeps the tenant's canaries and
    allowed domains: only what the team wrote replaces the tenant's value (lists whole).
    """
    update: dict[str, Any] = {}
    for name in override.model_fields_set:
        mine, theirs = getattr(base, name), getattr(override, name)
        both_models = isinstance(mine, BaseModel) and isinstance(theirs, BaseModel)
        update[name] = _merge_set(mine, theirs) if both_models else theirs
    return base.model_copy(update=update)


def sensitivity(name: str) -> Sensitivity:
    return Sensitivity.parse(name)


def _error(exc: ValidationError, source: str, lines: LineIndex) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    allowed: list[str] | None = None
    ctx = first.get("ctx") or {}
    if first["type"] == "literal_error" and "expected" in ctx:
        allowed = [
            part.strip().strip("'")
            for part in str(ctx["expected"]).replace(" or ", ",").split(",")
            if part.strip()
        ]
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return ConfigError(
        message,
        source=source,
        line=line_of(lines, loc),
        key=".".join(str(p) for p in loc) or "(root)",
        allowed=allowed,
    )


def _policy_yaml(text: str, source: str) -> tuple[dict[str, Any], LineIndex]:
    """The policy's YAML mapping and line index, within the policy's size limits."""
    if len(text) > MAX_POLICY_CHARS:
        raise ConfigError(
            f"the policy has {len(text)} characters; at most {MAX_POLICY_CHARS} are allowed",
            source=source,
        )
    return yaml_mapping(text, source, max_nodes=MAX_POLICY_NODES)


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse and validate policy YAML; errors carry the file, line, key and allowed values."""
    return read_policy(text, source)[0]


def read_policy(text: str, source: str = "policy") -> tuple[Policy, LineIndex]:
    """:func:`parse_policy`, with the line index of the text (for
    :func:`check_against_settings`, so that the text is read once)."""
    data, lines = _policy_yaml(text, source)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, source, lines) from None
    try:
        EngineConfig.from_dict(policy.detectors)
    except DetectorError as exc:
        # Option errors say which setting (``exc.path``, inside the engine config).
        where = ("detectors", *getattr(exc, "path", ()))
        raise ConfigError(
            str(exc), source=source, line=line_of(lines, where), key=".".join(map(str, where))
        ) from None
    for index, rule in enumerate(policy.rules):
        _check_rule(rule, source, lines, ("rules", index))
    for team, override in policy.teams.items():
        for index, rule in enumerate(override.rules):
            _check_rule(rule, source, lines, ("teams", team, "rules", index))
    _check_output_engines(policy, source, lines)
    return policy, lines


# Where an output detector's option sits in the policy (``guards.output.<key>``).
_OUTPUT_OPTION_KEYS: dict[tuple[Any, ...], tuple[str, ...]] = {
    ("detectors", "output.exfil_link"): ("allowed_domains",),
    ("detectors", "output.canary_leak"): ("canaries",),
}


def _check_output_engines(policy: Policy, source: str, lines: LineIndex) -> None:
    """Refuse output-guard settings the output engine would refuse: found only when an
    answer is scanned, they would fail every answer closed (or, failing open, silently
    turn the output guard off)."""
    from ramparts.policy.guard import output_engine_config  # guard imports this module

    wheres: list[tuple[str | None, tuple[Any, ...]]] = [(None, ("guards", "output"))]
    wheres += [
        (team, ("teams", team, "guards", "output"))
        for team, override in policy.teams.items()
        if override.guards is not None
    ]
    for team, where in wheres:
        try:
            EngineConfig.from_dict(output_engine_config(policy.for_team(team)))
        except DetectorError as exc:
            place = where + _OUTPUT_OPTION_KEYS.get(tuple(getattr(exc, "path", ()))[:2], ())
            raise ConfigError(
                str(exc), source=source, line=line_of(lines, place), key=".".join(map(str, place))
            ) from None


def _check_rule(rule: Rule, source: str, lines: LineIndex, where: tuple[Any, ...]) -> None:
    from ramparts.detectors.registry import default_registry

    registry = default_registry()
    known = registry.names()
    for name in rule.match.detectors or []:
        if name not in known:
            raise ConfigError(
                f"rule '{rule.id}' names unknown detector '{name}'",
                source=source,
                line=line_of(lines, (*where, "match", "detectors")),
                key=".".join(map(str, (*where, "match", "detectors"))),
                allowed=known,
            )
    if rule.action != "reroute" and rule.reroute_to is not None:
        raise ConfigError(
            f"rule '{rule.id}' has reroute_to but its action is '{rule.action}'",
            source=source,
            line=line_of(lines, (*where, "reroute_to")),
            key=".".join(map(str, (*where, "reroute_to"))),
        )


def check_against_settings(
    policy: Policy,
    settings: Settings,
    source: str = "policy",
    text: str | None = None,
    *,
    lines: LineIndex | None = None,
) -> list[str]:
    """Problems that only the gateway's settings reveal (unknown models); empty when none.

    Given the policy's ``lines`` (from :func:`read_policy`) or its ``text``, each problem
    names its line, like the errors of :func:`parse_policy`.
    """
    if lines is None:
        lines = _policy_yaml(text, source)[1] if text is not None else {}
    models = {m.name for m in settings.models}
    problems = []
    trusts: list[tuple[tuple[Any, ...], dict[str, Any]]] = [(("trust",), policy.trust)] + [
        (("teams", team, "trust"), override.trust) for team, override in policy.teams.items()
    ]
    for where, trust in trusts:
        for name in trust:
            if name not in models:
                problems.append(
                    _problem(f"names unknown model '{name}'", source, lines, (*where, name))
                )
    rules: list[tuple[tuple[Any, ...], Rule]] = [
        (("rules", index), r) for index, r in enumerate(policy.rules)
    ] + [
        (("teams", team, "rules", index), r)
        for team, o in policy.teams.items()
        for index, r in enumerate(o.rules)
    ]
    for where, rule in rules:
        if rule.reroute_to and rule.reroute_to not in models:
            problems.append(
                _problem(
                    f"rule '{rule.id}' reroutes to unknown model '{rule.reroute_to}'"
                    f" (known: {', '.join(sorted(models))})",
                    source,
                    lines,
                    (*where, "reroute_to"),
                )
            )
    return problems


def _problem(message: str, source: str, lines: LineIndex, where: tuple[Any, ...]) -> str:
    """A settings problem worded as a :class:`ConfigError` (file, line when known, key)."""
    key = ".".join(map(str, where))
    return str(ConfigError(message, source=source, line=line_of(lines, where), key=key))


BUILTIN_POLICY_PATH = Path(__file__).with_name("default-policy.yaml")
__all__ = [
    "ACTION_STRENGTH",
    "BUILTIN_POLICY_PATH",
    "SENSITIVITY_LEVELS",
    "Policy",
    "Rule",
    "check_against_settings",
    "parse_policy",
    "read_policy",
]
