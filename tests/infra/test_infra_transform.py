"""The Firehose transform as deployed: the Lambda's own asset folder, run on a Firehose event,
emits what the raw zone's reader takes, and the reasons of what it rejects."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake.read import parse_landed
from platform_assets.raw.firehose_layout import Lake, parse_key, split_lines

ARRIVAL = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
GOOD, BAD = 1000, 25


def _event(i: int) -> dict:
    kind = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")[i % 5]
    e = {
        "event_id": f"e-{i}",
        "event_type": kind,
        "session_id": f"s-{i // 7}",
        "customer_id": i % 97,
        "event_ts": (ARRIVAL - timedelta(seconds=i % 600)).isoformat().replace("+00:00", "Z"),
    }
    if kind in ("product_view", "add_to_cart", "purchase"):
        e |= {"product_id": i % 31, "quantity": 1 + i % 3, "price": f"{5 + i % 40}.50"}
    return e


def _firehose_event() -> dict:
    records = [json.dumps(_event(i)).encode() for i in range(GOOD)]
    records += [b'{"event_id": "broken'] * (BAD - 5) + [
        json.dumps({**_event(0), "event_type": "nope"}).encode()
    ] * 5
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": f"arn:aws:firehose:eu-west-1:222222222222:deliverystream/{EVENTS.stream}",
        "records": [
            {
                "recordId": f"r{i}",
                "approximateArrivalTimestamp": ARRIVAL.timestamp() * 1000,
                "data": base64.b64encode(data).decode(),
            }
            for i, data in enumerate(records)
        ],
    }


def _lambda_asset(synthesized, env: str = "prod"):
    function = next(
        f["Properties"] | {"_meta": f.get("Metadata", {})}
        for f in synthesized.resources(env, "streams", "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler", "").startswith("platform_assets.")
    )
    return function, synthesized.outdir / function["_meta"]["aws:asset:path"]


def test_the_deployed_asset_transforms_a_firehose_batch_into_the_raw_zone_format(synthesized, tmp_path):
    function, asset = _lambda_asset(synthesized)
    module, handler = function["Handler"].rsplit(".", 1)
    # the asset alone (plus pyarrow, the layer's) must import and run: a fresh interpreter on it
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_firehose_event()))
    script = (
        f"import json, sys; from {module} import {handler} as h; "
        f"print(json.dumps(h(json.load(open(sys.argv[1])), None)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(event)],
        cwd=asset,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(asset)},
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)["records"]
    assert [r["recordId"] for r in out] == [f"r{i}" for i in range(GOOD + BAD)]
    ok = [r for r in out if r["result"] == "Ok"]
    failed = [r for r in out if r["result"] == "ProcessingFailed"]
    assert (len(ok), len(failed)) == (GOOD, BAD)
    assert all(r["metadata"]["reason"] for r in failed)
    # Firehose concatenates the Ok data into one gzip object under the arrival hour
    body = gzip.compress(b"".join(base64.b64decode(r["data"]) for r in ok))
    key = f"{ARRIVAL:%Y/%m/%d/%H}/{EVENTS.stream}-1-{ARRIVAL:%Y-%m-%d-%H-%M-%S}-abc.json.gz"
    landed = parse_key(Lake("s3://b/lake"), EVENTS.stream, key)
    read = parse_landed(EVENTS, landed, split_lines(body))
    assert (len(read.rows), read.quarantined) == (GOOD, [])
    assert {r["event_id"] for r in read.rows} == {f"e-{i}" for i in range(GOOD)}
    # the asset holds the handler's modules only (no Dagster, no delta-rs)
    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*.py")}
    assert "platform_assets/streams/transform.py" in files and not any("definitions" in f for f in files)
