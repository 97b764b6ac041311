"""The SQL a chart runs: one GROUP BY over one table, portable across DuckDB and Snowflake.

Columns come back as `x`, `series`, `m0`, `m1`, ... (lower-case; readers lower-case Snowflake's
upper-case names), each measure a double already scaled (a share times 100 is a percentage).
Rows are ordered by x then series, or by the first measure, largest first, for a `top` chart.
"""

from __future__ import annotations

from platform_assets.dashboards.registry import CURRENCY_COLUMN, CURRENCY_TABLE, Chart, Measure
from platform_assets.storage.sql_text import sql_ident


def _measure(m: Measure) -> str:
    inner = f"{m.agg}({sql_ident(m.column)})"  # agg: the registry's Literal (sum, count, ...)
    scaled = f" * {m.scale!r}" if m.scale != 1.0 else ""
    return f"cast({inner} as double){scaled}"


def measure_alias(i: int) -> str:
    return f"m{i}"


def chart_sql(chart: Chart, relation: str) -> str:
    """The query of `chart` over `relation` (the table's name as this warehouse spells it)."""
    dims = [(chart.x, "x"), (chart.series, "series")]
    dims = [(sql_ident(col), alias) for col, alias in dims if col]
    select = [f"{col} as {alias}" for col, alias in dims]
    select += [f"{_measure(m)} as {measure_alias(i)}" for i, m in enumerate(chart.measures)]
    sql = f"select {', '.join(select)} from {relation}"  # noqa: S608 -- identifiers quoted by sql_ident()
    if dims:
        sql += f" group by {', '.join(col for col, _ in dims)}"
    if chart.top:
        sql += f" order by {measure_alias(0)} desc, x limit {int(chart.top)}"
    elif dims:
        sql += f" order by {', '.join(alias for _, alias in dims)}"
    return sql


def currencies_sql(relation: str) -> str:
    """The orders' currencies, for axis titles; `relation` is CURRENCY_TABLE's."""
    return f"select distinct {sql_ident(CURRENCY_COLUMN)} as currency from {relation} order by 1"  # noqa: S608 -- identifiers quoted by sql_ident()


__all__ = ["CURRENCY_TABLE", "chart_sql", "currencies_sql", "measure_alias"]
