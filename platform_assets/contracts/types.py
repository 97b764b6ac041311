"""The logical column types a contract may use, and what each becomes in every engine.

One table, so Postgres DDL, Arrow/Delta schemas, DMS CSV parsing and warehouse casts agree.
"""

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class LogicalType:
    name: str
    postgres: str
    arrow: pa.DataType
    warehouse: str  # SQL type understood by DuckDB and Snowflake alike


_TYPES = [
    LogicalType("bigint", "bigint", pa.int64(), "bigint"),
    LogicalType("int", "integer", pa.int32(), "integer"),
    LogicalType("text", "text", pa.string(), "varchar"),
    LogicalType("boolean", "boolean", pa.bool_(), "boolean"),
    LogicalType("date", "date", pa.date32(), "date"),
    LogicalType("timestamptz", "timestamptz", pa.timestamp("us", tz="UTC"), "timestamp"),
    LogicalType("money", "numeric(12,2)", pa.decimal128(12, 2), "decimal(12,2)"),
    LogicalType("double", "double precision", pa.float64(), "double"),
]
TYPES: dict[str, LogicalType] = {t.name: t for t in _TYPES}

# Widening is allowed by schema evolution; anything else (narrowing, changing kind) is breaking.
SAFE_WIDENINGS = {("int", "bigint"), ("int", "double"), ("bigint", "double")}


def logical_type(name: str) -> LogicalType:
    try:
        return TYPES[name]
    except KeyError:
        raise ValueError(f"unknown logical type {name!r}; known: {sorted(TYPES)}") from None


def logical_type_of_postgres(pg_type: str) -> str | None:
    """Map a Postgres type name (as in pg_type / pgoutput Relation) to a logical type."""
    normalized = {
        "int8": "bigint", "bigint": "bigint", "int4": "int", "integer": "int", "int2": "int",
        "text": "text", "varchar": "text", "bpchar": "text", "bool": "boolean",
        "boolean": "boolean", "date": "date", "timestamptz": "timestamptz",
        "numeric": "money", "float8": "double", "float4": "double",
    }
    return normalized.get(pg_type)
