"""The contract data model: columns, keys, PII handling, layout, ownership."""

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from platform_assets.contracts.types import logical_type

# How a column holding personal data is handled on its way to the curated zone:
# - "hash": a keyed hash (HMAC-SHA256, curated/conform.py) under the name `<name>_hmac`, so
#   analysts can count and join people without seeing who they are;
# - "drop": never leaves the processed zone;
# - "free_text": text people type (notes, comments) that may hold anything personal (names,
#   addresses, phone numbers); it cannot be hashed usefully, so it is dropped like "drop".
# Any of them keeps a table out of every share (contracts/shares.py).
PiiAction = Literal["hash", "drop", "free_text"]
HASHED_SUFFIX = "_hmac"

# Columns the lake adds to every processed table: the source commit time of the row's last
# change (DMS TimestampColumnName). The source position of changes orders the apply but is
# not stored per row: a 37-byte string on every row doubled the cost of a full scan.
LINEAGE_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("_commit_ts", pa.timestamp("us", tz="UTC")),
]
KEY_BUCKET_COLUMN = "_key_bucket"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    pii: PiiAction | None = None
    description: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return logical_type(self.type).arrow

    @property
    def curated_name(self) -> str | None:
        """The column's name in the curated zone (and the warehouse), None if it never gets
        there: the one place that names hashed columns."""
        if self.pii == "hash":
            return f"{self.name}{HASHED_SUFFIX}"
        return None if self.pii else self.name

    @property
    def curated_description(self) -> str:
        """What the curated column holds, for every catalog (Glue, dbt docs): one wording."""
        if self.pii == "hash":
            return f"HMAC-SHA256 (keyed) of the trimmed, lower-cased {self.name}. {self.description}"
        return self.description

    @property
    def pii_tag(self) -> str | None:
        """The tag catalogs attach to the column in the processed and curated zones."""
        return {"hash": "hmac_sha256"}.get(self.pii, self.pii) if self.pii else None


@dataclass(frozen=True)
class TableContract:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    owner: str
    description: str
    schema: str = "public"
    # Processed tables are partitioned by primary-key range (key // key_bucket_size) so a
    # MERGE touching few keys rewrites only the partitions holding them.
    key_bucket_size: int = 50_000
    clustering: tuple[str, ...] = ()
    freshness_sla_minutes: int = 60
    vacuum_retention_hours: int = 168
    replica_identity: Literal["full", "default"] = "full"
    shared: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    # How the warehouse (Snowflake) loads the curated table: "copy" = COPY INTO from the stage
    # (warehouse/load_sql.py); "glue" = a Glue Spark job launched through Dagster Pipes
    # (warehouse/glue/), for tables whose files need Spark on the way in. The local DuckDB
    # warehouse reads the files in place either way.
    warehouse_load: Literal["copy", "glue"] = "copy"

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        missing = [k for k in self.primary_key if k not in names]
        if missing:
            raise ValueError(f"contract {self.name}: primary key {missing} not among columns")
        if len(self.primary_key) != 1 or self.column(self.primary_key[0]).type != "bigint":
            raise ValueError(f"contract {self.name}: the key must be one bigint column")

    @property
    def key(self) -> str:
        return self.primary_key[0]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """Source columns only, as they are in Postgres and in DMS files."""
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=c.nullable or c.name != self.key) for c in self.columns]
        )

    def processed_schema(self) -> pa.Schema:
        fields = list(self.arrow_schema())
        fields += [pa.field(n, t) for n, t in LINEAGE_COLUMNS]
        fields.append(pa.field(KEY_BUCKET_COLUMN, pa.int64(), nullable=False))
        return pa.schema(fields)

    @property
    def stats_columns(self) -> tuple[str, ...]:
        """The processed columns whose files carry min/max statistics: the key, the clustering
        columns and the times (the lineage time too). Their values follow the key ranges files
        hold, so statistics rule files out for a lookup or a time range; amounts, codes,
        foreign keys and free text span every file's range, and statistics on them only cost
        writes and reads (at 10M order rows, a third of the rewrite's Parquet writing and half
        of building a reader's dataset over 500 files: bench/results/before_after.md)."""
        times = [
            f.name
            for f in self.processed_schema()
            if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)
        ]
        return tuple(dict.fromkeys([self.key, *self.clustering, *times]))

    def curated_schema(self) -> pa.Schema:
        """The curated zone's conformed columns: PII dropped or hashed (`Column.curated_name`)."""
        fields = []
        for c in self.columns:
            if c.curated_name is None:
                continue
            if c.pii == "hash":
                fields.append(pa.field(c.curated_name, pa.string(), nullable=c.nullable))
            else:
                fields.append(pa.field(c.name, c.arrow_type, nullable=c.nullable or c.name != self.key))
        fields.append(pa.field("_commit_ts", pa.timestamp("us", tz="UTC")))
        return pa.schema(fields)
