"""The raw zone's first full load without DMS: what `lakehouse cdc full-load` and the `prod`
trial take, into the raw zone of the current profile (a local folder or S3).

The rule is raw/full_load.py's, as a DMS task's: a table whose folder already holds LOAD files
is not loaded again (it is reported, with its files), so a second run writes nothing. The
replication slot is created before the snapshot unless `slot=False` (a DMS task does CDC): the
slot keeps every change after the snapshot for `lakehouse cdc capture`, and it holds WAL on
the source until something consumes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from platform_assets.contracts import CONTRACTS
from platform_assets.lake import Lake
from platform_assets.raw.full_load import FullLoadResult, full_load


@dataclass
class FirstLoad:
    result: FullLoadResult
    lake_root: str
    slot: bool

    def lines(self) -> list[str]:
        out = [
            f"full load of {name}: {rows} rows in {len(self.result.files[name])} file(s)"
            for name, rows in self.result.rows.items()
        ]
        out += [
            f"full load of {name}: already in the raw zone (LOAD files under "
            f"{self.lake_root}/raw/cdc/), not loaded again"
            for name in self.result.skipped
        ]
        return out


def take_full_load(dsn: str, lake: Lake, slot: bool = True) -> FirstLoad:
    """Full load of every contract table that has none yet, into `lake`'s raw zone."""
    from platform_assets.raw.assets import PUBLICATION, SLOT, check_source_tables
    from platform_assets.raw.cdc_capture.slot_record import ensure_recorded_replication

    with psycopg.connect(dsn) as conn:
        check_source_tables(conn)
        if slot:  # recorded in the lake: a loss before the first capture is detected too
            ensure_recorded_replication(conn, lake, SLOT, PUBLICATION)
    return FirstLoad(full_load(dsn, lake, list(CONTRACTS.values())), lake.root, slot)
