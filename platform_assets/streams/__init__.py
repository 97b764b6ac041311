"""Kinesis: the Lambda-style transform, checkpoints in the metadata store, the consumer.

In `prod`, Kinesis Data Streams plus Firehose (with `transform.lambda_handler` as its
transformation Lambda) land events in the raw zone; `consumer.KinesisConsumer` is the
self-hosted alternative (and what the tests run against moto's Kinesis server), landing the
same Firehose-format files with exactly-once checkpoints.
"""
