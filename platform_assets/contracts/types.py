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

# What a typed (Parquet) file column may hold for a contract column, besides the contract's
# logical type: a safe widening's narrower side (a source column the contract already widened),
# or bigint for int (a source widened before its contract; the values must still fit). Every
# such column is cast with a checked cast; values that do not fit stop the table.
FILE_CONVERSIONS = SAFE_WIDENINGS | {("bigint", "int")}


def logical_type_of_arrow(t: pa.DataType) -> str | None:
    """The logical type a file column's Arrow type carries (any width, unit, zone or scale)."""
    if pa.types.is_dictionary(t):
        return logical_type_of_arrow(t.value_type)
    checks = [
        ("int", lambda: t in (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16())),
        ("bigint", lambda: t in (pa.int64(), pa.uint32(), pa.uint64())),
        ("text", lambda: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("boolean", lambda: pa.types.is_boolean(t)),
        ("date", lambda: pa.types.is_date(t)),
        ("timestamptz", lambda: pa.types.is_timestamp(t)),
        ("money", lambda: pa.types.is_decimal(t)),
        ("double", lambda: pa.types.is_floating(t)),
    ]
    return next((name for name, check in checks if check()), None)


def file_type_accepted(file_type: pa.DataType, contract_type: str) -> bool:
    """True if a typed file column of `file_type` may fill a `contract_type` column."""
    carried = logical_type_of_arrow(file_type)
    return carried == contract_type or (carried, contract_type) in FILE_CONVERSIONS


def logical_type(name: str) -> LogicalType:
    try:
        return TYPES[name]
    except KeyError:
        raise ValueError(f"unknown logical type {name!r}; known: {sorted(TYPES)}") from None


def logical_type_of_postgres(pg_type: str) -> str | None:
    """Map a Postgres type name (as in pg_type / pgoutput Relation) to a logical type."""
    normalized = {
        "int8": "bigint",
        "bigint": "bigint",
        "int4": "int",
        "integer": "int",
        "int2": "int",
        "text": "text",
        "varchar": "text",
        "bpchar": "text",
        "bool": "boolean",
        "boolean": "boolean",
        "date": "date",
        "timestamptz": "timestamptz",
        "numeric": "money",
        "float8": "double",
        "float4": "double",
    }
    return normalized.get(pg_type)
