"""The `prod` catalog: the AWS Glue Data Catalog, through boto3.

One Glue database per zone; each Delta table is an EXTERNAL_TABLE with `table_type=DELTA`
(what Athena, EMR and Glue jobs look for), its columns as Hive types, partition keys and S3
location. `UpdateTable` archives the previous definition, so a schema change is a new table
version in Glue; unchanged tables are not updated (no empty versions).
"""

from __future__ import annotations

from typing import Any

from platform_assets.catalog.base import Catalog
from platform_assets.catalog.model import CatalogColumn, CatalogTable

PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def _column(c: CatalogColumn) -> dict:
    out: dict[str, Any] = {"Name": c.name, "Type": c.type}
    if c.comment:
        out["Comment"] = c.comment
    if c.parameters:
        out["Parameters"] = dict(c.parameters)
    return out


def _from_column(d: dict) -> CatalogColumn:
    return CatalogColumn(d["Name"], d["Type"], d.get("Comment", ""), d.get("Parameters", {}))


def table_input(t: CatalogTable) -> dict:
    return {
        "Name": t.name,
        "Description": t.description[:2048],
        "Owner": t.owner,
        "TableType": t.table_type,
        "Parameters": dict(t.parameters),
        "PartitionKeys": [_column(k) for k in t.partition_keys],
        "StorageDescriptor": {
            "Columns": [_column(c) for c in t.columns],
            "Location": t.location,
            "InputFormat": PARQUET_IN,
            "OutputFormat": PARQUET_OUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"path": t.location}},
        },
    }


def _from_glue(database: str, d: dict) -> CatalogTable:
    sd = d.get("StorageDescriptor", {})
    return CatalogTable(
        database=database,
        name=d["Name"],
        location=sd.get("Location", ""),
        columns=tuple(_from_column(c) for c in sd.get("Columns", [])),
        partition_keys=tuple(_from_column(c) for c in d.get("PartitionKeys", [])),
        table_type=d.get("TableType", ""),
        description=d.get("Description", ""),
        owner=d.get("Owner", ""),
        parameters=d.get("Parameters", {}),
    )


class GlueCatalog(Catalog):
    def __init__(self, client):
        self.glue = client  # a boto3 "glue" client

    def ensure_database(self, name: str, description: str = "") -> None:
        try:
            self.glue.get_database(Name=name)
        except self.glue.exceptions.EntityNotFoundException:
            try:
                self.glue.create_database(DatabaseInput={"Name": name, "Description": description})
            except self.glue.exceptions.AlreadyExistsException:
                pass  # created concurrently

    def get_table(self, database: str, name: str) -> CatalogTable | None:
        try:
            return _from_glue(database, self.glue.get_table(DatabaseName=database, Name=name)["Table"])
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def list_tables(self, database: str) -> list[CatalogTable]:
        try:
            pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
            return [_from_glue(database, t) for page in pages for t in page["TableList"]]
        except self.glue.exceptions.EntityNotFoundException:
            return []

    def version_count(self, database: str, name: str) -> int:
        pages = self.glue.get_paginator("get_table_versions").paginate(DatabaseName=database, TableName=name)
        return sum(len(page["TableVersions"]) for page in pages)

    def _create(self, table: CatalogTable) -> None:
        self.glue.create_table(DatabaseName=table.database, TableInput=table_input(table))

    def _update(self, table: CatalogTable) -> None:
        self.glue.update_table(DatabaseName=table.database, TableInput=table_input(table), SkipArchive=False)
