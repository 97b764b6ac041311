"""100,000 produced events, with duplicates, malformed and late records, through the lake.

The producer writes Firehose-format files (local profile); the processed Delta table must end
with exactly the distinct valid events, the malformed records in quarantine with a reason,
late events in their own date's partition, and a rebuild from the raw zone must give the
same table as the incremental path.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from datetime import UTC, date, datetime

import pyarrow.compute as pc
import pytest

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import ingest, table
from platform_assets.raw.firehose_layout import (
    hour_path,
    list_after,
    object_name,
    quarantine_prefix,
    stream_prefix,
)
from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _quarantined(lake) -> list[dict]:
    from pathlib import Path

    rows = []
    for f in sorted(Path(quarantine_prefix(lake, EVENTS.stream)).rglob("*.json.gz")):
        rows += [json.loads(line) for line in gzip.decompress(f.read_bytes()).splitlines()]
    return rows


def _table(lake):
    t = table.open_table(lake).to_pyarrow_table()
    return t.sort_by([("event_id", "ascending")])


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    """100k events over a day (crossing midnight) landed as Firehose files."""
    from platform_assets.lake import Lake

    lake = Lake(str(tmp_path_factory.mktemp("events") / "lake"))
    cfg = config_from_ids(range(1, 2001), range(1, 401), range(1, 5001), seed=11)
    stats = produce(FirehoseFileSink(lake), cfg, rate=100_000 / 86_400, duration=86_400, start=START)
    # Firehose redelivers a whole object under a new name: the same records land twice
    first = list_after(lake, EVENTS.stream)[10]
    again = (
        f"{stream_prefix(lake, EVENTS.stream)}/{hour_path(first.hour)}/"
        f"{object_name(EVENTS.stream, first.hour)}"
    )
    shutil.copyfile(first.uri, again)
    return lake, stats


def test_100k_events_end_as_exactly_the_distinct_valid_events(produced):
    lake, stats = produced
    assert stats.valid == 100_000 - stats.malformed
    assert stats.duplicates > 1000 and stats.malformed > 500 and stats.late > 1000

    result = ingest.incremental(lake, date(2026, 3, 1), date(2026, 3, 3))
    rows = _table(lake)
    assert rows.num_rows == stats.valid  # every distinct valid event, once
    assert len(pc.unique(rows["event_id"])) == stats.valid
    assert result.rows_inserted == stats.valid
    assert result.valid_events - result.distinct_events >= stats.duplicates  # + the re-landed file

    # every malformed record is in quarantine, with its reason and where it came from
    quarantined = _quarantined(lake)
    assert len(quarantined) == stats.malformed == result.quarantined
    assert all(q["reason"] and q["source"] and q["record"] is not None for q in quarantined)
    kinds = Counter(result.quarantine_reasons)
    assert (
        set(kinds) <= {"not JSON", "missing field", "unknown event type", "wrong type", "bad timestamp"}
        and len(kinds) == 5
    )

    # late events sit in the partition of the day they happened, not the day they arrived
    assert pc.all(pc.equal(rows["event_date"], pc.cast(rows["event_ts"], "date32"))).as_py()
    arrival_day = pc.cast(
        pc.strptime(pc.utf8_slice_codeunits(rows["_source_file"], 0, 10), "%Y/%m/%d", "s"), "date32"
    )
    crossed = pc.sum(pc.not_equal(arrival_day, rows["event_date"])).as_py()
    assert crossed > 0
    assert pc.sum(rows["is_late"]).as_py() == stats.late

    # nothing new: a second incremental run reads nothing and writes no version
    version = table.open_table(lake).version()
    again = ingest.incremental(lake, date(2026, 3, 1), date(2026, 3, 3))
    assert again.files_read == 0 and table.open_table(lake).version() == version


def test_rebuild_from_the_raw_zone_gives_the_same_table(produced):
    lake, stats = produced
    if table.open_table(lake) is None:
        ingest.incremental(lake, date(2026, 3, 1), date(2026, 3, 3))
    before = _table(lake)
    result = ingest.rebuild(lake, date(2026, 3, 1), date(2026, 3, 3))
    after = _table(lake)
    assert after.equals(before)
    assert sum(result.rows_by_day.values()) == stats.valid
    assert len(_quarantined(lake)) == stats.malformed  # quarantine rewritten, not doubled
