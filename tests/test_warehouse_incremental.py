"""The incremental facts and the SCD2 snapshot through Dagster on DuckDB, in one scenario:

1. a full build of the shop (loader, base, facts, marts): a copy of the session's shared one
   (`built_warehouse`, 600 orders);
2. the facts run for one partition, then for an overlapping range of partitions (one dbt run,
   `--vars` from the window): the window's orders are re-derived (a tampered fact row inside it
   is repaired, one outside is not) and no row is duplicated;
3. CDC: a customer moves, an order is cancelled, another deleted, all by Delta MERGE in the
   curated zone; an unpartitioned run loads only the rewritten files, the snapshot closes the
   customer's old address and opens the new one, the facts follow without duplicates.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize
from warehouse_data import MARTS, merge_curated, shop_selection, warehouse_resources

from platform_assets.warehouse.keys import curated_copy_key

pytestmark = pytest.mark.slow

FACTS = {"fct_orders": "order_id", "fct_order_items": "order_item_id", "fct_payments": "payment_id"}
STAGED = {
    "fct_orders": "stg_shop__orders",
    "fct_order_items": "stg_shop__order_items",
    "fct_payments": "stg_shop__payments",
}


def _up_to_facts():
    """The loader, the base models (staging, snapshot) and the facts: the marts, tested in
    test_dbt_project.py, are left out to keep this scenario's dbt runs few."""
    marts = [m for m in MARTS if not m.startswith("fct_")]
    return shop_selection() - AssetSelection.assets(*(AssetKey(["warehouse", m]) for m in marts))


def _assets():
    from platform_assets.warehouse.assets import dbt_assets_definitions
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    return [warehouse_curated_copies, *dbt_assets_definitions]


def _facts_are_exact(db) -> None:
    """Each fact holds each staged row once (lines and payments of staged orders)."""
    for fact, key in FACTS.items():
        rows, keys = db.execute(f"select count(*), count(distinct {key}) from marts.{fact}").fetchone()  # noqa: S608 -- the project's model names
        staged = db.execute(
            f"select count(*) from staging.{STAGED[fact]} "  # noqa: S608 -- the project's model names
            f"where order_id in (select order_id from staging.stg_shop__orders)"
        ).fetchone()[0]
        assert rows == keys == staged, fact


def _windows(instance, result) -> list[str]:
    """The partition windows the facts step logged (and passed to dbt as --vars)."""
    return [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if e.user_message.startswith("partition window ")
    ]


def test_partition_windows_and_cdc_updates_are_applied_exactly_once(built_warehouse, platform_home):
    from platform_assets.settings import locations

    shutil.copytree(built_warehouse.home, platform_home, dirs_exist_ok=True)  # this test changes it
    loc = locations()
    rows = built_warehouse.rows
    resources = warehouse_resources(loc.lake_root, loc.warehouse_path)

    # -- 2. partitions: tamper one fact row inside the window and one outside ---------------
    by_day = sorted(rows["orders"], key=lambda o: o[3])
    inside, outside = by_day[10], by_day[-5]
    day = inside[3].date()
    with duckdb.connect(str(loc.warehouse_path)) as db:
        db.execute(
            "update marts.fct_orders set shipping_country_code = 'ZZ' where order_id in (?, ?)",
            [inside[0], outside[0]],
        )
    facts = AssetSelection.assets(*(AssetKey(["warehouse", f]) for f in FACTS))
    instance = DagsterInstance.ephemeral()
    one_day = materialize(
        _assets(),
        selection=facts,
        resources=resources,
        instance=instance,
        partition_key=day.isoformat(),
        raise_on_error=False,
    )
    assert one_day.success
    next_day = day + timedelta(days=1)
    assert _windows(instance, one_day) == [f"partition window {day} .. {next_day}"]
    with duckdb.connect(str(loc.warehouse_path), read_only=True) as db:
        countries = dict(
            db.execute(
                "select order_id, shipping_country_code from marts.fct_orders where order_id in (?, ?)",
                [inside[0], outside[0]],
            ).fetchall()
        )
        _facts_are_exact(db)
    # re-derived inside the window only
    assert countries == {inside[0]: inside[6], outside[0]: "ZZ"}

    start, end = by_day[5][3].date(), by_day[20][3].date()  # overlaps the day above
    overlapping = materialize(
        _assets(),
        selection=facts,
        resources=resources,
        instance=instance,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        },
    )
    assert overlapping.success
    # a range of days is one dbt run over the whole window
    assert _windows(instance, overlapping) == [f"partition window {start} .. {end + timedelta(days=1)}"]
    with duckdb.connect(str(loc.warehouse_path), read_only=True) as db:
        _facts_are_exact(db)

    # -- 3. CDC through Delta MERGE in the curated zone -------------------------------------
    customer = list(rows["customers"][4])
    moved_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    customer[6], customer[7], customer[10] = "Kraków", "PL", moved_at  # city, country, updated_at
    merge_curated(loc.lake_root, "customers", upserts=[tuple(customer)])
    cancelled = list(by_day[0])
    cancelled[2], cancelled[8] = "cancelled", moved_at
    deleted = rows["orders"][-1][0]  # the order whose lines have not arrived: no child left dangling
    merge_curated(loc.lake_root, "orders", upserts=[tuple(cancelled)], deletes=[deleted])
    cdc = materialize(_assets(), selection=_up_to_facts(), resources=resources)
    assert cdc.success
    assert not [e for e in cdc.get_asset_check_evaluations() if not e.passed]
    loads = {
        e.materialization.asset_key.path[-1]: e.materialization.metadata
        for e in cdc.get_asset_materialization_events()
        if e.materialization.asset_key == curated_copy_key(e.materialization.asset_key.path[-1])
    }
    assert loads["customers"]["mode"].value == "loaded" and loads["payments"]["mode"].value == "unchanged"
    assert loads["orders"]["files_removed"].value >= 1
    with duckdb.connect(str(loc.warehouse_path), read_only=True) as db:
        versions = db.execute(
            "select city, country_code, dbt_valid_from, dbt_valid_to from "
            "snapshots.snap_customers where customer_id = ? order by dbt_valid_from",
            [customer[0]],
        ).fetchall()
        status = db.execute(
            "select order_status from marts.fct_orders where order_id = ?", [cancelled[0]]
        ).fetchone()[0]
        gone = db.execute("select count(*) from marts.fct_orders where order_id = ?", [deleted]).fetchone()[0]
        _facts_are_exact(db)
        others = db.execute(
            "select count(*) from snapshots.snap_customers where customer_id <> ?", [customer[0]]
        ).fetchone()[0]
    old_city = rows["customers"][4][6]
    naive_move = moved_at.replace(tzinfo=None)
    assert versions == [
        (old_city, rows["customers"][4][7], rows["customers"][4][10].replace(tzinfo=None), naive_move),
        ("Kraków", "PL", naive_move, None),
    ]
    assert others == len(rows["customers"]) - 1  # unchanged customers keep one version
    assert (status, gone) == ("cancelled", 0)
