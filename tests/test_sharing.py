"""The Delta Sharing server, read by the official `delta-sharing` client over real HTTP."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import delta_sharing
import pytest
import requests
from dms_files import product_row, write_dms
from servers import ThreadedServer

from platform_assets.contracts import contract
from platform_assets.contracts.shares import SHARES, Share, validate_shares
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.sharing import Recipients, create_app
from platform_assets.tables import TableRef, read_as_of

TOKENS = {
    "acme_retail": [{"token": "acme-token"}],
    "lapsed": {"token": "old-token", "expires": "2020-01-01T00:00:00Z"},
    "globex": "globex-token",
}


def build_products(lake) -> datetime:
    """curated.products at v0 (3 rows), v1 (price of 1 changed, 9 added); orders built too.
    Returns a time between v0 and v1."""
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    write_dms(
        lake, "products", "20261127-080000000", [product_row(1, "2.00"), product_row(9)], ops=["U", "I"]
    )
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))
    return between


class Server(ThreadedServer):
    @property
    def endpoint(self) -> str:
        return f"{self.url}/delta-sharing"


def profile(tmp_path, endpoint: str, token: str, name: str = "p") -> str:
    path = tmp_path / f"{name}.share"
    path.write_text(json.dumps({"shareCredentialsVersion": 1, "endpoint": endpoint, "bearerToken": token}))
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
        ("partner_catalog", "shop", "products")
    ]

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
    assert (
        delta_sharing.get_table_version(url, starting_timestamp=between.isoformat().replace("+00:00", "Z"))
        == 1
    )


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
    assert status_of(lambda: delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products")) == 403


def test_tables_outside_the_share_are_refused(served, tmp_path):
    server, _ = served
    p = profile(tmp_path, server.endpoint, "acme-token")
    for table in ("orders", "customers"):  # not shared; customers holds PII
        assert status_of(lambda t=table: delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.{t}")) == 404
    assert status_of(lambda: delta_sharing.load_as_pandas(f"{p}#partner_catalog.other.products")) == 404
    assert status_of(lambda: delta_sharing.load_as_pandas(f"{p}#nope.shop.products")) == 404


def test_file_urls_are_signed_and_expire(lake):
    build_products(lake)
    tokens = Recipients.from_mapping(TOKENS)
    headers = {"Authorization": "Bearer acme-token"}
    query = "/delta-sharing/shares/partner_catalog/schemas/shop/tables/products/query"
    with Server(create_app(lake, recipients=tokens)) as server:
        r = requests.post(f"http://127.0.0.1:{server.port}{query}", json={"limitHint": 1}, headers=headers)
        assert r.status_code == 200 and r.headers["delta-table-version"] == "1"
        lines = [json.loads(x) for x in r.text.splitlines()]
        assert lines[0] == {"protocol": {"minReaderVersion": 1}}
        assert json.loads(lines[1]["metaData"]["schemaString"])["fields"][0]["name"] == "product_id"
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
        validate_shares((Share("bad", ("order_items",), ("x",)),))
    with pytest.raises(ValueError, match="free_text"):  # order notes: free text
        validate_shares((Share("bad", ("orders",), ("x",)),))


def test_tokens_come_from_the_environment(tmp_path):
    env = {"PLATFORM_SHARING_TOKENS": json.dumps(TOKENS)}
    assert Recipients.from_env(env).authenticate("globex-token") == "globex"
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"acme_retail": {"token": "t1", "expires": "2999-01-01"}}))
    assert (
        Recipients.from_env({"PLATFORM_SHARING_TOKENS_FILE": str(path)}).authenticate("t1") == "acme_retail"
    )
    assert Recipients.from_env({}).credentials == []


def test_a_lake_on_s3_shares_presigned_urls(s3_lake, tmp_path):
    build_products(s3_lake)
    with Server(create_app(s3_lake, recipients=Recipients.from_mapping(TOKENS))) as server:
        p = profile(tmp_path, server.endpoint, "acme-token")
        df = delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products")
        assert sorted(df["product_id"].tolist()) == [1, 2, 3, 9]
        old = delta_sharing.load_as_pandas(f"{p}#partner_catalog.shop.products", version=0)
        assert sorted(old["product_id"].tolist()) == [1, 2, 3]


# -- protocol conformance: errors, pagination, time travel bounds, the access log -------------

AUTH = {"Authorization": "Bearer acme-token"}
TABLE = "/shares/partner_catalog/schemas/shop/tables/products"


def error_of(r: requests.Response) -> tuple[int, str]:
    """Every error answer is the protocol's JSON body: (status, errorCode)."""
    body = r.json()
    assert set(body) == {"errorCode", "message"} and body["message"], body
    return r.status_code, body["errorCode"]


def test_a_time_before_the_table_existed_is_an_error_not_version_0(served, tmp_path):
    server, _ = served
    url = f"{profile(tmp_path, server.endpoint, 'acme-token')}#partner_catalog.shop.products"
    with pytest.raises(requests.HTTPError) as err:
        delta_sharing.load_as_pandas(url, timestamp="2001-01-01T00:00:00Z")
    assert error_of(err.value.response) == (400, "INVALID_PARAMETER_VALUE")
    assert "before the table's first version" in err.value.response.json()["message"]
    r = requests.post(
        f"{server.endpoint}{TABLE}/query", headers=AUTH, json={"timestamp": "2001-01-01T00:00:00Z"}
    )
    assert error_of(r) == (400, "INVALID_PARAMETER_VALUE")


def test_max_results_must_be_at_least_one(served):
    server, _ = served
    for bad in ("0", "-1", "abc"):
        r = requests.get(f"{server.endpoint}/shares", params={"maxResults": bad}, headers=AUTH)
        assert error_of(r) == (400, "INVALID_PARAMETER_VALUE"), bad
    r = requests.get(f"{server.endpoint}/shares", params={"maxResults": 1}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["items"]) == 1


def test_every_error_is_a_protocol_error_body(served):
    server, _ = served
    base = server.endpoint
    assert error_of(requests.get(f"{base}/no/such/route", headers=AUTH))[0] == 404
    assert error_of(requests.delete(f"{base}/shares", headers=AUTH))[0] == 405
    assert error_of(requests.get(f"{base}/files/abc", headers=AUTH)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )  # exp and sig missing
    assert error_of(requests.get(f"{base}/files/abc?exp=x&sig=y")) == (400, "INVALID_PARAMETER_VALUE")
    assert error_of(requests.get(f"{base}{TABLE}/changes", headers=AUTH)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )  # neither startingVersion nor startingTimestamp


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b'{"timestamp": 5}',
        b'{"version": true}',
        b'{"version": -1}',
        b'{"limitHint": "3"}',
        b'{"limitHint": -1}',
        b'{"predicateHints": "x"}',
        b'{"jsonPredicateHints": 7}',
        b'{"version": 0, "timestamp": "2026-01-01T00:00:00Z"}',
        b'{"timestamp": "yesterday"}',
        b'{"startingVersion": "0"}',
    ],
)
def test_a_malformed_query_body_is_a_400_never_a_500(served, body):
    server, _ = served
    r = requests.post(
        f"{server.endpoint}{TABLE}/query", data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert error_of(r)[0] == 400, body


def test_signed_file_urls_never_reach_the_access_log(lake):
    import logging

    build_products(lake)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Keep()
    app = create_app(lake, recipients=Recipients.from_mapping(TOKENS))
    with Server(app, log_level="info") as server:
        logging.getLogger("uvicorn.access").addHandler(handler)
        try:
            r = requests.post(f"{server.endpoint}{TABLE}/query", json={}, headers=AUTH)
            urls = [json.loads(x)["file"]["url"] for x in r.text.splitlines()[2:]]
            for url in urls:
                assert requests.get(url).status_code == 200
            deadline = time.time() + 5
            while len(records) < 1 + len(urls) and time.time() < deadline:
                time.sleep(0.05)
        finally:
            logging.getLogger("uvicorn.access").removeHandler(handler)
    signatures = [u.split("sig=")[1] for u in urls]
    assert len(records) >= 1 + len(urls)  # the requests were logged ...
    assert any("/files/" in m for m in records)
    assert not any(sig in m for sig in signatures for m in records)  # ... without the secret
    assert all("sig=REDACTED" in m for m in records if "/files/" in m)


# -- the change data feed ----------------------------------------------------------------------


def build_changes(lake) -> None:
    """curated.products: v0 insert 1-3; v1 update 1, insert 9; v2 delete 2; v3 update 3."""
    build_products(lake)
    write_dms(lake, "products", "20261127-090000000", [product_row(2)], ops=["D"])
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))
    write_dms(lake, "products", "20261127-100000000", [product_row(3, "5.55")], ops=["U"])
    apply_pending(lake, contract("products"))
    refresh_curated(lake, contract("products"))


def feed_rows(frame) -> list[tuple]:
    return sorted(
        (int(r["_commit_version"]), r["_change_type"], int(r["product_id"]), str(r["price"]))
        for _, r in frame.iterrows()
    )


def test_the_change_data_feed_is_shared(lake, tmp_path):
    from deltalake import DeltaTable

    build_changes(lake)
    curated = DeltaTable(lake.delta_uri("curated", "products"))
    assert curated.version() == 3
    expected = pa_feed(curated, 0, 3)
    with Server(create_app(lake, recipients=Recipients.from_mapping(TOKENS))) as server:
        url = f"{profile(tmp_path, server.endpoint, 'acme-token')}#partner_catalog.shop.products"
        changes = delta_sharing.load_table_changes_as_pandas(url, starting_version=0)
        assert feed_rows(changes) == expected
        assert set(changes["_change_type"]) == {"insert", "update_preimage", "update_postimage", "delete"}
        assert list(changes.columns)[-3:] == ["_change_type", "_commit_version", "_commit_timestamp"]
        # a range, twice (the second answer comes from the server's cache, the same)
        for _ in range(2):
            part = delta_sharing.load_table_changes_as_pandas(url, starting_version=1, ending_version=2)
            assert feed_rows(part) == [r for r in expected if r[0] in (1, 2)]
        # by time: from the commit time of version 2 on
        ts = curated.history()[-3]["timestamp"]  # newest first: v3, v2, ...
        since = datetime.fromtimestamp(ts / 1000, UTC).isoformat().replace("+00:00", "Z")
        later = delta_sharing.load_table_changes_as_pandas(url, starting_timestamp=since)
        assert {r[0] for r in feed_rows(later)} == {2, 3}
        assert (changes["_commit_timestamp"] > 1e12).all()  # epoch milliseconds

        base = f"{server.endpoint}{TABLE}/changes"
        for bad in (
            {"startingVersion": 9},
            {"startingVersion": 2, "endingVersion": 1},
            {"startingVersion": -1},
            {"startingVersion": 0, "endingVersion": 99},
            {"startingTimestamp": "2999-01-01T00:00:00Z"},
            {"startingVersion": 0, "startingTimestamp": "2026-01-01T00:00:00Z"},
        ):
            r = requests.get(base, params=bad, headers=AUTH)
            assert error_of(r) == (400, "INVALID_PARAMETER_VALUE"), bad


def pa_feed(dt, start: int, end: int) -> list[tuple]:
    import pyarrow as pa

    t = pa.table(dt.load_cdf(starting_version=start, ending_version=end).read_all())
    return sorted(
        (r["_commit_version"], r["_change_type"], r["product_id"], str(r["price"])) for r in t.to_pylist()
    )


def test_a_table_without_a_change_feed_says_so(lake, tmp_path):
    from deltalake import DeltaTable

    build_products(lake)
    dt = DeltaTable(lake.delta_uri("curated", "products"))
    dt.alter.set_table_properties({"delta.enableChangeDataFeed": "false"})
    with Server(create_app(lake, recipients=Recipients.from_mapping(TOKENS))) as server:
        r = requests.get(f"{server.endpoint}{TABLE}/changes", params={"startingVersion": 0}, headers=AUTH)
        assert error_of(r) == (400, "INVALID_PARAMETER_VALUE")
        assert "change data feed" in r.json()["message"]


@pytest.mark.parametrize(
    "text",
    [
        '{"acme": {"token": "s3cr3t-value"',
        '["s3cr3t-value"]',
        '{"acme": {"token": "s3cr3t-value", "expires": "soon"}}',
    ],
)
def test_malformed_recipient_tokens_are_one_clear_error_without_the_secret(text):
    from platform_assets.errors import PlatformError

    with pytest.raises(PlatformError, match="PLATFORM_SHARING_TOKENS is not valid") as err:
        Recipients.from_env({"PLATFORM_SHARING_TOKENS": text})
    assert "s3cr3t-value" not in str(err.value)
