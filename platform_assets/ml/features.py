"""The churn feature logic, in one place: pure DuckDB SQL over Arrow tables.

Everything that needs features (building a dataset, rebuilding it from its pins, batch scoring,
the endpoint) calls `feature_rows`, so the same rows come out of the same inputs.

A row is one customer at one cutoff time T. Features use only what happened before T: orders
(all of them and the last 90 days), days since the last order, the share of cancelled orders,
the marketing opt-in, and the clickstream of the 30 days before T. The label `churned` is 1
when the customer places no order in the `label_days` after T. Only customers with an order
before T are rows (someone who never ordered cannot churn).

Splits by time, with no leakage: each split's label window ends at or before the next split's
first cutoff (train -> validation -> test), and the test window ends at the last day of data,
so no row sees what happens after a later split's features were taken. `split_cutoffs` derives
the cutoffs from the data's last order, so a rebuild from the same pins gets the same cutoffs.

A dataset follows at most `SplitSpec.max_customers` customers, so building and training hold
about the same rows at 1M and 10M orders: beyond that many customers with an order, it keeps
those whose `md5(customer_id)` falls in a fixed share (`CustomerSample`), the same customers at
every cutoff and in every rebuild from the same pins. Scoring covers every customer, streamed
in batches (`scoring_batches`).

Sources are Arrow tables (tests) or a Delta version's files (`sources.read_sources`), which
DuckDB reads itself, column by column, without loading them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.storage.duckdb_memory import bounded_duckdb

LABEL = "churned"
KEYS = ("customer_id", "cutoff")
FEATURES = (
    "tenure_days",
    "orders_total",
    "orders_90d",
    "revenue_total",
    "revenue_90d",
    "days_since_last_order",
    "cancelled_share",
    "marketing_opt_in",
    "sessions_30d",
    "product_views_30d",
    "add_to_carts_30d",
)
SPLITS = ("train", "validation", "test")
# Bump when the feature logic changes: it is part of a build's id, so a rebuilt dataset never
# reuses the id of one made by other code.
FEATURE_VERSION = 1

# the columns each source table is read with (sources.py reads only these)
SOURCE_COLUMNS = {
    "curated.customers": ["customer_id", "marketing_opt_in"],
    "curated.orders": ["order_id", "customer_id", "status", "order_ts", "total_amount"],
    "processed.events": ["event_id", "event_type", "event_ts", "customer_id", "session_id"],
}


@dataclass(frozen=True)
class SplitSpec:
    """How a dataset is cut in time."""

    label_days: int = 60  # the label window after each cutoff
    train_cutoffs: int = 4  # train rows come from this many cutoffs...
    train_step_days: int = 30  # ...this many days apart
    max_customers: int = 200_000  # beyond this many customers, a fixed hash sample of them

    def as_dict(self) -> dict:
        return asdict(self)


def _day(ts: datetime) -> datetime:
    return datetime(ts.year, ts.month, ts.day, tzinfo=UTC)


class TableFiles(Protocol):
    """A table's files DuckDB reads itself (`sources.SourceFiles`)."""

    def attach(self, con, name: str) -> None: ...

    def to_batches(self, columns: list[str]): ...


# an Arrow table (tests) or a table's files
Source: TypeAlias = pa.Table | TableFiles
Sources = dict[str, Source]
# the sample keeps a customer when md5(customer_id) % PER_MILLION < kept
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class CustomerSample:
    """Which customers a dataset follows: all of them, or a fixed share picked by id hash."""

    customers: int  # customers with an order in the sources
    kept_per_million: int = PER_MILLION

    @property
    def where(self) -> str:
        """The SQL condition on `customer_id` that keeps the sample's customers."""
        if self.kept_per_million >= PER_MILLION:
            return "true"
        return f"md5_number(customer_id::varchar) % {PER_MILLION} < {self.kept_per_million}"

    def as_dict(self) -> dict:
        return {"customers": self.customers, "kept_per_million": self.kept_per_million, "rule": self.where}


def _newest(table: Source, column: str):
    """The largest value of a column, a batch at a time (a source is never loaded whole)."""
    batches = (
        table.select([column]).to_batches()
        if isinstance(table, pa.Table)
        else table.to_batches(columns=[column])
    )
    values = [v for b in batches if (v := pc.max(b.column(0)).as_py()) is not None]
    return max(values, default=None)


def _attach(con, name: str, source: Source) -> None:
    """`source` as the relation `name` in DuckDB (files as a view over them, Arrow registered)."""
    if isinstance(source, pa.Table):
        con.register(name, source)
    else:
        source.attach(con, name)


def last_order_time(orders: Source) -> datetime:
    """The newest order time in the data (UTC)."""
    newest = _newest(orders, "order_ts")
    if newest is None:
        raise ValueError("curated.orders has no orders: no dataset can be cut")
    return newest.astimezone(UTC)


def split_cutoffs(orders: Source, spec: SplitSpec) -> dict[str, list[datetime]]:
    """Cutoffs per split, walking back from the last full day of orders: the test label window
    ends there, validation's ends at the test cutoff, train's at the validation cutoff."""
    end = _day(last_order_time(orders))
    window = timedelta(days=spec.label_days)
    test = end - window
    validation = test - window
    train = [
        validation - window - timedelta(days=spec.train_step_days * k) for k in range(spec.train_cutoffs)
    ]
    return {"train": sorted(train), "validation": [validation], "test": [test]}


def scoring_cutoff(orders: Source) -> datetime:
    """The cutoff of batch scoring and the endpoint: the day after the last order, so every
    order counts and no label exists yet."""
    return _day(last_order_time(orders)) + timedelta(days=1)


_SQL = """
with cut as (select * from cutoffs),
hist as (
    select c.split, c.cutoff, o.customer_id,
        count(*) as orders_total,
        count(*) filter (where o.order_ts >= c.cutoff - interval 90 day) as orders_90d,
        sum(o.total_amount::double) as revenue_total,
        coalesce(sum(o.total_amount::double) filter (
            where o.order_ts >= c.cutoff - interval 90 day), 0) as revenue_90d,
        min(o.order_ts) as first_order,
        max(o.order_ts) as last_order,
        avg(case when o.status = 'cancelled' then 1.0 else 0.0 end) as cancelled_share
    from cut c join orders o on o.order_ts < c.cutoff
    group by all
),
future as (
    select c.split, c.cutoff, o.customer_id, count(*) as n
    from cut c join orders o
        on o.order_ts >= c.cutoff and o.order_ts < c.cutoff + to_days({label_days})
    group by all
),
clicks as (
    select c.split, c.cutoff, e.customer_id,
        count(distinct e.session_id) as sessions_30d,
        count(*) filter (where e.event_type = 'product_view') as product_views_30d,
        count(*) filter (where e.event_type = 'add_to_cart') as add_to_carts_30d
    from cut c join events e
        on e.event_ts < c.cutoff and e.event_ts >= c.cutoff - interval 30 day
    where e.customer_id is not null
    group by all
)
select h.split, h.customer_id, h.cutoff,
    case when {labelled} then (case when f.n is null then 1 else 0 end) end::integer as churned,
    round(date_diff('second', h.first_order, h.cutoff) / 86400.0, 6) as tenure_days,
    h.orders_total::double as orders_total,
    h.orders_90d::double as orders_90d,
    round(h.revenue_total, 2) as revenue_total,
    round(h.revenue_90d, 2) as revenue_90d,
    round(date_diff('second', h.last_order, h.cutoff) / 86400.0, 6) as days_since_last_order,
    round(h.cancelled_share, 6) as cancelled_share,
    case when cu.marketing_opt_in then 1.0 else 0.0 end as marketing_opt_in,
    coalesce(k.sessions_30d, 0)::double as sessions_30d,
    coalesce(k.product_views_30d, 0)::double as product_views_30d,
    coalesce(k.add_to_carts_30d, 0)::double as add_to_carts_30d
from hist h
left join future f using (split, cutoff, customer_id)
left join clicks k using (split, cutoff, customer_id)
left join customers cu on cu.customer_id = h.customer_id
order by h.split, h.cutoff, h.customer_id
"""


def customer_sample(sources: Sources, spec: SplitSpec) -> CustomerSample:
    """The customers a dataset cut by `spec` follows."""
    with bounded_duckdb("features-") as con:
        _attach(con, "orders", sources["curated.orders"])
        ((customers,),) = con.execute("select count(distinct customer_id) from orders").fetchall()
    if customers <= spec.max_customers:
        return CustomerSample(customers)
    return CustomerSample(customers, PER_MILLION * spec.max_customers // customers)


@contextmanager
def _features(
    sources: Sources,
    cutoffs: dict[str, list[datetime]],
    label_days: int | None,
    sample: CustomerSample | None,
):
    """The feature query over the sources, open in a bounded DuckDB (spilling to disk)."""
    cut = pa.table(
        {
            "split": [s for s, ts in cutoffs.items() for _ in ts],
            "cutoff": pa.array([t for ts in cutoffs.values() for t in ts], pa.timestamp("us", tz="UTC")),
        }
    )
    keep = sample.where if sample is not None else "true"
    with bounded_duckdb("features-") as con:
        con.execute("set TimeZone = 'UTC'")
        con.register("cutoffs", cut)
        _attach(con, "all_orders", sources["curated.orders"])
        _attach(con, "all_events", sources["processed.events"])
        _attach(con, "customers", sources["curated.customers"])
        con.execute(f"create temp view orders as select * from all_orders where {keep}")  # noqa: S608 -- a fixed rule
        con.execute(f"create temp view events as select * from all_events where {keep}")  # noqa: S608 -- a fixed rule
        sql = _SQL.format(label_days=label_days or 0, labelled="false" if label_days is None else "true")
        yield con.sql(sql)


def feature_rows(
    sources: Sources,
    cutoffs: dict[str, list[datetime]],
    label_days: int | None = None,
    sample: CustomerSample | None = None,
) -> pa.Table:
    """Rows (`split`, keys, `churned`, features) for every customer (of the sample) with an
    order before each cutoff, per split. `sources` are the tables of SOURCE_COLUMNS; with
    `label_days` None (scoring) `churned` is null."""
    with _features(sources, cutoffs, label_days, sample) as query:
        return query.to_arrow_table()


def dataset_rows(
    sources: Sources, spec: SplitSpec, sample: CustomerSample | None = None
) -> dict[str, pa.Table]:
    """The labelled rows of each split (train, validation, test), cut by `spec`, of the
    customers in `sample` (by default `customer_sample(sources, spec)`)."""
    sample = sample or customer_sample(sources, spec)
    rows = feature_rows(sources, split_cutoffs(sources["curated.orders"], spec), spec.label_days, sample)
    return {s: rows.filter(pc.equal(rows["split"], s)).drop_columns(["split"]) for s in SPLITS}


def scoring_batches(sources: Sources, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
    """Unlabelled rows of every customer with an order, at the scoring cutoff, in batches."""
    cutoffs = {"score": [scoring_cutoff(sources["curated.orders"])]}
    with _features(sources, cutoffs, None, None) as query:
        for batch in query.to_arrow_reader(batch_rows):
            yield batch.drop_columns(["split"])


def scoring_rows(sources: Sources) -> pa.Table:
    """Unlabelled rows of every customer with an order, at the scoring cutoff."""
    return feature_rows(sources, {"score": [scoring_cutoff(sources["curated.orders"])]}).drop_columns(
        ["split"]
    )
