"""The Lambda-style record transform: validate against the event contract, enrich, or reject.

One function, `transform_record`, serves two callers:
- the Kinesis consumer in `consumer.py`, record by record;
- `lambda_handler`, the Kinesis Firehose data-transformation contract (records in with
  `recordId`, `approximateArrivalTimestamp`, base64 `data`; out with `result` Ok or
  ProcessingFailed), so the same code can be deployed as the Firehose Lambda in `prod`.

Enrichment is deterministic (a function of the record and its arrival time), so a batch
transformed again after a crash lands byte for byte the same.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_assets.contracts.events import EVENTS, EventContract


@dataclass(frozen=True)
class Transformed:
    data: bytes | None  # the enriched JSON line, when the record is good
    reason: str | None  # why it is not, otherwise


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def transform_record(data: bytes, arrival: datetime, c: EventContract = EVENTS) -> Transformed:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Transformed(None, f"not valid JSON: {exc}")
    if isinstance(obj, dict) and obj.get("ingestion_ts") is None:
        obj["ingestion_ts"] = _iso(arrival)  # the collector did not stamp it: Kinesis did
    row, reason = c.validate(obj)
    if row is None:
        return Transformed(None, reason)
    arrival_hour = arrival.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if reason := c.arrival_problem(row["event_ts"], arrival_hour):
        return Transformed(None, reason)
    obj["event_date"] = row["event_ts"].date().isoformat()
    obj["contract_version"] = c.version
    return Transformed(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), None)


def lambda_handler(event: dict, context=None) -> dict:
    """Kinesis Firehose data transformation: Ok records are delivered, failed ones go to
    Firehose's `processing-failed/` error output with the reason."""
    out = []
    for rec in event.get("records", []):
        arrival = datetime.fromtimestamp(rec["approximateArrivalTimestamp"] / 1000, UTC)
        t = transform_record(base64.b64decode(rec["data"]), arrival)
        if t.data is not None:
            out.append(
                {
                    "recordId": rec["recordId"],
                    "result": "Ok",
                    "data": base64.b64encode(t.data + b"\n").decode(),
                }
            )
        else:
            out.append(
                {
                    "recordId": rec["recordId"],
                    "result": "ProcessingFailed",
                    "data": rec["data"],
                    "metadata": {"reason": t.reason},
                }
            )
    return {"records": out}
