"""One discovery run: inputs -> parsers -> aggregation -> report document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ramparts.discovery.analysis import Aggregator, Thresholds, build_report
from ramparts.discovery.catalog import Catalog
from ramparts.discovery.parsers import (
    DnsAnswers,
    ParseContext,
    Prefilter,
    SourceStats,
    read_records,
)
from ramparts.discovery.parsers.record import FUTURE_SLACK
from ramparts.discovery.usermap import UserMap


@dataclass
class RunOptions:
    fmt: str | None = None
    mapping: Mapping[str, str] | None = None
    user_map: UserMap | None = None
    since: float | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    known_services: set[str] | None = None  # services seen by earlier runs (store history)
    generated_at: datetime | None = None
    vectorised: bool = True  # let parsers that can drop non-AI rows in bulk (same results)


def run_discovery(
    inputs: list[str],
    catalog: Catalog,
    options: RunOptions | None = None,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Stream every input once and return the report document."""
    options = options or RunOptions()
    sources: list[SourceStats] = []
    aggregator = Aggregator(catalog, options.user_map, options.since)
    generated_at = options.generated_at or datetime.now(UTC)
    ctx = ParseContext(
        # Only answers naming a possible AI host are kept: memory follows AI lookups.
        answers=DnsAnswers(aggregator.matcher.is_candidate),
        latest_ts=generated_at.timestamp() + FUTURE_SLACK,
    )
    if options.vectorised:
        ctx.prefilter = Prefilter(aggregator.matcher.is_candidate, options.since)
    records = read_records(
        inputs,
        fmt=options.fmt,
        mapping=options.mapping,
        sources=sources,
        ctx=ctx,
        on_file=on_file,
    )
    aggregate = aggregator.consume(records, progress)
    return build_report(
        aggregate,
        catalog,
        sources,
        generated_at=generated_at,
        since=options.since,
        thresholds=options.thresholds,
        known_services=options.known_services,
    )
