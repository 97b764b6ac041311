"""`lakehouse dashboards serve`: the built pages behind sign-in, each for its audience.

- `GET /` (or `/index.html`): the index of the dashboards the user may open (and that are built);
- `GET /<name>.html`: a page, if the user is in one of its audiences;
- `GET /healthz`: no sign-in, for load balancers (and `/favicon.ico`, empty).

No or wrong credentials: 401 with `WWW-Authenticate` (basic and bearer); a dashboard outside the
user's audiences: 403; an unknown or not yet built dashboard: 404 (after sign-in, so names do
not leak). Pages are read from the site on every request: a rebuild shows at the next reload.
The access log has method, path, status and user, never a header or a secret.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from platform_assets.dashboards.access import AuthError, User, Users
from platform_assets.dashboards.registry import BY_NAME, DASHBOARDS, INDEX_NAME
from platform_assets.dashboards.render import index_html
from platform_assets.dashboards.site import DashboardSite

log = logging.getLogger("platform_assets.dashboards.server")
CHALLENGE = {"WWW-Authenticate": 'Basic realm="dashboards", Bearer realm="dashboards"'}


def create_app(site: DashboardSite, users: Users) -> FastAPI:
    app = FastAPI(title="Dashboards", docs_url=None, redoc_url=None, openapi_url=None)

    def signed_in(request: Request) -> User | Response:
        try:
            return users.authenticate(request.headers.get("authorization"))
        except AuthError as exc:
            return PlainTextResponse(f"sign in: {exc}", status_code=401, headers=CHALLENGE)

    def _log(request: Request, status: int, user: User | None) -> None:
        log.info("%s %s %s user=%s", request.method, request.url.path, status, user.name if user else "-")

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/favicon.ico")
    def favicon() -> Response:  # browsers ask unprompted; a 401 would be a console error
        return Response(status_code=204)

    @app.get("/")
    @app.get(f"/{INDEX_NAME}.html")
    def index(request: Request) -> Response:
        user = signed_in(request)
        if isinstance(user, Response):
            _log(request, 401, None)
            return user
        entries = [s for d in DASHBOARDS if user.may_open(d) and (s := site.summary(d.name))]
        _log(request, 200, user)
        return HTMLResponse(index_html(entries, user=user.name))

    @app.get("/{name}.html")
    def page(name: str, request: Request) -> Response:
        user = signed_in(request)
        if isinstance(user, Response):
            _log(request, 401, None)
            return user
        dashboard = BY_NAME.get(name)
        data = site.read(dashboard.file_name) if dashboard else None
        if dashboard is None or data is None:
            _log(request, 404, user)
            return PlainTextResponse(f"no dashboard {name!r}", status_code=404)
        if not user.may_open(dashboard):
            _log(request, 403, user)
            return PlainTextResponse(
                f"{user.name} is not in the audience of {name} ({', '.join(dashboard.audiences)})",
                status_code=403,
            )
        _log(request, 200, user)
        return HTMLResponse(data.decode())

    return app


def serve(site: DashboardSite, users: Users, host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"dashboards on http://{host}:{port}/ ({len(users.users)} users)", flush=True)
    # uvicorn's own access log would repeat each request; ours names the user
    uvicorn.run(create_app(site, users), host=host, port=port, access_log=False, log_level="warning")
