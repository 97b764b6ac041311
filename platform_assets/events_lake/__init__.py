"""The events path of the lake: landed Firehose files to the processed `events` Delta table.

`window` bounds which arrival hours can hold a given event date, `read` parses and validates a
landed file (bad records to quarantine, with the reason), `table` owns the Delta table
(partitioned by event date, keyed by event id), `applied` remembers which (file, date) pairs
are in it, `ingest` puts these together (incremental MERGE or partition rebuild), and `assets`
/ `sensors` / `defs` expose it to Dagster. Importing the package is cheap.
"""
