"""The `prod` profile's metadata store: one DynamoDB table (pk, sk) with Streams on.

Writes are `UpdateItem`s that bump `version` atomically, conditional on the version the
caller read when it asks (a `ConditionalCheckFailedException` becomes ConcurrentUpdate).
The document is kept as one JSON string attribute so any reader (Glue, a Lambda on the
stream) gets it back unchanged. The change stream is the table's DynamoDB Stream
(NEW_AND_OLD_IMAGES), read by `dynamo_stream.DynamoStreamReader`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from platform_assets.metadata.dynamo_stream import DynamoStreamReader
from platform_assets.metadata.store import ANY, Change, ConcurrentUpdate, Item, MetadataStore, now_iso


def aws_clients(
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
):
    """DynamoDB and its streams with the platform's timeouts and retries (platform_assets/aws.py);
    the profile's resource passes its own clients instead."""
    from platform_assets.aws import AwsResource

    aws = AwsResource(
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
    )
    return aws.client("dynamodb"), aws.client("dynamodbstreams")


class DynamoMetadataStore(MetadataStore):
    def __init__(self, table: str, dynamodb, streams):
        self.table, self.ddb = table, dynamodb
        self.stream_reader = DynamoStreamReader(dynamodb, streams, table)

    @classmethod
    def connect(cls, table: str, **aws) -> DynamoMetadataStore:
        ddb, streams = aws_clients(**aws)
        return cls(table, ddb, streams)

    def ensure_table(self) -> None:
        """Create the table (on-demand, Streams with both images) unless it exists.

        The deployed table comes from the CDK app; this is for tests and first runs.
        """
        try:
            self.ddb.describe_table(TableName=self.table)
            return
        except self.ddb.exceptions.ResourceNotFoundException:
            pass
        self.ddb.create_table(
            TableName=self.table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        for _ in range(60):
            if self.ddb.describe_table(TableName=self.table)["Table"]["TableStatus"] == "ACTIVE":
                return
            time.sleep(1)

    @staticmethod
    def _item(attrs: dict) -> Item:
        return Item(
            attrs["pk"]["S"],
            attrs["sk"]["S"],
            json.loads(attrs["doc"]["S"]),
            int(attrs["version"]["N"]),
            attrs["updated_at"]["S"],
        )

    def _key(self, pk: str, sk: str) -> dict:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def get(self, pk: str, sk: str) -> Item | None:
        out = self.ddb.get_item(TableName=self.table, Key=self._key(pk, sk), ConsistentRead=True)
        return self._item(out["Item"]) if "Item" in out else None

    def put(self, pk: str, sk: str, doc: dict, expected_version: Any = ANY) -> Item:
        values = {
            ":d": {"S": json.dumps(doc, sort_keys=True, default=str)},
            ":u": {"S": now_iso()},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
        }
        kwargs: dict[str, Any] = {}
        if expected_version is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        elif expected_version is not ANY:
            kwargs["ConditionExpression"] = "#v = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            out = self.ddb.update_item(
                TableName=self.table,
                Key=self._key(pk, sk),
                ReturnValues="ALL_NEW",
                UpdateExpression="SET #d = :d, #u = :u, #v = if_not_exists(#v, :zero) + :one",
                ExpressionAttributeNames={"#d": "doc", "#u": "updated_at", "#v": "version"},
                ExpressionAttributeValues=values,
                **kwargs,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(f"{pk}/{sk}: expected version {expected_version}") from exc
            raise
        return self._item(out["Attributes"])

    def delete(self, pk: str, sk: str) -> None:
        self.ddb.delete_item(TableName=self.table, Key=self._key(pk, sk))

    def _pages(self, op: str, **kwargs) -> list[Item]:
        items = []
        for page in self.ddb.get_paginator(op).paginate(TableName=self.table, **kwargs):
            items += [self._item(a) for a in page.get("Items", [])]
        return items

    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        values = {":pk": {"S": pk}}
        condition = "pk = :pk"
        if sk_prefix:
            condition += " AND begins_with(sk, :p)"
            values[":p"] = {"S": sk_prefix}
        return self._pages(
            "query", KeyConditionExpression=condition, ConsistentRead=True, ExpressionAttributeValues=values
        )

    def scan(self, pk_prefix: str) -> list[Item]:
        items = self._pages(
            "scan",
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": pk_prefix}},
            ConsistentRead=True,
        )
        return sorted(items, key=lambda i: (i.pk, i.sk))

    def read_changes(self, cursor: str | None, limit: int = 1000) -> tuple[list[Change], str]:
        return self.stream_reader.read(cursor, limit)
