"""The events path in Spark Structured Streaming: the scale-out twin of events_lake/ingest.py.

The same landed Firehose objects, the same rules, the same rows. `source` says where the
stream reads (a file source here, Auto Loader `cloudFiles` on Databricks), `parse` turns each
object into contract rows and quarantined records with the local path's own functions
(events_lake/read.py `parse_landed`: validation, arrival window, `is_late`, truncated gzip),
`batch` applies one micro-batch by the local path's rules (first landed copy wins within the
contract's duplicate window: events_lake/table.py), `sink` writes it (Parquet locally, where
Delta's Spark jars are not installable; a Delta MERGE with table.py's predicates on
Databricks), and `job` runs it with a checkpoint and `trigger(availableNow=True)`.
"""
