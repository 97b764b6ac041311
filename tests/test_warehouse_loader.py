"""Loading the curated zone into the warehouse's `curated` schema: each Delta data file once, rows of
files a MERGE rewrote removed, loading twice a no-op, a failed load leaving nothing behind; and
the Snowflake statements (COPY INTO from the external stage) as text."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable
from warehouse_data import event_rows, merge_curated, shop_rows, write_curated, write_events

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.warehouse.delta_files import DeltaSnapshot, plan_load, snapshot_of
from platform_assets.warehouse.emulator import FakesnowDialect
from platform_assets.warehouse.load_sql import (
    DuckDBDialect,
    LoadBatch,
    SnowflakeDialect,
    SnowflakeStages,
    copy_columns,
    curated_copy,
    events_copy,
)
from platform_assets.warehouse.loader import DuckDBCuratedLoader


@pytest.fixture
def shop(tmp_path):
    rows = shop_rows(30)
    write_curated(tmp_path / "lake", rows)
    return Lake(str(tmp_path / "lake")), DuckDBCuratedLoader(path=str(tmp_path / "wh.duckdb")), rows


def _copied(loader: DuckDBCuratedLoader, table: str, key: str) -> list[tuple]:
    with duckdb.connect(loader.path, read_only=True) as db:
        cols = [c for c in CONTRACTS[table].curated_schema().names if c != "_commit_ts"]
        return db.execute(f"select {', '.join(cols)} from curated.{table} order by {key}").fetchall()  # noqa: S608 -- the contract's names


def _delta(lake: Lake, table: str, key: str) -> list[tuple]:
    cols = [c for c in CONTRACTS[table].curated_schema().names if c != "_commit_ts"]
    rows = DeltaTable(lake.delta_uri("curated", table)).to_pyarrow_table(columns=cols)
    naive = [
        tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in r.values())
        for r in rows.sort_by(key).to_pylist()
    ]  # the warehouse keeps UTC without a zone
    return naive


def _loads(loader: DuckDBCuratedLoader) -> int:
    with duckdb.connect(loader.path, read_only=True) as db:
        return db.execute("select count(*) from curated._loads").fetchone()[0]


def test_files_load_once_and_a_second_load_changes_nothing(shop):
    lake, loader, rows = shop
    first = {r.table: r for r in loader.load(lake, CONTRACTS.values())}
    assert {t: r.rows for t, r in first.items()} == {t: len(v) for t, v in rows.items()}
    assert all(r.files_added == 1 and r.load_id == 1 for r in first.values())
    assert _copied(loader, "orders", "order_id") == _delta(lake, "orders", "order_id")
    again = loader.load(lake, CONTRACTS.values())
    assert all(r.unchanged and r.files_added == r.files_removed == 0 for r in again)
    assert _loads(loader) == len(CONTRACTS)  # the second load wrote nothing at all


def test_the_copy_keeps_the_lakes_types_without_casting(shop):
    """The loader types each copy as the lake does (contracts.types) and inserts the Parquet
    columns as they are; the one cast on the way to the models is dbt staging's."""
    lake, loader, _ = shop
    loader.load(lake, CONTRACTS.values())
    with duckdb.connect(loader.path, read_only=True) as db:
        for c in CONTRACTS.values():
            built = db.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'curated' and table_name = ? "
                "order by ordinal_position",
                [c.name],
            ).fetchall()
            assert [(n, t.lower()) for n, t in built] == [
                (n, t.replace(" ", "").lower()) for n, t in copy_columns(c)
            ], c.name
    batch = _batch(1)
    insert = DuckDBDialect().copy(curated_copy(CONTRACTS["orders"]), batch, batch.add, lambda p: f"/lake/{p}")
    assert "cast(src." not in insert[0] and "select src.order_id, " in insert[0]


def test_a_reader_holding_the_warehouse_makes_the_load_wait_not_fail(shop):
    """DuckDB admits one writing process and no reader beside it (an analyst's session)."""
    import subprocess
    import sys

    lake, loader, _ = shop
    duckdb.connect(loader.path).close()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({loader.path!r}, read_only=True)\n"
            "print('open', flush=True); time.sleep(1.5); c.close()",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "open"
    with pytest.raises(duckdb.IOException):  # what a writer meets without waiting
        duckdb.connect(loader.path)
    loaded = loader.load(lake, [CONTRACTS["customers"]])
    assert reader.wait(timeout=30) == 0
    assert loaded[0].rows_added > 0


def test_a_merge_rewrites_files_and_the_warehouse_copy_follows(shop):
    lake, loader, rows = shop
    loader.load(lake, CONTRACTS.values())
    moved = list(rows["customers"][0])
    moved[6], moved[10] = "Zürich", datetime(2026, 1, 2, tzinfo=moved[10].tzinfo)
    new = list(rows["customers"][1])
    new[0] = 1000
    merge_curated(Path(lake.root), "customers", upserts=[tuple(moved), tuple(new)], deletes=[3])
    (r,) = loader.load(lake, [CONTRACTS["customers"]])
    assert r.files_removed >= 1 and r.files_added >= 1 and r.load_id == 2
    assert r.rows == len(rows["customers"])  # +1 inserted, -1 deleted
    assert _copied(loader, "customers", "customer_id") == _delta(lake, "customers", "customer_id")
    with duckdb.connect(loader.path, read_only=True) as db:
        city, load_id = db.execute(
            "select city, _load_id from curated.customers where customer_id = ?", [moved[0]]
        ).fetchone()
        files = db.execute(
            "select count(*) from curated._loaded_files where table_name = 'customers'"
        ).fetchone()[0]
    assert (city, load_id) == ("Zürich", 2)
    assert files == len(DeltaTable(lake.delta_uri("curated", "customers")).file_uris())
    assert loader.load(lake, [CONTRACTS["customers"]])[0].unchanged


def test_a_failed_load_leaves_nothing_and_a_rerun_completes(shop, monkeypatch):
    lake, loader, rows = shop
    loader.load(lake, [CONTRACTS["orders"]])
    merge_curated(Path(lake.root), "orders", deletes=[1, 2])

    real = DuckDBDialect.load
    monkeypatch.setattr(
        DuckDBDialect,
        "load",
        lambda self, c, b, f: [*real(self, c, b, f)[:-1], "select * from no_such_table", "commit"],
    )
    with pytest.raises(duckdb.CatalogException):
        loader.load(lake, [CONTRACTS["orders"]])
    assert len(_copied(loader, "orders", "order_id")) == len(rows["orders"])  # rolled back whole
    monkeypatch.setattr(DuckDBDialect, "load", real)
    (r,) = loader.load(lake, [CONTRACTS["orders"]])
    assert r.rows == len(rows["orders"]) - 2
    assert _copied(loader, "orders", "order_id") == _delta(lake, "orders", "order_id")


def test_plan_adds_new_files_and_removes_vanished_ones():
    snap = DeltaSnapshot(
        "orders", 7, "file:///lake/curated/orders", {"part-b.parquet": 5, "part-c.parquet": 2}
    )
    plan = plan_load(snap, {"part-a.parquet", "part-b.parquet"})
    assert (plan.add, plan.remove, plan.rows_added) == (("part-c.parquet",), ("part-a.parquet",), 2)
    assert snap.file_uri("part-c.parquet") == "/lake/curated/orders/part-c.parquet"
    assert plan_load(snap, {"part-b.parquet", "part-c.parquet"}).unchanged


def test_tables_whose_files_do_not_hold_their_rows_are_refused():
    def table(features, partitions=()):
        return SimpleNamespace(
            protocol=lambda: SimpleNamespace(reader_features=features),
            metadata=lambda: SimpleNamespace(partition_columns=list(partitions)),
        )

    with pytest.raises(PlatformError, match="deletionVectors"):
        snapshot_of(table(["deletionVectors"]), "orders")


def test_a_partitioned_table_is_copied_with_its_partition_values(tmp_path):
    """The processed clickstream is partitioned by day: the values are in the Delta log, not in
    the files; the copy carries them, a second load writes nothing, and replacing a day's files
    replaces exactly that day's rows."""
    lake = Lake(str(tmp_path / "lake"))
    events = event_rows(300, days=3)
    write_events(lake, events)
    loader = DuckDBCuratedLoader(path=str(tmp_path / "wh.duckdb"))
    (first,) = loader.load(lake, [EVENTS_COPY])
    assert (first.relation, first.rows, first.files_added) == ("events.events", events.num_rows, 3)
    assert _copied_events(loader) == _delta_events(lake)
    assert loader.load(lake, [EVENTS_COPY])[0].unchanged
    day = events.filter(pc.equal(events["event_date"], events["event_date"][0]))
    write_events(lake, day.slice(0, 100), replace_day=day["event_date"][0].as_py())
    (again,) = loader.load(lake, [EVENTS_COPY])
    assert (again.files_added, again.files_removed, again.rows) == (
        1,
        1,
        events.num_rows - day.num_rows + 100,
    )
    assert _copied_events(loader) == _delta_events(lake)


EVENTS_COPY = events_copy(EVENTS)


def _copied_events(loader: DuckDBCuratedLoader) -> list[tuple]:
    with duckdb.connect(loader.path, read_only=True) as db:
        return db.execute(
            "select event_id, event_date, price from events.events order by event_id"
        ).fetchall()


def _delta_events(lake: Lake) -> list[tuple]:
    rows = (
        DeltaTable(lake.delta_uri("processed", "events"))
        .to_pyarrow_table(columns=["event_id", "event_date", "price"])
        .sort_by("event_id")
    )
    return [tuple(r.values()) for r in rows.to_pylist()]


def test_snowflake_copies_a_partitioned_table_one_copy_per_partition_value():
    batch = LoadBatch(
        "events",
        3,
        [
            "event_date=2026-03-01/a.parquet",
            "event_date=2026-03-02/b.parquet",
            "event_date=2026-03-01/c.parquet",
        ],
        [],
        {
            "event_date=2026-03-01/a.parquet": 5,
            "event_date=2026-03-02/b.parquet": 4,
            "event_date=2026-03-01/c.parquet": 1,
        },
        0,
        4,
        datetime(2026, 3, 3),
        {
            "event_date=2026-03-01/a.parquet": {"event_date": date(2026, 3, 1)},
            "event_date=2026-03-02/b.parquet": {"event_date": date(2026, 3, 2)},
            "event_date=2026-03-01/c.parquet": {"event_date": date(2026, 3, 1)},
        },
    )
    stmts = SnowflakeDialect(SnowflakeStages("s3://lake/zones")).load(EVENTS_COPY, batch, None)
    copies = [s for s in stmts if s.startswith("copy into events.events")]
    assert len(copies) == 2
    assert "cast('2026-03-01' as date), metadata$filename" in copies[0]
    assert "files = ('event_date=2026-03-01/a.parquet', 'event_date=2026-03-01/c.parquet')" in copies[0]
    assert "from @events.lake_processed/events/)" in copies[1] and "$1:event_date" not in copies[1]


def _batch(files: int) -> LoadBatch:
    names = [f"part-{i:05d}.parquet" for i in range(files)]
    return LoadBatch(
        "orders", 12, names, ["old.parquet"], dict.fromkeys(names, 10), 4, 9, datetime(2026, 11, 27, 8, 30)
    )


def test_snowflake_load_is_copy_into_from_the_stage_in_one_transaction():
    dialect = SnowflakeDialect(SnowflakeStages("s3://lake/zones", "lake_s3"))
    (stage,) = dialect.stages_of([curated_copy(c) for c in CONTRACTS.values()])
    assert stage.create_sql() == (
        "create stage if not exists curated.lake_curated url = 's3://lake/zones/curated/' "
        "storage_integration = lake_s3 file_format = (type = parquet)"
    )
    setup = dialect.setup(CONTRACTS.values())
    assert any(
        s.startswith(
            "create transient table if not exists curated.orders (order_id bigint, "
            "customer_id bigint, status varchar, order_ts timestamp_ntz"
        )
        for s in setup
    )
    stmts = dialect.load(CONTRACTS["orders"], _batch(2), file_uri=None)
    assert stmts[0] == "begin" and stmts[-1] == "commit"
    assert stmts[1] == "delete from curated.orders where _file in ('orders/old.parquet')"
    copy = stmts[3]
    assert copy == (
        "copy into curated.orders (order_id, customer_id, status, order_ts, total_amount, currency, "
        "shipping_country, updated_at, _commit_ts, _file, _load_id, _loaded_at) from ("
        "select $1:order_id::bigint, $1:customer_id::bigint, $1:status::varchar, "
        "$1:order_ts::timestamp_ntz, $1:total_amount::decimal(12,2), $1:currency::varchar, "
        "$1:shipping_country::varchar, $1:updated_at::timestamp_ntz, "
        "$1:_commit_ts::timestamp_ntz, metadata$filename, 9, "
        "cast('2026-11-27 08:30:00.000000' as timestamp_ntz) from @curated.lake_curated/orders/) "
        "files = ('part-00000.parquet', 'part-00001.parquet') file_format = (type = parquet)"
    )
    assert stmts[5].startswith("insert into curated._loads values (9, 'orders', 12, 2, 1, 20, 4, ")


def test_snowflake_copies_at_most_1000_files_per_statement_and_fakesnow_one_each():
    stmts = SnowflakeDialect(SnowflakeStages()).load(CONTRACTS["orders"], _batch(1001), None)
    copies = [s for s in stmts if s.startswith("copy into")]
    assert [c.count(".parquet'") for c in copies] == [1000, 1]
    shim = FakesnowDialect(SnowflakeStages()).load(CONTRACTS["orders"], _batch(2), None)
    copies = [s for s in shim if s.startswith("copy into")]
    assert len(copies) == 2 and "metadata$filename" not in " ".join(copies)
    assert "'orders/part-00001.parquet', 9, cast(" in copies[1]
