"""The dashboards server, in process (uvicorn in a thread; FastAPI's TestClient needs httpx2,
which is not installed): sign-in by basic auth or bearer token, 401 without or with wrong
credentials, 403 outside the audience, an index per user, and no secret in the log. Pages are
small stand-ins written like the assets write them."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from servers import ThreadedServer

from platform_assets.dashboards.access import Users, load_users, write_demo_users
from platform_assets.dashboards.registry import AUDIENCES, DASHBOARDS, dashboards_for
from platform_assets.dashboards.server import create_app
from platform_assets.dashboards.site import DashboardSite
from platform_assets.errors import PlatformError

USERS = {
    "fiona": {"password": "fiona-pass-1", "groups": ["finance"]},
    "gus": {"password": "gus-pass-2", "groups": ["growth"]},
    "growth-bot": {"token": "tok-growth-3", "groups": ["growth"]},
    "dana": {"password": "dana-pass-4", "groups": ["data-science", "merchandising"]},
}


class Client:
    def __init__(self, url: str):
        self.url = url

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)


@pytest.fixture
def client(tmp_path):
    site = DashboardSite(root=str(tmp_path))
    for d in DASHBOARDS:
        site.write(d.file_name, f"<html><h1>{d.title}</h1></html>".encode())
        summary = {"name": d.name, "title": d.title, "data_as_of": "curated load #3", "built_at": "x"}
        site.write(f"{d.name}.json", json.dumps({**summary, "missing_tables": []}).encode())
    with ThreadedServer(create_app(site, Users.from_mapping(USERS))) as server:
        yield Client(server.url)


def test_no_or_wrong_credentials_are_refused(client):
    for path in ("/", "/index.html", "/revenue.html", "/nope.html"):
        r = client.get(path)
        assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"], path
    assert client.get("/revenue.html", auth=("fiona", "wrong")).status_code == 401
    assert client.get("/revenue.html", auth=("nobody", "fiona-pass-1")).status_code == 401
    assert client.get("/funnel.html", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/funnel.html", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_each_user_opens_exactly_the_dashboards_of_their_groups(client):
    for name, spec in USERS.items():
        auth = (
            {"headers": {"Authorization": f"Bearer {spec['token']}"}}
            if "token" in spec
            else {"auth": (name, spec["password"])}
        )
        allowed = {d.name for d in dashboards_for(set(spec["groups"]))}
        assert allowed, name
        for d in DASHBOARDS:
            r = client.get(f"/{d.name}.html", **auth)
            assert r.status_code == (200 if d.name in allowed else 403), (name, d.name)
            if r.status_code == 200:
                assert d.title in r.text
        index = client.get("/", **auth)
        assert index.status_code == 200
        linked = {d.name for d in DASHBOARDS if f'href="{d.name}.html"' in index.text}
        assert linked == allowed, name
    # finance sees revenue, the growth team the funnel, not each other's
    assert client.get("/revenue.html", auth=("gus", "gus-pass-2")).status_code == 403
    assert client.get("/funnel.html", auth=("fiona", "fiona-pass-1")).status_code == 403
    assert client.get("/nope.html", auth=("fiona", "fiona-pass-1")).status_code == 404


def test_no_secret_reaches_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.get("/revenue.html", auth=("fiona", "fiona-pass-1"))
    client.get("/revenue.html", headers={"Authorization": "Bearer tok-growth-3"})
    client.get("/revenue.html", auth=("fiona", "wrong-secret"))
    text = caplog.text
    assert "user=fiona" in text and "403" in text
    for secret in ("fiona-pass-1", "tok-growth-3", "wrong-secret"):
        assert secret not in text


def test_users_are_checked_and_the_demo_file_is_private(tmp_path, monkeypatch):
    with pytest.raises(PlatformError, match="unknown groups sales"):
        Users.from_mapping({"x": {"password": "p", "groups": ["sales"]}}, "users.json")
    with pytest.raises(PlatformError, match="neither a password nor a token"):
        Users.from_mapping({"x": {"groups": ["finance"]}})
    monkeypatch.delenv("PLATFORM_DASHBOARD_USERS", raising=False)
    monkeypatch.delenv("PLATFORM_DASHBOARD_USERS_FILE", raising=False)
    with pytest.raises(PlatformError, match="no dashboard users"):
        load_users(tmp_path)
    path = tmp_path / ".platform" / "dashboard_users.json"
    assert write_demo_users(path) and not write_demo_users(path)  # written once, kept
    assert path.stat().st_mode & 0o777 == 0o600
    users = load_users(tmp_path)
    assert set(users.users) == {*AUDIENCES, "analyst"}
    assert users.users["analyst"].groups == frozenset(AUDIENCES)
    path.write_text("{not json")
    with pytest.raises(PlatformError, match="dashboard_users.json is not valid JSON"):
        load_users(tmp_path)
