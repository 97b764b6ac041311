"""Delta (Spark) schema types as Hive type strings, which Glue, Athena and Spark expect."""

from __future__ import annotations

_PRIMITIVES = {
    "string": "string",
    "long": "bigint",
    "integer": "int",
    "short": "smallint",
    "byte": "tinyint",
    "float": "float",
    "double": "double",
    "boolean": "boolean",
    "binary": "binary",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
}


def hive_type(delta_type: str | dict) -> str:
    """A type from the Delta log's schemaString JSON as a Hive type string."""
    if isinstance(delta_type, str):
        if delta_type.startswith("decimal"):
            return delta_type.replace(" ", "")
        try:
            return _PRIMITIVES[delta_type]
        except KeyError:
            raise ValueError(f"no Hive type for Delta type {delta_type!r}") from None
    kind = delta_type["type"]
    if kind == "array":
        return f"array<{hive_type(delta_type['elementType'])}>"
    if kind == "map":
        return f"map<{hive_type(delta_type['keyType'])},{hive_type(delta_type['valueType'])}>"
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{hive_type(f['type'])}" for f in delta_type["fields"])
        return f"struct<{inner}>"
    raise ValueError(f"no Hive type for Delta type {delta_type!r}")
