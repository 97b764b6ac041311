"""Every event lands once: one row per event id across partitions, blank ids and broken files
quarantined with their reason, and the complete records of a truncated file kept.

The landed files are written by hand (Firehose format) so each case is exact: 1,200 events over
three days in hourly files, then conflicting copies, blank ids and a truncated object.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import ingest, table
from platform_assets.events_lake.read import read_landed
from platform_assets.raw.firehose_layout import (
    LandedFile,
    hour_path,
    list_after,
    quarantine_prefix,
    stream_prefix,
    write_ndjson_gz,
)

T0 = datetime(2026, 3, 1, 0, tzinfo=UTC)
DAYS = (date(2026, 3, 1), date(2026, 3, 3))


def ev(i: int, ts: datetime, event_id: str | None = None) -> dict:
    return {
        "event_id": f"ev-{i:05d}" if event_id is None else event_id,
        "event_type": "page_view",
        "event_ts": ts.isoformat(),
        "ingestion_ts": (ts + timedelta(seconds=2)).isoformat(),
        "session_id": f"s-{i % 97}",
        "customer_id": i % 50 + 1,
        "page_url": f"/p/{i}",
    }


def land(lake, hour: datetime, name: str, records: list[dict]) -> LandedFile:
    key = f"{hour_path(hour)}/{EVENTS.stream}-1-{hour:%Y-%m-%d-%H}-00-00-{name}.json.gz"
    uri = f"{stream_prefix(lake, EVENTS.stream)}/{key}"
    write_ndjson_gz(lake, uri, [json.dumps(r).encode() for r in records])
    return LandedFile(key, uri)


def land_base(lake) -> list[dict]:
    """1,200 events, 20 an hour from 2026-03-01 00:00 to 03-03 12:00, one file per hour."""
    events = [ev(i, T0 + timedelta(minutes=3 * i)) for i in range(1200)]
    by_hour: dict[datetime, list[dict]] = {}
    for e in events:
        by_hour.setdefault(datetime.fromisoformat(e["event_ts"]).replace(minute=0, second=0), []).append(e)
    for hour, records in by_hour.items():
        land(lake, hour, "a", records)
    return events


def stored(lake) -> dict[str, dict]:
    rows = table.open_table(lake).to_pyarrow_table().to_pylist()
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(set(ids)), "an event id is stored twice"
    return {r["event_id"]: r for r in rows}


def quarantined(lake) -> list[dict]:
    out = []
    for f in sorted(Path(quarantine_prefix(lake, EVENTS.stream)).rglob("*.json.gz")):
        out += [json.loads(line) for line in gzip.decompress(f.read_bytes()).splitlines()]
    return out


def conflicting_copies(events: list[dict], n: int = 40) -> list[dict]:
    """Copies of n events re-sent a day later with a new event_ts (a client that re-stamps a
    retried event), landed under the arrival hour of the new time."""
    return [
        {**e, "event_ts": (datetime.fromisoformat(e["event_ts"]) + timedelta(days=1, minutes=5)).isoformat()}
        for e in events[100 : 100 + n]
    ]


def test_one_event_id_on_two_dates_is_stored_once_first_landed_wins(lake):
    events = land_base(lake)
    copies = conflicting_copies(events)
    # the copies land a day later, next to that day's own events (one file per hour)
    for c in copies:
        hour = datetime.fromisoformat(c["event_ts"]).replace(minute=0, second=0)
        land(lake, hour, f"retry-{c['event_id']}", [c])

    first = ingest.incremental(lake, *DAYS)
    rows = stored(lake)
    assert len(rows) == 1200
    for c in copies:  # the copy of the first landed file, on its own date
        assert (
            rows[c["event_id"]]["event_ts"].isoformat()
            == next(e for e in events if e["event_id"] == c["event_id"])["event_ts"]
        )
    assert first.date_conflicts == len(copies)
    assert set(first.date_conflict_examples) <= {c["event_id"] for c in copies}

    version = table.open_table(lake).version()
    again = ingest.incremental(lake, *DAYS)  # nothing pending: nothing written
    assert again.files_read == 0 and table.open_table(lake).version() == version

    rebuilt = ingest.rebuild(lake, *DAYS)
    assert stored(lake) == rows and rebuilt.date_conflicts == len(copies)
    # rebuilding only the later day must not bring the copies back
    ingest.rebuild(lake, date(2026, 3, 2), date(2026, 3, 2))
    assert stored(lake) == rows


def test_the_later_date_first_then_the_first_landed_copy_moves_the_row(lake):
    """The copies' day is ingested before the day of the originals: the stored copy is then
    replaced by the first landed one (moved to its date), as a rebuild would have it."""
    events = land_base(lake)
    copies = conflicting_copies(events)
    for c in copies:
        hour = datetime.fromisoformat(c["event_ts"]).replace(minute=0, second=0)
        land(lake, hour, f"retry-{c['event_id']}", [c])
    # the originals (03-01) arrive late: pretend only 03-02's files were there at first
    ingest.incremental(lake, date(2026, 3, 2), date(2026, 3, 2))
    ingest.incremental(lake, date(2026, 3, 1), date(2026, 3, 1))
    ingest.incremental(lake, *DAYS)
    incremental_rows = stored(lake)
    ingest.rebuild(lake, *DAYS)
    assert stored(lake) == incremental_rows
    assert {incremental_rows[c["event_id"]]["event_date"] for c in copies} == {date(2026, 3, 1)}


def test_a_blank_event_id_is_quarantined_with_its_reason(lake):
    land_base(lake)
    hour = T0 + timedelta(hours=5)
    land(
        lake, hour, "blank", [ev(5000, hour, "   "), ev(5001, hour, ""), ev(5002, hour, "\t"), ev(5003, hour)]
    )
    result = ingest.incremental(lake, *DAYS)
    assert len(stored(lake)) == 1201
    bad = [q for q in quarantined(lake) if "blank" in q["source"]]
    assert len(bad) == 3 and all("'event_id' is blank" in q["reason"] for q in bad)
    assert result.quarantine_reasons["missing field"] == 3 and result.quarantined == 3
    row, reason = EVENTS.validate(ev(1, T0, " \n "))
    assert row is None and "blank" in reason


def test_a_truncated_file_keeps_its_complete_records_and_quarantines_the_tail(lake):
    land_base(lake)
    hour = T0 + timedelta(hours=30)
    records = [ev(10_000 + i, hour + timedelta(seconds=i)) for i in range(1000)]
    f = land(lake, hour, "truncated", records)
    path = Path(f.uri)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])  # the upload broke off

    read = read_landed(lake, EVENTS, f)
    kept = [r["event_id"] for r in read.rows]
    assert 400 < len(kept) < 1000
    assert kept == [r["event_id"] for r in records[: len(kept)]]  # a prefix, in order
    [tail] = read.quarantined
    assert "truncated" in tail["reason"] and f.key in tail["source"]
    assert tail["line"] == len(kept)
    assert json.dumps(records[len(kept)]).startswith(tail["record"])  # the broken line
    assert read.records == len(kept) + 1

    for _ in range(2):  # twice: the same rows, the tail quarantined once
        result = ingest.rebuild(lake, *DAYS)
        assert len(stored(lake)) == 1200 + len(kept)
        assert result.quarantine_reasons["truncated file"] == 1
        assert len([q for q in quarantined(lake) if "truncated" in q["source"]]) == 1


def test_a_file_that_is_not_gzip_at_all_is_quarantined_whole(lake):
    hour = T0 + timedelta(hours=2)
    f = land(lake, hour, "plain", [ev(1, hour)])
    Path(f.uri).write_bytes(b'{"event_id": "plain text, not gzip"}\n')
    read = read_landed(lake, EVENTS, f)
    assert read.rows == [] and len(read.quarantined) == 1
    assert "not gzip" in read.quarantined[0]["reason"]


@pytest.mark.parametrize("cut", [0.3, 0.95])
def test_truncation_anywhere_loses_no_complete_record(lake, cut):
    hour = T0 + timedelta(hours=7)
    records = [ev(i, hour + timedelta(seconds=i)) for i in range(1000)]
    f = land(lake, hour, "cut", records)
    data = Path(f.uri).read_bytes()
    Path(f.uri).write_bytes(data[: int(len(data) * cut)])
    read = read_landed(lake, EVENTS, f)
    n = len(read.rows)
    assert n >= 1000 * cut * 0.6  # roughly what the bytes before the cut hold
    assert [r["event_id"] for r in read.rows] == [r["event_id"] for r in records[:n]]
    assert len(read.quarantined) == 1 and read.records == n + 1
    assert [x.key for x in list_after(lake, EVENTS.stream)] == [f.key]  # stays in place
