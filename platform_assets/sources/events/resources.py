"""The event stream as a Dagster resource: where produced events go and where Kinesis is.

`local`: the producer lands Firehose-format files in the lake itself (`sink="files"`).
`prod`: it puts records on the Kinesis stream, which Firehose (or the consumer in
`streams/`) lands in the same format. profile.py chooses; nothing else asks.
"""

from __future__ import annotations

from typing import Literal

from platform_assets.aws import AwsResource
from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.sources.events.producer import FirehoseFileSink, KinesisSink, Sink


class EventStreamResource(AwsResource):
    sink: Literal["files", "kinesis"] = "files"
    stream_name: str = EVENTS.stream

    def kinesis_client(self):
        return self.client("kinesis")  # the profile's AWS settings, timeouts included

    def sink_for(self, lake: Lake) -> Sink:
        if self.sink == "files":
            return FirehoseFileSink(lake, EVENTS.stream)
        return KinesisSink(self.kinesis_client(), self.stream_name)
