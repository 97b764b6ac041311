"""The events stream (Spark Structured Streaming) gives the rows the local event path gives.

The same landed Firehose files (the producer's, with its duplicates, late and malformed
records, plus a redelivered object, copies of events re-stamped onto another date, a blank
event id and a truncated object) go through the local path (events_lake/ingest.py, delta-rs)
in one lake and through the Spark job (events_lake/spark/, local mode, file source,
`availableNow`, a Parquet sink) in a copy of it. The rows are compared both ways by event id,
every column; so are the quarantined records. Then the job runs again with nothing new (no
batch, nothing rewritten: the checkpoint), and again after more files arrive, one of them an
earlier landed copy that moves stored events to another date.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import ingest, table
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import (
    hour_path,
    list_after,
    object_name,
    quarantine_prefix,
    read_lines,
    stream_prefix,
    write_ndjson_gz,
)
from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce

pytestmark = pytest.mark.slow
START = datetime(2026, 3, 1, 20, tzinfo=UTC)
HOURS = 6  # crosses midnight: two event dates, late events in the earlier one
LAST_DAY = date(2026, 3, 3)


def _land(lake: Lake, hour: datetime, name: str, lines: list[bytes]) -> None:
    key = f"{hour_path(hour)}/{EVENTS.stream}-1-{hour:%Y-%m-%d-%H}-{name}.json.gz"
    write_ndjson_gz(lake, f"{stream_prefix(lake, EVENTS.stream)}/{key}", lines)


def _records(lake: Lake, n: int) -> list[dict]:
    """The first n valid records of the landed files, as landed."""
    out = []
    for f in list_after(lake, EVENTS.stream):
        for line in read_lines(lake, f.uri).lines:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and EVENTS.validate(r)[0] is not None:
                out.append(r)
        if len(out) >= n:
            return out[:n]
    return out


def _restamped(records: list[dict], delta: timedelta) -> list[bytes]:
    return [
        json.dumps({**r, "event_ts": (datetime.fromisoformat(r["event_ts"]) + delta).isoformat()}).encode()
        for r in records
    ]


def _produce(lake: Lake, start: datetime, hours: int, seed: int) -> None:
    cfg = config_from_ids(range(1, 301), range(1, 81), range(1, 501), seed=seed)
    produce(
        FirehoseFileSink(lake, buffer_seconds=900), cfg, rate=600 / 3600, duration=hours * 3600, start=start
    )


def _first_files(lake: Lake) -> None:
    _produce(lake, START, HOURS, seed=5)
    files = list_after(lake, EVENTS.stream)
    # Firehose redelivers a whole object under a new name
    prefix = stream_prefix(lake, EVENTS.stream)
    again = f"{prefix}/{hour_path(files[3].hour)}/{object_name(EVENTS.stream, files[3].hour)}"
    shutil.copyfile(files[3].uri, again)
    # a client re-stamps 30 retried events a day later: same ids, another date
    retries: dict[datetime, list[bytes]] = {}
    for line in _restamped(_records(lake, 30), timedelta(days=1, minutes=5)):
        ts = datetime.fromisoformat(json.loads(line)["event_ts"])
        retries.setdefault(ts.replace(minute=0, second=0, microsecond=0), []).append(line)
    for hour, lines in retries.items():
        _land(lake, hour, "59-59-retry", lines)
    good = _records(lake, 1)[0]
    blank = json.dumps({**good, "event_id": "  "}).encode()
    _land(
        lake,
        START + timedelta(hours=2),
        "30-00-blank",
        [blank, json.dumps({**good, "event_id": "blank-ok"}).encode()],
    )
    body = gzip.compress(
        b"".join(json.dumps({**good, "event_id": f"cut-{i}"}).encode() + b"\n" for i in range(20))
    )
    cut = f"{prefix}/{hour_path(START + timedelta(hours=3))}/{EVENTS.stream}-1-cut.json.gz"
    Path(cut).write_bytes(body[: len(body) * 2 // 3])


def _more_files(lake: Lake) -> None:
    """Later hours, and an object landed under an earlier hour (sorting first) with copies of
    events of the second day re-stamped to the first: the stored rows move to that date."""
    _produce(lake, START + timedelta(hours=HOURS), 2, seed=6)
    second_day = [r for r in _records(lake, 10_000) if r["event_ts"] >= "2026-03-02T00:30"][:25]
    lines = [json.dumps({**r, "event_ts": "2026-03-01T23:50:00+00:00"}).encode() for r in second_day]
    _land(lake, datetime(2026, 3, 1, 23, tzinfo=UTC), "00-00-early", lines)


def _local_rows(lake: Lake) -> dict[str, dict]:
    rows = table.open_table(lake).to_pyarrow_table().to_pylist()
    return {r["event_id"]: r for r in rows}


def _spark_rows(sink) -> dict[str, dict]:
    rows = sink.read(EVENTS).to_pylist()
    by_id = {r["event_id"]: r for r in rows}
    assert len(by_id) == len(rows), "the Spark job stored an event id twice"
    return by_id


def _quarantine(lake: Lake) -> dict[str, list[dict]]:
    root = Path(quarantine_prefix(lake, EVENTS.stream))
    return {
        str(f.relative_to(root)): [json.loads(x) for x in gzip.decompress(f.read_bytes()).splitlines()]
        for f in sorted(root.rglob("*.gz"))
    }


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _same_rows(local: Lake, spark_lake: Lake, sink) -> dict[str, dict]:
    mine, theirs = _local_rows(local), _spark_rows(sink)
    assert sorted(set(mine) - set(theirs)) == [] and sorted(set(theirs) - set(mine)) == []
    differ = [i for i in mine if mine[i] != theirs[i]]
    assert differ == [], f"{len(differ)} rows differ, e.g. {mine[differ[0]]} vs {theirs[differ[0]]}"
    assert _quarantine(local) == _quarantine(spark_lake)
    return mine


def test_the_stream_gives_the_local_paths_rows_exactly_once(spark, tmp_path):
    from platform_assets.events_lake.spark.job import StreamSettings, run, sink_for

    local = Lake(str(tmp_path / "local"))
    _first_files(local)
    spark_lake = Lake(str(tmp_path / "spark"))
    shutil.copytree(Path(local.root) / "raw", Path(spark_lake.root) / "raw")
    settings = StreamSettings(
        spark_lake.root,
        table_path=str(tmp_path / "spark" / "events_parquet"),
        checkpoint=str(tmp_path / "spark" / "checkpoint"),
        max_files_per_trigger=16,
    )
    sink = sink_for(settings)

    expected = ingest.catch_up(local, today=LAST_DAY)
    got = run(spark, settings)
    rows = _same_rows(local, spark_lake, sink)
    assert got.batches >= 2  # copies meet across batches, not only within one
    assert len(rows) == got.new_events - got.copies_replaced + got.copies_replaced  # one row per id
    assert got.valid_events == expected.valid_events and got.quarantined == expected.quarantined > 0
    assert got.quarantine_reasons == expected.quarantine_reasons
    assert got.date_conflicts == expected.date_conflicts >= 25
    assert {"missing field", "truncated file"} <= set(got.quarantine_reasons)
    assert any(r["is_late"] for r in rows.values()) and len({r["event_date"] for r in rows.values()}) >= 2

    before = _listing(Path(settings.table_path))
    again = run(spark, settings)  # nothing new: the checkpoint holds every object
    assert again.batches == 0 and _listing(Path(settings.table_path)) == before

    _more_files(local)
    shutil.copytree(Path(local.root) / "raw", Path(spark_lake.root) / "raw", dirs_exist_ok=True)
    ingest.catch_up(local, today=LAST_DAY)
    more = run(spark, settings)
    moved = _same_rows(local, spark_lake, sink)
    assert more.batches >= 1 and more.copies_replaced == 25
    assert sum(r["_source_file"].endswith("00-00-early.json.gz") for r in moved.values()) == 25
    assert len(moved) > len(rows)
