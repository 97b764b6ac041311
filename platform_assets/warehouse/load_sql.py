"""The SQL that loads curated Delta files into the warehouse's `curated` schema, per engine.

Both engines get the same tables and the same steps, inside one transaction per table:

1. delete the rows of files that left the Delta snapshot (`_file in (...)`),
2. copy the new files in — Snowflake: `COPY INTO ... FROM @stage FILES = (...)`, whose load
   history also refuses a file it already loaded; DuckDB: `INSERT ... FROM read_parquet(...)`,
3. record the files in `curated._loaded_files` and the load in `curated._loads`.

A crash before the commit leaves nothing behind; a rerun recomputes the same plan. Every copy
has the curated columns, typed as the lake types them (the Delta schema, mapped by
`contracts.types`; no cast on the way in: the one cast is dbt staging's), plus `_file` (path
under the curated zone, Snowflake's METADATA$FILENAME), `_load_id` (the load batch,
increasing) and `_loaded_at` (UTC).

This module only renders text, so the Snowflake statements are unit-tested as text; the
executors (`loader.py`) run them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from platform_assets.contracts import TableContract
from platform_assets.contracts.types import TYPES
from platform_assets.warehouse.keys import CURATED_SCHEMA

LOADED_FILES = "_loaded_files"
LOADS = "_loads"
COPY_FILES_LIMIT = 1000  # Snowflake accepts at most 1000 names in FILES = (...)

# Columns the loader adds to every copied table: (name, warehouse type, description).
LOAD_COLUMNS = (
    ("_file", "varchar", "Data file of the curated Delta table the row was copied from "
                         "(path under the curated zone, like Snowflake's METADATA$FILENAME)."),
    ("_load_id", "bigint", "Load batch that copied the row in; increases with every load."),
    ("_loaded_at", "timestamp", "When the row was copied into the warehouse (UTC)."),
)


def _arrow_to_warehouse(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return TYPES["timestamptz"].warehouse
    for logical in TYPES.values():
        if logical.arrow == t:
            return logical.warehouse
    raise ValueError(f"no warehouse type for Arrow type {t}")


def copy_columns(c: TableContract) -> list[tuple[str, str]]:
    """(name, warehouse type) of a copied table: the curated columns, then the load columns."""
    cols = [(f.name, _arrow_to_warehouse(f.type)) for f in c.curated_schema()]
    return cols + [(n, t) for n, t, _ in LOAD_COLUMNS]


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


@dataclass(frozen=True)
class LoadBatch:
    """One table's load: the plan's files, named under the curated zone, and the batch."""

    table: str
    delta_version: int
    add: Sequence[str]  # paths relative to the table
    remove: Sequence[str]
    rows: dict[str, int]  # rows per added file
    rows_removed: int  # rows of the removed files, as recorded when they were loaded
    load_id: int
    loaded_at: datetime  # naive UTC

    def zone_path(self, path: str) -> str:
        return f"{self.table}/{path}"


class Dialect:
    """What differs between engines; the statements' order and meaning do not."""

    name = "abstract"
    timestamp_type = "timestamp"
    table_kind = "table"

    def type_of(self, warehouse_type: str) -> str:
        return self.timestamp_type if warehouse_type == "timestamp" else warehouse_type

    def ts_literal(self, ts: datetime) -> str:
        return f"cast({quote(ts.strftime('%Y-%m-%d %H:%M:%S.%f'))} as {self.timestamp_type})"

    # -- set-up: idempotent, safe to run before every load --------------------------------
    def setup(self, contracts: Iterable[TableContract]) -> list[str]:
        t = self.type_of
        stmts = [f"create schema if not exists {CURATED_SCHEMA}"]
        stmts.append(
            f"create {self.table_kind} if not exists {CURATED_SCHEMA}.{LOADED_FILES} ("
            f"table_name varchar not null, file varchar not null, delta_version bigint not null, "
            f"row_count bigint not null, load_id bigint not null, loaded_at {t('timestamp')} not null)")
        stmts.append(
            f"create {self.table_kind} if not exists {CURATED_SCHEMA}.{LOADS} ("
            f"load_id bigint not null, table_name varchar not null, delta_version bigint not null, "
            f"files_added bigint not null, files_removed bigint not null, "
            f"rows_added bigint not null, rows_removed bigint not null, "
            f"loaded_at {t('timestamp')} not null)")
        for c in contracts:
            cols = ", ".join(f"{n} {t(ty)}" for n, ty in copy_columns(c))
            stmts.append(f"create {self.table_kind} if not exists {CURATED_SCHEMA}.{c.name} ({cols})")
            # a column added to the contract later (additive schema evolution) reaches the copy too
            stmts += [f"alter table {CURATED_SCHEMA}.{c.name} add column if not exists {n} {t(ty)}"
                      for n, ty in copy_columns(c)]
        return stmts

    def loaded_files_query(self, table: str) -> str:
        return (f"select file, row_count from {CURATED_SCHEMA}.{LOADED_FILES} "
                f"where table_name = {quote(table)}")

    def next_load_id_query(self) -> str:
        return f"select coalesce(max(load_id), 0) + 1 from {CURATED_SCHEMA}.{LOADS}"

    # -- one table's load, in one transaction --------------------------------------------
    def load(self, c: TableContract, batch: LoadBatch, file_uri) -> list[str]:
        stmts = ["begin"]
        for chunk in _chunks(list(batch.remove), COPY_FILES_LIMIT):
            stmts.append(f"delete from {CURATED_SCHEMA}.{c.name} where _file in "
                         f"{_in_list([batch.zone_path(p) for p in chunk])}")
            stmts.append(f"delete from {CURATED_SCHEMA}.{LOADED_FILES} where table_name = "
                         f"{quote(c.name)} and file in {_in_list(chunk)}")
        for chunk in _chunks(list(batch.add), COPY_FILES_LIMIT):
            stmts += self.copy(c, batch, chunk, file_uri)
            stmts.append(self._record_files(batch, chunk))
        stmts.append(
            f"insert into {CURATED_SCHEMA}.{LOADS} values ({batch.load_id}, {quote(c.name)}, "
            f"{batch.delta_version}, {len(batch.add)}, {len(batch.remove)}, "
            f"{sum(batch.rows[p] for p in batch.add)}, {batch.rows_removed}, "
            f"{self.ts_literal(batch.loaded_at)})")
        stmts.append("commit")
        return stmts

    def _record_files(self, batch: LoadBatch, files: Sequence[str]) -> str:
        rows = ", ".join(
            f"({quote(batch.table)}, {quote(p)}, {batch.delta_version}, {batch.rows[p]}, "
            f"{batch.load_id}, {self.ts_literal(batch.loaded_at)})" for p in files)
        return f"insert into {CURATED_SCHEMA}.{LOADED_FILES} values {rows}"

    def copy(self, c: TableContract, batch: LoadBatch, files: Sequence[str],
             file_uri) -> list[str]:
        raise NotImplementedError


class DuckDBDialect(Dialect):
    """The local warehouse: the files are read where they lie, with `read_parquet`."""

    name = "duckdb"

    def copy(self, c: TableContract, batch: LoadBatch, files: Sequence[str],
             file_uri) -> list[str]:
        uris = "[" + ", ".join(quote(file_uri(p)) for p in files) + "]"
        names = ", ".join(f"({quote(file_uri(p))}, {quote(batch.zone_path(p))})" for p in files)
        cols = [n for n, _ in copy_columns(c) if not n.startswith("_") or n == "_commit_ts"]
        select = ", ".join(f"src.{n}" for n in cols)
        target = ", ".join([*cols, "_file", "_load_id", "_loaded_at"])
        # No cast: the Parquet columns already have the lake's types, and the insert stores
        # them in the table's (timestamptz -> timestamp in the session's UTC).
        # union_by_name: files written before an additive schema change lack the new column
        return [f"insert into {CURATED_SCHEMA}.{c.name} ({target}) "
                f"select {select}, names.zone_path, {batch.load_id}, "
                f"{self.ts_literal(batch.loaded_at)} "
                f"from read_parquet({uris}, filename = true, union_by_name = true) as src "
                f"join (values {names}) as names(uri, zone_path) on src.filename = names.uri"]


@dataclass(frozen=True)
class SnowflakeStage:
    """The external stage over the lake's curated zone (created once by an administrator)."""

    name: str = f"{CURATED_SCHEMA}.lake_curated"
    url: str = "s3://lakehouse/curated/"
    storage_integration: str | None = "lakehouse_s3"


class SnowflakeDialect(Dialect):
    """Snowflake: `COPY INTO` from the external stage; the copies are TRANSIENT tables.

    Transient because the copy is rebuilt from the lake at will: Fail-safe's seven days
    of extra storage would protect bytes the lake already keeps (with Delta time travel).
    """

    name = "snowflake"
    timestamp_type = "timestamp_ntz"
    table_kind = "transient table"

    def __init__(self, stage: SnowflakeStage) -> None:
        self.stage = stage

    def setup(self, contracts: Iterable[TableContract]) -> list[str]:
        s = self.stage
        stmts = super().setup(contracts)
        integration = f" storage_integration = {s.storage_integration}" \
            if s.storage_integration else ""
        stmts.insert(1, f"create stage if not exists {s.name} url = {quote(s.url)}"
                        f"{integration} file_format = (type = parquet)")
        return stmts

    def copy(self, c: TableContract, batch: LoadBatch, files: Sequence[str],
             file_uri) -> list[str]:
        cols = [(n, ty) for n, ty in copy_columns(c) if not n.startswith("_") or n == "_commit_ts"]
        # A COPY transformation reads each Parquet row as one VARIANT ($1): `::type` extracts
        # the field as the table's type (the lake's), it does not re-type it.
        select = ", ".join(f"$1:{n}::{self.type_of(ty)}" for n, ty in cols)
        target = ", ".join([n for n, _ in cols] + ["_file", "_load_id", "_loaded_at"])
        return [f"copy into {CURATED_SCHEMA}.{c.name} ({target}) from ("
                f"select {select}, metadata$filename, {batch.load_id}, "
                f"{self.ts_literal(batch.loaded_at)} from @{self.stage.name}/{c.name}/) "
                f"files = {_in_list(list(files))} "
                f"file_format = (type = parquet)"]


def snowflake_bootstrap_sql(stage: SnowflakeStage, database: str, loader_role: str,
                            analyst_role: str, transformer_role: str) -> list[str]:
    """One-time set-up by an administrator (SECURITYADMIN): roles and who may do what.

    The loader role writes the `curated` schema and nothing else; dbt's role reads it and owns the layer
    schemas; analysts read marts only (dbt's `grants` re-apply SELECT on every rebuild).
    """
    curated = f"{database}.{CURATED_SCHEMA}"
    stmts = [f"create role if not exists {r}"
             for r in (loader_role, analyst_role, transformer_role)]
    stmts += [
        f"create schema if not exists {curated}",
        f"grant usage on database {database} to role {loader_role}",
        f"grant usage, create table, create stage, create file format on schema {curated} "
        f"to role {loader_role}",
        f"grant usage on integration {stage.storage_integration} to role {loader_role}"
        if stage.storage_integration else None,
        f"grant select, insert, update, delete, truncate on all tables in schema {curated} "
        f"to role {loader_role}",
        f"grant select, insert, update, delete, truncate on future tables in schema {curated} "
        f"to role {loader_role}",
        f"grant usage on database {database} to role {transformer_role}",
        f"grant usage on schema {curated} to role {transformer_role}",
        f"grant select on all tables in schema {curated} to role {transformer_role}",
        f"grant select on future tables in schema {curated} to role {transformer_role}",
        f"grant create schema on database {database} to role {transformer_role}",
        f"grant usage on database {database} to role {analyst_role}",
    ]
    return [s for s in stmts if s]
