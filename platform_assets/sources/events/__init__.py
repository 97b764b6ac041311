"""Clickstream events: a realistic producer and the Firehose-format landing of its records.

`generator` makes the events (pure, seeded), `firehose` knows Kinesis Firehose's S3 layout
(gzip NDJSON under YYYY/MM/DD/HH/) and writes and lists it, `producer` runs a generator into a
sink: landed files in the `local` profile, a Kinesis stream in `prod`.
"""
