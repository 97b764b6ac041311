"""The main job's steps hold a batch, not a table: the first apply of a full load, the curated
rebuild, the seed and the reconciliation check, each with its batch size lowered so a few
thousand rows take several batches, end equal to the unbatched result, and run twice change
nothing; the platform's DuckDB work and dbt's run under a DuckDB memory limit. (Memory itself is
measured by bench/main_job_scale.py and bench/step_peaks.py, not asserted here.)"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pytest
from deltalake import DeltaTable
from dms_files import order_row, write_dms

from platform_assets.contracts import CONTRACTS, contract
from platform_assets.curated import refresh
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed import load_append
from platform_assets.processed import reconcile as reconcile_module
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.raw.files import list_quarantined
from platform_assets.raw.full_load import full_load
from platform_assets.sources.oltp import seed as seed_module
from platform_assets.sources.oltp import snapshot
from platform_assets.storage.delta import committed_value, open_table
from platform_assets.warehouse import loader as loader_module

ORDERS = contract("orders")
# 4,000 orders over 8 key-range partitions (20k keys each), in 3 key-ordered LOAD files
KEYS = [i * 37 for i in range(1, 4001)]
FILES = {"LOAD00000001": KEYS[:1500], "LOAD00000002": KEYS[1500:3000], "LOAD00000003": KEYS[3000:]}


def write_full_load(lake: Lake, files: dict[str, list[int]] = FILES) -> None:
    for name, keys in files.items():
        write_dms(lake, "orders", name, [order_row(k, f"{k % 97}.50") for k in keys])


def spy_on_writer(monkeypatch, module) -> list[int]:
    """Record the batch sizes `module`'s write_deltalake receives, then write them."""
    sizes: list[int] = []
    real = module.write_deltalake

    def spy(target, data, **kwargs):
        reader = pa.RecordBatchReader.from_stream(data)
        batches = list(reader)
        sizes.extend(b.num_rows for b in batches)
        return real(target, pa.RecordBatchReader.from_batches(reader.schema, batches), **kwargs)

    monkeypatch.setattr(module, "write_deltalake", spy)
    return sizes


def table_rows(lake: Lake, zone: str, c) -> pa.Table:
    return open_table(lake, zone, c.name).to_pyarrow_table().sort_by(c.key)


def test_first_apply_of_a_full_load_appends_in_batches_and_equals_the_merge(tmp_path, monkeypatch):
    streamed, merged = Lake(str(tmp_path / "streamed")), Lake(str(tmp_path / "merged"))
    write_full_load(streamed)
    write_full_load(merged)
    monkeypatch.setattr(load_append, "APPEND_BATCH_ROWS", 400)
    sizes = spy_on_writer(monkeypatch, load_append)

    first = apply_pending(streamed, ORDERS)
    assert first.strategy == load_append.APPEND
    assert first.files_applied == [f"{n}.parquet" for n in FILES] and first.changes_read == len(KEYS)
    assert len(sizes) >= len(KEYS) // 400 and max(sizes) <= 400 and sum(sizes) == len(KEYS)
    again = apply_pending(streamed, ORDERS)
    assert again.files_applied == [] and again.delta_version == first.delta_version

    reference = apply_pending(merged, ORDERS, strategy="merge")  # the fold and MERGE
    assert reference.strategy == "merge"
    assert first.watermark == reference.watermark
    got, want = table_rows(streamed, "processed", ORDERS), table_rows(merged, "processed", ORDERS)
    assert got.num_rows == len(KEYS) and got.equals(want.select(got.column_names).cast(got.schema))
    buckets = set(got["_key_bucket"].to_pylist())
    assert len(buckets) == 8  # partitioned like the MERGE's table


def test_a_crash_before_the_append_commit_leaves_the_table_unchanged_and_the_rerun_appends_once(
    lake, monkeypatch
):
    """The LOAD files are staged one at a time into a scratch table inside the table's folder,
    then committed together; a crash between the two leaves the table as it was."""
    write_full_load(lake)
    real = DeltaTable.create_write_transaction

    def crash(self, *args, **kwargs):
        raise OSError("killed before the commit")

    monkeypatch.setattr(DeltaTable, "create_write_transaction", crash)
    with pytest.raises(PlatformError, match="processed.orders"):
        apply_pending(lake, ORDERS)
    dt = open_table(lake, "processed", ORDERS.name)
    assert dt.file_uris() == [] and not committed_value(lake, dt, WATERMARK_KEY)
    staged = sorted(Path(lake.uri("processed", "orders")).glob("load-*/_key_bucket=*/*.parquet"))
    assert len(staged) >= 8  # written, referenced by nothing

    monkeypatch.setattr(DeltaTable, "create_write_transaction", real)
    result = apply_pending(lake, ORDERS)
    assert result.strategy == load_append.APPEND and result.files_applied == [f"{n}.parquet" for n in FILES]
    rows = table_rows(lake, "processed", ORDERS)
    assert rows["order_id"].to_pylist() == sorted(KEYS)
    live = {Path(u).resolve() for u in open_table(lake, "processed", ORDERS.name).file_uris()}
    assert live and not live & {p.resolve() for p in staged}  # the crashed run's files stay out
    assert not list(Path(lake.uri("processed", "orders")).glob("load-*/_delta_log"))  # scratch logs gone
    version = result.delta_version
    assert apply_pending(lake, ORDERS).delta_version == version  # a rerun changes nothing


def test_the_staged_append_on_s3_equals_the_local_one(s3_lake, lake):
    """On moto's S3: the scratch table's files are committed by path under the table, its log
    is deleted, and the table reads the same rows as a local lake's."""
    for each in (s3_lake, lake):
        write_full_load(each)
        assert apply_pending(each, ORDERS).strategy == load_append.APPEND
    got, want = table_rows(s3_lake, "processed", ORDERS), table_rows(lake, "processed", ORDERS)
    assert got.num_rows == len(KEYS) and got.equals(want)
    bucket, _, prefix = s3_lake.fs_path(s3_lake.uri("processed", "orders")).partition("/")
    pages = s3_lake.s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    staged = [k for k in keys if "/load-" in k]
    assert staged and not [k for k in staged if "_delta_log" in k]
    assert not [k for k in keys if k.endswith("/")]  # no "directory" objects: copies to disk break


def test_a_bad_load_file_is_quarantined_and_the_rest_appended(lake):
    write_full_load(lake)
    bad = lake.fs_path(f"{lake.raw_cdc_prefix(ORDERS.schema, ORDERS.name)}/LOAD00000002.parquet")
    with open(bad, "wb") as f:
        f.write(b"not parquet")
    result = apply_pending(lake, ORDERS)
    assert result.strategy == load_append.APPEND
    assert list(result.files_quarantined) == ["LOAD00000002.parquet"]
    assert list_quarantined(lake, ORDERS.schema, ORDERS.name) == ["LOAD00000002.parquet"]
    assert table_rows(lake, "processed", ORDERS).num_rows == len(FILES["LOAD00000001"]) + len(
        FILES["LOAD00000003"]
    )
    assert apply_pending(lake, ORDERS).files_applied == []


def test_load_files_with_repeated_keys_take_the_fold(lake):
    # not what a full load writes (overlapping key ranges): the last change per key must win
    write_full_load(lake, {"LOAD00000001": KEYS[:100], "LOAD00000002": KEYS[50:150]})
    write_dms(lake, "orders", "LOAD00000003", [order_row(KEYS[0], "1.00")])
    result = apply_pending(lake, ORDERS)
    assert result.strategy == "merge"
    rows = {r["order_id"]: r for r in table_rows(lake, "processed", ORDERS).to_pylist()}
    assert len(rows) == 150 and str(rows[KEYS[0]]["total_amount"]) == "1.00"


def test_curated_rebuild_streams_batches_and_equals_the_whole_table_rebuild(tmp_path, monkeypatch):
    lakes = {n: Lake(str(tmp_path / n)) for n in ("batched", "whole")}
    for lake in lakes.values():
        write_full_load(lake)
        apply_pending(lake, ORDERS)
    sizes = spy_on_writer(monkeypatch, refresh)
    first = refresh.refresh_curated(lakes["whole"], ORDERS)
    assert first.mode == "rebuild" and first.rows_changed == len(KEYS)
    sizes.clear()
    monkeypatch.setattr(refresh, "REBUILD_BATCH_ROWS", 300)
    batched = refresh.refresh_curated(lakes["batched"], ORDERS)
    assert (batched.mode, batched.rows_changed) == ("rebuild", len(KEYS))
    assert len(sizes) >= len(KEYS) // 300 and max(sizes) <= 300
    assert refresh.refresh_curated(lakes["batched"], ORDERS).mode == "unchanged"
    got, want = table_rows(lakes["batched"], "curated", ORDERS), table_rows(lakes["whole"], "curated", ORDERS)
    assert got.num_rows == len(KEYS) and got.equals(want)


def _fingerprints(dsn: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of every row, in key order, per seeded table."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for c in CONTRACTS.values():
            query = (
                f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY {c.key})) "  # noqa: S608 -- contract names
                f"FROM {c.schema}.{c.name} t"
            )
            out[c.name] = conn.execute(query).fetchone()
    return out


@pytest.mark.parametrize("orders", [2_500])
def test_seed_in_chunks_is_the_same_shop(pg_dsn, monkeypatch, orders):
    with psycopg.connect(pg_dsn) as conn:
        seed_module.seed(conn, orders=orders, reset=True)
    whole = _fingerprints(pg_dsn)
    monkeypatch.setattr(seed_module, "ORDERS_PER_CHUNK", 300)  # 9 chunks
    with psycopg.connect(pg_dsn) as conn:
        seed_module.seed(conn, orders=orders, reset=True)
        again = seed_module.seed(conn, orders=orders)  # a second seed leaves a seeded shop alone
        assert again == {n: v[0] for n, v in whole.items()}
    assert _fingerprints(pg_dsn) == whole
    assert whole["orders"][0] == orders and whole["order_items"][0] > orders


def test_reconcile_walks_key_windows_and_finds_every_difference(pg_dsn, lake, monkeypatch):
    with psycopg.connect(pg_dsn) as conn:
        seed_module.seed(conn, orders=2_000)
    full_load(pg_dsn, lake, [ORDERS])
    apply_pending(lake, ORDERS)
    monkeypatch.setattr(snapshot, "FETCH_ROWS", 300)  # the source side in 7 batches
    monkeypatch.setattr(reconcile_module, "WINDOW_ROWS", 500)  # windows of 600 source rows

    def whole_table(*args, **kwargs):
        raise AssertionError("reconcile read a whole table into memory")

    monkeypatch.setattr(DeltaTable, "to_pyarrow_table", whole_table)
    windows = []
    lake_window = reconcile_module.lake_window

    def counted(dataset, c, window):
        rows = lake_window(dataset, c, window)
        windows.append((window.low, window.high, window.source.num_rows, rows.num_rows))
        return rows

    monkeypatch.setattr(reconcile_module, "lake_window", counted)
    with psycopg.connect(pg_dsn) as conn:
        for _ in range(2):  # twice: a check changes nothing
            windows.clear()
            r = reconcile_module.reconcile(conn, lake, ORDERS)
            assert r.matches and r.source_rows == r.lake_rows == 2_000
        # each side held a window at a time, the windows tile the key space
        assert len(windows) == 4 and max(max(n_src, n_lk) for *_, n_src, n_lk in windows) == 600
        assert windows[0][0] is None and windows[-1][1] is None
        assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
        # a lake-only row in the first window, changed rows in two middle ones, and a
        # Postgres-only row past the lake's last key
        conn.execute("DELETE FROM public.order_items WHERE order_id = 3")
        conn.execute("DELETE FROM public.orders WHERE order_id = 3")
        conn.execute("UPDATE public.orders SET note = 'changed by hand' WHERE order_id IN (777, 1500)")
        conn.execute("CREATE TEMP TABLE extra AS SELECT * FROM public.orders WHERE order_id = 1")
        conn.execute("UPDATE extra SET order_id = 999999")
        conn.execute("INSERT INTO public.orders SELECT * FROM extra")
        conn.commit()
        r = reconcile_module.reconcile(conn, lake, ORDERS)
        assert not r.matches and r.differing_keys == [3, 777, 1500, 999999]
        assert (r.source_rows, r.lake_rows) == (2_000, 2_000) and r.source_hash != r.lake_hash
        assert reconcile_module.reconcile(conn, lake, ORDERS, sample=2).differing_keys == [3, 777]


def _limit_of(con) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_platforms_duckdb_work_runs_under_one_memory_bound(tmp_path):
    """The warehouse load, the reconciliation and the ML features each open DuckDB with the
    platform's bound (its default is 80% of RAM); dbt's local target sets its own."""
    import yaml

    from platform_assets.storage.duckdb_memory import WORK_MEMORY, bounded_duckdb

    expected = duckdb.connect()
    expected.execute(f"set memory_limit = '{WORK_MEMORY}'")
    limit = _limit_of(expected)
    assert limit != _limit_of(duckdb.connect())
    with loader_module.DuckDBCuratedLoader(path=str(tmp_path / "w.duckdb")).session() as (session, _):
        got = session.rows(
            "select current_setting('memory_limit'), current_setting('preserve_insertion_order')"
        )
    assert got == [(limit, False)]
    with bounded_duckdb("bound-test-") as con:  # the reconciliation's and the ML features'
        scratch = Path(con.execute("select current_setting('temp_directory')").fetchone()[0])
        assert _limit_of(con) == limit and scratch.name.startswith("bound-test-") and scratch.is_dir()
    assert not scratch.exists()  # the scratch folder goes with the connection
    profiles = yaml.safe_load((Path(__file__).parents[1] / "dbt_project" / "profiles.yml").read_text())
    dbt_limit = profiles["lakehouse"]["outputs"]["local"]["settings"]["memory_limit"]
    bounded = duckdb.connect()
    bounded.execute(f"set memory_limit = '{dbt_limit}'")
    assert _limit_of(bounded) != _limit_of(duckdb.connect())
