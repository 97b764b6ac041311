"""Row counts of a prod run are read from the run's target, not from the prepared manifest
(parsed for `local`, it names DuckDB's database)."""

import json
from types import SimpleNamespace

from platform_assets.warehouse.assets import run_relation
from platform_assets.warehouse.project import manifest_path


def test_relations_come_from_the_runs_target():
    nodes = json.loads(manifest_path().read_text())["nodes"]
    fct = next(n for n in nodes.values() if n["name"] == "fct_orders")
    snowflake = SimpleNamespace(database="LAKEHOUSE", schema="ANALYTICS")
    assert fct["database"] != "LAKEHOUSE"  # the manifest names the local warehouse
    assert run_relation(snowflake, fct) == ("LAKEHOUSE", "marts", "fct_orders")
    snap = next(n for n in nodes.values() if n["name"] == "snap_customers")
    assert run_relation(snowflake, snap)[1] == "snapshots"
