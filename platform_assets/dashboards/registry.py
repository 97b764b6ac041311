"""The dashboards, declared once: what each shows, from which warehouse tables, for whom.

Everything else is generated from `DASHBOARDS`: the Dagster assets and their dependencies
(assets.py), the SQL each chart runs (queries.py), the pages and the index (render.py), who may
open which page (access.py, server.py) and, in `prod`, QuickSight's data sets, dashboards and
group permissions (quicksight.py). The dbt exposures of type `dashboard` name the same
dashboards (a test keeps them equal).

A chart is structured, not free SQL: one table, a dimension on x, optional series (colour), and
measures each with an aggregation. That is what both renderers need (a GROUP BY here, a
QuickSight visual's field wells there), so a chart means the same thing in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dagster import AssetKey

from platform_assets.ml import names as ml_names
from platform_assets.storage.sql_text import sql_ident
from platform_assets.warehouse.keys import model_asset_key

Aggregation = Literal["sum", "avg", "max", "count"]
ChartKind = Literal["line", "bar", "heatmap", "funnel"]

# the audiences, like QuickSight groups; a user belongs to one or more
FINANCE = "finance"
GROWTH = "growth"
MERCHANDISING = "merchandising"
DATA_SCIENCE = "data-science"


@dataclass(frozen=True)
class Table:
    """A warehouse table a dashboard reads and the Dagster asset that writes it."""

    schema: str
    name: str
    asset_key: AssetKey

    @property
    def relation(self) -> str:
        return sql_ident(self.schema, self.name)


def mart(name: str) -> Table:
    """A dbt mart (schema `marts` in every target, see macros/generate_schema_name.sql)."""
    return Table("marts", name, model_asset_key(name))


# Written by the ML monitoring asset (one row per scoring run and model version; its columns in
# ml/warehouse_tables.py).
CHURN_MONITORING = Table(ml_names.WAREHOUSE_SCHEMA, ml_names.MONITORING_TABLE, ml_names.MONITORING_KEY)


@dataclass(frozen=True)
class Measure:
    column: str
    agg: Aggregation
    label: str  # the legend / stage name
    scale: float = 1.0  # 100 turns a share into a percentage

    @property
    def alias(self) -> str:
        return f"{self.agg}_{self.column}"


@dataclass(frozen=True)
class Chart:
    """One chart: `measures` of `table` grouped by `x` (and `series`), drawn as `kind`.

    line / bar: one trace per series value (or per measure when there is no series).
    heatmap: x by `series` (the y axis), coloured by the single measure.
    funnel: the measures are the stages, summed over the whole table (no x).
    `top`: keep the `top` x values with the largest first measure (bar charts).
    Axis titles carry the unit; `{currency}` is replaced by the currencies of the orders.
    """

    name: str
    title: str
    kind: ChartKind
    table: Table
    measures: tuple[Measure, ...]
    x: str | None
    x_title: str
    y_title: str
    series: str | None = None
    top: int | None = None


@dataclass(frozen=True)
class Dashboard:
    name: str  # the page's file name and the asset key's last part
    title: str
    description: str
    audiences: tuple[str, ...]
    charts: tuple[Chart, ...]
    owner: str = "team:analytics"

    @property
    def uses_currency(self) -> bool:
        return any("{currency}" in c.y_title or "{currency}" in c.x_title for c in self.charts)

    @property
    def tables(self) -> tuple[Table, ...]:
        """What the page reads, each once, in chart order (and the currencies' table)."""
        extra = (CURRENCY_TABLE,) if self.uses_currency else ()
        return tuple(dict.fromkeys([*(c.table for c in self.charts), *extra]))

    @property
    def file_name(self) -> str:
        return f"{self.name}.html"


_REVENUE = mart("mart_daily_revenue")
_FUNNEL = mart("mart_conversion_funnel")
_COHORTS = mart("mart_cohort_retention")
_PRODUCTS = mart("mart_product_performance")
_CLV = mart("mart_customer_lifetime_value")

# The orders' currencies, for `{currency}` in axis titles (the marts sum amounts of one shop
# currency; the revenue mart keeps it per row).
CURRENCY_TABLE = _REVENUE
CURRENCY_COLUMN = "currency_code"

_STAGES = (
    ("sessions", "Visits"),
    ("product_view_sessions", "Viewed a product"),
    ("add_to_cart_sessions", "Added to cart"),
    ("checkout_sessions", "Checked out"),
    ("purchase_sessions", "Purchased"),
)

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "revenue",
        "Revenue and orders",
        "Daily revenue and orders that were not cancelled, per currency.",
        (FINANCE,),
        (
            Chart(
                "daily_revenue",
                "Revenue per day",
                "line",
                _REVENUE,
                (Measure("revenue", "sum", "Revenue"),),
                "order_date",
                "Order date (UTC)",
                "Revenue ({currency})",
                series="currency_code",
            ),
            Chart(
                "daily_orders",
                "Orders per day",
                "bar",
                _REVENUE,
                (Measure("orders_count", "sum", "Orders"),),
                "order_date",
                "Order date (UTC)",
                "Orders (count)",
                series="currency_code",
            ),
        ),
        owner="team:finance-analytics",
    ),
    Dashboard(
        "funnel",
        "Conversion funnel",
        "Visits and how far they got, from the clickstream, with the orders purchases created.",
        (GROWTH,),
        (
            Chart(
                "funnel_stages",
                "Visits reaching each stage (all days)",
                "funnel",
                _FUNNEL,
                tuple(Measure(col, "sum", label) for col, label in _STAGES),
                None,
                "Stage",
                "Visits (count)",
            ),
            Chart(
                "daily_visits",
                "Visits and purchases per day",
                "line",
                _FUNNEL,
                (Measure("sessions", "sum", "Visits"), Measure("purchase_sessions", "sum", "Purchases")),
                "event_date",
                "Visit date (UTC)",
                "Visits (count)",
            ),
            Chart(
                "visits_by_device",
                "Visits per device",
                "bar",
                _FUNNEL,
                (Measure("sessions", "sum", "Visits"),),
                "device",
                "Device",
                "Visits (count)",
            ),
        ),
        owner="team:growth",
    ),
    Dashboard(
        "retention",
        "Cohort retention",
        "Customers by the month of their first order, and the share that ordered again later.",
        (GROWTH, FINANCE),
        (
            Chart(
                "retention_heatmap",
                "Share of each cohort ordering, by months since the first order",
                "heatmap",
                _COHORTS,
                (Measure("retention_rate", "max", "Retention (% of cohort)", scale=100.0),),
                "months_since_first_order",
                "Months since the first order",
                "Cohort (month of first order)",
                series="cohort_month",
            ),
            Chart(
                "cohort_sizes",
                "Customers per cohort",
                "bar",
                _COHORTS,
                (Measure("cohort_size", "max", "Customers"),),
                "cohort_month",
                "Cohort (month of first order)",
                "Customers (count)",
            ),
        ),
    ),
    Dashboard(
        "products",
        "Product performance",
        "Best sellers and revenue per category, from order lines that were not cancelled.",
        (MERCHANDISING, FINANCE),
        (
            Chart(
                "top_products",
                "Top 15 products by net revenue",
                "bar",
                _PRODUCTS,
                (Measure("net_revenue", "sum", "Net revenue"),),
                "product_name",
                "Product",
                "Net revenue ({currency})",
                top=15,
            ),
            Chart(
                "category_revenue",
                "Net revenue per category",
                "bar",
                _PRODUCTS,
                (Measure("net_revenue", "sum", "Net revenue"),),
                "category",
                "Category",
                "Net revenue ({currency})",
            ),
        ),
        owner="team:merchandising",
    ),
    Dashboard(
        "customer_value",
        "Customer lifetime value",
        "What customers bought, net of refunds, by value segment and country.",
        (FINANCE, GROWTH),
        (
            Chart(
                "customers_by_segment",
                "Customers per value segment",
                "bar",
                _CLV,
                (Measure("customer_id", "count", "Customers"),),
                "value_segment",
                "Value segment",
                "Customers (count)",
            ),
            Chart(
                "value_by_country",
                "Average net lifetime value per country",
                "bar",
                _CLV,
                (Measure("net_lifetime_value", "avg", "Average net lifetime value"),),
                "country_code",
                "Country",
                "Net lifetime value ({currency})",
            ),
        ),
    ),
    Dashboard(
        "model_monitoring",
        "Churn model monitoring",
        "Each scoring run of the churn model: drift of its scores (PSI) and its rates.",
        (DATA_SCIENCE,),
        (
            Chart(
                "score_drift",
                "Score drift (population stability index)",
                "line",
                CHURN_MONITORING,
                (Measure("psi", "max", "PSI"),),
                "scored_at",
                "Scored at (UTC)",
                "PSI (unitless)",
                series="model_version",
            ),
            Chart(
                "score_rates",
                "Mean score, predicted positive rate and label rate",
                "line",
                CHURN_MONITORING,
                (
                    Measure("mean_score", "avg", "Mean score", scale=100.0),
                    Measure("predicted_positive_rate", "avg", "Predicted positive", scale=100.0),
                    Measure("label_rate", "avg", "Churned (label)", scale=100.0),
                ),
                "scored_at",
                "Scored at (UTC)",
                "Rate (%)",
            ),
        ),
        owner="team:data-science",
    ),
)

INDEX_NAME = "index"  # the page listing the others
BY_NAME: dict[str, Dashboard] = {d.name: d for d in DASHBOARDS}
AUDIENCES: tuple[str, ...] = tuple(dict.fromkeys(a for d in DASHBOARDS for a in d.audiences))


def dashboards_for(groups: frozenset[str] | set[str]) -> list[Dashboard]:
    """The dashboards a member of `groups` may open."""
    return [d for d in DASHBOARDS if set(d.audiences) & set(groups)]


def validate(dashboards: tuple[Dashboard, ...] = DASHBOARDS) -> None:
    """Names unique and usable in URLs and ids; every chart well formed."""
    seen: set[str] = set()
    for d in dashboards:
        where = f"dashboard {d.name!r}"
        if d.name in seen or not d.name.replace("_", "").isalnum() or not d.name.islower():
            raise ValueError(f"{where}: names are unique, lower-case letters, digits and _")
        if d.name == INDEX_NAME:
            raise ValueError(f"{where}: {INDEX_NAME!r} is the index page's name")
        seen.add(d.name)
        if not d.audiences or not d.charts:
            raise ValueError(f"{where}: needs at least one audience and one chart")
        names = [c.name for c in d.charts]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: chart names repeat: {names}")
        for c in d.charts:
            if not c.measures:
                raise ValueError(f"{where}, chart {c.name}: no measure")
            if (c.kind == "funnel") != (c.x is None):
                raise ValueError(f"{where}, chart {c.name}: a funnel has no x, every other kind has one")
            if c.kind == "heatmap" and (c.series is None or len(c.measures) != 1):
                raise ValueError(f"{where}, chart {c.name}: a heatmap needs a series and one measure")
            if c.series and len(c.measures) != 1:
                raise ValueError(f"{where}, chart {c.name}: series split one measure only")


validate()
