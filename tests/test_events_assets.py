"""The events path in Dagster: the arrival sensor, incremental runs, and a backfill of two
partitions from the CLI that rebuilds exactly those partitions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime

import pyarrow.compute as pc
import pytest
from dagster import DagsterInstance, Definitions, build_sensor_context
from deltalake import DeltaTable

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import table
from platform_assets.events_lake.defs import defs as events_defs
from platform_assets.events_lake.defs import events_job
from platform_assets.events_lake.sensors import event_files_sensor
from platform_assets.raw.firehose_layout import list_after
from platform_assets.resources import LakeResource
from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce

events_assets = list(events_defs.assets)
events_checks = list(events_defs.asset_checks)
DAYS = [date(2026, 3, d) for d in (1, 2, 3)]


def _defs(lake) -> Definitions:
    return Definitions(
        assets=events_assets,
        asset_checks=events_checks,
        jobs=[events_job],
        sensors=[event_files_sensor],
        resources={"lake": LakeResource(root=lake.root)},
    )


def _produce(lake, start, seconds, seed):
    cfg = config_from_ids(range(1, 500), range(1, 100), seed=seed)
    return produce(FirehoseFileSink(lake), cfg, rate=0.04, duration=seconds, start=start)


def _tick(defs, instance, cursor):
    ctx = build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        resources={"lake": LakeResource(root=defs.resources["lake"].root)},
    )
    return event_files_sensor(ctx), ctx


def _run(defs, instance, request):
    job = defs.resolve_job_def("events_ingest")
    result = job.execute_in_process(instance=instance, run_config=request.run_config, tags=request.tags)
    assert result.success
    return result


def _day_files(lake, day: date) -> set[str]:
    dt = DeltaTable(table.uri(lake))
    import pyarrow as pa

    adds = pa.table(dt.get_add_actions(flatten=True)).to_pydict()
    return {p for p, d in zip(adds["path"], adds["partition.event_date"], strict=True) if d == day}


def _counts(lake) -> dict[date, int]:
    return table.count_by_day(lake, EVENTS, DAYS)


def test_sensor_requests_incremental_runs_and_is_idempotent(lake):
    defs = _defs(lake)
    instance = DagsterInstance.ephemeral()
    stats = _produce(lake, datetime(2026, 3, 1, 6, tzinfo=UTC), 86_400, seed=1)

    result, ctx = _tick(defs, instance, None)
    [request] = result.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2026-02-28"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-02"
    again, _ = _tick(defs, instance, None)  # the same files give the same run key
    assert again.run_requests[0].run_key == request.run_key
    run = _run(defs, instance, request)
    mat = run.asset_materializations_for_node("processed__events")[0]
    assert mat.metadata["mode"].value == "incremental"
    assert sum(_counts(lake).values()) == stats.valid

    idle, _ = _tick(defs, instance, result.cursor)
    assert not idle.run_requests

    more = _produce(lake, datetime(2026, 3, 2, 9, tzinfo=UTC), 40_000, seed=2)
    nxt, _ = _tick(defs, instance, result.cursor)
    [request2] = nxt.run_requests
    assert request2.tags["dagster/asset_partition_range_start"] == "2026-03-01"
    _run(defs, instance, request2)
    rows = table.open_table(lake).to_pyarrow_table(columns=["event_id"])
    assert rows.num_rows == len(pc.unique(rows["event_id"])) == stats.valid + more.valid


def _landed_counts(lake) -> dict[date, int]:
    from platform_assets.events_lake.read import read_landed

    counts: dict[date, set] = {d: set() for d in DAYS}
    for f in list_after(lake, EVENTS.stream):
        for row in read_landed(lake, EVENTS, f).rows:
            if row["event_date"] in counts:
                counts[row["event_date"]].add(row["event_id"])
    return {d: len(ids) for d, ids in counts.items()}


def _damage_two_partitions(lake):
    """Materialize three days, then damage two; returns what a rebuild must restore."""
    _produce(lake, datetime(2026, 3, 1, 0, tzinfo=UTC), 3 * 86_400, seed=3)
    expected = _landed_counts(lake)
    defs = _defs(lake)
    instance = DagsterInstance.ephemeral()
    result, _ = _tick(defs, instance, None)
    _run(defs, instance, result.run_requests[0])
    assert _counts(lake) == expected
    dt = DeltaTable(table.uri(lake))
    dt.delete("event_date = '2026-03-01' AND event_type = 'page_view'")
    dt.delete("event_date = '2026-03-02'")
    damaged = _counts(lake)
    assert damaged[DAYS[0]] < expected[DAYS[0]] and damaged[DAYS[1]] == 0
    return expected, _day_files(lake, DAYS[2]), DeltaTable(table.uri(lake)).version()


def _assert_rebuilt_exactly_two(lake, expected, third_files, version):
    assert _counts(lake) == expected  # both partitions rebuilt from the landed files
    assert _day_files(lake, DAYS[2]) == third_files  # the third one untouched
    [commit] = DeltaTable(table.uri(lake)).history(1)
    assert commit["version"] == version + 1 and commit["operation"] == "WRITE"
    assert json.dumps(commit["operationParameters"]["predicate"]).count("2026-03-0") == 2


def test_backfill_of_two_partitions_rebuilds_exactly_those(lake):
    expected, third_files, version = _damage_two_partitions(lake)
    defs = _defs(lake)
    result = defs.resolve_job_def("events_ingest").execute_in_process(
        instance=DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": "2026-03-01",
            "dagster/asset_partition_range_end": "2026-03-02",
        },
    )
    assert result.success
    mats = result.asset_materializations_for_node("processed__events")
    assert sorted(m.partition for m in mats) == ["2026-03-01", "2026-03-02"]
    assert mats[0].metadata["mode"].value == "rebuild"
    _assert_rebuilt_exactly_two(lake, expected, third_files, version)


@pytest.mark.slow
def test_backfill_of_two_partitions_from_the_cli_rebuilds_exactly_those(lake, tmp_path):
    expected, third_files, version = _damage_two_partitions(lake)
    module = tmp_path / "events_defs.py"
    module.write_text(
        textwrap.dedent(f"""
        from dagster import Definitions
        from platform_assets.events_lake import defs as events
        events_assets, events_job = list(events.defs.assets), events.events_job
        from platform_assets.resources import LakeResource
        defs = Definitions(assets=events_assets, jobs=[events_job],
                           resources={{"lake": LakeResource(root={lake.root!r})}})
    """)
    )
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("")
    out = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "dagster"),
            "asset",
            "materialize",
            "-f",
            str(module),
            "--select",
            "processed/events",
            "--partition-range",
            "2026-03-01...2026-03-02",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    _assert_rebuilt_exactly_two(lake, expected, third_files, version)


def test_whole_graph_job_without_a_partition_catches_up(lake):
    """`lakehouse_pipeline` selects every asset; unpartitioned, the events step ingests all
    pending files so the dbt models downstream always find the table."""
    from dagster import AssetSelection, asset, define_asset_job

    @asset(key=["warehouse", "stg_events"], deps=[["processed", "events"]])
    def downstream():
        return table.open_table(lake).to_pyarrow_dataset().count_rows()

    stats = _produce(lake, datetime(2026, 3, 1, 6, tzinfo=UTC), 86_400, seed=4)
    job = define_asset_job("everything", selection=AssetSelection.all())
    defs = Definitions(
        assets=[*events_assets, downstream], jobs=[job], resources={"lake": LakeResource(root=lake.root)}
    )
    result = defs.resolve_job_def("everything").execute_in_process()
    assert result.success
    assert result.output_for_node("warehouse__stg_events") == stats.valid
