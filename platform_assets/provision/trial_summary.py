"""What `lakehouse prod up` shows at the end: the lake's Delta tables on S3 (rows, version) and
the marts' row counts in the warehouse (Snowflake, or fakesnow in the trial).

The marts are the dbt models under `dbt_project/models/marts/`; each is looked up by name in
the warehouse's information schema, so a mart that did not build shows as missing rather than
being left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_assets.lake import Lake
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.storage.sql_text import sql_ident, sql_string
from platform_assets.tables.refs import delta_tables


@dataclass(frozen=True)
class TableState:
    name: str
    rows: int | None  # None: missing
    version: int | None = None


def mart_names() -> list[str]:
    return sorted(p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))


def delta_states(lake: Lake) -> list[TableState]:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    out = []
    for ref in delta_tables():
        try:
            dt = DeltaTable(ref.uri(lake), storage_options=lake.storage_options)
        except TableNotFoundError:
            out.append(TableState(str(ref), None))
            continue
        out.append(TableState(str(ref), dt.to_pyarrow_dataset().count_rows(), dt.version()))
    return out


def mart_states() -> list[TableState]:
    """Rows of each mart in the profile's Snowflake (SNOWFLAKE_* variables)."""
    from platform_assets.warehouse.resources import snowflake_resource

    names = mart_names()
    resource = snowflake_resource().process_config_and_initialize()
    with resource.get_connection() as con:
        cur = con.cursor()
        in_list = ", ".join(sql_string(n) for n in names)
        cur.execute(
            "select table_schema, table_name from information_schema.tables "  # noqa: S608 -- sql_string()
            f"where lower(table_name) in ({in_list})"
        )
        where = {name.lower(): schema for schema, name in cur.fetchall()}
        out = []
        for name in names:
            if name not in where:
                out.append(TableState(name, None))
                continue
            relation = sql_ident(where[name], name.upper(), exact=True)  # as information_schema has them
            cur.execute(f"select count(*) from {relation}")  # noqa: S608 -- identifiers quoted by sql_ident()
            out.append(TableState(name, cur.fetchone()[0]))
    return out


def _table(title: str, states: list[TableState], with_version: bool) -> list[str]:
    lines = [title]
    for s in states:
        if s.rows is None:
            lines.append(f"  {s.name:<36} missing")
        else:
            version = f"  version {s.version}" if with_version else ""
            lines.append(f"  {s.name:<36}{s.rows:>10} rows{version}")
    return lines


def summary(lake: Lake) -> str:
    return "\n".join(
        [
            *_table(f"Delta tables under {lake.root}:", delta_states(lake), True),
            *_table("marts in the warehouse:", mart_states(), False),
        ]
    )
