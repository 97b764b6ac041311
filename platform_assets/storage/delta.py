"""Opening the lake's Delta tables, and the platform's state values in their commits.

Every zone opens tables and reads its state (a watermark, a source version) the same way, on a
folder or on S3; the rule that keeps state from going backwards is in `delta_log.custom_values`.
"""

from __future__ import annotations

import pyarrow as pa
from deltalake import ColumnProperties, CommitProperties, DeltaTable, WriterProperties
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake
from platform_assets.storage.delta_log import custom_values


def open_table(lake: Lake, zone: str, name: str) -> DeltaTable | None:
    """A zone's Delta table, or None if it has never been written."""
    try:
        return DeltaTable(lake.delta_uri(zone, name), storage_options=lake.storage_options)
    except TableNotFoundError:
        return None


def committed_value(lake: Lake, dt: DeltaTable, key: str, default: str = "", lookback: int = 200) -> str:
    """The table's current value of a state key (`lakehouse.*`), by the rule that keeps state
    from going backwards under concurrent maintenance commits (`delta_log.custom_values`)."""
    uri = dt.table_uri.rstrip("/")
    uri = uri if lake.is_s3 else uri.removeprefix("file://")
    return custom_values(lake, uri, dt.version(), lookback).get(key, default)


# The lake's Parquet files are not compressed. What delta-rs has written with the platform's
# writer properties all along (a WriterProperties without a codec means none, while delta-rs
# alone writes snappy). Measured at 10M order rows (bench/results/before_after.md), against
# snappy: a 200k-change rewrite 1.1-1.8x faster, a full scan 1.2-1.3x, for 1.5x the bytes
# (394 MB against ~260 MB). On S3 the bytes cost storage and transfer; "snappy" here switches
# every writer of the lake at once.
COMPRESSION = "none"


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns the lake's files dictionary-encode: text only (writer_properties says why)."""
    return [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


# Delta's table property naming the columns whose statistics each file's add action carries
# (contracts' `stats_columns` for processed tables). delta-rs, Spark and Databricks honour it.
STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"
# ... and the one that makes a table record its change data feed (curated follows processed
# through it; Delta Sharing serves curated's)
CHANGE_FEED_PROPERTY = "delta.enableChangeDataFeed"


def ensure_properties(dt: DeltaTable, properties: dict[str, str], state: dict[str, str]) -> bool:
    """Give a table created before one of `properties` existed (or with other values) those
    values: one metadata-only commit carrying the writer's unchanged state keys (`state`), so
    readers of the newest state see no change. Files keep what they were written with; new
    files follow. True when it committed (the caller refreshes its `dt`)."""
    have = dt.metadata().configuration
    changed = {k: v for k, v in properties.items() if have.get(k) != v}
    if changed:
        dt.alter.set_table_properties(changed, commit_properties=CommitProperties(custom_metadata=state))
    return bool(changed)


def stats_columns(dt: DeltaTable) -> list[str] | None:
    """The columns the table's files carry statistics for; None: every column (no property)."""
    value = dt.metadata().configuration.get(STATS_COLUMNS_PROPERTY)
    return [n.strip() for n in value.split(",")] if value else None


def writer_properties(schema: pa.Schema | DeltaTable) -> WriterProperties:
    """How the platform writes the Parquet files of its Delta tables: dictionary encoding for
    text columns only, compression `COMPRESSION`, and for a table that names its statistics
    columns (`STATS_COLUMNS_PROPERTY`), Parquet statistics for those only (delta-rs derives
    the log's statistics from them; the others would be computed for nothing).

    Why text only: delta-rs dictionary-encodes every column by default, and for keys, amounts
    and times (mostly distinct values) it builds a dictionary only to fall back to plain.
    Measured on 880k order rows in 44 partition files: written in 0.38 s instead of 0.74 s,
    read in 0.32 s instead of 0.41 s, 16% more bytes (that measurement also went from snappy to
    no compression, unnoticed then: bench/results/before_after.md)."""
    stats = stats_columns(schema) if isinstance(schema, DeltaTable) else None
    if isinstance(schema, DeltaTable):
        schema = pa.schema(schema.schema().to_arrow())
    text = dictionary_columns(schema)

    def column(name: str) -> ColumnProperties:
        with_stats = stats is None or name in stats
        return ColumnProperties(
            dictionary_enabled=name in text, statistics_enabled=None if with_stats else "NONE"
        )

    return WriterProperties(
        compression="UNCOMPRESSED" if COMPRESSION == "none" else COMPRESSION.upper(),
        default_column_properties=ColumnProperties(dictionary_enabled=False),
        column_properties={f.name: column(f.name) for f in schema},
    )


def parquet_write_options(schema: pa.Schema, stats: list[str] | None = None) -> dict:
    """The same choices for a file written with pyarrow (`pq.write_table(..., **options)`):
    dictionary for text only, `COMPRESSION`, statistics for the `stats` columns (None: all;
    the Delta statistics come from them)."""
    return {
        "use_dictionary": dictionary_columns(schema),
        "compression": COMPRESSION,
        "write_statistics": True if stats is None else stats,
    }
