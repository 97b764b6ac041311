"""processed/changes.last_change_per_key: one row per key, the change with the greatest
position, in key order, whether the changes come in source order (the fast path: a stable
sort on the key) or mixed (late files, recomputed history: the sort on key and position)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_assets.processed.changes import last_change_per_key


def reference(keys: list[int], positions: list[str], values: list[int]) -> list[tuple[int, str, int]]:
    last: dict[int, tuple[str, int]] = {}
    for k, p, v in zip(keys, positions, values, strict=True):
        if k not in last or p > last[k][0]:
            last[k] = (p, v)
    return sorted((k, p, v) for k, (p, v) in last.items())


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    keys=st.lists(st.integers(0, 40), min_size=1, max_size=300),
    shuffle=st.randoms(use_true_random=False),
    in_order=st.booleans(),
)
def test_the_last_change_of_each_key_wins_in_source_order_or_mixed(keys, shuffle, in_order):
    rows = list(range(len(keys)))
    if not in_order:
        shuffle.shuffle(rows)
    # positions as the apply makes them: file name, then the row's sequence (text, ordered)
    positions = [f"20261127-0800{i // 50:05d}.parquet|{i:019d}" for i in rows]
    values = [i * 7 for i in rows]
    chunks = [slice(0, len(keys) // 2), slice(len(keys) // 2, len(keys))]  # two files' chunks
    table = pa.concat_tables(
        pa.table({"k": keys[c], "_pos": positions[c], "v": values[c]}) for c in chunks if keys[c]
    )
    out = last_change_per_key(table, "k")
    got = list(zip(*(out[n].to_pylist() for n in ("k", "_pos", "v")), strict=True))
    assert got == reference(keys, positions, values)
