"""The Delta Sharing server, read by the official `delta-sharing` client over real HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime

import delta_sharing
import pytest
import requests
import uvicorn
from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.contracts.shares import SHARES, Share, validate_shares
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.sharing import Recipients, create_app
from platform_assets.tables import TableRef, read_as_of

TOKENS = {"acme_retail": [{"token": "acme-token"}],
          "lapsed": {"token": "old-token", "expires": "2020-01-01T00:00:00Z"},
          "globex": "globex-token"}


def build_products(lake) -> datetime:
    """curated.products at v0 (3 rows), v1 (price of 1 changed, 9 added); orders built too.
    Returns a time between v0 and v1."""
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00"), product_row(9)],
              ops=["U", "I"])
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))
    return between


class Server:
    """uvicorn serving an app in a thread, on a free port."""

    def __init__(self, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("the sharing server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/delta-sharing"


def profile(tmp_path, endpoint: str, token: str, name: str = "p") -> str:
    path = tmp_path / f"{name}.share"
    path.write_text(json.dumps({"shareCredentialsVersion": 1, "endpoint": endpoint,
                                "bearerToken": token}))
    return str(path)


@pytest.fixture
def served(lake):
    between = build_products(lake)
    with Server(create_app(lake, recipients=Recipients.from_mapping(TOKENS))) as server:
        yield server, between


def test_client_lists_shares_and_loads_the_shared_table(served, lake, tmp_path):
    server, _ = served
    p = profile(tmp_path, server.endpoint, "acme-token")
    client = delta_sharing.SharingClient(p)
    assert [s.name for s in client.list_shares()] == ["partner_catalog"]
    assert [(t.share, t.schema, t.name) for t in client.list_all_tables()] == [
        ("partner_catalog", "shop", "products")]

    df = delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products")

    expected = read_as_of(lake, TableRef("curated", "products")).sort_by("product_id")
    assert list(df.columns) == expected.schema.names
    df = df.sort_values("product_id")
    assert df["product_id"].tolist() == [1, 2, 3, 9]
    assert [str(v) for v in df["price"]] == [str(v) for v in expected["price"].to_pylist()]
    assert df["name"].tolist() == expected["name"].to_pylist()
    assert delta_sharing.get_table_version(f"{p}#partner_catalog.shop.products") == 1
    assert len(delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products", limit=2)) == 2


def test_a_query_for_an_older_version_or_time_returns_that_version(served, tmp_path):
    server, between = served
    url = f"{profile(tmp_path, server.endpoint, 'acme-token')}#partner_catalog.shop.products"
    old = delta_sharing.load_as_pandas(url, version=0).sort_values("product_id")
    assert old["product_id"].tolist() == [1, 2, 3]
    assert [str(v) for v in old["price"]] == ["9.99", "9.99", "9.99"]
    at = delta_sharing.load_as_pandas(url, timestamp=between.isoformat().replace("+00:00", "Z"))
    assert sorted(at["product_id"].tolist()) == [1, 2, 3]
    assert delta_sharing.get_table_version(
        url, starting_timestamp=between.isoformat().replace("+00:00", "Z")) == 1


def status_of(fn) -> int:
    with pytest.raises(requests.HTTPError) as err:
        fn()
    return err.value.response.status_code


def test_wrong_expired_and_unentitled_tokens_are_refused(served, tmp_path):
    server, _ = served
    for token in ("not-a-token", "old-token"):
        client = delta_sharing.SharingClient(profile(tmp_path, server.endpoint, token, token))
        assert status_of(client.list_shares) == 401
    r = requests.get(f"{server.endpoint}/shares")
    assert r.status_code == 401 and r.json()["errorCode"] == "UNAUTHENTICATED"
    p = profile(tmp_path, server.endpoint, "globex-token", "globex")
    assert delta_sharing.SharingClient(p).list_shares() == []  # valid, but in no share
    assert status_of(lambda: delta_sharing.load_as_pandas(
        f"{p}#partner_catalog.shop.products")) == 403


def test_tables_outside_the_share_are_refused(served, tmp_path):
    server, _ = served
    p = profile(tmp_path, server.endpoint, "acme-token")
    for table in ("orders", "customers"):  # not shared; customers holds PII
        assert status_of(lambda t=table: delta_sharing.load_as_pandas(
            f"{p}#partner_catalog.shop.{t}")) == 404
    assert status_of(lambda: delta_sharing.load_as_pandas(f"{p}#partner_catalog.other.products")) \
        == 404
    assert status_of(lambda: delta_sharing.load_as_pandas(f"{p}#nope.shop.products")) == 404


def test_file_urls_are_signed_and_expire(lake):
    build_products(lake)
    tokens = Recipients.from_mapping(TOKENS)
    headers = {"Authorization": "Bearer acme-token"}
    query = "/delta-sharing/shares/partner_catalog/schemas/shop/tables/products/query"
    with Server(create_app(lake, recipients=tokens)) as server:
        r = requests.post(f"http://127.0.0.1:{server.port}{query}", json={"limitHint": 1},
                          headers=headers)
        assert r.status_code == 200 and r.headers["delta-table-version"] == "1"
        lines = [json.loads(x) for x in r.text.splitlines()]
        assert lines[0] == {"protocol": {"minReaderVersion": 1}}
        assert json.loads(lines[1]["metaData"]["schemaString"])["fields"][0]["name"] == \
            "product_id"
        files = [x["file"] for x in lines[2:]]
        assert files and all(f["expirationTimestamp"] > time.time() * 1000 for f in files)
        url = files[0]["url"]
        assert requests.get(url).status_code == 200
        assert requests.get(url, headers={"Range": "bytes=0-3"}).content == b"PAR1"
        assert requests.get(url.replace("sig=", "sig=0")).status_code == 403
        assert requests.get(url.replace("exp=", "exp=9")).status_code == 403
    with Server(create_app(lake, recipients=tokens, url_ttl_seconds=-1)) as server:
        r = requests.post(f"http://127.0.0.1:{server.port}{query}", json={}, headers=headers)
        expired = json.loads(r.text.splitlines()[2])["file"]["url"]
        assert requests.get(expired).status_code == 403


def test_shares_with_pii_or_unshared_tables_are_refused_at_declaration():
    validate_shares(SHARES)
    with pytest.raises(ValueError, match="PII"):
        validate_shares((Share("bad", ("customers",), ("x",)),))
    with pytest.raises(ValueError, match="not marked shared"):
        validate_shares((Share("bad", ("orders",), ("x",)),))


def test_tokens_come_from_the_environment(tmp_path):
    env = {"PLATFORM_SHARING_TOKENS": json.dumps(TOKENS)}
    assert Recipients.from_env(env).authenticate("globex-token") == "globex"
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"acme_retail": {"token": "t1", "expires": "2999-01-01"}}))
    assert Recipients.from_env({"PLATFORM_SHARING_TOKENS_FILE": str(path)}).authenticate("t1") \
        == "acme_retail"
    assert Recipients.from_env({}).credentials == []


def test_a_lake_on_s3_shares_presigned_urls(s3_lake, tmp_path):
    build_products(s3_lake)
    with Server(create_app(s3_lake, recipients=Recipients.from_mapping(TOKENS))) as server:
        p = profile(tmp_path, server.endpoint, "acme-token")
        df = delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products")
        assert sorted(df["product_id"].tolist()) == [1, 2, 3, 9]
        old = delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products", version=0)
        assert sorted(old["product_id"].tolist()) == [1, 2, 3]
