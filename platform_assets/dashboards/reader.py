"""Reading the warehouse for the dashboards: the local DuckDB file read-only, or Snowflake.

Which one a run gets is the profile's choice (`profile.resources_for`, resource `marts_reader`).
A session answers three questions: the rows of a query (as {lower-case column: value}),
whether a table exists (so a page can say a table is not there yet instead of failing), and
which warehouse loads the data comes from (`<schema>._loads`, written by warehouse/loader.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster import ConfigurableResource
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from platform_assets.storage.sql_text import sql_ident, sql_string
from platform_assets.warehouse.keys import CURATED_SCHEMA, EVENTS_SCHEMA
from platform_assets.warehouse.load_sql import LOADS

# the copy schemas whose load logs say how fresh the marts are
LOADED_SCHEMAS = (CURATED_SCHEMA, EVENTS_SCHEMA)


@dataclass(frozen=True)
class WarehouseLoad:
    """The newest load of one copy schema: its id and when it finished (UTC)."""

    schema: str
    load_id: int
    loaded_at: datetime

    def describe(self) -> str:
        return f"{self.schema} load #{self.load_id} at {self.loaded_at:%Y-%m-%d %H:%M:%S} UTC"


class WarehouseSession:
    """One connection's queries; `where` names the warehouse in messages."""

    def __init__(self, cursor, where: str):
        self.cursor, self.where = cursor, where

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        self.cursor.execute(sql, params) if params else self.cursor.execute(sql)
        names = [d[0].lower() for d in self.cursor.description]
        return [dict(zip(names, r, strict=True)) for r in self.cursor.fetchall()]

    def exists(self, schema: str, name: str) -> bool:
        found = self.rows(
            # literals, not parameters: the session runs on DuckDB (`?`) and Snowflake (`%s`)
            "select count(*) as n from information_schema.tables "  # noqa: S608 -- sql_string()
            f"where lower(table_schema) = {sql_string(schema.lower())} "
            f"and lower(table_name) = {sql_string(name.lower())}"
        )
        return int(found[0]["n"]) > 0

    def latest_loads(self) -> list[WarehouseLoad]:
        """The newest load of each copy schema that has a load log (none on a new warehouse)."""
        loads = []
        for schema in LOADED_SCHEMAS:
            if not self.exists(schema, LOADS):
                continue
            rows = self.rows(
                f"select load_id, max(loaded_at) as loaded_at from {sql_ident(schema, LOADS)} "  # noqa: S608 -- identifiers quoted by sql_ident()
                "group by load_id order by load_id desc limit 1"
            )
            if rows:
                loads.append(WarehouseLoad(schema, int(rows[0]["load_id"]), rows[0]["loaded_at"]))
        return loads


class MartReader(ConfigurableResource):
    """Opens a read session on the warehouse the marts live in."""

    @contextmanager
    def session(self) -> Iterator[WarehouseSession]:
        raise NotImplementedError


class DuckDBMartReader(MartReader):
    """The local warehouse file, opened read-only (never holds DuckDB's single writer lock)."""

    path: str = Field(description="The DuckDB warehouse file (dbt's `local` target).")

    @contextmanager
    def session(self) -> Iterator[WarehouseSession]:
        import duckdb

        # before the first load there is no file (a dashboard over a table that is not a mart
        # can run that early): an empty database answers "no such table, no load" for it
        exists = Path(self.path).is_file()
        con = _connect_read_only(duckdb, self.path) if exists else duckdb.connect(":memory:")
        try:
            con.execute("set TimeZone = 'UTC'")
            yield WarehouseSession(
                con, f"the DuckDB warehouse {self.path}{'' if exists else ' (not created yet)'}"
            )
        finally:
            con.close()


def _connect_read_only(duckdb, path: str, attempts: int = 6):
    """A reader waits out a writer in another process (DuckDB allows one or the other)."""
    for attempt in range(attempts):
        try:
            return duckdb.connect(path, read_only=True)
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25 * 2**attempt)


class SnowflakeMartReader(MartReader):
    """Snowflake, through the profile's `SnowflakeResource` (timeouts on every call); the role
    needs SELECT on the marts (dbt's role, or the analyst role the marts grant it to)."""

    snowflake: SnowflakeResource

    @contextmanager
    def session(self) -> Iterator[WarehouseSession]:
        with self.snowflake.get_connection() as conn:
            cursor = conn.cursor()
            try:
                yield WarehouseSession(cursor, f"Snowflake account {self.snowflake.account}")
            finally:
                cursor.close()
