"""Copy the lake's tables into the warehouse: DuckDB locally, Snowflake in prod.

The plan (which Delta files to add and remove) is in `delta_files`, the SQL in `load_sql`;
this module runs them over one connection. One `load_id` per call, shared by its tables; the
`warehouse` concurrency pool keeps loads and dbt runs from overlapping, so load ids increase
with time and the incremental models can use them as a high-water mark.

On Snowflake the connection is dagster-snowflake's `SnowflakeResource` (the same one the
checks that query the warehouse use), with a login, network and socket timeout on every call:
a stage that cannot be read or a server that stops answering is an error naming the table and
the account within those timeouts, not a connector retrying without end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.storage.delta import open_table
from platform_assets.storage.duckdb_memory import WORK_MEMORY
from platform_assets.warehouse.delta_files import DeltaSnapshot, plan_load, snapshot_of
from platform_assets.warehouse.emulator import FAKESNOW, FakesnowDialect
from platform_assets.warehouse.glue.launcher import GlueWarehouseLoad
from platform_assets.warehouse.load_sql import (
    CopiedTable,
    Dialect,
    DuckDBDialect,
    LoadBatch,
    SnowflakeDialect,
    SnowflakeStage,
    SnowflakeStages,
    as_copy,
)


@dataclass(frozen=True)
class TableLoad:
    table: str
    delta_version: int
    load_id: int | None  # None when nothing changed
    files_added: int
    files_removed: int
    rows_added: int
    rows_removed: int
    rows: int  # rows in the warehouse copy after the load
    relation: str = ""  # <schema>.<table> in the warehouse
    details: dict = field(default_factory=dict)  # how it was loaded (the Glue run), for metadata

    @property
    def unchanged(self) -> bool:
        return self.load_id is None


class _Session:
    """One DB-API cursor for the whole load (a DuckDB cursor would be a second connection,
    with its own transaction, so DuckDB passes the connection itself)."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def run(self, sql: str) -> None:
        self.cursor.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        self.cursor.execute(sql)
        return [tuple(r) for r in self.cursor.fetchall()]

    def records(self, sql: str) -> list[dict]:
        """Rows as {lower-cased column: value} (SHOW commands' columns vary by service)."""
        self.cursor.execute(sql)
        names = [d[0].lower() for d in self.cursor.description]
        return [dict(zip(names, r, strict=True)) for r in self.cursor.fetchall()]

    def transaction(self, stmts: list[str]) -> None:
        try:
            for s in stmts:
                self.run(s)
                killpoints.reached("warehouse.after_statement")
        except Exception:
            self.run("rollback")
            raise


def sync_stage(session: _Session, stage: SnowflakeStage) -> str:
    """Make the stage read what the settings say: create it when missing, replace it when it
    reads another URL (the setting changed). Returns "created", "replaced" or "found"."""
    schema, name = stage.name.split(".")
    found = [
        r
        for r in session.records(f"show stages in schema {schema}")
        if str(r.get("name", "")).lower() == name.lower()
    ]
    if found and not stage.differs_from(found[0]):
        return "found"
    session.run(stage.create_sql(replace=bool(found)))
    return "replaced" if found else "created"


def load_tables(
    session: _Session,
    dialect: Dialect,
    lake: Lake,
    tables: Iterable[CopiedTable | TableContract],
    glue: Callable[[CopiedTable, LoadBatch, DeltaSnapshot, Dialect], dict] | None = None,
) -> list[TableLoad]:
    """Load each table's plan; a table whose contract selects the Glue load goes to `glue`
    (the Glue job runs the same deletes and log inserts around its write) when given."""
    tables = [as_copy(t) for t in tables]
    for stmt in dialect.setup(tables):
        session.run(stmt)
    for stage in dialect.stages_of(tables):
        sync_stage(session, stage)
    load_id = int(session.rows(dialect.next_load_id_query(tables))[0][0])
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    results = []
    for c in tables:
        dt = open_table(lake, c.zone, c.name)
        if dt is None:
            raise PlatformError(
                f"{c.zone} table {c.name} does not exist yet; materialize {c.zone}/{c.name} first"
            )
        snap = snapshot_of(dt, c.name)
        loaded = dict(session.rows(dialect.loaded_files_query(c)))
        plan = plan_load(snap, set(loaded))
        removed_rows = sum(int(loaded[p]) for p in plan.remove)
        details: dict = {}
        if not plan.unchanged:
            batch = LoadBatch(
                c.name,
                snap.version,
                plan.add,
                plan.remove,
                snap.files,
                removed_rows,
                load_id,
                loaded_at,
                {p: snap.partitions[p] for p in plan.add if p in snap.partitions},
            )
            if c.load == "glue" and glue is not None:
                details = glue(c, batch, snap, dialect)
            else:
                session.transaction(dialect.load(c, batch, snap.file_uri))
                killpoints.reached("warehouse.after_table")
        rows = int(session.rows(f"select count(*) from {c.relation}")[0][0])  # noqa: S608 -- relation: sql_ident()
        results.append(
            TableLoad(
                c.name,
                snap.version,
                None if plan.unchanged else load_id,
                len(plan.add),
                len(plan.remove),
                plan.rows_added,
                removed_rows,
                rows,
                c.relation,
                details,
            )
        )
    return results


class CuratedLoader(ConfigurableResource):
    """Copies the lake's Delta files (the curated zone, the processed clickstream) into the
    warehouse's copy schemas."""

    def load(
        self, lake: Lake, tables: Iterable[CopiedTable | TableContract], context=None
    ) -> list[TableLoad]:
        """`context`: the asset's, which a Glue load (Dagster Pipes) needs."""
        tables = [as_copy(t) for t in tables]
        glue = self.glue_runner(context, tables)
        with self.session() as (session, dialect):
            try:
                return load_tables(session, dialect, lake, tables, glue)
            except PlatformError:
                raise
            except Exception as exc:
                raise self.failure(tables, exc) from exc

    def failure(self, tables: list[CopiedTable], exc: Exception) -> Exception:
        return exc

    def glue_runner(self, context, tables: list[CopiedTable]):
        """Who loads the tables that select the Glue load; None: the loader itself (locally,
        DuckDB reads every table's files in place, whatever the contract selects)."""
        return None

    @contextmanager
    def session(self) -> Iterator[tuple[_Session, Dialect]]:
        raise NotImplementedError


class DuckDBCuratedLoader(CuratedLoader):
    """The local warehouse file; DuckDB reads the lake's Parquet files in place."""

    path: str = Field(description="The DuckDB warehouse file (same as dbt's `local` target).")

    @contextmanager
    def session(self) -> Iterator[tuple[_Session, Dialect]]:
        import duckdb

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting(duckdb, self.path)
        try:
            con.execute("set TimeZone = 'UTC'")  # timestamptz files -> naive UTC columns
            # bounded memory whatever the table's size: DuckDB streams the files into the
            # table, spilling to <warehouse>.tmp past the limit (its default is 80% of RAM);
            # row order in a copy means nothing, and keeping it makes DuckDB buffer batches
            con.execute(f"set memory_limit = '{WORK_MEMORY}'")
            con.execute("set preserve_insertion_order = false")
            yield _Session(con), DuckDBDialect()
        finally:
            con.close()


def _connect_waiting(duckdb, path: str, attempts: int = 6):
    """A writer's connection, waiting out readers: DuckDB allows one writing process and no
    readers beside it, so an analyst's open session would otherwise fail the load (dbt's
    local target waits the same way: `retries` in profiles.yml)."""
    for attempt in range(attempts):
        try:
            return duckdb.connect(path)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25 * 2**attempt)


class SnowflakeCuratedLoader(CuratedLoader):
    """Snowflake: COPY INTO from external stages over the lake's zones (`<schema>.lake_<zone>`).

    `snowflake` is the profile's `SnowflakeResource` (the dbt `prod` target's SNOWFLAKE_*
    variables, with timeouts); the loader should run as a role that can write the copy schemas
    and nothing else (the grants of warehouse/snowflake_objects' migrations). The stages follow `lake_url`:
    one that reads another URL is replaced before the load.
    """

    snowflake: SnowflakeResource
    lake_url: str = Field(description="The lake's root as Snowflake reaches it, e.g. s3://bucket/lake")
    storage_integration: str | None = None
    file_format: str | None = Field(
        default=None, description="A named Parquet file format for the stages (provisioning's)."
    )
    emulator: str | None = Field(default=None, description="`fakesnow` in CI parity runs.")
    glue: GlueWarehouseLoad | None = Field(
        default=None, description="The Glue job for tables whose contract selects warehouse_load='glue'."
    )

    def glue_runner(self, context, tables: list[CopiedTable]):
        wanted = [t.relation for t in tables if t.load == "glue"]
        if not wanted:
            return None
        if self.glue is None:
            raise PlatformError(
                f"{', '.join(wanted)}: the contract selects the Glue load (warehouse_load='glue') "
                f"but no Glue job is configured here; set PLATFORM_GLUE_LOAD_ROLE"
            )
        if context is None:
            raise PlatformError(
                f"{', '.join(wanted)}: a Glue load runs in a Dagster asset (Pipes needs its context)"
            )
        glue = self.glue
        return lambda c, batch, snap, dialect: glue.run(context, c, batch, snap, dialect)

    def stages(self) -> SnowflakeStages:
        return SnowflakeStages(self.lake_url, self.storage_integration, self.file_format)

    def dialect(self) -> SnowflakeDialect:
        if self.emulator == FAKESNOW:
            return FakesnowDialect(self.stages())
        if self.emulator:
            raise PlatformError(f"unknown Snowflake emulator {self.emulator!r}; known: {FAKESNOW}")
        return SnowflakeDialect(self.stages())

    def where(self) -> str:
        extra = self.snowflake.additional_snowflake_connection_args or {}
        host = f" at {extra['host']}:{extra.get('port', 443)}" if extra.get("host") else ""
        return f"Snowflake account {self.snowflake.account}{host}"

    def failure(self, tables: list[CopiedTable], exc: Exception) -> Exception:
        import snowflake.connector.errors as sf

        if not isinstance(exc, sf.Error):
            return exc
        return PlatformError(
            f"loading {', '.join(t.relation for t in tables)} into {self.where()} failed "
            f"(login timeout {self.snowflake.login_timeout} s, network timeout "
            f"{self.snowflake.network_timeout} s; stages under {self.lake_url}): {exc}"
        )

    @contextmanager
    def session(self) -> Iterator[tuple[_Session, Dialect]]:
        import snowflake.connector.errors as sf

        try:
            connection = self.snowflake.get_connection()
            con = connection.__enter__()
        except sf.Error as exc:
            raise PlatformError(
                f"cannot connect to {self.where()} within {self.snowflake.login_timeout} s: {exc}"
            ) from exc
        try:
            yield _Session(con.cursor()), self.dialect()
        finally:
            con.close()  # also when the load failed (get_connection closes only on success)
