"""The processed assets in real Dagster runs: metadata, quarantine, one broken table."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import AssetKey, DagsterInstance, materialize
from dms_files import product_row, write_dms

from platform_assets.processed.assets import processed_assets
from platform_assets.processed.compute.engine import ProcessedEngine
from platform_assets.resources import LakeResource


def test_quarantine_is_counted_and_a_broken_table_does_not_stop_the_others(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(1), product_row(2)])
    write_dms(lake, "products", "20261127-080000000", [product_row(1)], ops=["?"])
    # orders: a file whose key column is gone (a breaking source change)
    folder = lake.raw_cdc_prefix("public", "orders")
    lake.filesystem().create_dir(folder, recursive=True)
    pq.write_table(pa.table({"Op": ["I"], "status": ["placed"]}), f"{folder}/LOAD00000001.parquet")

    instance = DagsterInstance.ephemeral()
    result = materialize(
        processed_assets,
        instance=instance,
        raise_on_error=False,
        resources={"lake": LakeResource(root=lake.root), "processed_engine": ProcessedEngine()},
    )
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failed == ["processed__orders"]
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "key column 'order_id' is missing" in str(failure.event_specific_data.error)

    products = instance.get_latest_materialization_event(AssetKey(["processed", "products"]))
    meta = products.asset_materialization.metadata
    assert meta["files_quarantined_now"].value == 1
    assert meta["files_in_quarantine"].value == 1
    assert meta["rows"].value == 2
    assert meta["delta_version"].value == 1
    for other in ("customers", "payments", "order_items"):
        assert instance.get_latest_materialization_event(AssetKey(["processed", other]))


def test_a_sensor_run_skips_what_depends_on_a_table_with_nothing_new(lake):
    """In a CDC run (the sensors' tag) a table with no pending file yields no materialization
    and Dagster skips its downstream steps; a run started by hand rebuilds what it names."""
    from platform_assets.curated.assets import curated_assets
    from platform_assets.orchestration.run_tags import TRIGGER_TAG

    write_dms(lake, "products", "LOAD00000001", [product_row(1)])
    assets = [*processed_assets, *curated_assets]
    selection = [AssetKey([zone, "products"]) for zone in ("processed", "curated")]
    resources = {"lake": LakeResource(root=lake.root), "processed_engine": ProcessedEngine()}
    for attempt in range(2):  # the second run finds nothing new
        instance = DagsterInstance.ephemeral()
        result = materialize(
            assets, selection=selection, instance=instance, resources=resources, tags={TRIGGER_TAG: "cdc"}
        )
        assert result.success
        skipped = {e.step_key for e in result.all_events if e.is_step_skipped}
        assert skipped == (set() if attempt == 0 else {"curated__products"})
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert materialized == (set(selection) if attempt == 0 else set())
    by_hand = materialize(
        assets, selection=selection, instance=DagsterInstance.ephemeral(), resources=resources
    )
    assert {e.asset_key for e in by_hand.get_asset_materialization_events()} == set(selection)
