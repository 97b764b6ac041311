"""The events stream job: landed Firehose objects into the events table, exactly once.

    python -m platform_assets.events_lake.spark.job --lake-root s3://bucket/lake \
        --source cloudfiles --sink delta          # on Databricks (databricks_jobs.py)

Locally (tests) `run(spark, StreamSettings(...))` with `source="files"`, `sink="parquet"`.
The query reads every landed object not yet in its checkpoint (`trigger(availableNow=True)`:
all that is there, in batches of `max_files_per_trigger`, then stop), applies each batch by
the local path's rules (batch.py) and writes it (sink.py). The checkpoint
(`processed/_checkpoints/events_stream` by default) records which objects each batch held
and that the batch committed; rerun, it reads only objects that arrived since, and a batch
cut off by a crash is replayed into the same rows (the batch function is idempotent).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field

from pyspark.sql import SparkSession
from pyspark.sql.pandas.types import from_arrow_schema

from platform_assets.contracts.events import EVENTS, EventContract
from platform_assets.events_lake import table
from platform_assets.events_lake.spark.batch import StreamResult, apply_batch
from platform_assets.events_lake.spark.parse import parse_batches, parsed_schema
from platform_assets.events_lake.spark.sink import DeltaEventsSink, ParquetEventsSink
from platform_assets.events_lake.spark.source import SOURCES, read_landed_stream
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import stream_prefix

SINKS = ("parquet", "delta")
QUERY_NAME = "lakehouse_events_stream"


@dataclass(frozen=True)
class StreamSettings:
    lake_root: str
    source: str = "files"  # files | cloudfiles
    sink: str = "parquet"  # parquet | delta
    table_path: str | None = None  # default: the processed events table's place
    checkpoint: str | None = None  # default: processed/_checkpoints/events_stream
    max_files_per_trigger: int = 1000
    storage_options: dict[str, str] = field(default_factory=dict)

    def lake(self) -> Lake:
        return Lake(self.lake_root, self.storage_options)

    def table_uri(self) -> str:
        return self.table_path or table.uri(self.lake())

    def checkpoint_uri(self) -> str:
        return self.checkpoint or self.lake().uri("processed", "_checkpoints", "events_stream")


def sink_for(s: StreamSettings):
    if s.sink == "parquet":
        return ParquetEventsSink(s.table_uri())
    if s.sink == "delta":
        return DeltaEventsSink(s.table_uri())
    raise ValueError(f"events stream: sink {s.sink!r} is not one of {', '.join(SINKS)}")


def run(spark: SparkSession, s: StreamSettings, c: EventContract = EVENTS) -> StreamResult:
    """Run the stream over everything landed and not yet in the checkpoint, then stop."""
    lake, sink, result = s.lake(), sink_for(s), StreamResult()

    def each_batch(df, batch_id: int) -> None:
        apply_batch(df, lake, c, sink, result)
        result.batches += 1

    landed = read_landed_stream(spark, stream_prefix(lake, c.stream), s.source, s.max_files_per_trigger)
    parsed = landed.select("path", "content").mapInArrow(
        parse_batches(c), from_arrow_schema(parsed_schema(c))
    )
    query = (
        parsed.writeStream.queryName(QUERY_NAME)
        .foreachBatch(each_batch)
        .option("checkpointLocation", s.checkpoint_uri())
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    if query.exception() is not None:
        raise RuntimeError(f"events stream into {s.table_uri()} failed: {query.exception()}")
    return result


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="events-stream", description=__doc__.splitlines()[0])
    p.add_argument("--lake-root", required=True)
    p.add_argument("--source", choices=SOURCES, default="cloudfiles")
    p.add_argument("--sink", choices=SINKS, default="delta")
    p.add_argument("--table-path")
    p.add_argument("--checkpoint")
    p.add_argument("--max-files-per-trigger", type=int, default=1000)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    a = _args(argv)
    from platform_assets.processed.compute.spark_changes import configure

    spark = SparkSession.builder.getOrCreate()  # the cluster's session on Databricks
    configure(spark)
    s = StreamSettings(a.lake_root, a.source, a.sink, a.table_path, a.checkpoint, a.max_files_per_trigger)
    r = run(spark, s)
    print(
        json.dumps(
            {
                "batches": r.batches,
                "records_read": r.records_read,
                "new_events": r.new_events,
                "quarantined": r.quarantined,
                "event_id_date_conflicts": r.date_conflicts,
            }
        )
    )


if __name__ == "__main__":
    main()
