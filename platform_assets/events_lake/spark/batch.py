"""One micro-batch of the events stream, by the local path's rules (events_lake/table.py).

- Quarantined records go where the local path puts them, as the same objects
  (events_lake/read.py `write_quarantine`, idempotent): a replayed batch rewrites nothing.
- One row per event id: among the batch's copies and the copies already stored in the
  partitions of the contract's duplicate window (`table.window_days`), the first landed copy
  is kept: the smallest (`table.first_landed_columns`: source file, event date), then the
  first line of its file. A stored copy wins a tie (it is the same row, replayed). A copy from
  an earlier landed file that turns up later replaces the stored one, moving it to its date.
- Ids seen under two dates are counted, as the local path counts them.

The sink (sink.py) writes the result; the batch function is idempotent, so a batch that
Structured Streaming replays after a crash (foreachBatch is at-least-once) changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from platform_assets.contracts.events import EventContract
from platform_assets.events_lake import table
from platform_assets.events_lake.read import FileRead, reason_kind, write_quarantine
from platform_assets.events_lake.spark.parse import UNRECOGNIZED
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import LandedFile


@dataclass
class StreamResult:
    """What the stream did over one run (every micro-batch of an availableNow trigger)."""

    batches: int = 0
    records_read: int = 0
    valid_events: int = 0  # valid records, copies included
    new_events: int = 0  # event ids the table did not hold
    copies_replaced: int = 0  # stored copies replaced by an earlier landed one
    quarantined: int = 0
    quarantine_reasons: Counter = field(default_factory=Counter)
    files_unrecognized: list[str] = field(default_factory=list)
    conflict_ids: set[str] = field(default_factory=set)
    event_dates: set[date] = field(default_factory=set)

    @property
    def date_conflicts(self) -> int:
        return len(self.conflict_ids)


def processed_columns(c: EventContract) -> list[str]:
    return [f.name for f in c.processed_schema()]


def quarantine(lake: Lake, c: EventContract, bad: list, result: StreamResult) -> None:
    """Write each object's quarantined records as the local path does (same object, same lines)."""
    by_file: dict[str, list[dict]] = {}
    for r in bad:
        if r["_reason"] == UNRECOGNIZED:
            result.files_unrecognized.append(r["_source_file"])
            continue
        by_file.setdefault(r["_source_file"], []).append(
            {"reason": r["_reason"], "source": r["_source_file"], "line": r["_line"], "record": r["_record"]}
        )
    for key, records in sorted(by_file.items()):
        records.sort(key=lambda q: -1 if q["line"] is None else q["line"])
        write_quarantine(lake, c, FileRead(LandedFile(key, ""), quarantined=records))
        result.quarantined += len(records)
        result.quarantine_reasons.update(reason_kind(q["reason"]) for q in records)


def _resolve(candidates: DataFrame, c: EventContract) -> DataFrame:
    """Per event id with a copy in the batch: the first landed copy, with what the metrics need
    (`_n_dates`, `_has_stored`); ids only stored keep their rows untouched (a MERGE would not
    touch them either)."""
    order = [F.col(n).asc() for n in table.first_landed_columns(c)] + [F.col("_line").asc()]
    ranked = Window.partitionBy(c.key).orderBy(*order)
    whole = ranked.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)  # same sort
    marked = (
        candidates.withColumn("_rank", F.row_number().over(ranked))
        .withColumn("_has_new", F.max(~F.col("_stored")).over(whole))
        .withColumn("_has_stored", F.max(F.col("_stored")).over(whole))
        .withColumn("_n_dates", F.size(F.collect_set(c.partition_column).over(whole)))
    )
    return marked.where((F.col("_rank") == 1) | ~F.col("_has_new"))


def apply_batch(parsed: DataFrame, lake: Lake, c: EventContract, sink, result: StreamResult) -> None:
    spark = parsed.sparkSession
    parsed = parsed.persist()
    try:
        bad = parsed.where(F.col("_reason").isNotNull()).select("_source_file", "_line", "_reason", "_record")
        before = result.quarantined
        quarantine(lake, c, [r.asDict() for r in bad.collect()], result)
        good = parsed.where(F.col("_reason").isNull()).select(*processed_columns(c), "_line")
        per_day = {r[0]: r[1] for r in good.groupBy(c.partition_column).count().collect()}
        n_good = sum(per_day.values())
        result.records_read += n_good + result.quarantined - before
        result.valid_events += n_good
        if not n_good:
            return
        result.event_dates |= set(per_day)
        window = table.window_days(c, per_day)
        stored = sink.stored(spark, c, window)
        candidates = good.withColumn("_stored", F.lit(False))
        if stored is not None:
            stored = stored.withColumn("_line", F.lit(-1).cast("long")).withColumn("_stored", F.lit(True))
            candidates = candidates.unionByName(stored)
        rows = _resolve(candidates, c).localCheckpoint(eager=True)
        new = F.col("_has_new")
        m = rows.agg(
            F.sum((new & ~F.col("_has_stored")).cast("int")).alias("new_events"),
            F.sum((new & F.col("_has_stored") & ~F.col("_stored")).cast("int")).alias("replaced"),
            F.collect_list(F.when(new & (F.col("_n_dates") > 1), F.col(c.key))).alias("conflicts"),
            F.collect_set(c.partition_column).alias("days"),
        ).first()
        result.new_events += m["new_events"] or 0
        result.copies_replaced += m["replaced"] or 0
        result.conflict_ids |= set(m["conflicts"])
        batch = rows.where(new & ~F.col("_stored")).select(*processed_columns(c))
        sink.write(spark, c, window, batch, rows.select(*processed_columns(c)), set(m["days"]))
    finally:
        parsed.unpersist()
