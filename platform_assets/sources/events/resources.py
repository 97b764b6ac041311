"""The event stream as a Dagster resource: where produced events go and where Kinesis is.

`local`: the producer lands Firehose-format files in the lake itself (`sink="files"`).
`prod`: it puts records on the Kinesis stream, which Firehose (or the consumer in
`streams/`) lands in the same format. profile.py chooses; nothing else asks.
"""

from __future__ import annotations

from typing import Literal

from dagster import ConfigurableResource

from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.sources.events.producer import FirehoseFileSink, KinesisSink, Sink


class EventStreamResource(ConfigurableResource):
    sink: Literal["files", "kinesis"] = "files"
    stream_name: str = EVENTS.stream
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def kinesis_client(self):
        import boto3

        kwargs = {"region_name": self.region, "endpoint_url": self.endpoint_url}
        if self.access_key_id:
            kwargs |= {"aws_access_key_id": self.access_key_id,
                       "aws_secret_access_key": self.secret_access_key}
        return boto3.client("kinesis", **kwargs)

    def sink_for(self, lake: Lake) -> Sink:
        if self.sink == "files":
            return FirehoseFileSink(lake, EVENTS.stream)
        return KinesisSink(self.kinesis_client(), self.stream_name)
