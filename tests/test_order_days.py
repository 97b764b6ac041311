"""warehouse/partitions.order_days: the UTC days holding orders, read a batch at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from deltalake import write_deltalake

from platform_assets.contracts.shop import ORDERS
from platform_assets.lake import Lake
from platform_assets.warehouse.partitions import _utc_days, order_days


def test_order_days_are_utc_days_over_every_file_and_batch(lake: Lake):
    (column,) = ORDERS.clustering
    start = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # late evening: the next day in Berlin
    placed = [start + timedelta(hours=7 * i) for i in range(3_000)]  # 875 days
    for part in range(3):  # three commits, three files
        rows = placed[part::3] + [None]
        write_deltalake(
            lake.delta_uri("curated", ORDERS.name),
            pa.table({column: pa.array(rows, pa.timestamp("us", tz="UTC"))}),
            mode="append",
        )
    assert order_days(lake) == {ts.date() for ts in placed}


def test_a_zoned_column_is_read_in_utc_and_a_zoneless_one_as_utc():
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    berlin = pa.array([late], pa.timestamp("us", tz="Europe/Berlin"))
    assert berlin.cast(pa.date32()).to_pylist() == [date(2026, 3, 2)]  # what a bare cast gives
    assert _utc_days(berlin).to_pylist() == [date(2026, 3, 1)]
    naive = pa.array([late.replace(tzinfo=None)], pa.timestamp("us"))
    assert _utc_days(naive).to_pylist() == [date(2026, 3, 1)]


def test_no_curated_orders_means_no_days(lake: Lake):
    assert order_days(lake) == set()
