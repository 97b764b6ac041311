"""The Firehose layout on S3 (moto's server): objects written whole, listed page by page."""

from __future__ import annotations

import json

import boto3
import pytest
from servers import stop_server
from test_kinesis_consumer import serve_moto

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake.read import read_landed
from platform_assets.events_lake.sensors import new_landed_files
from platform_assets.lake import Lake
from platform_assets.raw import firehose_layout as firehose


@pytest.fixture(scope="module")
def s3_lake():
    proc, url = serve_moto(fidelity=False)
    boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket="lake")
    yield Lake(
        "s3://lake/zone",
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "AWS_ALLOW_HTTP": "true",
        },
    )
    stop_server(proc)


def test_s3_listing_is_paginated_and_resumes_after_a_key(s3_lake, monkeypatch):
    record = {
        "event_id": "e",
        "event_type": "page_view",
        "event_ts": "2026-03-01T10:00:00Z",
        "ingestion_ts": "2026-03-01T10:00:01Z",
        "session_id": "s",
    }
    keys = [f"2026/03/01/{h:02d}/{EVENTS.stream}-1-x-{i}.json.gz" for h in (9, 10, 11) for i in range(3)]
    for key in keys:
        firehose.write_ndjson_gz(
            s3_lake, f"{firehose.stream_prefix(s3_lake, EVENTS.stream)}/{key}", [json.dumps(record).encode()]
        )
    pages = []
    real = firehose._s3_after

    def spy(lake, base, after, page_size):
        pages.append(page_size)
        yield from real(lake, base, after, 2)  # two keys per page

    monkeypatch.setattr(firehose, "_s3_after", spy)
    assert [f.key for f in firehose.list_after(s3_lake, EVENTS.stream)] == keys
    assert [f.key for f in firehose.list_after(s3_lake, EVENTS.stream, after=keys[4])] == keys[5:]
    files, cursor = new_landed_files(s3_lake, {})
    assert len(files) == 9 and cursor["frontier"] == keys[-1]
    assert new_landed_files(s3_lake, cursor)[0] == []
    read = read_landed(s3_lake, EVENTS, files[0])
    assert len(read.rows) == 1 and not read.quarantined
