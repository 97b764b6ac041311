"""The metadata store, SQLite (local) and DynamoDB with Streams (prod, on moto's server).

Both stores pass the same tests: conditional writes, contracts with schema versions, dataset
descriptions and owners, the last materialization; a contract change appears on the change
stream (DynamoDB Streams via the `dynamodbstreams` API) and the sensor requests the
`matches_contract` checks of exactly the datasets it affects, which then see the drift.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    Definitions,
    asset,
    build_sensor_context,
    materialize,
)
from servers import stop_server
from test_kinesis_consumer import serve_moto

from platform_assets.contracts import contract
from platform_assets.contracts.model import Column
from platform_assets.metadata import publish
from platform_assets.metadata.checks import check_dataset
from platform_assets.metadata.resources import MetadataStoreResource
from platform_assets.metadata.sensors import contract_change_sensor, metadata_materializations_sensor
from platform_assets.metadata.store import ConcurrentUpdate
from platform_assets.processed.delta import open_or_create_processed


@pytest.fixture(scope="module")
def moto_url():
    proc, url = serve_moto(fidelity=False)
    yield url
    stop_server(proc)


@pytest.fixture(params=["sqlite", "dynamodb"])
def resource(request, tmp_path) -> MetadataStoreResource:
    if request.param == "sqlite":
        return MetadataStoreResource(kind="sqlite", sqlite_path=str(tmp_path / "meta.sqlite"))
    url = request.getfixturevalue("moto_url")
    res = MetadataStoreResource(
        kind="dynamodb",
        table_name=f"meta-{uuid.uuid4().hex[:8]}",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    res.store().ensure_table()
    return res


def test_items_are_versioned_and_writes_conditional(resource):
    store = resource.store()
    a = store.put("p", "a", {"x": 1}, expected_version=None)
    assert a.version == 1 and store.get("p", "a").doc == {"x": 1}
    with pytest.raises(ConcurrentUpdate):
        store.put("p", "a", {"x": 2}, expected_version=None)  # must not exist
    b = store.put("p", "a", {"x": 2}, expected_version=1)
    with pytest.raises(ConcurrentUpdate):
        store.put("p", "a", {"x": 3}, expected_version=1)  # someone moved it
    store.put("p", "b", {"y": 1})
    store.put("q", "a", {"z": 1})
    assert b.version == 2 and [i.sk for i in store.query("p")] == ["a", "b"]
    assert [(i.pk, i.sk) for i in store.scan("p")] == [("p", "a"), ("p", "b")]
    changes, cursor = store.read_changes(None)
    assert [(c.kind, c.sk) for c in changes] == [
        ("INSERT", "a"),
        ("MODIFY", "a"),
        ("INSERT", "b"),
        ("INSERT", "a"),
    ]
    assert changes[1].old == {"x": 1} and changes[1].new == {"x": 2}
    store.delete("p", "b")
    more, _ = store.read_changes(cursor)
    assert [(c.kind, c.pk, c.sk, c.new) for c in more] == [("REMOVE", "p", "b", None)]


def _changed_orders(monkeypatch):
    orders = contract("orders")
    wider = dataclasses.replace(
        orders, columns=(*orders.columns, Column("gift_wrap", "boolean", description="Wrapped as a gift."))
    )
    monkeypatch.setitem(publish.CONTRACTS, "orders", wider)


def test_contract_change_reaches_the_sensor_which_rechecks_affected_datasets(resource, monkeypatch, tmp_path):
    from platform_assets.lake import Lake

    store = resource.store()
    published = publish.publish_contracts(store)
    assert published["orders"] == (1, True) and published["events"] == (1, True)
    assert store.dataset("processed/orders")["owner"] == "team:checkout"
    assert store.dataset("processed/events")["owner"] == "team:web-analytics"

    def tick(cursor):
        ctx = build_sensor_context(cursor=cursor, resources={"metadata_store": resource})
        return contract_change_sensor(ctx)

    first = tick(None)  # a fresh instance: the first publication launches nothing
    assert first.run_requests == [] and "first tick" in first.skip_reason.skip_message
    assert (
        "6 contracts published before it" in first.skip_reason.skip_message
    )  # five shop tables and the events
    assert all(publish.publish_contracts(store)[n] == (1, False) for n in published)
    assert not tick(first.cursor).run_requests  # republishing the same writes nothing

    lake = Lake(str(tmp_path / "lake"))
    open_or_create_processed(lake, contract("orders"))
    assert check_dataset(lake, store, "orders", "processed/orders").passed

    _changed_orders(monkeypatch)
    assert publish.publish_contracts(store)["orders"] == (2, True)
    [request] = tick(first.cursor).run_requests
    assert request.asset_check_keys == [AssetCheckKey(AssetKey(["processed", "orders"]), "matches_contract")]
    assert request.run_key.startswith("contract:orders:v2:")
    assert [d["schema_version"] for d in store.contract_history("orders")] == [1, 2]

    result = check_dataset(lake, store, "orders", "processed/orders")
    assert not result.passed
    assert result.metadata["missing_columns"].value == ["gift_wrap"]


def test_published_contracts_asset(resource):
    from platform_assets.metadata.assets import published_contracts

    result = materialize([published_contracts], resources={"metadata_store": resource})
    [mat] = result.asset_materializations_for_node("metadata__contracts")
    assert mat.metadata["contracts"].value == 6 and len(mat.metadata["changed"].value) == 6
    assert resource.store().contract("events")["contract"]["stream"] == "shop-clickstream"


def test_last_materialization_of_each_dataset_is_recorded(resource):
    @asset(key=["processed", "thing"])
    def thing():
        return 1

    instance = DagsterInstance.ephemeral()
    run = materialize([thing], instance=instance)
    defs = Definitions(assets=[thing], sensors=[metadata_materializations_sensor])
    ctx = build_sensor_context(instance=instance, definitions=defs, resources={"metadata_store": resource})
    result = metadata_materializations_sensor(ctx)
    last = resource.store().last_materialization("processed/thing")
    assert last["run_id"] == run.run_id and last["storage_id"] > 0
    again = metadata_materializations_sensor(
        build_sensor_context(
            instance=instance, definitions=defs, cursor=result.cursor, resources={"metadata_store": resource}
        )
    )
    assert again.skip_reason is not None
