"""The `--vars` a facts run passes to dbt (`window_vars`), without running dbt: an in-process
Dagster run of a probe asset on the facts' partitions reports what the facts step would pass."""

import json

import pytest
from dagster import AssetExecutionContext, MaterializeResult, asset, materialize

from platform_assets.orchestration.run_tags import CDC_TRIGGERS, TRIGGER_TAG
from platform_assets.warehouse.partitions import FACT_PARTITIONS, window_vars


# the window travels as metadata: a run over a partition range cannot store one output
@asset(partitions_def=FACT_PARTITIONS)
def partitioned_probe(context: AssetExecutionContext) -> MaterializeResult:
    return MaterializeResult(metadata={"window": json.dumps(window_vars(context))})


@asset
def unpartitioned_probe(context: AssetExecutionContext) -> MaterializeResult:
    return MaterializeResult(metadata={"window": json.dumps(window_vars(context))})


def _window(probe, **run) -> "dict | None":
    events = materialize([probe], **run).get_asset_materialization_events()
    windows = {e.materialization.metadata["window"].value for e in events}
    assert len(windows) == 1  # one window for the whole run, whatever its partitions
    return json.loads(windows.pop())


def test_one_partition_is_its_utc_day_end_exclusive():
    assert _window(partitioned_probe, partition_key="2026-03-01") == {
        "window_start": "2026-03-01",
        "window_end": "2026-03-02",
    }


def test_a_backfill_range_is_one_window_over_all_its_days():
    tags = {
        "dagster/asset_partition_range_start": "2026-02-27",
        "dagster/asset_partition_range_end": "2026-03-02",
    }
    assert _window(partitioned_probe, tags=tags) == {
        "window_start": "2026-02-27",
        "window_end": "2026-03-03",
    }  # across a month's end


@pytest.mark.parametrize("trigger", CDC_TRIGGERS)
def test_a_cdc_run_names_a_partition_but_re_derives_no_window(trigger):
    assert _window(partitioned_probe, partition_key="2026-03-01", tags={TRIGGER_TAG: trigger}) is None


def test_a_run_started_by_hand_with_a_partition_has_its_window_whatever_other_tags():
    assert _window(partitioned_probe, partition_key="2026-03-01", tags={TRIGGER_TAG: "manual"}) == {
        "window_start": "2026-03-01",
        "window_end": "2026-03-02",
    }


def test_without_a_partition_there_is_no_window():
    assert _window(unpartitioned_probe) is None
