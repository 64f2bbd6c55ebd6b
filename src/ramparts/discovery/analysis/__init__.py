"""Discovery analysis: streaming aggregation, findings, coverage and the report document."""

from ramparts.discovery.analysis.aggregate import Aggregate, Aggregator, Usage
from ramparts.discovery.analysis.findings import Thresholds, human_bytes
from ramparts.discovery.analysis.summary import SCHEMA, build_report

__all__ = [
    "SCHEMA",
    "Aggregate",
    "Aggregator",
    "Thresholds",
    "Usage",
    "build_report",
    "human_bytes",
]
