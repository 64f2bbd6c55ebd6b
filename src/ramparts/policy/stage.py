"""Guardrails as a gateway stage: tenant policy on the way in, output guards on the way out.

Registered through the same :class:`~ramparts.gateway.pipeline.Stage` hooks any
plug-in would use. Every guard reports truthfully into the audit record: ran,
skipped, timed out, failed open or failed closed, with verdicts, scores,
thresholds, detector versions and finding fingerprints, never values.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import Engine as SqlEngine

from ramparts.config import Settings
from ramparts.detectors.base import Finding
from ramparts.errors import BlockedError, ConfigError, GatewayError
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.routing import Route
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    StreamEvent,
    TextPart,
)
from ramparts.policy.book import CompiledPolicy, PolicyBook
from ramparts.policy.decide import FallbackJudge, Located, Verdict, decide
from ramparts.policy.guard import (
    TextUnit,
    Violation,
    apply_redactions,
    block_message,
    embedding_units,
    leaf_redactions,
    output_violations,
    refusal,
    scan_units,
    text_units,
)
from ramparts.policy.guarded_stream import GuardedStream, record_output, scan_was_late
from ramparts.policy.redaction import (
    MemoryVault,
    RedisVault,
    StreamRestorer,
    Vault,
    conversation_scope,
    load_or_create_key,
    restore,
)
from ramparts.policy.scan_cache import Lookup, ScanCache
from ramparts.policy.store import PolicyStore
from ramparts.policy.tool_arguments import scan_tool_arguments
from ramparts.store.db import session_factory

STATE_KEY = "guardrails"


@dataclass(slots=True)
class RequestState:
    compiled: CompiledPolicy
    # The conversation scope (see ``conversation_scope``); "" until a redaction needs it.
    scope: str
    prompt_findings: list[Finding] = field(default_factory=list)
    # Placeholder -> value for the placeholders this request sent upstream: the only ones
    # its answer gets restored. The conversation scope is a guess (two end users of one app
    # can share it), so a placeholder this request did not send may be someone else's.
    # Holding the values here also means restoring never reads the vault: a vault outage
    # mid-answer cannot cut a stream. They are this request's own values; never shown.
    sent: dict[str, str] = field(default_factory=dict, repr=False)
    # The request asked for a JSON answer (response_format json_object / json_schema):
    # values restored inside its strings are escaped as JSON.
    json_answer: bool = False
    # How many choices the answer has (``n``): a stream stops once every one is cut.
    choices: int = 1
    # Computes ``scope`` from the opening turns as they came in. Only a request that is
    # redacted needs it, and it is a keyed digest of those turns: most requests skip it.
    opening: Callable[[], str] | None = field(default=None, repr=False)

    def conversation(self) -> str:
        """The conversation scope, computed on first use."""
        if not self.scope and self.opening is not None:
            self.scope = self.opening()
        return self.scope

    def mapping(self) -> Mapping[str, str]:
        return self.sent

    def canary_mapping(self) -> dict[str, str]:
        """The sent placeholders whose value holds a configured canary.

        A canary that looks like a credential is redacted on the way in, so the answer
        carries only its placeholder; these are put back *before* the output guard so the
        guard sees (and stops) the canary instead of restore handing it to the client.
        """
        policy = self.compiled.policy
        canaries = policy.guards.output.canaries if policy is not None else []
        if not canaries or not self.sent:
            return {}
        return {ph: v for ph, v in self.sent.items() if any(c and c in v for c in canaries)}


class RedactionUnavailableError(GatewayError):
    """The vault could not be reached to redact a request; it is not sent unredacted."""

    status = 503
    code = "redaction_unavailable"


class GuardTimeout(Exception):
    pass


# Detectors are linear-time, so scanning this much text on the event loop stays well under a
# millisecond or two; larger inputs go to a worker thread, which the timeout can abandon.
INLINE_SCAN_CHARS = 8192


async def _run_guard(work: Any, timeout_ms: float, size: int) -> Any:
    if size <= INLINE_SCAN_CHARS:
        return work()
    try:
        return await asyncio.wait_for(asyncio.to_thread(work), timeout_ms / 1000)
    except TimeoutError:
        raise GuardTimeout from None


def _failure_status(mode: str, timed_out: bool) -> str:
    """What the audit says of a guard that could not finish: it let the request through
    unchecked (failed_open), or stopped it (timed_out / failed_closed)."""
    if mode == "fail_open":
        return "failed_open"
    return "timed_out" if timed_out else "failed_closed"


class GuardrailStage:
    name = "guardrails"

    def __init__(self, settings: Settings, book: PolicyBook, vault: Vault, secret: bytes) -> None:
        self._settings = settings
        self._book = book
        self._vault = vault
        self._secret = secret  # keys conversation scopes (see conversation_scope); never shown
        self._scan_cache = ScanCache(settings.guardrails.scan_cache_entries)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop a tenant's cached policy (after it changed through this process)."""
        self._book.invalidate(tenant_id)

    # --- input ---------------------------------------------------------------
    async def before_upstream(
        self, exchange: Exchange, request: ChatRequest
    ) -> Awaitable[None] | None:
        assert exchange.identity is not None
        assert exchange.route is not None
        compiled = await self._book.for_identity(exchange.identity)
        exchange.guardrails["policy"] = compiled.describe()
        if compiled.policy is None:
            exchange.guardrails["input"] = {"status": "skipped", "reason": compiled.skip_reason}
            return None
        units = text_units(request)
        # The texts as they came in: a redaction rewrites the units before it is scoped.
        first_texts = [u.text for u in units[:2]]
        state = RequestState(
            compiled,
            "",
            json_answer=asks_for_json(request),
            choices=max(1, request.n),
            opening=functools.partial(
                conversation_scope,
                self._secret,
                exchange.identity.tenant_id,
                exchange.identity.key_id,
                first_texts,
                request.user,
            ),
        )
        # The output guard runs even with the input guard off (then nothing was "in the prompt").
        exchange.state[STATE_KEY] = state
        if not compiled.policy.guards.input.enabled:
            exchange.guardrails["input"] = {"status": "skipped", "reason": "disabled by policy"}
            return None
        judge_fallbacks(exchange, compiled, self._settings, reroutable=True)
        check = self._check_input(exchange, state, units)
        if compiled.runs_alongside:
            # Nothing in this policy rewrites a request and the tenant opted in.
            return check
        await check
        return None

    async def before_embeddings(self, exchange: Exchange, request: EmbeddingRequest) -> None:
        """The input guard on an embeddings request: the inputs are scanned as user text.

        A verdict to redact or reroute blocks instead: a placeholder would change the
        embedding, and vectors from another model would not match the caller's index.
        """
        assert exchange.identity is not None
        compiled = await self._book.for_identity(exchange.identity)
        exchange.guardrails["policy"] = compiled.describe()
        if compiled.policy is None:
            exchange.guardrails["input"] = {"status": "skipped", "reason": compiled.skip_reason}
            return
        if not compiled.policy.guards.input.enabled:
            exchange.guardrails["input"] = {"status": "skipped", "reason": "disabled by policy"}
            return
        state = RequestState(compiled, "")  # nothing is redacted, so no conversation scope
        judge_fallbacks(exchange, compiled, self._settings, reroutable=False)
        await self._check_input(exchange, state, embedding_units(request), reroutable=False)

    async def _check_input(
        self,
        exchange: Exchange,
        state: RequestState,
        units: list[TextUnit],
        reroutable: bool = True,
    ) -> None:
        compiled = state.compiled
        assert compiled.policy is not None
        assert compiled.input_engine is not None
        settings = compiled.policy.guards.input
        started = time.perf_counter()
        record: dict[str, Any] = {"detectors": compiled.input_versions}
        exchange.guardrails["input"] = record
        engine = compiled.input_engine
        cache = self._scan_cache
        lookups: list[Lookup] = []
        if cache.enabled:
            assert exchange.identity is not None
            scope = compiled.cache_scope + exchange.identity.key_id.encode()
            lookups = [cache.lookup(scope, unit.text, unit.origin) for unit in units]
            record["cached_units"] = sum(1 for lookup in lookups if lookup.findings is not None)
        try:
            # Only what must be scanned now decides between the event loop and a thread.
            size = sum(
                len(unit.text)
                for index, unit in enumerate(units)
                if not lookups or lookups[index].findings is None
            )
            located = await _run_guard(
                lambda: scan_units(engine, units, cache, lookups), settings.timeout_ms, size
            )
        except Exception as exc:
            timed_out = isinstance(exc, GuardTimeout)
            record["status"] = _failure_status(settings.failure_mode, timed_out)
            record["error"] = "timeout" if timed_out else type(exc).__name__
            record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
            if settings.failure_mode == "fail_open":
                settle_fallbacks(exchange, None, None)
                return
            record["verdict"] = "block"
            what = "did not finish in time" if timed_out else "failed"
            raise BlockedError(
                f"The input guard {what} and this tenant's policy fails closed;"
                " try again, or ask an administrator to check the guardrails.",
                rule_ids=["guard-failure"],
            ) from None
        if scan_was_late(started, settings.timeout_ms):
            record["over_timeout"] = True
        state.prompt_findings = [item.finding for item in located]
        model = exchange.route.model if exchange.route else None
        assert model is not None
        assert exchange.identity is not None
        verdict = decide(
            located,
            compiled.policy,
            self._settings,
            model,
            exchange.identity.allowed_models,
            compiled.rules,
        )
        self._record_verdict(record, verdict, compiled, started)
        if verdict.action == "block":
            raise BlockedError(block_message(units, verdict), rule_ids=verdict.rule_ids)
        refused = refusal(units, verdict, reroutable)
        if refused is not None:
            # Rewriting or rerouting cannot keep the value from leaving: block instead.
            record["verdict"] = "block"
            record["rules"] = refused[1]
            raise BlockedError(refused[0], rule_ids=refused[1])
        if verdict.action == "reroute" and verdict.reroute_to:
            target = self._settings.model(verdict.reroute_to)
            assert target is not None
            exchange.route = Route(target, target.provider)
            record["rerouted_to"] = target.name
        if verdict.redactions:
            targets, redactions = leaf_redactions(units, verdict.redactions)
            try:
                count = apply_redactions(
                    targets, redactions, self._vault, state.conversation(), state.sent
                )
            except redis.RedisError as exc:
                # Whatever the policy's failure mode: failing open would send the values
                # the policy says must not leave.
                # The request was stopped, so the verdict is block (as for any guard that
                # failed closed); the findings and rules still say what it meant to redact.
                record["status"] = "failed_closed"
                record["verdict"] = "block"
                record["error"] = type(exc).__name__
                raise RedactionUnavailableError(
                    "The redaction vault is unavailable, so this request cannot be redacted"
                    " and was not sent; try again shortly."
                ) from None
            record["redacted"] = count
        settle_fallbacks(exchange, located, verdict)

    def _record_verdict(
        self, record: dict[str, Any], verdict: Verdict, compiled: CompiledPolicy, started: float
    ) -> None:
        record["status"] = "ran"
        record["verdict"] = verdict.action
        record["threshold"] = compiled.threshold
        record["findings"] = [o.audit() for o in verdict.outcomes]
        record["rules"] = verdict.rule_ids
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)

    # --- output: complete answers ------------------------------------------------
    async def after_response(self, exchange: Exchange, response: ChatResponse) -> None:
        state: RequestState | None = exchange.state.get(STATE_KEY)  # type: ignore[assignment]
        if state is None or state.compiled.policy is None:
            exchange.guardrails.setdefault("output", {"status": "skipped"})
            return
        policy = state.compiled.policy
        settings = policy.guards.output
        if settings.enabled:
            canary = state.canary_mapping()
            # The client sees a choice's text parts joined (OpenAI renders them as one
            # string), so a link split over two parts must be scanned as one text.
            texts = [
                _restored_text([choice.text], canary, state.json_answer)[0]
                for choice in response.choices
            ]
            # Tool-call names reach the client too: a canary or a credential there counts.
            texts += [
                restore(call.name, canary)
                for choice in response.choices
                for call in choice.tool_calls
                if call.name
            ]
            arguments = [
                restore(call.arguments, canary, json_string=True)
                for choice in response.choices
                for call in choice.tool_calls
            ]
            violations = await self._check_output(exchange, state, texts, arguments)
            if violations and policy.mode == "enforce":
                raise BlockedError(
                    _output_message(violations), rule_ids=["output-guard"], code="output_blocked"
                )
        else:
            exchange.guardrails["output"] = {"status": "skipped", "reason": "disabled by policy"}
        mapping = state.mapping()
        if mapping:
            for choice in response.choices:
                text_parts = [part for part in choice.parts if isinstance(part, TextPart)]
                restored = _restored_text([p.text for p in text_parts], mapping, state.json_answer)
                for part, text in zip(text_parts, restored, strict=True):
                    part.text = text
                for call in choice.tool_calls:
                    call.arguments = restore(call.arguments, mapping, json_string=True)

    async def _check_output(
        self, exchange: Exchange, state: RequestState, texts: list[str], arguments: list[str]
    ) -> list[Violation]:
        compiled = state.compiled
        assert compiled.policy is not None
        assert compiled.output_engine is not None
        settings = compiled.policy.guards.output
        engine = compiled.output_engine
        record: dict[str, Any] = {"detectors": compiled.output_versions}
        exchange.guardrails["output"] = record
        started = time.perf_counter()

        def scan() -> list[Finding]:
            found = [f for text in texts for f in engine.scan(text, origin="assistant")]
            return found + [f for args in arguments for f in scan_tool_arguments(engine, args)]

        size = sum(map(len, texts)) + 2 * sum(map(len, arguments))
        try:
            findings = await _run_guard(scan, settings.timeout_ms, size)
        except Exception as exc:
            timed_out = isinstance(exc, GuardTimeout)
            record["status"] = _failure_status(settings.failure_mode, timed_out)
            record["error"] = "timeout" if timed_out else type(exc).__name__
            if settings.failure_mode == "fail_open":
                return []
            record["verdict"] = "block"
            raise BlockedError(
                "The output guard could not check the answer and this tenant's policy fails"
                " closed; try again.",
                rule_ids=["guard-failure"],
                code="output_blocked",
            ) from None
        if scan_was_late(started, settings.timeout_ms):
            record["over_timeout"] = True
        violations = output_violations(findings, state.prompt_findings, settings)
        record_output(record, violations, compiled.policy.mode, started)
        return violations

    # --- output: streams ---------------------------------------------------------
    def wrap_stream(
        self, exchange: Exchange, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        state: RequestState | None = exchange.state.get(STATE_KEY)  # type: ignore[assignment]
        if state is None or state.compiled.policy is None:
            exchange.guardrails.setdefault("output", {"status": "skipped"})
            return events
        return GuardedStream(exchange, state).run(events)


def asks_for_json(request: ChatRequest) -> bool:
    """Whether the request asked for a JSON answer (OpenAI's response_format)."""
    kind = (request.response_format or {}).get("type")
    return kind in ("json_object", "json_schema")


def _restored_text(texts: list[str], mapping: Mapping[str, str], json_answer: bool) -> list[str]:
    """A choice's text parts with placeholders restored; in a JSON answer (one document
    over all its parts) values inside JSON strings are escaped as JSON."""
    if not json_answer:
        return [restore(text, mapping) for text in texts]
    restorer = StreamRestorer(mapping, json_text=True)
    # A part's own placeholders only, as without JSON: flush() releases what feed() held.
    return [restorer.feed(text) + restorer.flush() for text in texts]


def _output_message(violations: list[Violation]) -> str:
    reasons = sorted({v.reason for v in violations})
    return (
        "The answer was withheld by the output guard: it contained "
        + "; ".join(reasons)
        + ". Rephrase the request, or ask an administrator to review the policy."
    )


def create_stage(settings: Settings, engine: SqlEngine) -> GuardrailStage:
    """The stage factory the gateway registers (see ``gateway.app.STAGE_FACTORIES``)."""
    key_file = settings.redaction.key_file or settings.data_dir / "vault.key"
    secret = load_or_create_key(key_file)
    vault: Vault
    if settings.redaction.store == "redis":
        if not settings.redis_url:
            raise ConfigError(
                "redaction.store is 'redis' but redis_url is not set", key="redis_url"
            )
        # Vault calls run on the event loop: a hung Redis must fail a request, not stall all.
        timeout = settings.redaction.redis_timeout_seconds
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        vault = RedisVault(client, secret, settings.redaction.ttl_seconds)
    else:
        vault = MemoryVault(settings.redaction.ttl_seconds, settings.redaction.max_conversations)
    book = PolicyBook(settings, PolicyStore(session_factory(engine)), secret)
    return GuardrailStage(settings, book, vault, secret)


# --- fallbacks -----------------------------------------------------------------------
FALLBACKS_KEY = "guardrails.fallbacks"


def judge_fallbacks(
    exchange: Exchange, compiled: CompiledPolicy, settings: Settings, *, reroutable: bool
) -> None:
    """Hold the request's fallbacks to the policy, as if the caller had asked for them.

    Registered before the input check starts (it may run alongside the upstream call, so
    a fallback can be asked about first), settled when the check lets the request go.
    A check that stops the request leaves it unsettled: the upstream call waiting on it
    is cancelled (alongside) or never started.
    """
    assert compiled.policy is not None
    judge = FallbackJudge(compiled.policy, settings, compiled.rules, reroutable)
    exchange.state[FALLBACKS_KEY] = judge
    exchange.fallbacks.checks.append(judge)


def settle_fallbacks(
    exchange: Exchange, located: list[Located] | None, verdict: Verdict | None
) -> None:
    """Tell the fallback judge what the request carries (None: the guard failed open)."""
    judge = exchange.state.get(FALLBACKS_KEY)
    if not isinstance(judge, FallbackJudge):
        return
    if located is None or verdict is None:
        judge.unchecked()
    else:
        judge.settle(located, verdict)
