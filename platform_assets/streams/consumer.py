"""A Kinesis Data Streams consumer that lands events in the raw zone exactly once.

For each shard, in parent-before-child order:
1. resume after the checkpoint (`AFTER_SEQUENCE_NUMBER`) or from `TRIM_HORIZON`;
2. per `GetRecords` page: record the batch's last sequence number as pending (the intent),
   transform every record (`transform.transform_record`), land the good ones as Firehose-
   format files per arrival hour and the bad ones in quarantine with their reason, under
   names derived from (shard, first, last sequence number) - so landing again is an
   overwrite - and only then commit the checkpoint;
3. a closed shard is finished when `GetRecords` returns no `NextShardIterator`; its children
   (after a split, or the child of a merge once both parents are done) start only then, so
   per-key order holds across resharding.

Killed at any point and restarted, the consumer lands every record exactly once: before the
intent nothing was written; between intent and commit the same batch is cut and rewritten
identically; after the commit it resumes after it. Checkpoint writes are conditional, so a
second consumer on the same stream fails instead of interleaving.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from platform_assets.contracts.events import EVENTS, EventContract
from platform_assets.lake import Lake
from platform_assets.metadata.store import MetadataStore
from platform_assets.raw.firehose_layout import (
    hour_of,
    hour_path,
    object_name,
    quarantine_prefix,
    stream_prefix,
    write_ndjson_gz,
)
from platform_assets.streams.checkpoints import Checkpoint, CheckpointStore
from platform_assets.streams.transform import transform_record

log = logging.getLogger(__name__)
NAMESPACE = uuid.UUID("6f1c3c52-4d7e-4a55-9d8e-2f0b7c0e6a11")


@dataclass(frozen=True)
class LandedBatch:
    shard_id: str
    first_sequence: str
    last_sequence: str
    records: int
    good: int
    bad: int
    files: tuple[str, ...]


@dataclass
class ConsumeStats:
    batches: int = 0
    records: int = 0
    landed: int = 0
    quarantined: int = 0
    shards_finished: list[str] = field(default_factory=list)

    def add(self, b: LandedBatch) -> None:
        self.batches += 1
        self.records += b.records
        self.landed += b.good
        self.quarantined += b.bad


def _arrival(rec: dict) -> datetime:
    ts = rec["ApproximateArrivalTimestamp"]
    if isinstance(ts, int | float):
        return datetime.fromtimestamp(ts, UTC)
    return ts.astimezone(UTC)


class KinesisConsumer:
    def __init__(
        self,
        client,
        stream: str,
        lake: Lake,
        store: MetadataStore,
        app: str = "lakehouse-events",
        contract: EventContract = EVENTS,
        batch_size: int = 500,
        on_landed: Callable[[LandedBatch], None] | None = None,
        on_finished: Callable[[str], None] | None = None,
    ):
        self.client, self.stream, self.lake, self.contract = client, stream, lake, contract
        self.checkpoints = CheckpointStore(store, app, stream)
        self.batch_size = batch_size
        self.on_landed = on_landed  # called after the files are written, before the commit
        self.on_finished = on_finished  # called when a shard is read to its end

    # -- shards ------------------------------------------------------------------------------
    def shards(self) -> list[dict]:
        shards, token = [], None
        while True:
            out = (
                self.client.list_shards(NextToken=token)
                if token
                else self.client.list_shards(StreamName=self.stream)
            )
            shards += out.get("Shards", [])
            token = out.get("NextToken")
            if not token:
                return shards

    @staticmethod
    def ready(shard: dict, known: set[str], cps: dict[str, Checkpoint]) -> bool:
        """Unfinished, and every parent still listed is read to its end."""
        if cps.get(shard["ShardId"], Checkpoint(shard["ShardId"])).finished:
            return False
        parents = [shard.get("ParentShardId"), shard.get("AdjacentParentShardId")]
        return all(p is None or p not in known or (p in cps and cps[p].finished) for p in parents)

    # -- landing -----------------------------------------------------------------------------
    def _land(self, cp: Checkpoint, records: list[dict]) -> tuple[Checkpoint, LandedBatch]:
        sid = cp.shard_id
        first, last = records[0]["SequenceNumber"], records[-1]["SequenceNumber"]
        if cp.pending_last != last:
            cp = self.checkpoints.save(cp, pending_last=last)  # the intent, before any write
        good: dict[datetime, list[tuple[dict, bytes]]] = {}
        bad: dict[datetime, list[tuple[dict, bytes]]] = {}
        for rec in records:
            arrival = _arrival(rec)
            t = transform_record(rec["Data"], arrival, self.contract)
            if t.data is not None:
                good.setdefault(hour_of(arrival), []).append((rec, t.data))
            else:
                line = json.dumps(
                    {
                        "reason": t.reason,
                        "source": f"kinesis:{self.stream}:{sid}:{rec['SequenceNumber']}",
                        "line": None,
                        "record": rec["Data"].decode("utf-8", "replace"),
                    },
                    ensure_ascii=False,
                ).encode()
                bad.setdefault(hour_of(arrival), []).append((rec, line))
        files = []
        for prefix, groups in (
            (stream_prefix(self.lake, self.contract.stream), good),
            (quarantine_prefix(self.lake, self.contract.stream), bad),
        ):
            for hour, items in sorted(groups.items()):
                seqs = f"{sid}:{items[0][0]['SequenceNumber']}:{items[-1][0]['SequenceNumber']}"
                name = object_name(
                    self.contract.stream, _arrival(items[0][0]), unique=str(uuid.uuid5(NAMESPACE, seqs))
                )
                uri = f"{prefix}/{hour_path(hour)}/{name}"
                write_ndjson_gz(self.lake, uri, [line for _, line in items])
                files.append(uri)
        batch = LandedBatch(
            sid,
            first,
            last,
            len(records),
            sum(map(len, good.values())),
            sum(map(len, bad.values())),
            tuple(files),
        )
        if self.on_landed:
            self.on_landed(batch)
        cp = self.checkpoints.save(cp, sequence=last, pending_last=None)
        return cp, batch

    def _iterator(self, cp: Checkpoint) -> str:
        kwargs = {"StreamName": self.stream, "ShardId": cp.shard_id}
        if cp.sequence:
            kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": cp.sequence}
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        return self.client.get_shard_iterator(**kwargs)["ShardIterator"]

    def _get_records(self, iterator: str) -> dict:
        for attempt in range(8):
            try:
                return self.client.get_records(ShardIterator=iterator, Limit=self.batch_size)
            except self.client.exceptions.ProvisionedThroughputExceededException:
                time.sleep(min(5.0, 0.2 * 2**attempt))
        return self.client.get_records(ShardIterator=iterator, Limit=self.batch_size)

    def consume_shard(self, cp: Checkpoint, stats: ConsumeStats) -> Checkpoint:
        """Land the shard's records up to now; marks it finished at the end of a closed one."""
        iterator: str | None = self._iterator(cp)
        buffer: list[dict] = []
        while iterator:
            page = self._get_records(iterator)
            iterator = page.get("NextShardIterator")
            buffer += page.get("Records", [])
            at_end = iterator is None or (not page.get("Records") and page.get("MillisBehindLatest", 0) == 0)
            if cp.pending_last and buffer:
                cut = next(
                    (i for i, r in enumerate(buffer) if int(r["SequenceNumber"]) > int(cp.pending_last)), None
                )
                if cut is None and not at_end:
                    continue  # keep reading until the pending batch is whole again
                cp, batch = self._land(cp, buffer[:cut] if cut is not None else buffer)
                stats.add(batch)
                buffer = buffer[cut:] if cut is not None else []
            if buffer:
                cp, batch = self._land(cp, buffer)
                stats.add(batch)
                buffer = []
            if at_end and iterator is not None:
                return cp  # caught up with an open shard
        cp = self.checkpoints.save(cp, finished=True)
        stats.shards_finished.append(cp.shard_id)
        log.info("shard %s of %s read to its end", cp.shard_id, self.stream)
        if self.on_finished:
            self.on_finished(cp.shard_id)
        return cp

    # -- driving -----------------------------------------------------------------------------
    def run_once(self) -> ConsumeStats:
        """One pass over every ready shard, repeated while a finished parent frees children."""
        stats = ConsumeStats()
        while True:
            shards = self.shards()
            known = {s["ShardId"] for s in shards}
            cps = self.checkpoints.load()
            ready = [s for s in shards if self.ready(s, known, cps)]
            finished_before = len(stats.shards_finished)
            for s in ready:
                sid = s["ShardId"]
                self.consume_shard(cps.get(sid, Checkpoint(sid)), stats)
            if len(stats.shards_finished) == finished_before:
                return stats

    def run(
        self,
        idle_exit_seconds: float | None = None,
        poll_seconds: float = 1.0,
        max_seconds: float | None = None,
    ) -> ConsumeStats:
        """Consume until idle for `idle_exit_seconds` (None: forever) or `max_seconds`."""
        total = ConsumeStats()
        started = idle_since = time.monotonic()
        while True:
            stats = self.run_once()
            for name in ("batches", "records", "landed", "quarantined"):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
            total.shards_finished += stats.shards_finished
            now = time.monotonic()
            if stats.records:
                idle_since = now
            if idle_exit_seconds is not None and now - idle_since >= idle_exit_seconds:
                return total
            if max_seconds is not None and now - started >= max_seconds:
                return total
            time.sleep(poll_seconds)
