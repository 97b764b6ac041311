"""The catalog: every Delta table registered locally (SQLite) and in Glue (moto's server), new
versions on schema change, and the crawler-like sensor that notices them."""

from __future__ import annotations

import boto3
import pytest
from dagster import build_sensor_context, materialize
from deltalake import DeltaTable
from deltalake.schema import Field, PrimitiveType
from dms_files import T0, product_row, write_dms

from platform_assets.catalog import CatalogResource, describe_table
from platform_assets.catalog.assets import (
    catalog_schema_sensor,
    catalog_tables,
    register_all,
    stale_tables,
)
from platform_assets.catalog.hive_types import hive_type
from platform_assets.catalog.local import LocalCatalog
from platform_assets.contracts import CONTRACTS, contract
from platform_assets.curated.assets import curated_assets
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.assets import processed_assets
from platform_assets.tables import TableRef


def customer_row(cid: int) -> dict:
    return {
        "customer_id": cid,
        "email": f"c{cid}@example.com",
        "first_name": "A",
        "last_name": "B",
        "phone": None,
        "street_address": "x",
        "city": "Berlin",
        "country": "DE",
        "marketing_opt_in": True,
        "created_at": T0,
        "updated_at": T0,
    }


def build(lake, tables=("products", "customers")) -> None:
    for t in tables:
        row = product_row if t == "products" else customer_row
        write_dms(lake, t, "LOAD00000001", [row(i) for i in range(1, 4)])
        apply_pending(lake, contract(t))
        refresh_curated(lake, contract(t))


def add_column(lake, ref: TableRef, name: str = "color") -> None:
    dt = DeltaTable(ref.uri(lake), storage_options=lake.storage_options)
    dt.alter.add_columns([Field(name, PrimitiveType("string"), nullable=True)])


def test_hive_types():
    assert hive_type("long") == "bigint" and hive_type("integer") == "int"
    assert hive_type("decimal(12,2)") == "decimal(12,2)" and hive_type("timestamp") == "timestamp"
    assert hive_type({"type": "array", "elementType": "string", "containsNull": True}) == "array<string>"
    assert (
        hive_type(
            {
                "type": "struct",
                "fields": [
                    {"name": "a", "type": "long", "nullable": True, "metadata": {}},
                    {
                        "name": "m",
                        "type": {"type": "map", "keyType": "string", "valueType": "double"},
                        "nullable": True,
                        "metadata": {},
                    },
                ],
            }
        )
        == "struct<a:bigint,m:map<string,double>>"
    )


def test_entry_takes_types_from_the_delta_log_and_meaning_from_the_contract(lake):
    build(lake, ("customers",))
    processed = describe_table(lake, TableRef("processed", "customers"))
    assert processed.database == "lakehouse_processed" and processed.location.endswith("processed/customers")
    cols = {c.name: c for c in processed.columns}
    assert cols["customer_id"].type == "bigint" and cols["created_at"].type == "timestamp"
    assert cols["email"].parameters == {"pii": "hash"} and cols["phone"].parameters == {"pii": "drop"}
    assert cols["country"].comment == "ISO 3166-1 alpha-2 country code."
    assert [k.name for k in processed.partition_keys] == ["_key_bucket"]
    assert "_key_bucket" not in cols and processed.parameters["table_type"] == "DELTA"
    curated = describe_table(lake, TableRef("curated", "customers"))
    cols = {c.name: c for c in curated.columns}
    assert "email" not in cols and "phone" not in cols
    assert cols["email_hmac"].parameters == {"pii": "hmac_sha256"}
    assert curated.partition_keys == () and curated.owner == "team:crm"


def test_local_catalog_registers_tables_and_versions_schema_changes(lake, tmp_path):
    catalog = LocalCatalog(tmp_path / ".platform" / "catalog.sqlite")
    build(lake, ("products",))
    first = register_all(lake, catalog, "lakehouse_")
    assert first["processed.products"]["outcome"] == "created"
    assert first["curated.products"]["outcome"] == "created"
    assert first["processed.orders"] == {"outcome": "not built yet"}
    assert {t.name for t in catalog.list_tables("lakehouse_curated")} == {"products"}
    assert stale_tables(lake, catalog, "lakehouse_") == {}
    again = register_all(lake, catalog, "lakehouse_")  # new data, same schema: no new version
    assert {r["outcome"] for r in again.values() if "database" in r} == {"unchanged"}
    assert catalog.version_count("lakehouse_processed", "products") == 1

    add_column(lake, TableRef("processed", "products"))

    assert list(stale_tables(lake, catalog, "lakehouse_")) == ["processed.products"]
    assert register_all(lake, catalog, "lakehouse_")["processed.products"]["outcome"] == "updated"
    assert catalog.version_count("lakehouse_processed", "products") == 2
    color = catalog.get_table("lakehouse_processed", "products").columns[-1]
    assert (color.name, color.type, color.parameters) == ("color", "string", {"not_in_contract": "true"})
    # a second process sees the same catalog (one SQLite file)
    other = LocalCatalog(tmp_path / ".platform" / "catalog.sqlite")
    assert other.version_count("lakehouse_processed", "products") == 2


@pytest.fixture
def prod_env(s3_lake, moto_endpoint, monkeypatch):
    monkeypatch.setenv("PLATFORM_ENV", "prod")
    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", "a-prod-key-from-the-secret-store-0123")  # required
    monkeypatch.setenv("PLATFORM_LAKE_URI", s3_lake.root)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return s3_lake


def glue_client(endpoint: str):
    return boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1")


def test_prod_materialization_registers_every_table_in_glue(prod_env, moto_endpoint):
    from platform_assets.profile import resources_for

    lake = prod_env
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    write_dms(lake, "customers", "LOAD00000001", [customer_row(i) for i in range(1, 4)])
    prefix = f"t{abs(hash(lake.root)) % 10_000}_"
    resources = {
        "lake": resources_for()["lake"],
        "processed_engine": resources_for()["processed_engine"],
        "catalog": CatalogResource(
            kind="glue", endpoint_url=moto_endpoint, region_name="us-east-1", database_prefix=prefix
        ),
    }

    result = materialize([*processed_assets, *curated_assets, catalog_tables], resources=resources)

    assert result.success
    glue = glue_client(moto_endpoint)
    for zone in ("processed", "curated"):
        tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=f"{prefix}{zone}")["TableList"]}
        assert set(tables) == set(CONTRACTS)
        for name, t in tables.items():
            c = contract(name)
            sd = t["StorageDescriptor"]
            assert sd["Location"] == lake.delta_uri(zone, name)
            assert t["TableType"] == "EXTERNAL_TABLE" and t["Parameters"]["table_type"] == "DELTA"
            schema = c.processed_schema() if zone == "processed" else c.curated_schema()
            names = [col["Name"] for col in sd["Columns"]] + [k["Name"] for k in t["PartitionKeys"]]
            assert names == schema.names
            if zone == "processed":
                assert [k["Name"] for k in t["PartitionKeys"]] == ["_key_bucket"]
        customers = {col["Name"]: col for col in tables["customers"]["StorageDescriptor"]["Columns"]}
        if zone == "curated":
            assert "email" not in customers and customers["email_hmac"]["Type"] == "string"
        else:
            assert customers["email"]["Parameters"] == {"pii": "hash"}
    md = result.asset_materializations_for_node(catalog_tables.op.name)[0].metadata
    assert md["tables_registered"].value == 10 and len(md["created"].value) == 10

    # the crawler-like sensor: quiet while schemas match, requests a run after a change
    sensor_resources = {"lake": resources["lake"], "catalog": resources["catalog"]}
    with build_sensor_context(resources=sensor_resources) as ctx:
        assert catalog_schema_sensor(ctx).__class__.__name__ == "SkipReason"
    add_column(lake, TableRef("processed", "products"))
    with build_sensor_context(resources=sensor_resources) as ctx:
        request = catalog_schema_sensor(ctx)
    assert request.tags["lakehouse/tables"] == "processed.products"
    assert request.asset_selection == [catalog_tables.key]
    assert materialize([catalog_tables], resources=resources).success
    assert (
        glue.get_table_versions(DatabaseName=f"{prefix}processed", TableName="products")[
            "TableVersions"
        ].__len__()
        == 2
    )
    assert (
        len(glue.get_table_versions(DatabaseName=f"{prefix}processed", TableName="orders")["TableVersions"])
        == 1
    )
    cols = glue.get_table(DatabaseName=f"{prefix}processed", Name="products")["Table"]["StorageDescriptor"][
        "Columns"
    ]
    assert cols[-1]["Name"] == "color"
