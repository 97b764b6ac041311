"""The Dagster UI in a real browser, as a new user meets it after the demo.

`dagster dev` (the project's workspace.yaml, a DAGSTER_HOME in the test's tmp dir holding the
repo's dagster.yaml, a free port) runs in its own process group over a copy of the shared
built warehouse whose daily facts were materialized the way the demo does it (one single-run
backfill over the days of the orders). Headless Chromium opens the global asset graph (groups
expanded), the fact's partitions (as many materialized as there are days of orders), then
clicks "Materialize" on a cheap unpartitioned asset and follows the launched run to success.
Screenshots go to `<basetemp>/artifacts/dagster_ui/`. Last, `dagster dev` is stopped through
its process group and nothing of it is left running.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from browser import DevTools
from servers import CHROMIUM, stop_process_group

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium); CI installs it"
    ),
]

REPO = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")
# the capture sensor must not start an embedded Postgres in the copied home: a closed port
UNREACHABLE_OLTP = "postgresql://ui-test@127.0.0.1:9/none?connect_timeout=2"
CHEAP_ASSET = "metadata/contracts"  # unpartitioned; publishes the contracts to the local SQLite store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str, **variables) -> dict:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)
    response.raise_for_status()
    return response.json()["data"]


def _wait_until_loaded(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dagster dev exited: {log.read_text()[-3000:]}"
        try:
            entries = _graphql(url, query)["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"the code location did not load: {log.read_text()[-3000:]}")


def _prepare_instance(home: Path, dagster_home: Path) -> None:
    """The facts' partitions materialized in the instance `dagster dev` serves, as the demo does."""
    from dagster import DagsterInstance

    from platform_assets.definitions import build_definitions
    from platform_assets.demo import run_fact_backfill
    from platform_assets.warehouse.assets import dbt_fact_assets

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLATFORM_HOME", str(home))
        mp.setenv("DAGSTER_HOME", str(dagster_home))
        mp.delenv("PLATFORM_ENV", raising=False)
        mp.chdir(dagster_home)  # dagster.yaml's state folders are relative to the working directory
        job = build_definitions().resolve_job_def("lakehouse_pipeline")
        with DagsterInstance.get() as instance:
            run_fact_backfill(job, instance, set(dbt_fact_assets.keys))


def _wait_for_text(browser: DevTools, pattern: str, timeout: float = 60) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        text = browser.evaluate("document.body ? document.body.innerText : ''") or ""
        if m := re.search(pattern, text):
            return m
        assert time.monotonic() < deadline, f"{pattern!r} not on the page; it shows: {text[:1500]}"
        time.sleep(0.5)


def _open(browser: DevTools, url: str) -> None:
    browser.call("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")


def _screenshot(browser: DevTools, path: Path) -> None:
    path.write_bytes(base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))
    print(f"screenshot: {path}")


def _launched_run(url: str, asset: str, timeout: float = 60) -> str:
    """The id of the run materializing `asset`, once the webserver has it."""
    query = "{ runsOrError { ... on Runs { results { runId assetSelection { path } } } } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in _graphql(url, query)["runsOrError"]["results"]:
            if [a["path"] for a in run["assetSelection"] or []] == [asset.split("/")]:
                return run["runId"]
        time.sleep(0.5)
    raise TimeoutError(f"no run of {asset} was launched")


def _alt_key(browser: DevTools, letter: str) -> None:
    """Alt+<letter>, as the UI's keyboard shortcuts expect it (Alt+E: expand all groups)."""
    key = {"key": letter, "code": f"Key{letter.upper()}", "windowsVirtualKeyCode": ord(letter.upper())}
    for kind in ("keyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", type=kind, modifiers=1, **key)


def test_the_ui_shows_the_facts_partitions_and_runs_a_materialization(built_warehouse, tmp_path_factory):
    from platform_assets.lake import Lake
    from platform_assets.warehouse.partitions import order_days

    tmp = tmp_path_factory.mktemp("dagster_ui")
    home, dagster_home = tmp / "home", tmp / "dagster_home"
    shutil.copytree(built_warehouse.home, home)
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    shots = tmp_path_factory.getbasetemp() / "artifacts" / "dagster_ui"
    shots.mkdir(parents=True, exist_ok=True)
    placed = order_days(Lake(str(home / ".lake")))
    days = (max(placed) - min(placed)).days + 1
    assert days > 200  # a year of orders

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PLATFORM_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "PLATFORM_OLTP_DSN": UNREACHABLE_OLTP,
    }
    env.pop("PLATFORM_ENV", None)
    log = tmp / "dagster_dev.log"
    proc = subprocess.Popen(  # its own group: `dagster dev` and every process it starts
        [str(DAGSTER), "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=dagster_home,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    browser = None
    try:
        started = time.monotonic()
        _prepare_instance(home, dagster_home)  # while dagster dev loads the code location
        _wait_until_loaded(url, proc, log)
        print(f"facts' partitions materialized and dagster dev up in {time.monotonic() - started:.0f} s")
        browser = DevTools(tmp / "chrome")
        for domain in ("Page", "Runtime"):
            browser.call(f"{domain}.enable")
        browser.call(
            "Emulation.setDeviceMetricsOverride", width=1600, height=1200, deviceScaleFactor=1, mobile=False
        )

        # the global asset graph, every group expanded (collapsed is the UI's default)
        _open(browser, f"{url}/asset-groups")
        _wait_for_text(browser, r"Global asset lineage[\s\S]*warehouse_marts")
        _alt_key(browser, "e")
        _wait_for_text(browser, r"fct_orders[\s\S]*mart_daily_revenue")
        time.sleep(1)  # the layout settles
        _screenshot(browser, shots / "asset_graph.png")

        # the fact's partitions: one materialized per day of orders, none failed
        _open(browser, f"{url}/assets/warehouse/fct_orders?view=partitions")
        found = _wait_for_text(
            browser, r"(\d+) Partitions Selected[\s\S]*Failed \((\d+)\)[\s\S]*Materialized \((\d+)\)"
        )
        total, failed, materialized = map(int, found.groups())
        assert (materialized, failed) == (days, 0) and total >= days
        _screenshot(browser, shots / "fct_orders_partitions.png")

        # "Materialize" on a cheap unpartitioned asset, then its run to success on the run page
        _open(browser, f"{url}/assets/{CHEAP_ASSET}")
        _wait_for_text(browser, r"Latest materialization[\s\S]*Code location")  # the asset has loaded
        clicked = browser.evaluate(
            "(() => { const b = Array.from(document.querySelectorAll('button'))"
            ".find(b => b.innerText.trim() === 'Materialize' && !b.disabled);"
            " if (b) b.click(); return !!b; })()"
        )
        assert clicked, "no Materialize button on the asset page"
        _wait_for_text(browser, r"Launched run")  # the UI's toast
        run_id = _launched_run(url, CHEAP_ASSET)
        _open(browser, f"{url}/runs/{run_id}")
        _wait_for_text(browser, r"\bSuccess\b", timeout=120)
        status = _graphql(
            url,
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { status assetSelection { path } } } }",
            id=run_id,
        )["runOrError"]
        assert status == {"status": "SUCCESS", "assetSelection": [{"path": CHEAP_ASSET.split("/")}]}
        _screenshot(browser, shots / "run.png")
    finally:
        if browser is not None:
            browser.close()
        left = stop_process_group(proc)
    assert left == [], f"dagster dev left processes running: {left}"
    assert sorted(p.name for p in shots.glob("*.png")) == [
        "asset_graph.png",
        "fct_orders_partitions.png",
        "run.png",
    ]
