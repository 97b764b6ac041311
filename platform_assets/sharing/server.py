"""The Delta Sharing REST server (protocol: github.com/delta-io/delta-sharing PROTOCOL.md).

Routes under `/delta-sharing`: list shares, a share, its schemas and tables, a table's version,
metadata, and a query (`version` / `timestamp` time travel, `limitHint`), each answered in the
protocol's JSON / newline-delimited JSON with the `delta-table-version` header. A bearer token
names the recipient: no token, a wrong one or an expired one is 401; a share the recipient is
not in is 403; a table that is not in the share is 404, as if it did not exist. Only curated
tables of declared shares are reachable, and file URLs expire (`url_ttl_seconds`).
"""

import base64
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from platform_assets.contracts.shares import SHARES, Share, validate_shares
from platform_assets.lake import Lake
from platform_assets.sharing.recipients import AuthError, Recipients
from platform_assets.sharing.snapshot import SharingError, Snapshot, open_snapshot, parse_timestamp
from platform_assets.sharing.urls import LocalUrlSigner, signer_for
from platform_assets.tables.log import commit_infos

PREFIX = "/delta-sharing"
NDJSON = "application/x-ndjson; charset=utf-8"
CAPABILITIES = "delta-sharing-capabilities"


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lakehouse:{kind}:{name}"))


def _page(items: list[dict], max_results: int | None, page_token: str | None) -> dict:
    """The protocol's pagination: an opaque token that is the offset of the next item."""
    try:
        start = int(base64.urlsafe_b64decode(page_token).decode()) if page_token else 0
    except ValueError:
        raise SharingError(400, "INVALID_PARAMETER_VALUE", "bad pageToken") from None
    if max_results is not None and max_results < 0:
        raise SharingError(400, "INVALID_PARAMETER_VALUE", "maxResults must be positive")
    end = len(items) if not max_results else start + max_results
    out: dict = {"items": items[start:end]}
    if end < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return out


def _ndjson(lines: list[dict], version: int) -> Response:
    return Response("".join(json.dumps(line) + "\n" for line in lines), media_type=NDJSON,
                    headers={"delta-table-version": str(version),
                             CAPABILITIES: "responseformat=parquet"})


def create_app(lake: Lake, shares: Sequence[Share] = SHARES, recipients: Recipients | None = None,
               url_ttl_seconds: int = 900, secret: bytes | None = None,
               public_url: str | None = None) -> FastAPI:
    """The sharing server over `lake`'s curated zone."""
    validate_shares(tuple(shares))
    by_name = {s.name: s for s in shares}
    recipients = recipients if recipients is not None else Recipients.from_env()
    signer = signer_for(lake, secret)
    app = FastAPI(title="lakehouse Delta Sharing", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(SharingError)
    async def _error(request: Request, exc: SharingError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"errorCode": exc.code, "message": exc.message},
                            status_code=exc.status, headers=headers)

    def recipient(request: Request) -> str:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        try:
            return recipients.authenticate(token)
        except AuthError as exc:
            raise SharingError(401, "UNAUTHENTICATED", str(exc)) from None

    def share_for(name: str, who: str) -> Share:
        share = by_name.get(name)
        if share is None:
            raise SharingError(404, "SHARE_NOT_FOUND", f"share {name} does not exist")
        if who not in share.recipients:
            raise SharingError(403, "PERMISSION_DENIED", f"share {name} is not shared with you")
        return share

    def table_uri(share: str, schema: str, table: str, who: str) -> str:
        s = share_for(share, who)
        if schema != s.schema or table not in s.tables:
            raise SharingError(404, "TABLE_NOT_FOUND",
                               f"{share}.{schema}.{table} is not in the share")
        return lake.delta_uri("curated", table)

    def table_item(s: Share, table: str) -> dict:
        return {"name": table, "schema": s.schema, "share": s.name, "shareId": _id("share", s.name),
                "id": _id("table", f"{s.name}.{s.schema}.{table}")}

    def base_url(request: Request) -> str:
        return (public_url or os.environ.get("PLATFORM_SHARING_PUBLIC_URL")
                or str(request.base_url)).rstrip("/") + PREFIX

    @app.get(PREFIX + "/shares")
    def list_shares(maxResults: int | None = None, pageToken: str | None = None,
                    who: str = Depends(recipient)) -> dict:
        items = [{"name": s.name, "id": _id("share", s.name)} for s in shares
                 if who in s.recipients]
        return _page(items, maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}")
    def get_share(share: str, who: str = Depends(recipient)) -> dict:
        s = share_for(share, who)
        return {"share": {"name": s.name, "id": _id("share", s.name)}}

    @app.get(PREFIX + "/shares/{share}/schemas")
    def list_schemas(share: str, maxResults: int | None = None, pageToken: str | None = None,
                     who: str = Depends(recipient)) -> dict:
        s = share_for(share, who)
        return _page([{"name": s.schema, "share": s.name}], maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables")
    def list_tables(share: str, schema: str, maxResults: int | None = None,
                    pageToken: str | None = None, who: str = Depends(recipient)) -> dict:
        s = share_for(share, who)
        if schema != s.schema:
            raise SharingError(404, "SCHEMA_NOT_FOUND", f"{share}.{schema} does not exist")
        return _page([table_item(s, t) for t in s.tables], maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}/all-tables")
    def list_all_tables(share: str, maxResults: int | None = None, pageToken: str | None = None,
                        who: str = Depends(recipient)) -> dict:
        s = share_for(share, who)
        return _page([table_item(s, t) for t in s.tables], maxResults, pageToken)

    @app.api_route(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/version",
                   methods=["GET", "HEAD"])
    def table_version(share: str, schema: str, table: str, startingTimestamp: str | None = None,
                      who: str = Depends(recipient)) -> Response:
        uri = table_uri(share, schema, table, who)
        snap = open_snapshot(lake, uri)
        version = snap.version
        if startingTimestamp is not None:
            version = _version_at_or_after(snap, parse_timestamp(startingTimestamp))
        return Response(headers={"delta-table-version": str(version)})

    def _version_at_or_after(snap: Snapshot, ts: datetime) -> int:
        wanted = ts.timestamp() * 1000
        found = None
        for info in commit_infos(lake, snap.table_uri, snap.version):
            if info.get("timestamp", 0) >= wanted:
                found = info["version"]
            else:
                break
        if found is None:
            raise SharingError(400, "INVALID_PARAMETER_VALUE",
                               f"no version committed at or after {ts.isoformat()}")
        return found

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/metadata")
    def table_metadata(share: str, schema: str, table: str,
                       who: str = Depends(recipient)) -> Response:
        snap = open_snapshot(lake, table_uri(share, schema, table, who))
        return _ndjson([snap.protocol_line(), snap.metadata_line(with_stats=True)], snap.version)

    @app.post(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/query")
    async def query_table(share: str, schema: str, table: str, request: Request,
                          who: str = Depends(recipient)) -> Response:
        uri = table_uri(share, schema, table, who)
        body = await request.body()
        try:
            q = json.loads(body) if body else {}
        except ValueError:
            raise SharingError(400, "MALFORMED_REQUEST", "the body is not JSON") from None
        if any(k in q for k in ("startingVersion", "endingVersion")):
            raise SharingError(400, "UNSUPPORTED_OPERATION",
                               "change queries (startingVersion) are not shared")
        limit = q.get("limitHint")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise SharingError(400, "INVALID_PARAMETER_VALUE", "limitHint must be >= 0")
        version = q.get("version")
        if version is not None and not isinstance(version, int):
            raise SharingError(400, "INVALID_PARAMETER_VALUE", "version must be an integer")
        snap = open_snapshot(lake, uri, version, q.get("timestamp"))
        lines = [snap.protocol_line(), snap.metadata_line()]
        root = base_url(request)
        table_rel = uri[len(lake.root.rstrip("/")) + 1:]
        for f in snap.files(limit):
            url, exp = signer.url(root, f"{table_rel}/{f.pop('path')}", url_ttl_seconds)
            f = {"url": url, **{k: v for k, v in f.items() if v is not None},
                 "expirationTimestamp": exp * 1000}
            lines.append({"file": f})
        return _ndjson(lines, snap.version)

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/changes")
    def table_changes(share: str, schema: str, table: str,
                      who: str = Depends(recipient)) -> Response:
        table_uri(share, schema, table, who)
        raise SharingError(400, "UNSUPPORTED_OPERATION",
                           "the change data feed of shared tables is not shared")

    @app.api_route(PREFIX + "/files/{token}", methods=["GET", "HEAD"])
    def get_file(token: str, exp: int, sig: str) -> Response:
        """Data files of a local lake, for URLs this server signed (no bearer token: the
        signature is the authorization, as with an S3 presigned URL)."""
        if not isinstance(signer, LocalUrlSigner):
            raise SharingError(404, "NOT_FOUND", "files are served by the object store")
        path = signer.resolve(token, exp, sig)
        if path is None:
            raise SharingError(403, "PERMISSION_DENIED", "the file URL is invalid or expired")
        if not os.path.isfile(path):
            raise SharingError(404, "NOT_FOUND", "the file no longer exists (vacuumed)")
        return FileResponse(path, media_type="application/octet-stream")

    app.state.started_at = time.time()
    return app


def serve(host: str = "127.0.0.1", port: int = 8090) -> None:
    """`lakehouse sharing serve`: the server over the profile's lake, tokens from the env."""
    import uvicorn

    from platform_assets.profile import resources_for

    lake = resources_for()["lake"].process_config_and_initialize().lake()
    uvicorn.run(create_app(lake), host=host, port=port, log_level="info")
