"""storage/delta_stats.py: the statistics of a file the platform writes with pyarrow are the ones
delta-rs writes for the same rows, for every column type a contract can declare."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from platform_assets.contracts.types import TYPES
from platform_assets.storage.delta import parquet_write_options
from platform_assets.storage.delta_stats import file_stats

N = 2_000


def rows() -> pa.Table:
    """Every contract type, with nulls, NaNs, micro-second timestamps and long text."""
    rng = np.random.default_rng(5)
    t0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    null = rng.random(N) < 0.1
    codes = rng.integers(0, 10**6, N)
    values = {
        "bigint": [int(v) for v in rng.integers(-(10**12), 10**12, N)],
        "int": [int(v) for v in rng.integers(-1000, 1000, N)],
        "text": [f"{'é' if i % 3 else 'a'}-{v:06d}{'x' * (i % 50)}" for i, v in enumerate(codes)],
        "boolean": [bool(v) for v in rng.integers(0, 2, N)],
        "date": [date(2026, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 400, N)],
        "timestamptz": [t0 + timedelta(microseconds=int(us)) for us in rng.integers(-(10**12), 10**12, N)],
        "money": [Decimal(int(c)) / 100 for c in rng.integers(-(10**9), 10**9, N)],
        "double": [float("nan") if i % 7 == 0 else float(v) for i, v in enumerate(rng.normal(size=N))],
    }
    assert set(values) == set(TYPES)  # a new contract type needs a case here
    columns = {
        name: pa.array([None if n else v for v, n in zip(vs, null, strict=True)], TYPES[name].arrow)
        for name, vs in values.items()
    }
    columns["all_null"] = pa.nulls(N, pa.string())
    return pa.table(columns)


def delta_rs_stats(tmp_path, table: pa.Table) -> dict:
    write_deltalake(str(tmp_path / "delta_rs"), table)
    log = (tmp_path / "delta_rs" / "_delta_log" / "00000000000000000000.json").read_text()
    (add,) = [json.loads(line)["add"] for line in log.splitlines() if '"add"' in line]
    return json.loads(add["stats"])


@pytest.mark.parametrize("row_group_size", [None, 300])  # one row group, or several combined
def test_the_platforms_file_statistics_equal_delta_rs_on_the_same_rows(tmp_path, row_group_size):
    table = rows()
    footer: list = []
    pq.write_table(
        table,
        pa.BufferOutputStream(),
        metadata_collector=footer,
        row_group_size=row_group_size,
        **parquet_write_options(table.schema),
    )
    ours, theirs = json.loads(file_stats(footer[0])), delta_rs_stats(tmp_path, table)
    assert footer[0].num_row_groups == (1 if row_group_size is None else 7)
    assert ours == theirs
    # and they bound the data: the file can be skipped on any column without losing a row
    assert ours["numRecords"] == N and ours["nullCount"]["all_null"] == N
    assert "all_null" not in ours["minValues"] and "double" in ours["minValues"]  # NaNs are no bound


def test_dictionary_text_columns_have_the_same_statistics(tmp_path):
    """The rewrite reads and writes text as dictionaries; the statistics are of the values."""
    table = rows()
    as_dictionary = table.set_column(2, "text", table["text"].dictionary_encode())
    footers: list = []
    for t in (table, as_dictionary):
        options = parquet_write_options(table.schema)
        pq.write_table(t, pa.BufferOutputStream(), metadata_collector=footers, **options)
    assert json.loads(file_stats(footers[1])) == json.loads(file_stats(footers[0]))


def test_a_file_committed_with_these_statistics_reads_back_through_delta_rs(tmp_path):
    """End to end: delta-rs accepts the JSON in a commit and reads the bounds readers skip by."""
    from deltalake.transaction import AddAction

    table = pa.table({"k": pa.array(range(1_000, 2_000), pa.int64()), "v": pa.array(["x"] * 1_000)})
    write_deltalake(str(tmp_path / "t"), table.slice(0, 0))
    footer: list = []
    pq.write_table(table, str(tmp_path / "t" / "f.parquet"), metadata_collector=footer)
    dt = DeltaTable(str(tmp_path / "t"))
    size = (tmp_path / "t" / "f.parquet").stat().st_size
    dt.create_write_transaction(
        [AddAction("f.parquet", size, {}, 0, True, file_stats(footer[0]))], mode="append", schema=dt.schema()
    )
    dt = DeltaTable(str(tmp_path / "t"))
    assert dt.to_pyarrow_table().num_rows == 1_000
    files = pa.table(dt.get_add_actions(flatten=True)).to_pydict()
    assert (files["min.k"], files["max.k"]) == ([1_000], [1_999])


def test_a_row_group_without_statistics_drops_that_columns_count_and_bounds_not_others():
    """Whichever row group lacks them (first or later), a partial count or range is never
    written: readers would skip a file that holds the rows they look for."""
    table = pa.table({"k": pa.array(range(600), pa.int64()), "v": pa.array([None, 1.5] * 300)})
    footer: list = []
    pq.write_table(
        table, pa.BufferOutputStream(), metadata_collector=footer, row_group_size=200, write_statistics=["k"]
    )
    stats = json.loads(file_stats(footer[0]))
    assert (
        stats["nullCount"] == {"k": 0} and stats["minValues"] == {"k": 0} and stats["maxValues"] == {"k": 599}
    )

    class WithoutStatistics:  # one footer's row group as pyarrow gives it, statistics gone
        def __init__(self, group, lose: str):
            self.group, self.lose = group, lose
            self.num_columns = group.num_columns

        def column(self, j):
            chunk = self.group.column(j)
            return type(
                "Chunk",
                (),
                {
                    "path_in_schema": chunk.path_in_schema,
                    "num_values": chunk.num_values,
                    "statistics": None if chunk.path_in_schema == self.lose else chunk.statistics,
                },
            )

    class Footer:
        def __init__(self, metadata, lose: str, group: int):
            self.metadata, self.lose, self.lost_group = metadata, lose, group
            self.num_row_groups, self.num_rows = metadata.num_row_groups, metadata.num_rows

        def row_group(self, g):
            group = self.metadata.row_group(g)
            return WithoutStatistics(group, self.lose) if g == self.lost_group else group

    full: list = []
    pq.write_table(table, pa.BufferOutputStream(), metadata_collector=full, row_group_size=200)
    for lost_group in (0, 2):
        partial = json.loads(file_stats(Footer(full[0], "k", lost_group)))
        assert "k" not in partial["nullCount"] and "k" not in partial["minValues"]
        assert partial["nullCount"]["v"] == 300 and partial["maxValues"]["v"] == 1.5
