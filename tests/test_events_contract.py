"""The event contract, the Lambda-style transform and the Firehose layout, without services."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake.sensors import new_landed_files, partition_range
from platform_assets.events_lake.window import arrival_hours, possible_dates
from platform_assets.raw.firehose_layout import list_after, list_hours, write_ndjson_gz
from platform_assets.streams.transform import lambda_handler, transform_record

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def event(**over) -> dict:
    e = {
        "event_id": "e-1",
        "event_type": "add_to_cart",
        "event_ts": "2026-03-01T10:29:00Z",
        "ingestion_ts": "2026-03-01T10:29:01.5+00:00",
        "session_id": "s-1",
        "customer_id": 7,
        "product_id": 3,
        "quantity": 2,
        "price": "12.50",
    }
    return {**e, **over}


@pytest.mark.parametrize(
    "record, reason",
    [
        (event(), None),
        ([1, 2], "not a JSON object"),
        (event(event_ts=None), "required field 'event_ts' is missing"),
        (event(event_type="page_vew"), "is not one of"),
        (event(customer_id="7"), "field 'customer_id': expected an integer"),
        (event(customer_id=True), "expected an integer"),
        (event(quantity=2**31), "does not fit in 32 bits"),
        (event(event_ts="2026-03-01T10:29:00"), "without a time zone"),
        (event(price="12.505"), "not an amount in cents"),
        (event(product_id=None), "'product_id' is required for add_to_cart"),
        (event(event_id=""), "'event_id' is blank"),
        (event(event_id=" \t"), "'event_id' is blank"),
    ],
)
def test_validate(record, reason):
    row, problem = EVENTS.validate(record)
    if reason is None:
        assert problem is None and row["price"] == __import__("decimal").Decimal("12.50")
        assert row["event_ts"] == datetime(2026, 3, 1, 10, 29, tzinfo=UTC)
    else:
        assert row is None and reason in problem


def test_arrival_rules_bound_the_dates_a_file_can_hold():
    hour = datetime(2026, 3, 2, 23, tzinfo=UTC)
    assert EVENTS.arrival_problem(hour - timedelta(hours=23), hour) is None
    assert "max_lateness" in EVENTS.arrival_problem(hour - timedelta(hours=25), hour)
    assert EVENTS.arrival_problem(hour + timedelta(minutes=70), hour) is None
    assert "clock skew" in EVENTS.arrival_problem(hour + timedelta(minutes=81), hour)
    assert "first partition" in EVENTS.arrival_problem(
        datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert possible_dates(EVENTS, hour) == (date(2026, 3, 1), date(2026, 3, 3))
    start, end = arrival_hours(EVENTS, date(2026, 3, 3), date(2026, 3, 3))
    assert (start, end) == (datetime(2026, 3, 2, 23, tzinfo=UTC), datetime(2026, 3, 5, 0, tzinfo=UTC))
    assert possible_dates(EVENTS, start - timedelta(hours=1))[1] < date(2026, 3, 3)
    assert possible_dates(EVENTS, end - timedelta(hours=1))[0] == date(2026, 3, 3)
    assert possible_dates(EVENTS, end)[0] > date(2026, 3, 3)


def test_transform_validates_enriches_and_is_deterministic():
    arrival = datetime(2026, 3, 1, 10, 29, 5, tzinfo=UTC)
    raw = json.dumps(event(ingestion_ts=None)).encode()
    t = transform_record(raw, arrival)
    out = json.loads(t.data)
    assert out["ingestion_ts"] == "2026-03-01T10:29:05.000Z"  # filled from the arrival
    assert out["event_date"] == "2026-03-01" and out["contract_version"] == EVENTS.version
    assert transform_record(raw, arrival) == t
    assert "not valid JSON" in transform_record(b'{"event_id": "x', arrival).reason
    late = transform_record(json.dumps(event()).encode(), arrival + timedelta(days=2))
    assert "max_lateness" in late.reason


def test_lambda_handler_speaks_the_firehose_transformation_contract():
    records = [
        {
            "recordId": "1",
            "approximateArrivalTimestamp": T0.timestamp() * 1000,
            "data": base64.b64encode(json.dumps(event()).encode()).decode(),
        },
        {
            "recordId": "2",
            "approximateArrivalTimestamp": T0.timestamp() * 1000,
            "data": base64.b64encode(b"garbage").decode(),
        },
    ]
    out = lambda_handler({"records": records})["records"]
    assert [r["result"] for r in out] == ["Ok", "ProcessingFailed"]
    assert json.loads(base64.b64decode(out[0]["data"]))["event_date"] == "2026-03-01"
    assert "not valid JSON" in out[1]["metadata"]["reason"]


def _land(lake, key):
    write_ndjson_gz(lake, f"{lake.root}/raw/events/{EVENTS.stream}/{key}", [json.dumps(event()).encode()])


def test_listing_is_ordered_pruned_and_the_sensor_catches_keys_behind_its_frontier(lake):
    for key in (
        "2026/03/01/09/a.json.gz",
        "2026/03/01/10/a.json.gz",
        "2026/03/01/10/c.json.gz",
        "2026/03/02/00/a.gz",
        "2026/03/02/00/.tmp-x",
        "2026/03/02/00/notes.txt",
    ):
        _land(lake, key)
    keys = [f.key for f in list_after(lake, EVENTS.stream)]
    assert keys == [
        "2026/03/01/09/a.json.gz",
        "2026/03/01/10/a.json.gz",
        "2026/03/01/10/c.json.gz",
        "2026/03/02/00/a.gz",
    ]
    assert [f.key for f in list_after(lake, EVENTS.stream, after="2026/03/01/10/a.json.gz")] == keys[2:]
    assert [
        f.key
        for f in list_hours(
            lake, EVENTS.stream, datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
        )
    ] == keys[1:3]

    files, cursor = new_landed_files(lake, {})
    assert [f.key for f in files] == keys and cursor["frontier"] == keys[-1]
    assert partition_range(files, today=date(2026, 3, 10)) == (date(2026, 2, 28), date(2026, 3, 2))
    _land(lake, "2026/03/01/23/b.json.gz")  # a parallel writer, behind the frontier
    _land(lake, "2026/03/02/00/b.json.gz")
    files, cursor = new_landed_files(lake, cursor)
    assert [f.key for f in files] == ["2026/03/01/23/b.json.gz", "2026/03/02/00/b.json.gz"]
    assert new_landed_files(lake, cursor)[0] == []
