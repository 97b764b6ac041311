"""The dbt docs site renders: generated, served over HTTP as `make docs` serves it, opened in
headless Chromium; the models and the lake sources are in the rendered page."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from servers import BROWSER_FLAGS, CHROMIUM

pytestmark = pytest.mark.slow

HEADLESS = [*BROWSER_FLAGS, "--virtual-time-budget=10000"]


def _dom(url: str, profile: Path) -> str:
    done = subprocess.run(
        [CHROMIUM, *HEADLESS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium); CI installs it"
)
def test_docs_site_renders_the_models_and_the_lake_sources(platform_home, tmp_path):
    from platform_assets.warehouse.docs import docs_server, generate_docs

    folder = generate_docs("local")
    manifest = json.loads((folder / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert {"fct_orders", "mart_cohort_retention", "mart_customer_lifetime_value"} <= {
        m["name"] for m in models
    }

    server = docs_server(folder, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        overview = _dom(base + "#!/overview", tmp_path / "chrome-1")
        source = _dom(base + "#!/source/source.lakehouse.curated.orders", tmp_path / "chrome-2")
    finally:
        server.shutdown()
        server.server_close()
    for m in models:  # every model is in the rendered navigation tree
        assert f'data-nav-unique-id="{m["unique_id"]}"' in overview, m["name"]
    assert 'data-nav-unique-id="source.lakehouse.curated.orders"' in overview
    # the source page shows where the data comes from: Postgres, CDC files, Delta zones
    assert "Postgres public.orders" in source and "curated/orders (Delta" in source
