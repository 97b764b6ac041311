"""Copy the curated zone into the warehouse's `curated` schema: DuckDB locally, Snowflake in prod.

The plan (which Delta files to add and remove) is in `delta_files`, the SQL in `load_sql`;
this module runs them over one connection. One `load_id` per call, shared by its tables; the
`warehouse` concurrency pool keeps loads and dbt runs from overlapping, so load ids increase
with time and the incremental models can use them as a high-water mark.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from platform_assets.contracts import TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed.delta import open_table
from platform_assets.warehouse.delta_files import plan_load, snapshot_of
from platform_assets.warehouse.emulator import FAKESNOW, FakesnowDialect
from platform_assets.warehouse.keys import CURATED_SCHEMA
from platform_assets.warehouse.load_sql import (
    Dialect,
    DuckDBDialect,
    LoadBatch,
    SnowflakeDialect,
    SnowflakeStage,
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

    def transaction(self, stmts: list[str]) -> None:
        try:
            for s in stmts:
                self.run(s)
        except Exception:
            self.run("rollback")
            raise


def load_tables(session: _Session, dialect: Dialect, lake: Lake,
                contracts: Iterable[TableContract]) -> list[TableLoad]:
    contracts = list(contracts)
    for stmt in dialect.setup(contracts):
        session.run(stmt)
    load_id = int(session.rows(dialect.next_load_id_query())[0][0])
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    results = []
    for c in contracts:
        dt = open_table(lake, "curated", c.name)
        if dt is None:
            raise PlatformError(f"curated table {c.name} does not exist yet; "
                                f"materialize curated/{c.name} first")
        snap = snapshot_of(dt, c.name)
        loaded = dict(session.rows(dialect.loaded_files_query(c.name)))
        plan = plan_load(snap, set(loaded))
        removed_rows = sum(int(loaded[p]) for p in plan.remove)
        if not plan.unchanged:
            batch = LoadBatch(c.name, snap.version, plan.add, plan.remove, snap.files,
                              removed_rows, load_id, loaded_at)
            session.transaction(dialect.load(c, batch, snap.file_uri))
        rows = int(session.rows(f"select count(*) from {CURATED_SCHEMA}.{c.name}")[0][0])
        results.append(TableLoad(c.name, snap.version, None if plan.unchanged else load_id,
                                 len(plan.add), len(plan.remove), plan.rows_added,
                                 removed_rows, rows))
    return results


class CuratedLoader(ConfigurableResource):
    """Copies the curated zone's Delta files into the warehouse's `curated` schema."""

    def load(self, lake: Lake, contracts: Iterable[TableContract]) -> list[TableLoad]:
        with self.session() as (session, dialect):
            return load_tables(session, dialect, lake, contracts)

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
    """Snowflake: COPY INTO from an external stage over the lake's curated zone.

    Connection settings are the dbt `prod` target's (SNOWFLAKE_* variables); the loader should
    run as a role that can write the `curated` schema and nothing else (see
    `load_sql.snowflake_bootstrap_sql`).
    """

    account: str
    user: str
    password: str
    role: str | None = None
    warehouse: str | None = None
    database: str
    host: str | None = None
    port: int | None = None
    protocol: str | None = None
    stage_url: str = Field(description="URL of the curated zone, e.g. s3://bucket/lake/curated/")
    storage_integration: str | None = None
    emulator: str | None = Field(default=None, description="`fakesnow` in CI parity runs.")

    def dialect(self) -> SnowflakeDialect:
        stage = SnowflakeStage(url=self.stage_url, storage_integration=self.storage_integration)
        if self.emulator == FAKESNOW:
            return FakesnowDialect(stage)
        if self.emulator:
            raise PlatformError(f"unknown Snowflake emulator {self.emulator!r}; "
                                f"known: {FAKESNOW}")
        return SnowflakeDialect(stage)

    @contextmanager
    def session(self) -> Iterator[tuple[_Session, Dialect]]:
        import snowflake.connector

        params = {k: v for k, v in {
            "account": self.account, "user": self.user, "password": self.password,
            "role": self.role, "warehouse": self.warehouse, "database": self.database,
            "host": self.host, "port": self.port, "protocol": self.protocol}.items() if v}
        con = snowflake.connector.connect(**params, session_parameters={"TIMEZONE": "UTC"})
        try:
            yield _Session(con.cursor()), self.dialect()
        finally:
            con.close()
