"""Time travel and the guarded restore: old states by version and by time, with an audit trail."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.conform import conform
from platform_assets.curated.refresh import refresh_curated
from platform_assets.errors import PlatformError
from platform_assets.maintenance import vacuum
from platform_assets.maintenance.targets import Target
from platform_assets.processed.applied_log import applied_files, file_states
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import committed_value, open_table
from platform_assets.tables import TableRef, read_as_of, restore_table, table_history
from platform_assets.tables.audit import restores
from platform_assets.tables.jobs import restore_delta_table_job
from platform_assets.tables.pinning import materialized_version, read_pinned

PRODUCTS = contract("products")
P = TableRef("processed", "products")
C = TableRef("curated", "products")


def prices(table) -> dict[int, str]:
    return {r["product_id"]: str(r["price"]) for r in table.to_pylist()}


@pytest.fixture
def three_versions(lake):
    """processed.products at v1 (load), v2 (prices 2.00) and v3 (prices 3.00, id 9 added);
    the time between v1 and v2 is returned too."""
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    apply_pending(lake, PRODUCTS)
    refresh_curated(lake, PRODUCTS)
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)
    refresh_curated(lake, PRODUCTS)
    write_dms(
        lake, "products", "20261127-080100000", [product_row(1, "3.00"), product_row(9)], ops=["U", "I"]
    )
    apply_pending(lake, PRODUCTS)
    refresh_curated(lake, PRODUCTS)
    assert open_table(lake, "processed", "products").version() == 3
    return between


def test_read_as_of_a_version_and_a_timestamp_gives_the_old_rows(lake, three_versions):
    now = prices(read_as_of(lake, P))
    assert now == {1: "3.00", 2: "9.99", 3: "9.99", 9: "9.99"}
    assert prices(read_as_of(lake, P, 2)) == {1: "2.00", 2: "9.99", 3: "9.99"}
    assert prices(read_as_of(lake, P, "1")) == {1: "9.99", 2: "9.99", 3: "9.99"}
    assert prices(read_as_of(lake, P, three_versions)) == {1: "9.99", 2: "9.99", 3: "9.99"}
    assert prices(read_as_of(lake, P, three_versions.isoformat())) == prices(read_as_of(lake, P, 1))
    with pytest.raises(PlatformError, match="there is no version 7"):
        read_as_of(lake, P, 7)
    with pytest.raises(PlatformError, match="neither a version number nor"):
        read_as_of(lake, P, "yesterday")
    history = table_history(lake, P)
    assert [c.version for c in history] == [3, 2, 1, 0]
    assert history[0].operation == "MERGE" and WATERMARK_KEY in history[0].custom


def test_restore_gives_the_old_rows_and_records_who_and_why(lake, three_versions):
    watermark_v1 = table_history(lake, P)[-2].custom[WATERMARK_KEY]

    record = restore_table(lake, P, 1, who="ana", why="bad price import at 08:00")

    assert prices(read_as_of(lake, P)) == {1: "9.99", 2: "9.99", 3: "9.99"}
    assert (record.from_version, record.to_version, record.new_version) == (3, 1, 4)
    [audit] = restores(lake)
    assert audit["who"] == "ana" and audit["why"] == "bad price import at 08:00"
    assert (audit["table"], audit["from_version"], audit["to_version"]) == ("processed.products", 3, 1)
    restored = table_history(lake, P, limit=1)[0]
    assert restored.operation == "RESTORE"
    assert restored.custom["lakehouse.audit.restored_by"] == "ana"
    # the restore rewinds the consumption position with the data: the watermark of v1 ...
    dt = open_table(lake, "processed", "products")
    assert committed_value(lake, dt, WATERMARK_KEY) == watermark_v1
    # ... and the files applied after v1 are held as rolled back, not pending
    assert record.applied_files_rewound == 2
    states = file_states(lake, "products")
    assert {f: s.outcome for f, s in states.items()} == {
        "LOAD00000001.parquet": "applied",
        "20261127-080000000.parquet": "rolled_back",
        "20261127-080100000.parquet": "rolled_back",
    }
    # its curated table was rebuilt from the restored state (a follower cannot order the
    # delete+insert of every row that a RESTORE's change feed holds)
    curated = read_as_of(lake, C)
    assert curated.sort_by("product_id") == conform(read_as_of(lake, P), PRODUCTS).sort_by("product_id")
    assert refresh_curated(lake, PRODUCTS).mode == "unchanged"
    # restoring to the latest state before the restore brings the files back as applied
    again = restore_table(lake, P, 3, who="ana", why="the import was right after all")
    assert again.applied_files_rewound == 0
    assert {s.outcome for s in file_states(lake, "products").values()} == {"applied"}
    assert prices(read_as_of(lake, P)) == {1: "3.00", 2: "9.99", 3: "9.99", 9: "9.99"}
    assert apply_pending(lake, PRODUCTS).files_applied == []
    assert refresh_curated(lake, PRODUCTS).mode == "unchanged"
    assert read_as_of(lake, C).sort_by("product_id") == conform(read_as_of(lake, P), PRODUCTS).sort_by(
        "product_id"
    )


def test_restore_by_timestamp_of_a_curated_table(lake, three_versions):
    record = restore_table(lake, C, three_versions, who="bo", why="check the old state")
    assert record.to_version == 0
    assert prices(read_as_of(lake, C)) == {1: "9.99", 2: "9.99", 3: "9.99"}
    # curated follows processed: the next refresh merges what changed since the restored state
    assert refresh_curated(lake, PRODUCTS).mode == "incremental"
    assert prices(read_as_of(lake, C)) == {1: "3.00", 2: "9.99", 3: "9.99", 9: "9.99"}


def test_restore_guards(lake, three_versions):
    with pytest.raises(PlatformError, match="needs a reason"):
        restore_table(lake, P, 1, who="ana", why="")
    with pytest.raises(PlatformError, match="restore to an earlier version"):
        restore_table(lake, P, 3, who="ana", why="a good reason")
    with pytest.raises(PlatformError, match="is not a Delta table"):
        TableRef.parse("raw.products")
    with pytest.raises(PlatformError, match="no table contract named 'nope'"):
        TableRef.parse("curated.nope")
    # files removed by VACUUM cannot come back: the restore says so and changes nothing
    vacuum(lake, Target("processed", "products", (), 0), retention_hours=0, force=True)
    with pytest.raises(PlatformError, match="cannot be restored to version 1"):
        restore_table(lake, P, 1, who="ana", why="too late for this")
    assert open_table(lake, "processed", "products").version() == 5  # + VACUUM START/END
    assert restores(lake) == []
    assert applied_files(lake, "products") == {  # the applied log is not rewound either
        "LOAD00000001.parquet",
        "20261127-080000000.parquet",
        "20261127-080100000.parquet",
    }


def test_restore_job_records_the_requester_and_the_new_version(lake, three_versions):
    result = restore_delta_table_job.execute_in_process(
        resources={"lake": LakeResource(root=lake.root)},
        tags={"lakehouse/requested_by": "carla@example.com"},
        run_config={
            "ops": {
                "restore_delta_table": {
                    "config": {
                        "table": "processed.products",
                        "to": "2",
                        "reason": "roll back the 08:01 batch",
                    }
                }
            }
        },
    )
    assert result.success
    mats = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.asset_materializations_for_node("restore_delta_table")
    }
    assert mats["processed/products"]["delta_version"].value == 4
    assert mats["processed/products"]["restored_by"].value == "carla@example.com"
    assert mats["curated/products"]["delta_version"].value == read_as_of_version(lake, C)
    [audit] = restores(lake)
    assert audit["who"] == "carla@example.com" and audit["run_id"] == result.run_id
    assert prices(read_as_of(lake, P)) == {1: "2.00", 2: "9.99", 3: "9.99"}


def read_as_of_version(lake, ref) -> int:
    return open_table(lake, ref.zone, ref.name).version()


def test_downstream_reads_the_version_its_upstream_materialization_produced(lake, three_versions):
    instance = DagsterInstance.ephemeral()
    assert materialized_version(instance, P) is None
    instance.report_runless_asset_event(
        AssetMaterialization(asset_key=AssetKey(["processed", "products"]), metadata={"delta_version": 2})
    )
    rows, version = read_pinned(instance, lake, P)
    assert version == 2 and prices(rows) == {1: "2.00", 2: "9.99", 3: "9.99"}


def run_cli(argv: list[str]) -> int:
    """`lakehouse ...` in process: its exit code (stdout and stderr go to capsys)."""
    from platform_assets.cli import main

    return main(argv)


def test_cli_history_show_as_of_and_restore(platform_home, capsys, monkeypatch):
    from platform_assets.lake import Lake

    lake = Lake(str(platform_home / ".lake"))
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    apply_pending(lake, PRODUCTS)
    write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)

    assert run_cli(["table", "history", "processed.products"]) == 0
    out = capsys.readouterr().out
    assert "MERGE" in out and "CREATE TABLE" in out and "lakehouse.watermark" in out
    assert (
        run_cli(["table", "show", "processed.products", "--as-of", "1", "--columns", "product_id,price"]) == 0
    )
    out = capsys.readouterr().out
    assert "at version 1 (3 rows" in out and "2.00" not in out and "9.99" in out
    # not interactive (pytest's stdin) and no --yes: refused in one line, nothing restored
    assert run_cli(["table", "restore", "processed.products", "--to", "1", "--reason", "undo it"]) == 1
    assert capsys.readouterr().err == "error: restoring needs confirmation: add --yes when not interactive\n"
    assert restores(lake) == []
    monkeypatch.setenv("USER", "dora")
    assert (
        run_cli(["table", "restore", "processed.products", "--to", "1", "--reason", "undo it", "--yes"]) == 0
    )
    assert "is now version 3 (= version 1)" in capsys.readouterr().out
    assert restores(lake)[0]["who"] == "dora"
    assert run_cli(["table", "show", "processed.products"]) == 0
    assert "2.00" not in capsys.readouterr().out


def test_times_outside_the_history_are_refused_with_the_valid_range(lake, three_versions):
    from datetime import timedelta

    first = table_history(lake, P)[-1].timestamp
    last = table_history(lake, P)[0].timestamp
    for outside in (first - timedelta(days=1), last + timedelta(seconds=5)):
        with pytest.raises(PlatformError) as err:
            read_as_of(lake, P, outside)
        message = str(err.value)
        assert "processed.products" in message and outside.isoformat()[:19] in message
        assert f"version 0 at {first.isoformat()[:19]}" in message
        assert f"version 3 at {last.isoformat()[:19]}" in message
    with pytest.raises(PlatformError, match="processed.products"):
        restore_table(lake, P, first - timedelta(days=1), who="ana", why="before it existed")
    # the ends of the range are inside it
    assert open_table_as_of(lake, P, first) == 0 and open_table_as_of(lake, P, last) == 3


def open_table_as_of(lake, ref, when) -> int:
    from platform_assets.tables import open_as_of

    return open_as_of(lake, ref, when).version()


def test_a_restore_stays_until_its_files_are_reapplied_on_purpose(lake, three_versions):
    from platform_assets.tables.reapply import reapply

    restore_table(lake, P, 1, who="ana", why="bad price import at 08:00")
    restored = prices(read_as_of(lake, P))
    assert restored == {1: "9.99", 2: "9.99", 3: "9.99"}

    for _ in range(2):  # the next applies leave the restored state alone
        assert apply_pending(lake, PRODUCTS).files_applied == []
        assert prices(read_as_of(lake, P)) == restored
    # a change arriving after the restore applies on top of the restored state
    write_dms(lake, "products", "20261127-080200000", [product_row(2, "5.00")], ops=["U"])
    assert apply_pending(lake, PRODUCTS).files_applied == ["20261127-080200000.parquet"]
    assert prices(read_as_of(lake, P)) == {1: "9.99", 2: "5.00", 3: "9.99"}

    held = reapply(lake, P, who="ana", why="the import was fine after all")
    assert held == ["20261127-080000000.parquet", "20261127-080100000.parquet"]
    result = apply_pending(lake, PRODUCTS)
    assert sorted(result.files_applied) == held
    assert prices(read_as_of(lake, P)) == {1: "3.00", 2: "5.00", 3: "9.99", 9: "9.99"}
    assert apply_pending(lake, PRODUCTS).files_applied == []
    assert reapply(lake, P, who="ana", why="nothing left to do") == []


def test_a_restore_from_the_cli_is_an_event_on_the_dagster_asset(platform_home, monkeypatch, capsys):
    from platform_assets.lake import Lake

    monkeypatch.setenv("DAGSTER_HOME", str(platform_home))
    monkeypatch.setenv("USER", "erik")
    lake = Lake(str(platform_home / ".lake"))
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    apply_pending(lake, PRODUCTS)
    write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)

    assert (
        run_cli(
            ["table", "restore", "processed.products", "--to", "1", "--reason", "undo the 08:00", "--yes"]
        )
        == 0
    )

    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey(["processed", "products"]))
    md = event.asset_materialization.metadata
    assert md["delta_version"].value == 3 and md["restored_to_version"].value == 1
    assert md["restored_by"].value == "erik" and md["reason"].value == "undo the 08:00"
    assert md["raw_files_rolled_back"].value == 1
    assert "recorded on the Dagster asset" in capsys.readouterr().out


def test_a_late_file_after_a_restore_does_not_bring_back_rolled_back_changes(lake, three_versions):
    """A late file's keys are recomputed from the raw history; the files a restore rolled back
    stay out of that history until they are reapplied on purpose."""
    restore_table(lake, P, 1, who="ana", why="bad price import at 08:00")
    write_dms(lake, "products", "20261127-080200000", [product_row(2, "5.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)
    # committed at 07:59, before the rolled-back files and the 08:02 change: a late file
    write_dms(lake, "products", "20261127-075900000", [product_row(1, "1.50")], ops=["U"])
    for _ in range(2):
        result = apply_pending(lake, PRODUCTS)
        assert prices(read_as_of(lake, P)) == {1: "1.50", 2: "5.00", 3: "9.99"}
    assert result.files_applied == []
