"""The output guard on streamed answers: checked text released choice by choice.

Each choice's text goes through a :class:`~ramparts.policy.guard.StreamOutputGuard`
(a bounded held-back window) and then has this request's placeholders restored;
tool calls are held until complete, their names and arguments (decoded and raw)
checked, then released. A violation ends its choice with ``content_filter``; the
other choices (``n`` > 1) go on, and once every choice is cut (or the guard itself
failed closed) the stream ends and the gateway stops the upstream. The audit record
says what each guard did.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ramparts.detectors.base import Finding
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.types import Finish, StreamEvent, TextDelta, ToolCallDelta
from ramparts.policy.guard import StreamOutputGuard, Violation, output_violations
from ramparts.policy.redaction import StreamRestorer, restore
from ramparts.policy.tool_arguments import scan_tool_arguments

if TYPE_CHECKING:
    from ramparts.policy.stage import RequestState


def scan_was_late(started: float, timeout_ms: float) -> bool:
    """Whether a scan that ran where it cannot be interrupted (on the event loop) took
    longer than the guard's timeout. Its result is still used, since it is complete: the
    audit says so with ``over_timeout`` rather than claiming a timeout that cut nothing."""
    return (time.perf_counter() - started) * 1000 > timeout_ms


def record_output(
    record: dict[str, Any], violations: list[Violation], mode: str, started: float
) -> None:
    record["status"] = "ran"
    record["verdict"] = (
        ("block" if mode == "enforce" else "monitor:block") if violations else "allow"
    )
    record["findings"] = [v.audit() for v in violations]
    record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)


class GuardedStream:
    """Applies the output guard and restoration to one stream, choice by choice."""

    def __init__(self, exchange: Exchange, state: RequestState) -> None:
        policy = state.compiled.policy
        assert policy is not None
        assert state.compiled.output_engine is not None
        self._exchange = exchange
        self._state = state
        self._settings = policy.guards.output
        self._enforce = policy.mode == "enforce"
        self._mapping = state.mapping()
        self._canary = state.canary_mapping()
        self._engine = state.compiled.output_engine
        self._guards: dict[int, StreamOutputGuard] = {}
        self._restorers: dict[int, StreamRestorer] = {}
        # Put canary placeholders back before the guard sees the text (see canary_mapping).
        self._canary_restorers: dict[int, StreamRestorer] = {}
        self._finished: set[int] = set()
        self._tools: dict[tuple[int, int], list[ToolCallDelta]] = {}
        self._started = time.perf_counter()
        self._violations: list[Violation] = []
        self._failed_open = False
        self._failed_closed = False
        self._passthrough: set[int] = set()
        self._cut_choices: set[int] = set()
        self._record: dict[str, Any] = {"detectors": state.compiled.output_versions}
        exchange.guardrails["output"] = self._record

    def _cut(self, index: int) -> Finish:
        """End this choice as filtered. Once no choice is left (or the guard failed
        closed, which stops them all) the request is blocked and the stream ends."""
        self._cut_choices.add(index)
        self._record["cut_choices"] = sorted(self._cut_choices)
        if self._failed_closed or len(self._cut_choices) >= self._state.choices:
            self._block()
        return Finish("content_filter", index)

    def _block(self) -> None:
        self._exchange.status = "blocked"
        self._exchange.error_code = "output_blocked"

    @property
    def _stopped(self) -> bool:
        return self._exchange.status == "blocked"

    def _guard(self, index: int) -> StreamOutputGuard:
        if index not in self._guards:
            self._guards[index] = StreamOutputGuard(
                self._engine, self._settings, self._state.prompt_findings
            )
            # In a JSON answer, values are escaped where they land inside JSON strings; the
            # canary values too, since the text the guard passes is what the client gets.
            json_text = self._state.json_answer
            self._restorers[index] = StreamRestorer(self._mapping, json_text=json_text)
            self._canary_restorers[index] = StreamRestorer(self._canary, json_text=json_text)
        return self._guards[index]

    def _scan(self, work: Any) -> Any:
        """Run a guard step; on an error, fail open (stop guarding) or closed (cut the
        stream). A step over the guard's timeout still counts (it is complete) and the
        audit notes it."""
        started = time.perf_counter()
        try:
            result = work()
        except Exception as exc:
            self._record["error"] = type(exc).__name__
            if self._settings.failure_mode == "fail_open":
                self._failed_open = True
            else:
                self._failed_closed = True
            return None
        if scan_was_late(started, self._settings.timeout_ms):
            self._record["over_timeout"] = True
        return result

    def _checked_text(self, index: int, text: str) -> str | None:
        """Text of choice ``index`` now safe to release; None when the stream must be cut."""
        guard = self._guard(index)
        if not self._settings.enabled or self._failed_open or index in self._passthrough:
            return guard.release_all() + text
        safe = self._scan(lambda: guard.feed(text))
        return self._after_scan(index, guard, safe)

    def _after_scan(self, index: int, guard: StreamOutputGuard, safe: str | None) -> str | None:
        if self._failed_closed:
            return None
        if guard.violations:
            self._violations.extend(guard.violations)
            if self._enforce:
                return None
            # Monitor mode: the violation is recorded, the rest of the stream flows unguarded.
            self._passthrough.add(index)
            return guard.release_all()
        if safe is None:  # the guard failed open: release what it held
            return guard.release_all()
        return safe

    async def run(self, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        if not self._settings.enabled:
            self._record.update(status="skipped", reason="disabled by policy")
        try:
            async for event in events:
                choice = getattr(event, "index", None)
                if choice is not None and choice in self._cut_choices:
                    continue  # the rest of a choice already ended as filtered
                if isinstance(event, TextDelta):
                    self._guard(event.index)
                    raw = self._canary_restorers[event.index].feed(event.text)
                    safe = self._checked_text(event.index, raw)
                    if safe is None:
                        yield self._cut(event.index)
                        if self._stopped:
                            return
                        continue
                    text = self._restorers[event.index].feed(safe)
                    if text:
                        yield TextDelta(text, event.index)
                elif isinstance(event, ToolCallDelta):
                    self._tools.setdefault((event.index, event.tool_index), []).append(event)
                elif isinstance(event, Finish):
                    async for out in self._finish(event.index):
                        yield out
                    if self._stopped:
                        return
                    if event.index not in self._cut_choices:
                        yield event
                else:
                    yield event
            # The upstream ended without a finish event for some choices ([DONE] or EOF with
            # no finish_reason / stop_reason): still check and release what is held for them.
            open_choices = {*self._guards, *(key[0] for key in self._tools)} - self._finished
            for index in sorted(open_choices - self._cut_choices):
                async for out in self._finish(index):
                    yield out
                if self._stopped:
                    return
            # Fewer choices came than were asked for, and every one that came was cut.
            seen = {*self._guards, *(key[0] for key in self._tools)}
            if self._cut_choices and self._cut_choices >= seen:
                self._block()
        finally:
            self._close_record()

    def _close_record(self) -> None:
        mode = "enforce" if self._enforce else "monitor"
        record_output(self._record, self._violations, mode, self._started)
        if not self._settings.enabled:
            self._record["status"] = "skipped"
        elif self._failed_open:
            self._record["status"] = "failed_open"
        elif self._failed_closed:
            self._record["status"] = "failed_closed"
            self._record["verdict"] = "block"  # the stream was cut with content_filter

    def _guarding(self, index: int) -> bool:
        return self._settings.enabled and not self._failed_open and index not in self._passthrough

    async def _finish(self, index: int) -> AsyncIterator[StreamEvent]:
        """Check and release what is held for choice ``index``: its text tail and tool calls,
        or cut it with content_filter. The caller passes on the upstream's Finish, if any."""
        self._finished.add(index)
        guard = self._guard(index)
        pending = self._canary_restorers[index].flush()
        if pending:
            # A trailing partial placeholder the canary restorer held back.
            safe = self._checked_text(index, pending)
            if safe is None:
                yield self._cut(index)
                return
            released = self._restorers[index].feed(safe)
            if released:
                yield TextDelta(released, index)
        if self._guarding(index):
            safe = self._after_scan(index, guard, self._scan(guard.finish))
        else:
            safe = guard.release_all()
        if safe is None:
            yield self._cut(index)
            return
        tail = self._restorers[index].feed(safe) + self._restorers[index].flush()
        if tail:
            yield TextDelta(tail, index)
        calls = [key for key in self._tools if key[0] == index]
        joined = {key: "".join(d.arguments for d in self._tools[key]) for key in calls}
        if calls and self._guarding(index):
            texts = [restore(joined[key], self._canary, json_string=True) for key in calls]
            # The names are held with the arguments and checked as plain text (a canary or a
            # credential as a tool's name reaches the client as surely as in its arguments).
            names = [
                restore(delta.name, self._canary)
                for key in calls
                for delta in self._tools[key]
                if delta.name
            ]
            engine = self._engine

            def scan() -> list[Finding]:
                found = [f for name in names for f in engine.scan(name, origin="assistant")]
                return found + [f for text in texts for f in scan_tool_arguments(engine, text)]

            findings = self._scan(scan)
            violations = output_violations(
                findings or [], self._state.prompt_findings, self._settings
            )
            self._violations.extend(violations)
            if self._failed_closed or (violations and self._enforce):
                yield self._cut(index)
                return
        for key in calls:
            head = self._tools.pop(key)[0]
            arguments = restore(joined[key], self._mapping, json_string=True)
            yield ToolCallDelta(key[1], arguments, head.id, head.name, index)
