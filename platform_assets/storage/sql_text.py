"""SQL text for DuckDB and Snowflake: the one place identifiers and string literals are quoted.

Postgres SQL is composed with `psycopg.sql` instead (the driver quotes), and Spark SQL has its
own backtick quoting (processed/compute/spark_sql.py). Values are bound as parameters where one
driver runs the query; a query that must run on both DuckDB (`?`) and Snowflake (`%s`) through
one session, or a DDL statement that takes no parameters, quotes them with `sql_string`.

Why a plain name stays bare: Snowflake folds an unquoted name to upper case and matches a
quoted one exactly, so quoting `orders` would name another table than the `ORDERS` that dbt and
COPY INTO created. A plain name (letters, digits, underscores, not a reserved word) can only
mean itself when bare; anything else (a quote, a space, a reserved word) is double-quoted with
its quotes doubled, which both engines read as exactly that name.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Reserved words of either engine: DuckDB's (`duckdb_keywords()`, category 'reserved'; a test
# keeps this in step with the installed DuckDB) and Snowflake's (its "Reserved & limited
# keywords" list).
RESERVED = frozenset(
    """
    account all alter analyse analyze and any array as asc asymmetric between both by case cast
    check collate column connect connection constraint create cross current current_date
    current_time current_timestamp current_user database default deferrable delete desc describe
    distinct do drop else end except exists false fetch following for foreign from full grant
    group gscluster having ilike in increment initially inner insert intersect into is issue join
    lambda lateral leading left like limit localtime localtimestamp minus natural not null of
    offset on only or order organization pivot pivot_longer pivot_wider placing primary qualify
    references regexp returning revoke right rlike row rows sample schema select set show some
    start summarize symmetric table tablesample then to trailing trigger true try_cast union
    unique unpivot update using values variadic view when whenever where window with
    """.split()
)


def _quoted(name: str) -> str:
    if not name:
        raise ValueError("an SQL identifier cannot be empty")
    return '"' + name.replace('"', '""') + '"'


def _quote_name(name: str) -> str:
    if _PLAIN.fullmatch(name) and name.lower() not in RESERVED:
        return name
    return _quoted(name)


def sql_ident(*parts: str, exact: bool = False) -> str:
    """A name, or a dotted one (`sql_ident(schema, table)`), as SQL text that means exactly it.

    `exact=True` quotes every part: for names read back from a catalog (information_schema),
    whose case is already the stored one and must not be folded again.
    """
    if exact:
        return ".".join(_quoted(p) for p in parts)
    return ".".join(_quote_name(p) for p in parts)


def sql_string(value: str) -> str:
    """A string literal: single quotes, inner quotes doubled (both engines' standard SQL)."""
    return "'" + value.replace("'", "''") + "'"
