"""The dbt project as Dagster assets, with dbt tests as asset checks.

Three `@dbt_assets` over one manifest, split where the partitioning changes:
- `dbt_warehouse_assets`: staging, intermediate, the SCD2 snapshot and whatever does not read
  the facts (unpartitioned);
- `dbt_fact_assets`: the incremental facts, daily partitions; a partitioned run passes its
  window to dbt as `--vars` (partitions.py), a backfill of many days is one run;
- `dbt_mart_assets`: everything downstream of the facts (unpartitioned).
Each runs `dbt build` on its subset: dbt orders models and tests, and a failing test stops its
dependents in the same run. Runs share the `warehouse` concurrency pool, since the local
warehouse is one DuckDB file with a single writer.

Why not `.fetch_row_counts()` / `.fetch_column_metadata()`: they query through an in-process
dbt adapter while dbt still runs, which on DuckDB fails on dbt's write lock and then keeps the
file open. Events stream live until the first table is built; from there they are held until
dbt exits, then tables are counted and described over a short read-only connection.
"""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, MetadataValue, Output, TableColumn, TableSchema
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from platform_assets import killpoints
from platform_assets.storage.sql_text import sql_ident
from platform_assets.warehouse import automation
from platform_assets.warehouse.keys import POOL
from platform_assets.warehouse.partitions import FACT_BACKFILL, FACT_PARTITIONS, window_vars
from platform_assets.warehouse.project import lakehouse_project, manifest_path
from platform_assets.warehouse.resources import PlatformDbtCliResource
from platform_assets.warehouse.translator import WarehouseTranslator

COUNTED = ("table", "incremental", "snapshot", "dynamic_table")
ROW_COUNT = "dagster/row_count"  # the standard keys Dagster shows (TableMetadataSet)
COLUMN_SCHEMA = "dagster/column_schema"

FACTS = "config.materialized:incremental"
# Everything downstream of the facts, written without `--exclude`: dbt excludes the tests that
# touch an excluded node too, so `facts+ --exclude facts` would drop every test that compares a
# mart with a fact (e.g. mart_daily_revenue_totals_match_fct_orders). The manifest is parsed for
# `local`, where the dynamic table is a table; a test asserts every node lands in exactly one
# definition.
AFTER_FACTS = " ".join(f"{FACTS}+,config.materialized:{m}" for m in ("table", "view"))
TRANSLATOR = WarehouseTranslator()


def _node(invocation: DbtCliInvocation, event) -> dict | None:
    if not isinstance(event, Output):
        return None
    unique_id = event.metadata.get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    node = invocation.manifest.get("nodes", {}).get(unique_id)
    return node if node and node["config"].get("materialized") in COUNTED else None


def run_relation(credentials, node: dict) -> tuple[str, str, str]:
    """(database, schema, identifier) of a node in the target the run uses.

    The prepared manifest is parsed for `local`, so its `database` and `relation_name` name
    DuckDB's file; the run's target gives the database (and the schema of a node without its
    own, as generate_schema_name does), the node its layer schema and alias.
    """
    schema = node["schema"] if node["config"].get("schema") else credentials.schema
    return credentials.database, schema, node["alias"]


def _describe(
    invocation: DbtCliInvocation, nodes: list[dict], duckdb_path: str | None
) -> dict[str, tuple[int, list[tuple[str, str]]]]:
    """Row count and (column, type) per unique_id, read after dbt exited (DuckDB's lock free)."""
    adapter = invocation.adapter
    if not nodes or (adapter is None and duckdb_path is None):
        return {}
    out = {}
    if duckdb_path:
        with duckdb.connect(str(Path(invocation.project_dir, duckdb_path)), read_only=True) as con:
            for n in nodes:
                schema, alias = n["schema"], n["alias"]
                relation = sql_ident(schema, alias, exact=True)  # as dbt's manifest spells them
                count = con.execute(f"select count(*) from {relation}").fetchone()[0]  # noqa: S608 -- identifiers quoted by sql_ident()
                columns = con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, alias],
                ).fetchall()
                out[n["unique_id"]] = (count, columns)
        return out
    with adapter.connection_named("row_counts"):
        for n in nodes:
            where = run_relation(adapter.config.credentials, n)
            relation = adapter.get_relation(*where)
            if relation is None:  # the caller warns: metadata only
                raise LookupError(f"{'.'.join(where)} is not in the run's target")
            count_sql = f"select count(*) from {relation.render()}"  # noqa: S608 -- dbt's relation quotes itself
            _, table = adapter.execute(count_sql, fetch=True)
            columns = [(c.name.lower(), c.data_type) for c in adapter.get_columns_in_relation(relation)]
            out[n["unique_id"]] = (table[0][0], columns)
    return out


def stream_with_table_metadata(
    context: AssetExecutionContext, invocation: DbtCliInvocation, duckdb_path: str | None = None
) -> Iterator:
    """The invocation's events in order; tables' materializations carry `dagster/row_count`
    and the built columns (`dagster/column_schema`)."""
    held: list = []
    for event in invocation.stream():
        if _node(invocation, event):
            killpoints.reached("dbt.after_model")  # a table built, dbt still building the next
        if held or _node(invocation, event):
            held.append(event)
        else:
            yield event
    try:
        described = _describe(invocation, [n for e in held if (n := _node(invocation, e))], duckdb_path)
    except Exception as exc:  # metadata only: never fail the build over it
        context.log.warning(f"row counts and columns unavailable: {exc}")
        described = {}
    for event in held:
        node = _node(invocation, event)
        if node and node["unique_id"] in described:
            count, columns = described[node["unique_id"]]
            extra = {ROW_COUNT: MetadataValue.int(count)}
            if columns:
                extra[COLUMN_SCHEMA] = MetadataValue.table_schema(
                    TableSchema(columns=[TableColumn(name, str(kind)) for name, kind in columns])
                )
            event = event.with_metadata({**event.metadata, **extra})
        yield event
    if not invocation.is_successful():
        raise invocation.get_error() or RuntimeError("dbt build failed")


# what the three definitions share: one manifest, one project, one translator
COMMON = {
    "manifest": manifest_path(),
    "project": lakehouse_project,
    "dagster_dbt_translator": TRANSLATOR,
    "pool": POOL,
}


def _build(context: AssetExecutionContext, dbt: PlatformDbtCliResource, extra: list[str] = ()):
    # --no-write-json: the manifest is prepared once and events stream from dbt's log, so the
    # ~1 s of writing manifest.json and run_results.json per invocation buys nothing here
    invocation = dbt.cli(["build", "--no-write-json", *extra], context=context, raise_on_error=False)
    yield from stream_with_table_metadata(context, invocation, dbt.local_duckdb_path())
    # dagster-dbt gives every invocation its own target folder (~4 MB with the partial-parse
    # copy), and CDC runs invoke dbt every few seconds: keep only the folders of failed builds
    shutil.rmtree(invocation.target_path, ignore_errors=True)


@dbt_assets(
    **COMMON,
    exclude=f"{FACTS}+",
    name="dbt_warehouse",
)
def dbt_warehouse_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt)


@dbt_assets(
    **COMMON,
    select=FACTS,
    name="dbt_warehouse_facts",
    partitions_def=FACT_PARTITIONS,
    backfill_policy=FACT_BACKFILL,
)
def dbt_fact_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    window = window_vars(context)
    if window:
        context.log.info(f"partition window {window['window_start']} .. {window['window_end']}")
    yield from _build(context, dbt, ["--vars", json.dumps(window)] if window else [])


@dbt_assets(
    **COMMON,
    select=AFTER_FACTS,
    name="dbt_warehouse_marts",
)
def dbt_mart_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt)


# the marts after the facts refresh on their own clock (automation.py), not in CDC runs
dbt_mart_assets = dbt_mart_assets.map_asset_specs(
    lambda spec: spec.replace_attributes(automation_condition=automation.MARTS)
)

dbt_assets_definitions = [dbt_warehouse_assets, dbt_fact_assets, dbt_mart_assets]
