"""The Spark SQL statements the job runs against Delta on Databricks, generated from the contract.

The MERGE is the Spark twin of processed/apply.py `_merge`: it joins on the key and the
key-range partition (with an IN list of the batch's buckets, so Delta prunes to them), deletes
on `Op = 'D'`, updates or inserts otherwise, and leaves `_op` and `_pos` out of the table. An
update whose row equals the current one is skipped (null-safe comparison), as the delta-rs
path drops unchanged recomputed rows. The watermark travels in the commit's `userMetadata`
(`spark.databricks.delta.commitInfo.userMetadata`, a JSON object of the `lakehouse.*` keys:
Delta on Spark cannot add top-level commitInfo keys as delta-rs does; storage/delta_log.py reads both).
"""

from __future__ import annotations

import json

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN, LINEAGE_COLUMNS

USER_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"
# What every session of the job needs: UTC, and Parquet timestamps in microseconds (what
# delta-rs and pyarrow read back as timestamp[us, UTC]).
SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
CHANGE_COLUMNS = ("_op", "_pos")  # steer the MERGE, never stored


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def delta_table(uri: str) -> str:
    """A path-addressed Delta table (no metastore needed)."""
    return f"delta.`{uri.replace('`', '')}`"


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stored_columns(c: TableContract, extra: tuple[str, ...] = ()) -> list[str]:
    """The processed table's columns a MERGE writes: the contract's, lineage, new source
    columns, and the key bucket."""
    return [*c.column_names, *(n for n, _ in LINEAGE_COLUMNS), *extra, KEY_BUCKET_COLUMN]


def merge_sql(
    c: TableContract, table_uri: str, source_view: str, buckets: list[int], extra: tuple[str, ...] = ()
) -> str:
    if not buckets:
        raise ValueError(f"table {c.name}: a MERGE needs the batch's key buckets")
    cols = stored_columns(c, extra)
    key, bucket = quote(c.key), quote(KEY_BUCKET_COLUMN)
    updated = [n for n in cols if n not in (c.key, KEY_BUCKET_COLUMN)]
    same = " AND ".join(f"t.{quote(n)} <=> s.{quote(n)}" for n in updated)
    return (
        f"MERGE INTO {delta_table(table_uri)} AS t\n"  # noqa: S608 -- Spark names quoted by quote()/delta_table()
        f"USING {quote(source_view)} AS s\n"
        f"ON t.{key} = s.{key} AND t.{bucket} = s.{bucket}"
        f" AND t.{bucket} IN ({', '.join(str(int(b)) for b in sorted(buckets))})\n"
        f"WHEN MATCHED AND s.`_op` = 'D' THEN DELETE\n"
        f"WHEN MATCHED AND s.`_op` <> 'D' AND NOT ({same}) THEN UPDATE SET "
        + ", ".join(f"t.{quote(n)} = s.{quote(n)}" for n in updated)
        + "\n"
        "WHEN NOT MATCHED AND s.`_op` <> 'D' THEN INSERT ("
        + ", ".join(quote(n) for n in cols)
        + ") VALUES ("
        + ", ".join(f"s.{quote(n)}" for n in cols)
        + ")"
    )


def add_columns_sql(table_uri: str, columns: dict[str, str]) -> str:
    """New nullable source columns (name: Spark SQL type), before the MERGE."""
    cols = ", ".join(f"{quote(n)} {t}" for n, t in columns.items())
    return f"ALTER TABLE {delta_table(table_uri)} ADD COLUMNS ({cols})"


def commit_metadata(state: dict[str, str]) -> str:
    """The value for USER_METADATA_CONF (set through `spark.conf`, not SQL: a SET statement
    takes no JSON): every following commit of the session carries these keys."""
    return json.dumps(state, sort_keys=True)


# OPTIMIZE and VACUUM are Delta's own statements: sqlglot's Spark dialect takes them as
# commands, so their test parses the parts (table reference, columns) on their own.
def zorder_sql(table_uri: str, clustering: tuple[str, ...]) -> str:
    if not clustering:
        raise ValueError(f"{table_uri}: Z-order needs clustering columns in the contract")
    return f"OPTIMIZE {delta_table(table_uri)} ZORDER BY ({', '.join(map(quote, clustering))})"


def vacuum_sql(table_uri: str, retention_hours: int) -> str:
    return f"VACUUM {delta_table(table_uri)} RETAIN {int(retention_hours)} HOURS"
