"""The Kinesis consumer against moto's Kinesis server (a real HTTP server in a subprocess).

What it proves:
- killed (SIGKILL, and a crash between landing a batch and committing its checkpoint) and
  restarted during a run, the consumer lands every record exactly once, across a shard
  split, reading a parent shard to its end before its children;
- checkpoints live in the metadata store (DynamoDB on the same moto server) and a second
  consumer cannot move them concurrently;
- on unmodified moto, whose resharding keeps writing to the parent, nothing is lost either.

About moto 5.2.5's resharding (checked in moto/kinesis/models.py): after `split_shard` it
still routes new records to the closed parent (it searches every shard, closed ones first),
it re-puts the parent's records on a split and copies both parents' records into the child on
a merge, and `GetRecords` on a closed, drained shard never returns a null
`NextShardIterator`. AWS does none of this. `serve_moto(fidelity=True)` runs moto's own
server with those behaviours corrected as AWS documents them (`_FIDELITY_PATCH`), so a
split really moves new records to the children; `fidelity=False` runs it unmodified.

This file is also the consumer driver the tests start and kill:
`python tests/test_kinesis_consumer.py consume ...` (and `... moto PORT [--fidelity]`).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from servers import stop_server

HERE = Path(__file__).resolve()
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}

_FIDELITY_PATCH = '''
import moto.kinesis.models as km
from moto.utilities.utils import md5_hash

def get_shard_for_key(self, partition_key, explicit_hash_key):
    """AWS: a record goes to the OPEN shard whose hash key range holds its key."""
    key = int(explicit_hash_key) if explicit_hash_key else int(
        md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
            return shard
    return None

_split, _merge = km.Stream.split_shard, km.Stream.merge_shards

def split_shard(self, shard_to_split, new_starting_hash_key):
    """AWS: the parent keeps its records (readable until retention); children start empty."""
    shard = self.shards[shard_to_split]
    records, shard.records = shard.records, km.OrderedDict()
    try:
        _split(self, shard_to_split, new_starting_hash_key)
    finally:
        shard.records = records

def merge_shards(self, shard_to_merge, adjacent_shard_to_merge):
    """AWS: the parents keep their records; the merged child starts empty."""
    a, b = self.shards[shard_to_merge], self.shards[adjacent_shard_to_merge]
    ra, rb = a.records, b.records
    a.records, b.records = km.OrderedDict(), km.OrderedDict()
    try:
        _merge(self, shard_to_merge, adjacent_shard_to_merge)
    finally:
        a.records, b.records = ra, rb

_get_records = km.KinesisBackend.get_records

def get_records(self, stream_arn, shard_iterator, limit):
    """AWS: a closed shard read to its end returns no NextShardIterator."""
    next_iterator, records, millis = _get_records(self, stream_arn, shard_iterator, limit)
    stream_name, shard_id, last = km.decompose_shard_iterator(shard_iterator)
    shard = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name).get_shard(shard_id)
    last = records[-1].sequence_number if records else int(last)
    if not shard.is_open and last >= shard.get_max_sequence_number():
        next_iterator = None
    return next_iterator, records, millis

km.Stream.get_shard_for_key = get_shard_for_key
km.Stream.split_shard = split_shard
km.Stream.merge_shards = merge_shards
km.KinesisBackend.get_records = get_records
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_moto(fidelity: bool):
    port = _free_port()
    args = [sys.executable, str(HERE), "moto", str(port)] + (["--fidelity"] if fidelity else [])
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)  # noqa: S310 -- the test's own http://127.0.0.1 URL
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto_server did not start")


@pytest.fixture(scope="module")
def moto_fidelity():
    proc, url = serve_moto(fidelity=True)
    yield url
    stop_server(proc)


@pytest.fixture(scope="module")
def moto_vanilla():
    proc, url = serve_moto(fidelity=False)
    yield url
    stop_server(proc)


def _kinesis(url):
    return boto3.client("kinesis", endpoint_url=url, **CREDS)


def _store(url, table):
    from platform_assets.metadata.dynamo_store import DynamoMetadataStore

    store = DynamoMetadataStore.connect(
        table, endpoint_url=url, region="us-east-1", access_key_id="testing", secret_access_key="testing"
    )
    store.ensure_table()
    return store


def _create_stream(client, name, shards):
    client.create_stream(StreamName=name, ShardCount=shards)
    for _ in range(50):
        if (
            client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            == "ACTIVE"
        ):
            return
        time.sleep(0.1)


def _emissions(n, seed, start=None):
    from platform_assets.sources.events.generator import ClickstreamGenerator, ProducerConfig

    gen = ClickstreamGenerator(
        ProducerConfig(list(range(1, 300)), list(range(1, 80)), seed=seed, late_rate=0.0)
    )
    start = start or datetime.now(UTC) - timedelta(minutes=5)
    return list(gen.emissions(n, start, rate=50.0))


def _put(client, stream, emissions):
    from platform_assets.sources.events.producer import KinesisSink

    sink = KinesisSink(client, stream)
    for e in emissions:
        sink.add(e)
    sink.close()


def _landed(lake_root, stream="shop-clickstream"):
    """event_id -> copies in landed files, and the number of quarantined records."""
    from platform_assets.lake import Lake
    from platform_assets.raw.firehose_layout import list_after, read_lines

    lake = Lake(str(lake_root))
    counts = collections.Counter()
    for f in list_after(lake, stream):
        for line in read_lines(lake, f.uri).lines:
            counts[json.loads(line)["event_id"]] += 1
    qdir = Path(lake_root) / "raw" / "_quarantine" / "events" / stream
    bad = 0
    for f in qdir.rglob("*.json.gz"):
        bad += len(read_lines(lake, str(f)).lines)
    return counts, bad


def _expected(emissions):
    good = collections.Counter(e.event_id for e in emissions if e.kind != "malformed")
    return good, sum(e.kind == "malformed" for e in emissions)


def _consumer_cmd(url, stream, lake_root, table, *extra):
    return [
        sys.executable,
        str(HERE),
        "consume",
        "--endpoint",
        url,
        "--stream",
        stream,
        "--lake",
        str(lake_root),
        "--table",
        table,
        "--batch-size",
        "100",
        *extra,
    ]


def _log_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_consumer_killed_and_restarted_across_a_split_lands_every_record_once(moto_fidelity, tmp_path):
    url, stream, table = moto_fidelity, "clicks-split", "meta-split"
    client = _kinesis(url)
    _create_stream(client, stream, shards=2)
    store = _store(url, table)
    lake_root = tmp_path / "lake"
    first = _emissions(1200, seed=1)
    _put(client, stream, first)

    # run 1 crashes after landing its 3rd batch, before committing that checkpoint
    run1 = subprocess.run(
        _consumer_cmd(url, stream, lake_root, table, "--crash-after", "3"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run1.returncode == 17, run1.stderr[-2000:]

    # the stream is resharded: shard 0 splits, new records go to its children
    shard0 = client.list_shards(StreamName=stream)["Shards"][0]
    lo, hi = (int(shard0["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    client.split_shard(
        StreamName=stream, ShardToSplit=shard0["ShardId"], NewStartingHashKey=str((lo + hi) // 2)
    )
    second = _emissions(1200, seed=2)
    _put(client, stream, second)
    children = [
        s
        for s in client.list_shards(StreamName=stream)["Shards"]
        if s.get("ParentShardId") == shard0["ShardId"]
    ]
    assert len(children) == 2

    # run 2 is killed with SIGKILL while it works, and while records still arrive
    run2 = subprocess.Popen(
        _consumer_cmd(url, stream, lake_root, table, "--slow", "0.05"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list((lake_root / "raw").rglob("*.json.gz"))) < 14:
        time.sleep(0.05)
    third = _emissions(600, seed=3)
    _put(client, stream, third)
    run2.send_signal(signal.SIGKILL)
    out2, _ = run2.communicate(timeout=30)

    # run 3 finishes the job
    run3 = subprocess.run(
        _consumer_cmd(url, stream, lake_root, table), capture_output=True, text=True, timeout=120
    )
    assert run3.returncode == 0, run3.stderr[-2000:]

    counts, bad = _landed(lake_root)
    want, want_bad = _expected(first + second + third)
    assert counts == want  # every good record exactly as often as it was put
    assert bad == want_bad and want_bad > 0

    # children were read only after their parent was read to its end
    log = _log_lines(run1.stdout) + _log_lines(out2) + _log_lines(run3.stdout)
    order = [entry["shard"] for entry in log if entry["event"] in ("batch", "finished")]
    parent_done = [
        i for i, e in enumerate(log) if e["event"] == "finished" and e["shard"] == shard0["ShardId"]
    ]
    assert parent_done, "the parent shard was never finished"
    for child in children:
        child_batches = [
            i for i, e in enumerate(log) if e["event"] == "batch" and e["shard"] == child["ShardId"]
        ]
        assert child_batches and min(child_batches) > parent_done[0], order

    from platform_assets.streams.checkpoints import CheckpointStore

    cps = CheckpointStore(store, "lakehouse-events", stream).load()
    assert cps[shard0["ShardId"]].finished and cps[shard0["ShardId"]].pending_last is None


def test_a_merged_shard_is_read_after_both_parents(moto_fidelity, tmp_path):
    from platform_assets.lake import Lake
    from platform_assets.metadata.sqlite_store import SqliteMetadataStore
    from platform_assets.streams.consumer import KinesisConsumer

    client, stream = _kinesis(moto_fidelity), "clicks-merge"
    _create_stream(client, stream, shards=2)
    finished: list[str] = []
    landed: list[str] = []
    consumer = KinesisConsumer(
        client,
        stream,
        Lake(str(tmp_path / "lake")),
        SqliteMetadataStore(tmp_path / "meta.sqlite"),
        batch_size=100,
        on_landed=lambda b: landed.append(b.shard_id),
        on_finished=finished.append,
    )
    first, second = _emissions(300, seed=6), _emissions(300, seed=7)
    _put(client, stream, first)
    a, b = (s["ShardId"] for s in client.list_shards(StreamName=stream)["Shards"])
    client.merge_shards(StreamName=stream, ShardToMerge=a, AdjacentShardToMerge=b)
    _put(client, stream, second)
    [child] = [s for s in client.list_shards(StreamName=stream)["Shards"] if s.get("AdjacentParentShardId")]
    stats = consumer.run_once()
    assert stats.records == len(first) + len(second)
    assert sorted(finished) == [a, b]
    assert landed.index(child["ShardId"]) > max(i for i, s in enumerate(landed) if s in (a, b))
    assert _landed(tmp_path / "lake") == _expected(first + second)


def test_unmodified_moto_split_loses_nothing(moto_vanilla, tmp_path):
    from platform_assets.lake import Lake
    from platform_assets.metadata.sqlite_store import SqliteMetadataStore
    from platform_assets.streams.consumer import KinesisConsumer

    url, stream = moto_vanilla, "clicks-vanilla"
    client = _kinesis(url)
    _create_stream(client, stream, shards=1)
    lake = Lake(str(tmp_path / "lake"))
    consumer = KinesisConsumer(
        client, stream, lake, SqliteMetadataStore(tmp_path / "meta.sqlite"), batch_size=200
    )
    first, second = _emissions(500, seed=4), _emissions(500, seed=5)
    _put(client, stream, first)
    assert consumer.run_once().records == len(first)
    shard = client.list_shards(StreamName=stream)["Shards"][0]
    client.split_shard(StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str(2**127))
    _put(client, stream, second)
    stats = consumer.run_once()
    assert stats.records == len(second) and stats.shards_finished == []
    assert consumer.run_once().records == 0
    counts, bad = _landed(tmp_path / "lake")
    assert (counts, bad) == _expected(first + second)


def test_second_consumer_cannot_move_a_checkpoint(moto_fidelity, tmp_path):
    from platform_assets.metadata.store import ConcurrentUpdate
    from platform_assets.streams.checkpoints import Checkpoint, CheckpointStore

    store = _store(moto_fidelity, "meta-fence")
    a = CheckpointStore(store, "app", "s")
    b = CheckpointStore(store, "app", "s")
    cp = a.save(Checkpoint("shardId-000000000000"), sequence="10")
    stale = b.load()["shardId-000000000000"]
    a.save(cp, sequence="20")
    with pytest.raises(ConcurrentUpdate):
        b.save(stale, sequence="15")
    assert a.load()["shardId-000000000000"].sequence == "20"


# -- the driver the tests start as a subprocess --------------------------------------------


def _consume_main(argv: list[str]) -> int:
    import argparse

    from platform_assets.lake import Lake
    from platform_assets.streams.consumer import KinesisConsumer

    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--lake", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--crash-after", type=int, default=0)
    p.add_argument("--slow", type=float, default=0.0)
    args = p.parse_args(argv)
    landed = 0

    def on_landed(batch):
        nonlocal landed
        landed += 1
        print(
            json.dumps(
                {
                    "event": "batch",
                    "shard": batch.shard_id,
                    "first": batch.first_sequence,
                    "last": batch.last_sequence,
                    "records": batch.records,
                }
            ),
            flush=True,
        )
        if args.crash_after and landed >= args.crash_after:
            os._exit(17)  # files written, checkpoint not committed
        time.sleep(args.slow)

    def on_finished(shard_id):
        print(json.dumps({"event": "finished", "shard": shard_id}), flush=True)

    consumer = KinesisConsumer(
        _kinesis(args.endpoint),
        args.stream,
        Lake(args.lake),
        _store(args.endpoint, args.table),
        batch_size=args.batch_size,
        on_landed=on_landed,
        on_finished=on_finished,
    )
    consumer.run(idle_exit_seconds=0.5, poll_seconds=0.1, max_seconds=90)
    return 0


def _moto_main(argv: list[str]) -> int:
    if "--fidelity" in argv:
        exec(_FIDELITY_PATCH, {})  # noqa: S102 -- the test's own constant source, patched into moto
    from moto.server import main

    main(["-p", argv[0], "-H", "127.0.0.1"])
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    command, rest = sys.argv[1], sys.argv[2:]
    sys.exit(_consume_main(rest) if command == "consume" else _moto_main(rest))
