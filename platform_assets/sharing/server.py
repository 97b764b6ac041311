"""The Delta Sharing REST server (protocol: github.com/delta-io/delta-sharing PROTOCOL.md).

Routes under `/delta-sharing`: list shares, a share, its schemas and tables, a table's version,
metadata, a query (`version` / `timestamp` time travel, `limitHint`) and the change data feed
(`startingVersion` / `startingTimestamp`, `endingVersion` / `endingTimestamp`; sharing/changes.py),
each answered in the protocol's JSON / newline-delimited JSON with the `delta-table-version`
header. A bearer token names the recipient: no token, a wrong one or an expired one is 401; a
share the recipient is not in is 403; a table that is not in the share is 404, as if it did not
exist. Only curated tables of declared shares are reachable, and file URLs expire
(`url_ttl_seconds`); they never appear in the access log (sharing/access_log.py).

Every error, including unknown routes, bad parameters and unexpected failures, is the
protocol's body `{"errorCode": ..., "message": ...}`; a bad parameter or body is a 400.
"""

import base64
import hashlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Sequence

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from platform_assets.contracts.shares import SHARES, Share, validate_shares
from platform_assets.lake import Lake
from platform_assets.sharing import access_log
from platform_assets.sharing.changes import ChangeFeedCache, require_change_feed
from platform_assets.sharing.params import parse_changes, parse_query
from platform_assets.sharing.recipients import AuthError, Recipients
from platform_assets.sharing.snapshot import (
    SharingError,
    open_snapshot,
    parse_timestamp,
    version_at_or_after,
    version_at_or_before,
)
from platform_assets.sharing.urls import LocalUrlSigner, signer_for

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
    if max_results is not None and max_results < 1:
        raise SharingError(
            400, "INVALID_PARAMETER_VALUE", f"maxResults must be at least 1, not {max_results}"
        )
    end = len(items) if max_results is None else start + max_results
    out: dict = {"items": items[start:end]}
    if end < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(end).encode()).decode()
    return out


def _ndjson(lines: list[dict], version: int) -> Response:
    return Response(
        "".join(json.dumps(line) + "\n" for line in lines),
        media_type=NDJSON,
        headers={"delta-table-version": str(version), CAPABILITIES: "responseformat=parquet"},
    )


log = logging.getLogger(__name__)
HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "MALFORMED_REQUEST"}


def _error_body(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"errorCode": code, "message": message}, status_code=status, headers=headers)


def _install_error_bodies(app: FastAPI) -> None:
    """Every error answer in the protocol's shape, whoever raises it."""

    @app.exception_handler(SharingError)
    async def _sharing(request: Request, exc: SharingError) -> JSONResponse:
        return _error_body(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return _error_body(400, "INVALID_PARAMETER_VALUE", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error_body(exc.status_code, HTTP_CODES.get(exc.status_code, "BAD_REQUEST"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception(
            f"sharing request failed (incident {incident}): {request.method} "
            f"{access_log.redact(request.url.path)}"
        )
        return _error_body(
            500, "INTERNAL_ERROR", f"the server failed; the operator can look up incident {incident}"
        )


def create_app(
    lake: Lake,
    shares: Sequence[Share] = SHARES,
    recipients: Recipients | None = None,
    url_ttl_seconds: int = 900,
    secret: bytes | None = None,
    public_url: str | None = None,
    change_cache_dir: str | None = None,
) -> FastAPI:
    """The sharing server over `lake`'s curated zone; change files are cached under
    `change_cache_dir` (a temporary folder if not given)."""
    validate_shares(tuple(shares))
    by_name = {s.name: s for s in shares}
    recipients = recipients if recipients is not None else Recipients.from_env()
    signer = signer_for(lake, secret)
    cache_dir = change_cache_dir or tempfile.mkdtemp(prefix="lakehouse-sharing-changes-")
    changes = ChangeFeedCache(cache_dir)
    # change files are the server's own (on S3 lakes too), signed with the same secret
    change_signer = LocalUrlSigner(Lake(str(cache_dir)), getattr(signer, "secret", secret))
    access_log.install()
    app = FastAPI(title="lakehouse Delta Sharing", docs_url=None, redoc_url=None, openapi_url=None)
    _install_error_bodies(app)

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
            raise SharingError(404, "TABLE_NOT_FOUND", f"{share}.{schema}.{table} is not in the share")
        return lake.delta_uri("curated", table)

    def table_item(s: Share, table: str) -> dict:
        return {
            "name": table,
            "schema": s.schema,
            "share": s.name,
            "shareId": _id("share", s.name),
            "id": _id("table", f"{s.name}.{s.schema}.{table}"),
        }

    def base_url(request: Request) -> str:
        return (public_url or os.environ.get("PLATFORM_SHARING_PUBLIC_URL") or str(request.base_url)).rstrip(
            "/"
        ) + PREFIX

    @app.get(PREFIX + "/shares")
    def list_shares(
        maxResults: int | None = None, pageToken: str | None = None, who: str = Depends(recipient)
    ) -> dict:
        items = [{"name": s.name, "id": _id("share", s.name)} for s in shares if who in s.recipients]
        return _page(items, maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}")
    def get_share(share: str, who: str = Depends(recipient)) -> dict:
        s = share_for(share, who)
        return {"share": {"name": s.name, "id": _id("share", s.name)}}

    @app.get(PREFIX + "/shares/{share}/schemas")
    def list_schemas(
        share: str, maxResults: int | None = None, pageToken: str | None = None, who: str = Depends(recipient)
    ) -> dict:
        s = share_for(share, who)
        return _page([{"name": s.schema, "share": s.name}], maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables")
    def list_tables(
        share: str,
        schema: str,
        maxResults: int | None = None,
        pageToken: str | None = None,
        who: str = Depends(recipient),
    ) -> dict:
        s = share_for(share, who)
        if schema != s.schema:
            raise SharingError(404, "SCHEMA_NOT_FOUND", f"{share}.{schema} does not exist")
        return _page([table_item(s, t) for t in s.tables], maxResults, pageToken)

    @app.get(PREFIX + "/shares/{share}/all-tables")
    def list_all_tables(
        share: str, maxResults: int | None = None, pageToken: str | None = None, who: str = Depends(recipient)
    ) -> dict:
        s = share_for(share, who)
        return _page([table_item(s, t) for t in s.tables], maxResults, pageToken)

    @app.api_route(
        PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/version", methods=["GET", "HEAD"]
    )
    def table_version(
        share: str,
        schema: str,
        table: str,
        startingTimestamp: str | None = None,
        who: str = Depends(recipient),
    ) -> Response:
        uri = table_uri(share, schema, table, who)
        snap = open_snapshot(lake, uri)
        version = snap.version
        if startingTimestamp is not None:
            version = version_at_or_after(lake, uri, version, parse_timestamp(startingTimestamp))
        return Response(headers={"delta-table-version": str(version)})

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/metadata")
    def table_metadata(share: str, schema: str, table: str, who: str = Depends(recipient)) -> Response:
        snap = open_snapshot(lake, table_uri(share, schema, table, who))
        return _ndjson([snap.protocol_line(), snap.metadata_line(with_stats=True)], snap.version)

    @app.post(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/query")
    async def query_table(
        share: str, schema: str, table: str, request: Request, who: str = Depends(recipient)
    ) -> Response:
        uri = table_uri(share, schema, table, who)
        q = parse_query(await request.body())
        snap = open_snapshot(lake, uri, q.version, q.timestamp)
        lines = [snap.protocol_line(), snap.metadata_line()]
        root = base_url(request)
        table_rel = uri[len(lake.root.rstrip("/")) + 1 :]
        for f in snap.files(q.limit_hint):
            url, exp = signer.url(root, f"{table_rel}/{f.pop('path')}", url_ttl_seconds)
            f = {
                "url": url,
                **{k: v for k, v in f.items() if v is not None},
                "expirationTimestamp": exp * 1000,
            }
            lines.append({"file": f})
        return _ndjson(lines, snap.version)

    @app.get(PREFIX + "/shares/{share}/schemas/{schema}/tables/{table}/changes")
    def table_changes(
        share: str, schema: str, table: str, request: Request, who: str = Depends(recipient)
    ) -> Response:
        """The change data feed of versions start..end (both included), as `cdf` files."""
        uri = table_uri(share, schema, table, who)
        wanted = parse_changes(dict(request.query_params))
        snap = open_snapshot(lake, uri)
        name, latest = f"{share}.{schema}.{table}", snap.version
        require_change_feed(snap.dt, name)
        start = (
            wanted.starting_version
            if wanted.starting_version is not None
            else version_at_or_after(lake, uri, latest, wanted.starting_timestamp)
        )
        end = (
            wanted.ending_version
            if wanted.ending_version is not None
            else latest
            if wanted.ending_timestamp is None
            else version_at_or_before(lake, uri, latest, wanted.ending_timestamp)
        )
        if not start <= end <= latest:
            raise SharingError(
                400,
                "INVALID_PARAMETER_VALUE",
                f"the range of versions {start}..{end} is not within the table's versions 0..{latest}",
            )
        lines = [snap.protocol_line(), snap.metadata_line()]
        root = base_url(request) + "/changes"
        for f in changes.files(snap.dt, name, start, end):
            url, exp = change_signer.url(root, f.rel, url_ttl_seconds)
            lines.append(
                {
                    "cdf": {
                        "url": url,
                        "id": hashlib.md5(f.rel.encode(), usedforsecurity=False).hexdigest(),  # a file's id
                        "partitionValues": {},
                        "size": f.size,
                        "timestamp": f.timestamp_ms,
                        "version": f.version,
                        "expirationTimestamp": exp * 1000,
                    }
                }
            )
        return _ndjson(lines, start)

    def _signed_file(by: LocalUrlSigner, token: str, exp: int, sig: str) -> Response:
        path = by.resolve(token, exp, sig)
        if path is None:
            raise SharingError(403, "PERMISSION_DENIED", "the file URL is invalid or expired")
        if not os.path.isfile(path):
            raise SharingError(404, "NOT_FOUND", "the file no longer exists (vacuumed)")
        return FileResponse(path, media_type="application/octet-stream")

    @app.api_route(PREFIX + "/files/{token}", methods=["GET", "HEAD"])
    def get_file(token: str, exp: int, sig: str) -> Response:
        """Data files of a local lake, for URLs this server signed (no bearer token: the
        signature is the authorization, as with an S3 presigned URL)."""
        if not isinstance(signer, LocalUrlSigner):
            raise SharingError(404, "NOT_FOUND", "files are served by the object store")
        return _signed_file(signer, token, exp, sig)

    @app.api_route(PREFIX + "/changes/files/{token}", methods=["GET", "HEAD"])
    def get_change_file(token: str, exp: int, sig: str) -> Response:
        """The change files this server wrote (sharing/changes.py), for URLs it signed."""
        return _signed_file(change_signer, token, exp, sig)

    app.state.started_at = time.time()
    return app


def serve(host: str = "127.0.0.1", port: int = 8090) -> None:
    """`lakehouse sharing serve`: the server over the profile's lake, tokens from the env."""
    import uvicorn

    from platform_assets.profile import resources_for
    from platform_assets.settings import locations

    lake = resources_for()["lake"].process_config_and_initialize().lake()
    cache = locations().home / ".platform" / "sharing_changes"
    uvicorn.run(create_app(lake, change_cache_dir=str(cache)), host=host, port=port, log_level="info")
