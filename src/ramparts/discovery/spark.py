"""The same catalog matching as a PySpark job, for data-lake scale (Parquet, CSV, JSON
tables or raw text logs in object storage).

    spark-submit -m ramparts.discovery.spark --input s3://logs/proxy/ --input-format text \\
        --log-format squid-native --output s3://reports/ai-usage/

Matching reuses :class:`ServiceMatcher` inside a UDF (one matcher per executor process),
so results equal the local pipeline's per service and user (tested in local mode).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ramparts.discovery.catalog import Catalog, ServiceMatcher, load_catalog
from ramparts.discovery.parsers import LogRecord, ParseContext, ParseStats, parser_for
from ramparts.discovery.parsers.record import normalise_host

RECORD_SCHEMA = T.StructType(
    [
        T.StructField("ts", T.DoubleType()),
        T.StructField("client", T.StringType()),
        T.StructField("user", T.StringType()),
        T.StructField("host", T.StringType()),
        T.StructField("path", T.StringType()),
        T.StructField("bytes_up", T.LongType()),
        T.StructField("bytes_down", T.LongType()),
    ]
)
MATCH_SCHEMA = T.StructType(
    [T.StructField("service_id", T.StringType()), T.StructField("strength", T.StringType())]
)
_MATCHERS: dict[int, ServiceMatcher] = {}  # per executor process, keyed by catalog identity


def _matcher(catalog: Catalog) -> ServiceMatcher:
    found = _MATCHERS.get(id(catalog))
    if found is None:
        found = _MATCHERS[id(catalog)] = ServiceMatcher(catalog)
    return found


def match_host(catalog: Catalog, host: str | None, path: str | None) -> tuple[str, str] | None:
    """(service_id, strength) for one row; the host is normalised like the local parsers
    do (no port, userinfo, trailing dot or capitals), so both find the same services."""
    name = normalise_host(host) if host else ""
    if not name:
        return None
    found = _matcher(catalog).match(name, path)
    return (found.service_id, found.strength) if found else None


def match_column(catalog: Catalog, host: Column, path: Column) -> Column:
    """A struct column (service_id, strength); null when the host is not an AI service."""
    # A lambda: Spark would read match_host's type hints as a pandas-UDF declaration.
    return F.udf(lambda h, p: match_host(catalog, h, p), MATCH_SCHEMA)(host, path)


def normalise(df: DataFrame, mapping: Mapping[str, str] | None = None) -> DataFrame:
    """Columns renamed to the record fields (``mapping``: field -> column); missing = null."""
    mapping = dict(mapping or {})
    columns = []
    for field in RECORD_SCHEMA.fields:
        source = mapping.get(field.name, field.name)
        value = F.col(source) if source in df.columns else F.lit(None)
        columns.append(value.cast(field.dataType).alias(field.name))
    return df.select(*columns)


def parse_text(spark: SparkSession, paths: list[str], log_format: str) -> DataFrame:
    """Raw line-oriented logs parsed by the Ramparts parser for ``log_format`` on executors.

    Formats with per-file headers (Zeek TSV) need whole files: convert them to Parquet or
    JSON first.
    """
    if log_format == "zeek-tsv":
        raise ValueError("zeek-tsv needs its #fields header per file: use zeek-json or Parquet")
    lines = spark.read.text(paths).rdd.map(lambda row: row[0])

    def parse(partition: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        parser = parser_for(log_format)
        for item in parser.parse(partition, ParseStats(log_format), ParseContext()):
            if isinstance(item, LogRecord):
                yield item[:7]

    return spark.createDataFrame(lines.mapPartitions(parse), RECORD_SCHEMA)


def discover(df: DataFrame, catalog: Catalog) -> DataFrame:
    """Per (service, user): requests, active days, first/last seen, bytes up/down.

    ``df`` has the record columns (see :func:`normalise`). Users missing from the log show
    as ``ip:<client>`` like in the local report; weak (shared-host, no path) hits are
    returned with ``strength = 'weak'`` so callers can keep them apart.
    """
    matched = (
        df.withColumn("m", match_column(catalog, F.col("host"), F.col("path")))
        .where(F.col("m").isNotNull())
        .withColumn(
            "who",
            F.when(F.col("user").isNotNull() & (F.col("user") != ""), F.col("user"))
            .when(
                F.col("client").isNotNull() & (F.col("client") != ""),
                F.concat(F.lit("ip:"), F.col("client")),
            )
            .otherwise(F.lit("unknown")),
        )
    )
    return (
        matched.groupBy(
            F.col("m.service_id").alias("service_id"),
            F.col("m.strength").alias("strength"),
            F.col("who").alias("user"),
        )
        .agg(
            F.count(F.lit(1)).alias("requests"),
            F.countDistinct(F.floor(F.col("ts") / 86400)).alias("active_days"),
            F.min("ts").alias("first_seen"),
            F.max("ts").alias("last_seen"),
            F.coalesce(F.sum("bytes_up"), F.lit(0)).alias("bytes_up"),
            F.coalesce(F.sum("bytes_down"), F.lit(0)).alias("bytes_down"),
            F.sum(F.when(F.col("bytes_up").isNull(), 1).otherwise(0)).alias("upload_unknown"),
        )
        .withColumn("strength", F.when(F.col("strength") == "weak", "weak").otherwise("evidence"))
    )


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> None:
    """The spark-submit entry point; stops the session only if it created it."""
    args = _arguments().parse_args(argv)
    own = spark is None
    if spark is None:
        spark = SparkSession.builder.appName("ramparts-discovery").getOrCreate()
    catalog = load_catalog(Path(args.overlay) if args.overlay else None)
    if args.input_format == "text":
        df = parse_text(spark, args.input, args.log_format)
    else:
        mapping = dict(pair.split("=", 1) for pair in args.map.split(",")) if args.map else None
        df = normalise(spark.read.format(args.input_format).load(args.input), mapping)
    discover(df, catalog).write.mode("overwrite").parquet(args.output)
    if own:
        spark.stop()


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Ramparts shadow-AI discovery on Spark")
    parser.add_argument("--input", nargs="+", required=True)
    parser.add_argument(
        "--input-format", default="parquet", choices=["parquet", "csv", "json", "text"]
    )
    parser.add_argument(
        "--log-format", default="squid-native", help="parser for --input-format text"
    )
    parser.add_argument("--map", help="field=column pairs for table inputs (ts=time,host=dest,...)")
    parser.add_argument("--overlay", help="tenant overlay YAML")
    parser.add_argument("--output", required=True, help="Parquet directory for the results")
    return parser


if __name__ == "__main__":
    main()
