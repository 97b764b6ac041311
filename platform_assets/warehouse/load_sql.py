"""The SQL that copies the lake's Delta tables into the warehouse, per engine.

What is copied is a `CopiedTable`: the curated tables into the schema `curated`
(`curated_copy`), the processed clickstream into `events.events` (`events_copy`). Both engines
get the same tables and the same steps, inside one transaction per table:

1. delete the rows of files that left the Delta snapshot (`_file in (...)`),
2. copy the new files in — Snowflake: `COPY INTO ... FROM @stage FILES = (...)`, whose load
   history also refuses a file it already loaded; DuckDB: `INSERT ... FROM read_parquet(...)`,
3. record the files in `<schema>._loaded_files` and the load in `<schema>._loads` (each schema
   keeps the log of what it holds, so dropping a schema drops both together).

A crash before the commit leaves nothing behind; a rerun recomputes the same plan. Every copy
has the lake table's columns, typed as the lake types them (the Delta schema, mapped by
`contracts.types`; no cast on the way in: the one cast is dbt staging's), plus `_file` (path
under the lake zone, Snowflake's METADATA$FILENAME), `_load_id` (the load batch,
increasing) and `_loaded_at` (UTC). A partitioned table's partition values are not in its data
files: they come from the Delta log, as literals per file (DuckDB) or per group of files with
the same values (Snowflake).

This module only renders text, so the Snowflake statements are unit-tested as text; the
executors (`loader.py`) run them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

import pyarrow as pa

from platform_assets.contracts import TableContract
from platform_assets.contracts.events import EventContract
from platform_assets.contracts.types import TYPES
from platform_assets.storage.sql_text import sql_ident, sql_string
from platform_assets.warehouse.keys import CURATED_SCHEMA, EVENTS_SCHEMA

LOADED_FILES = "_loaded_files"
LOADS = "_loads"
COPY_FILES_LIMIT = 1000  # Snowflake accepts at most 1000 names in FILES = (...)

# Columns the loader adds to every copied table: (name, warehouse type, description).
LOAD_COLUMNS = (
    (
        "_file",
        "varchar",
        "Data file of the curated Delta table the row was copied from "
        "(path under the curated zone, like Snowflake's METADATA$FILENAME).",
    ),
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


@dataclass(frozen=True)
class CopiedTable:
    """A Delta table of the lake and its copy in the warehouse (`<schema>.<name>`)."""

    zone: str  # the lake zone holding the Delta table: curated, processed
    name: str  # the table's name in the zone and in the warehouse schema
    schema: str  # the warehouse schema of the copy
    columns: tuple[tuple[str, str], ...]  # the lake's columns: (name, warehouse type)
    partition_columns: tuple[str, ...] = ()  # not in the data files; from the Delta log
    load: str = "copy"  # the contract's `warehouse_load`: copy (COPY INTO) or glue

    @property
    def relation(self) -> str:
        return sql_ident(self.schema, self.name)

    def all_columns(self) -> list[tuple[str, str]]:
        return [*self.columns, *((n, t) for n, t, _ in LOAD_COLUMNS)]


def curated_copy(c: TableContract) -> CopiedTable:
    """The warehouse copy of a curated table: `curated.<table>`."""
    return CopiedTable(
        "curated",
        c.name,
        CURATED_SCHEMA,
        tuple((f.name, _arrow_to_warehouse(f.type)) for f in c.curated_schema()),
        load=c.warehouse_load,
    )


def events_copy(c: EventContract) -> CopiedTable:
    """The warehouse copy of the processed clickstream: `events.events`, partitioned as in the
    lake (the partition column's values come from the Delta log)."""
    return CopiedTable(
        "processed",
        c.name,
        EVENTS_SCHEMA,
        tuple((f.name, _arrow_to_warehouse(f.type)) for f in c.processed_schema()),
        (c.partition_column,),
    )


def as_copy(t: CopiedTable | TableContract) -> CopiedTable:
    return t if isinstance(t, CopiedTable) else curated_copy(t)


def copy_columns(t: CopiedTable | TableContract) -> list[tuple[str, str]]:
    """(name, warehouse type) of a copied table: the lake's columns, then the load columns."""
    return as_copy(t).all_columns()


quote = sql_string  # the name the warehouse's modules import string literals by


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


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
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # per added file

    def zone_path(self, path: str) -> str:
        return f"{self.table}/{path}"


def sql_literal(value: Any, warehouse_type: str) -> str:
    """A partition value as a typed SQL literal (null stays null, typed)."""
    if value is None:
        return f"cast(null as {warehouse_type})"
    if isinstance(value, date | datetime):
        value = value.isoformat()
    return f"cast({quote(str(value))} as {warehouse_type})"


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
    def setup(self, tables: Iterable[CopiedTable | TableContract]) -> list[str]:
        t = self.type_of
        tables = [as_copy(x) for x in tables]
        stmts = []
        for schema in _schemas(tables):
            stmts.append(f"create schema if not exists {sql_ident(schema)}")
            stmts.append(
                f"create {self.table_kind} if not exists {sql_ident(schema, LOADED_FILES)} ("
                f"table_name varchar not null, file varchar not null, delta_version bigint not null, "
                f"row_count bigint not null, load_id bigint not null, "
                f"loaded_at {t('timestamp')} not null)"
            )
            stmts.append(
                f"create {self.table_kind} if not exists {sql_ident(schema, LOADS)} ("
                f"load_id bigint not null, table_name varchar not null, "
                f"delta_version bigint not null, files_added bigint not null, "
                f"files_removed bigint not null, rows_added bigint not null, "
                f"rows_removed bigint not null, loaded_at {t('timestamp')} not null)"
            )
        for c in tables:
            cols = ", ".join(f"{sql_ident(n)} {t(ty)}" for n, ty in c.all_columns())
            stmts.append(f"create {self.table_kind} if not exists {c.relation} ({cols})")
            # a column added to the contract later (additive schema evolution) reaches the copy too
            stmts += [
                f"alter table {c.relation} add column if not exists {sql_ident(n)} {t(ty)}"
                for n, ty in c.all_columns()
            ]
        return stmts

    def stages_of(self, tables: Iterable[CopiedTable]) -> list[SnowflakeStage]:
        """The stages the copies read (none where the engine reads the files in place)."""
        return []

    def loaded_files_query(self, c: CopiedTable) -> str:
        log = sql_ident(c.schema, LOADED_FILES)
        return f"select file, row_count from {log} where table_name = {quote(c.name)}"  # noqa: S608 -- quoted by sql_ident()/quote()

    def next_load_id_query(self, tables: Iterable[CopiedTable]) -> str:
        """One id for the whole call, above every id of the schemas it loads."""
        logs = " union all ".join(
            f"select load_id from {sql_ident(s, LOADS)}"  # noqa: S608 -- identifiers quoted by sql_ident()
            for s in _schemas(list(tables))
        )
        return f"select coalesce(max(load_id), 0) + 1 from ({logs}) as loads"  # noqa: S608 -- quoted parts

    # -- one table's load, in one transaction --------------------------------------------
    def load(self, c: CopiedTable | TableContract, batch: LoadBatch, file_uri) -> list[str]:
        c = as_copy(c)
        stmts = ["begin", *self.removals(c, batch.remove, batch)]
        for chunk in _chunks(list(batch.add), COPY_FILES_LIMIT):
            stmts += self.copy(c, batch, chunk, file_uri)
            stmts.append(self._record_files(c, batch, chunk))
        stmts.append(self._record_load(c, batch))
        stmts.append("commit")
        return stmts

    def removals(self, c: CopiedTable, files: Sequence[str], batch: LoadBatch) -> list[str]:
        """Delete the rows of these files and their entries in the load log."""
        stmts = []
        for chunk in _chunks(list(files), COPY_FILES_LIMIT):
            paths = _in_list([batch.zone_path(p) for p in chunk])
            stmts.append(f"delete from {c.relation} where _file in {paths}")  # noqa: S608 -- quoted parts
            stmts.append(
                f"delete from {sql_ident(c.schema, LOADED_FILES)} where table_name = "  # noqa: S608 -- quoted parts
                f"{quote(c.name)} and file in {_in_list(chunk)}"
            )
        return stmts

    def records(self, c: CopiedTable, batch: LoadBatch) -> list[str]:
        """The load log of a batch whose rows another writer copied in (the Glue job)."""
        return [
            *(self._record_files(c, batch, chunk) for chunk in _chunks(list(batch.add), COPY_FILES_LIMIT)),
            self._record_load(c, batch),
        ]

    def _record_load(self, c: CopiedTable, batch: LoadBatch) -> str:
        return (
            f"insert into {sql_ident(c.schema, LOADS)} values ({batch.load_id}, {quote(c.name)}, "  # noqa: S608 -- quoted parts
            f"{batch.delta_version}, {len(batch.add)}, {len(batch.remove)}, "
            f"{sum(batch.rows[p] for p in batch.add)}, {batch.rows_removed}, "
            f"{self.ts_literal(batch.loaded_at)})"
        )

    def _record_files(self, c: CopiedTable, batch: LoadBatch, files: Sequence[str]) -> str:
        rows = ", ".join(
            f"({quote(batch.table)}, {quote(p)}, {batch.delta_version}, {batch.rows[p]}, "
            f"{batch.load_id}, {self.ts_literal(batch.loaded_at)})"
            for p in files
        )
        return f"insert into {sql_ident(c.schema, LOADED_FILES)} values {rows}"  # noqa: S608 -- quoted parts

    def file_columns(self, c: CopiedTable) -> list[tuple[str, str]]:
        """The columns read from the data files (not the partition columns, not the loader's)."""
        return [(n, ty) for n, ty in c.columns if n not in c.partition_columns]

    def partition_values(self, c: CopiedTable, batch: LoadBatch, path: str) -> list[str]:
        types = dict(c.columns)
        values = batch.partitions.get(path, {})
        return [sql_literal(values.get(p), self.type_of(types[p])) for p in c.partition_columns]

    def copy(self, c: CopiedTable, batch: LoadBatch, files: Sequence[str], file_uri) -> list[str]:
        raise NotImplementedError


def _schemas(tables: list[CopiedTable]) -> list[str]:
    return list(dict.fromkeys(c.schema for c in tables))


class DuckDBDialect(Dialect):
    """The local warehouse: the files are read where they lie, with `read_parquet`."""

    name = "duckdb"

    def copy(self, c: CopiedTable, batch: LoadBatch, files: Sequence[str], file_uri) -> list[str]:
        uris = "[" + ", ".join(quote(file_uri(p)) for p in files) + "]"
        parts = list(c.partition_columns)
        names = ", ".join(
            "("
            + ", ".join([quote(file_uri(p)), quote(batch.zone_path(p)), *self.partition_values(c, batch, p)])
            + ")"
            for p in files
        )
        cols = [sql_ident(n) for n, _ in self.file_columns(c)]
        parts = [sql_ident(p) for p in parts]
        select = ", ".join([*(f"src.{n}" for n in cols), *(f"names.{p}" for p in parts)])
        target = ", ".join([*cols, *parts, "_file", "_load_id", "_loaded_at"])
        # No cast: the Parquet columns already have the lake's types, and the insert stores
        # them in the table's (timestamptz -> timestamp in the session's UTC).
        # union_by_name: files written before an additive schema change lack the new column
        return [
            f"insert into {c.relation} ({target}) "  # noqa: S608 -- quoted by sql_ident()/quote()
            f"select {select}, names.zone_path, {batch.load_id}, "
            f"{self.ts_literal(batch.loaded_at)} "
            f"from read_parquet({uris}, filename = true, union_by_name = true) as src "
            f"join (values {names}) as names({', '.join(['uri', 'zone_path', *parts])}) "
            f"on src.filename = names.uri"
        ]


@dataclass(frozen=True)
class SnowflakeStage:
    """An external stage over one zone of the lake, named `<schema>.lake_<zone>`."""

    name: str
    url: str  # the zone's folder, ending in /
    storage_integration: str | None = None
    file_format: str | None = None  # a named file format; None: `(type = parquet)` inline

    def create_sql(self, replace: bool = False) -> str:
        head = "create or replace stage" if replace else "create stage if not exists"
        integration = f" storage_integration = {self.storage_integration}" if self.storage_integration else ""
        fmt = f"format_name = {self.file_format}" if self.file_format else "type = parquet"
        return f"{head} {self.name} url = {quote(self.url)}{integration} file_format = ({fmt})"

    def differs_from(self, found: dict[str, Any]) -> bool:
        """Whether a stage as SHOW STAGES lists it reads another place than this one."""
        url = str(found.get("url") or "").strip('[]"')
        integration = found.get("storage_integration")
        return (
            url.rstrip("/") != self.url.rstrip("/")
            or (integration or None) != self.storage_integration
            and integration is not None
        )


@dataclass(frozen=True)
class SnowflakeStages:
    """The stages the copies read, one per lake zone, all under the lake's root URL as Snowflake
    reaches it (PLATFORM_WAREHOUSE_STAGE_URL; default the lake's own URI)."""

    lake_url: str = "s3://lakehouse"
    storage_integration: str | None = "lakehouse_s3"
    file_format: str | None = None

    def for_table(self, c: CopiedTable) -> SnowflakeStage:
        return SnowflakeStage(
            sql_ident(c.schema, f"lake_{c.zone}"),
            f"{self.lake_url.rstrip('/')}/{c.zone}/",
            self.storage_integration,
            self.file_format,
        )

    def for_tables(self, tables: Iterable[CopiedTable]) -> list[SnowflakeStage]:
        return list(dict.fromkeys(self.for_table(c) for c in tables))


class SnowflakeDialect(Dialect):
    """Snowflake: `COPY INTO` from the external stage; the copies are TRANSIENT tables.

    Transient because the copy is rebuilt from the lake at will: Fail-safe's seven days
    of extra storage would protect bytes the lake already keeps (with Delta time travel).
    """

    name = "snowflake"
    timestamp_type = "timestamp_ntz"
    table_kind = "transient table"

    def __init__(self, stages: SnowflakeStages) -> None:
        self.stages = stages

    def stages_of(self, tables: Iterable[CopiedTable]) -> list[SnowflakeStage]:
        return self.stages.for_tables(tables)

    def setup(self, tables: Iterable[CopiedTable | TableContract]) -> list[str]:
        stmts = super().setup(tables)
        if self.stages.file_format:  # the stages name it; after the schemas, before the stages
            stmts.append(file_format_sql(self.stages.file_format))
        return stmts

    def copy(self, c: CopiedTable, batch: LoadBatch, files: Sequence[str], file_uri) -> list[str]:
        cols = self.file_columns(c)
        stage = self.stages.for_table(c)
        target = ", ".join(
            [sql_ident(n) for n, _ in cols]
            + [sql_ident(p) for p in c.partition_columns]
            + ["_file", "_load_id", "_loaded_at"]
        )
        stmts = []

        # one COPY per set of partition values: they are literals, not in the files
        def values_of(p: str) -> list[str]:
            return self.partition_values(c, batch, p)

        for values, group in groupby(sorted(files, key=lambda p: (values_of(p), p)), key=values_of):
            # A COPY transformation reads each Parquet row as one VARIANT ($1): `::type`
            # extracts the field as the table's type (the lake's), it does not re-type it.
            select = ", ".join([*(f"$1:{sql_ident(n)}::{self.type_of(ty)}" for n, ty in cols), *values])
            stmts.append(
                f"copy into {c.relation} ({target}) from ("  # noqa: S608 -- quoted by sql_ident()/quote()
                f"select {select}, metadata$filename, {batch.load_id}, "
                f"{self.ts_literal(batch.loaded_at)} from @{stage.name}/{c.name}/) "
                f"files = {_in_list(list(group))} "
                f"file_format = (type = parquet)"
            )
        return stmts


def file_format_sql(name: str) -> str:
    return f"create file format if not exists {name} type = parquet"


COPY_SCHEMAS = (CURATED_SCHEMA, EVENTS_SCHEMA)  # the schemas the loader writes
