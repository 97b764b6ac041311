"""Read a DynamoDB table's stream (DynamoDB Streams) from a cursor, shard by shard.

The cursor is JSON: the stream ARN, the last sequence number read in each shard and the
shards read to their end. Shards are read parents first (a child only once its parent is
finished or expired), with `AFTER_SEQUENCE_NUMBER` iterators, so after a restart nothing is
read twice or skipped. A new stream ARN (streams disabled and enabled again) starts over.
"""

from __future__ import annotations

import json

from boto3.dynamodb.types import TypeDeserializer

from platform_assets.metadata.store import Change

_DESERIALIZE = TypeDeserializer().deserialize


def _image(image: dict | None) -> tuple[dict | None, int | None]:
    if not image:
        return None, None
    doc = image.get("doc", {}).get("S")
    version = image.get("version", {}).get("N")
    return (json.loads(doc) if doc else None), (int(version) if version else None)


class DynamoStreamReader:
    def __init__(self, dynamodb, streams, table: str):
        self.ddb, self.streams, self.table = dynamodb, streams, table

    def _shards(self, arn: str) -> list[dict]:
        shards, start = [], None
        while True:
            kwargs = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
            desc = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += desc.get("Shards", [])
            start = desc.get("LastEvaluatedShardId")
            if not start:
                return shards

    def read(self, cursor: str | None, limit: int = 1000) -> tuple[list[Change], str]:
        arn = self.ddb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        state = json.loads(cursor) if cursor else {}
        if state.get("arn") != arn:
            state = {"arn": arn, "seq": {}, "done": []}
        if not arn:
            return [], json.dumps(state)
        shards = self._shards(arn)
        known = {s["ShardId"] for s in shards}
        done = set(state["done"]) & known  # forget shards that expired
        changes: list[Change] = []
        progressed = True
        while progressed and len(changes) < limit:
            progressed = False
            for shard in shards:
                sid = shard["ShardId"]
                parent = shard.get("ParentShardId")
                if sid in done or (parent in known and parent not in done):
                    continue
                finished = self._read_shard(arn, sid, state["seq"], changes, limit)
                if finished:
                    done.add(sid)
                    progressed = True  # its children may be readable now
                if len(changes) >= limit:
                    break
        state["done"] = sorted(done)
        state["seq"] = {k: v for k, v in state["seq"].items() if k in known}
        return changes, json.dumps(state)

    def _read_shard(self, arn: str, sid: str, seqs: dict, out: list[Change], limit: int) -> bool:
        """Append the shard's new records to `out`; True when the shard is closed and read."""
        if sid in seqs:
            it = self.streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=sid,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=seqs[sid],
            )["ShardIterator"]
        else:
            it = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        while it and len(out) < limit:
            page = self.streams.get_records(ShardIterator=it, Limit=min(1000, limit - len(out)))
            for rec in page.get("Records", []):
                data = rec["dynamodb"]
                keys = {k: _DESERIALIZE(v) for k, v in data.get("Keys", {}).items()}
                old, _ = _image(data.get("OldImage"))
                new, version = _image(data.get("NewImage"))
                seqs[sid] = data["SequenceNumber"]
                if new is None and rec["eventName"] != "REMOVE":
                    continue  # an image without a document is no store write (moto emits
                    # one, keys only, before the real INSERT of an UpdateItem)
                out.append(
                    Change(rec["eventName"], keys.get("pk", ""), keys.get("sk", ""), old, new, version)
                )
            it = page.get("NextShardIterator")
            if not page.get("Records"):
                break  # caught up with an open shard
        return it is None
