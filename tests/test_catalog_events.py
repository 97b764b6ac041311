"""The processed clickstream (`processed/events`) is in the catalog with the contract tables:
locally (SQLite) and in Glue (moto's server), its schema from the Delta log, its meaning from
the events contract, its daily partition column as the partition key; registering twice
changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import boto3
import pytest
from dagster import AssetKey

from platform_assets.catalog import describe_table
from platform_assets.catalog.assets import catalog_tables, register_all, stale_tables
from platform_assets.catalog.glue import GlueCatalog
from platform_assets.catalog.local import LocalCatalog
from platform_assets.contracts.events import DERIVED_DOCS, EVENTS
from platform_assets.events_lake import ingest
from platform_assets.events_lake import table as events_table
from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce
from platform_assets.tables import TableRef, delta_tables

START = datetime(2026, 3, 1, 20, tzinfo=UTC)
EVENTS_REF = TableRef("processed", "events")


def build_events(lake) -> int:
    """About 1,500 events over 10 hours (crossing midnight: two daily partitions), ingested."""
    cfg = config_from_ids(range(1, 201), range(1, 51), range(1, 301), seed=3)
    produce(FirehoseFileSink(lake), cfg, rate=1_500 / 36_000, duration=36_000, start=START)
    ingest.catch_up(lake, today=START.date())
    return events_table.open_table(lake).to_pyarrow_dataset().count_rows()


@pytest.fixture(scope="module")
def events_lake(tmp_path_factory):
    from platform_assets.lake import Lake

    lake = Lake(str(tmp_path_factory.mktemp("events") / "lake"))
    assert build_events(lake) > 1_000
    return lake


def test_the_events_table_is_one_of_the_lakes_delta_tables():
    refs = delta_tables()
    assert EVENTS_REF in refs and str(EVENTS_REF) == "processed.events"
    assert EVENTS_REF.key_path == ["processed", "events"]
    assert AssetKey(["processed", "events"]) in catalog_tables.dependency_keys


def test_its_entry_comes_from_the_delta_log_and_the_events_contract(events_lake):
    entry = describe_table(events_lake, EVENTS_REF)
    assert (entry.database, entry.name) == ("lakehouse_processed", "events")
    assert entry.location == events_table.uri(events_lake)
    assert [(k.name, k.type) for k in entry.partition_keys] == [("event_date", "date")]
    cols = {c.name: c for c in entry.columns}
    assert set(cols) | {"event_date"} == set(EVENTS.processed_schema().names)
    assert cols["event_ts"].type == "timestamp" and cols["price"].type.startswith("decimal(")
    assert cols["event_id"].comment == EVENTS.field("event_id").description
    derived = {n: d for n, _, d in DERIVED_DOCS}
    assert cols["is_late"].comment == derived["is_late"]
    assert all(c.parameters == {} for c in cols.values())  # nothing here is outside the contract
    assert entry.owner == EVENTS.owner and entry.description == EVENTS.description
    assert entry.parameters["table_type"] == "DELTA"
    assert entry.parameters["lakehouse.primary_key"] == EVENTS.key


def test_the_local_catalog_registers_it_once(events_lake, tmp_path):
    catalog = LocalCatalog(tmp_path / "catalog.sqlite")
    first = register_all(events_lake, catalog, "lakehouse_")
    assert first["processed.events"]["outcome"] == "created"
    assert first["processed.events"]["partition_keys"] == ["event_date"]
    assert first["processed.orders"] == {"outcome": "not built yet"}
    assert stale_tables(events_lake, catalog, "lakehouse_") == {}
    again = register_all(events_lake, catalog, "lakehouse_")
    assert again["processed.events"]["outcome"] == "unchanged"
    assert catalog.version_count("lakehouse_processed", "events") == 1
    assert [t.name for t in catalog.list_tables("lakehouse_processed")] == ["events"]


def test_a_lake_without_events_reports_it_not_built(tmp_path):
    from platform_assets.lake import Lake

    result = register_all(Lake(str(tmp_path / "lake")), LocalCatalog(tmp_path / "c.sqlite"), "lakehouse_")
    assert result["processed.events"] == {"outcome": "not built yet"}


def test_glue_registers_it_once(events_lake, moto_endpoint):
    glue = boto3.client(
        "glue",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    prefix = f"ev{uuid.uuid4().hex[:8]}_"
    catalog = GlueCatalog(glue)

    assert register_all(events_lake, catalog, prefix)["processed.events"]["outcome"] == "created"
    assert register_all(events_lake, catalog, prefix)["processed.events"]["outcome"] == "unchanged"

    t = glue.get_table(DatabaseName=f"{prefix}processed", Name="events")["Table"]
    assert t["TableType"] == "EXTERNAL_TABLE" and t["Parameters"]["table_type"] == "DELTA"
    assert [(k["Name"], k["Type"]) for k in t["PartitionKeys"]] == [("event_date", "date")]
    assert t["StorageDescriptor"]["Location"] == events_table.uri(events_lake)
    names = [c["Name"] for c in t["StorageDescriptor"]["Columns"]] + ["event_date"]
    assert sorted(names) == sorted(EVENTS.processed_schema().names)
    assert (
        len(glue.get_table_versions(DatabaseName=f"{prefix}processed", TableName="events")["TableVersions"])
        == 1
    )
