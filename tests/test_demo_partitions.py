"""The demo runs the daily facts as a single-run backfill over the days its orders cover, so the
instance (and the UI) records each of those partitions as materialized, not "0% filled".

On a copy of the shared built warehouse (600 orders over a year, the curated zone included):
the backfill step the demo uses records one partition per day from the first order's day to
the last, and the facts hold every order once; run again, it finds every day recorded and
applies changes only, changing no row. The demo's whole job is checked the same way in
tests/test_pipeline_e2e.py.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, timedelta

import duckdb
import pytest

from platform_assets.warehouse.partitions import FACT_PARTITIONS, backfill_range, order_days


def _days(first: date, last: date) -> set[str]:
    return {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}


def test_the_backfill_spans_the_days_of_orders_not_yet_recorded_among_the_partitions():
    keys = FACT_PARTITIONS.get_partition_keys()
    start, last = date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])
    day = [start + timedelta(days=i) for i in range(60)]
    r = backfill_range({day[3], day[10], day[40]}, set())
    assert (r.start, r.end) == (day[3].isoformat(), day[40].isoformat())
    r = backfill_range({day[3], day[10], day[40]}, {day[3].isoformat()})  # recorded days are not redone
    assert (r.start, r.end) == (day[10].isoformat(), day[40].isoformat())
    assert backfill_range({day[3], day[10]}, {day[3].isoformat(), day[10].isoformat()}) is None
    # orders before the first partition are in no window; days after today have no partition yet
    r = backfill_range({start - timedelta(days=30), day[5], last + timedelta(days=2)}, set())
    assert (r.start, r.end) == (day[5].isoformat(), day[5].isoformat())
    assert backfill_range({start - timedelta(days=1), last + timedelta(days=1)}, set()) is None
    assert backfill_range(set(), set()) is None


@pytest.mark.slow
def test_the_fact_backfill_records_every_day_of_the_orders_as_a_materialized_partition(
    built_warehouse, tmp_path, monkeypatch
):
    from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job
    from warehouse_data import warehouse_resources

    from platform_assets.demo import run_fact_backfill
    from platform_assets.lake import Lake
    from platform_assets.settings import Locations
    from platform_assets.warehouse.assets import dbt_assets_definitions, dbt_fact_assets
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    home = tmp_path / "home"
    shutil.copytree(built_warehouse.home, home)
    monkeypatch.setenv("PLATFORM_HOME", str(home))
    loc = Locations(home)
    defs = Definitions(
        assets=[warehouse_curated_copies, *dbt_assets_definitions],
        jobs=[define_asset_job("warehouse", selection=AssetSelection.all())],
        resources=warehouse_resources(loc.lake_root, loc.warehouse_path),
    )
    job = defs.resolve_job_def("warehouse")
    placed = [o[3].astimezone(UTC).date() for o in built_warehouse.rows["orders"]]
    first, last = min(placed), max(placed)
    assert (last - first).days > 200 and order_days(Lake(str(loc.lake_root))) == set(placed)
    expected = _days(first, last)
    assert len(expected) > len(set(placed)) > 100  # days without orders inside the range too

    with DagsterInstance.ephemeral() as instance:  # in memory: a year of days is ~1,100 events
        counts = []
        for _ in range(2):  # a second demo finds every day recorded: it applies changes only
            run_fact_backfill(job, instance, set(dbt_fact_assets.keys))
            with duckdb.connect(str(loc.warehouse_path), read_only=True) as db:
                counts.append(
                    db.execute("select count(*), count(distinct order_id) from marts.fct_orders").fetchone()
                )
            for key in dbt_fact_assets.keys:
                assert instance.get_materialized_partitions(key) == expected, key.to_user_string()
        rerun, backfill = instance.get_runs()  # newest first
        assert backfill.tags["dagster/asset_partition_range_start"] == first.isoformat()
        assert backfill.tags["dagster/asset_partition_range_end"] == last.isoformat()
        assert "dagster/asset_partition_range_start" not in rerun.tags
    assert counts[0] == counts[1] == (len(placed), len(placed))
