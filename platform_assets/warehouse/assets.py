"""The dbt models as Dagster assets, with dbt tests as asset checks.

Why one multi-asset running `dbt build`: dbt orders models and tests itself, and a test that
fails stops its dependents in the same run. Runs share the `warehouse` concurrency pool, since
the local warehouse is one DuckDB file with a single writer.

Why not `.fetch_row_counts()`: it counts through an in-process dbt adapter while dbt still runs,
which on DuckDB fails on dbt's write lock and then keeps the file open, so the next `dbt build`
in the same process cannot write. Here events stream live until the first table is built; from
there they are held until dbt exits, then tables are counted over a short read-only connection.
"""

from collections.abc import Iterator
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, MetadataValue, Output
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from platform_assets.warehouse.project import lakehouse_project, manifest_path
from platform_assets.warehouse.translator import WarehouseTranslator

POOL = "warehouse"
COUNTED = ("table", "incremental")
ROW_COUNT = "dagster/row_count"  # the standard key Dagster plots (TableMetadataSet.row_count)


def _node(invocation: DbtCliInvocation, event) -> dict | None:
    if not isinstance(event, Output):
        return None
    unique_id = event.metadata.get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    node = invocation.manifest.get("nodes", {}).get(unique_id)
    return node if node and node["config"].get("materialized") in COUNTED else None


def _count_rows(invocation: DbtCliInvocation, nodes: list[dict]) -> dict[str, int]:
    """Row count per unique_id, read after dbt has exited (so DuckDB's lock is free)."""
    adapter = invocation.adapter
    if adapter is None or not nodes:
        return {}
    if adapter.type() == "duckdb":
        path = Path(invocation.project_dir, adapter.config.credentials.path)
        with duckdb.connect(str(path), read_only=True) as con:
            return {n["unique_id"]: con.execute(
                f'select count(*) from "{n["schema"]}"."{n["alias"]}"').fetchone()[0]
                for n in nodes}
    counts = {}
    with adapter.connection_named("row_counts"):
        for n in nodes:
            _, table = adapter.execute(f"select count(*) from {n['relation_name']}", fetch=True)
            counts[n["unique_id"]] = table[0][0]
    return counts


def stream_with_row_counts(context: AssetExecutionContext,
                           invocation: DbtCliInvocation) -> Iterator:
    """The invocation's events in order, tables' materializations carrying `dagster/row_count`."""
    held: list = []
    for event in invocation.stream():
        if held or _node(invocation, event):
            held.append(event)
        else:
            yield event
    try:
        counts = _count_rows(invocation, [n for e in held if (n := _node(invocation, e))])
    except Exception as exc:  # metadata only: never fail the build over a count
        context.log.warning(f"row counts unavailable: {exc}")
        counts = {}
    for event in held:
        node = _node(invocation, event)
        if node and node["unique_id"] in counts:
            row_count = MetadataValue.int(counts[node["unique_id"]])
            event = event.with_metadata({**event.metadata, ROW_COUNT: row_count})
        yield event
    if not invocation.is_successful():
        raise invocation.get_error() or RuntimeError("dbt build failed")


@dbt_assets(
    manifest=manifest_path(),
    project=lakehouse_project,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_warehouse",
    pool=POOL,
)
def dbt_warehouse_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    yield from stream_with_row_counts(context, invocation)
