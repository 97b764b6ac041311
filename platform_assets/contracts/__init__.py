"""Table contracts: one declaration per source table drives every zone.

Everything that would otherwise be written twice reads from here: the OLTP DDL, what CDC
captures, how DMS files are parsed, the Delta MERGE keys and layout, the curated masking, the
dbt sources and the catalog schema.
"""

from platform_assets.contracts.model import Column, TableContract
from platform_assets.contracts.shop import SHOP_TABLES

CONTRACTS: dict[str, TableContract] = {c.name: c for c in SHOP_TABLES}


def contract(name: str) -> TableContract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no table contract named {name!r}; known: {sorted(CONTRACTS)}") from None


__all__ = ["CONTRACTS", "Column", "TableContract", "contract"]
