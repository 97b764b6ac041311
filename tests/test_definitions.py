"""The code location: every contract table in every zone, every dbt model, lineage = data flow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey

from platform_assets.contracts import CONTRACTS
from platform_assets.definitions import defs
from platform_assets.settings import DBT_PROJECT_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_every_contract_table_has_an_asset_in_each_zone_in_data_flow_order():
    graph = defs.resolve_asset_graph()
    for name in CONTRACTS:
        raw, processed, curated = (AssetKey([z, name]) for z in ("raw", "processed", "curated"))
        assert graph.get(processed).parent_keys == {raw}
        assert graph.get(curated).parent_keys == {processed}
        assert graph.get(raw).group_name == "raw"
        assert graph.get(curated).group_name == "curated"


def test_every_dbt_model_is_a_warehouse_asset():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    keys = defs.resolve_all_asset_keys()
    assert {AssetKey(["warehouse", m]) for m in models} <= set(keys)
    assert AssetKey(["warehouse", "fct_orders"]) in keys


def test_every_check_says_what_it_asserts():
    """The UI's check list is read by people: no check without a description (dbt tests get
    theirs from their arguments or tests/_tests.yml, in warehouse/translator.py)."""
    graph = defs.resolve_asset_graph()
    undescribed = sorted(
        k.to_user_string() for k in graph.asset_check_keys if not graph.get_check_spec(k).description
    )
    assert undescribed == []
    assert len(graph.asset_check_keys) > 100  # every dbt test is there, not only a few


def test_every_sensor_target_reads_as_a_query_or_a_job():
    """The UI shows a sensor's target: a selection query or a job's name, never a Python repr."""
    for sensor in defs.get_repository_def().sensor_defs:
        if sensor.asset_selection is not None:
            assert "Selection(" not in sensor.asset_selection.to_selection_str(), sensor.name


def test_reconciliation_checks_on_every_processed_table():
    check_keys = {k for k in defs.resolve_asset_graph().asset_check_keys}
    for name in CONTRACTS:
        assert any(
            k.asset_key == AssetKey(["processed", name]) and k.name == "matches_postgres" for k in check_keys
        )


@pytest.mark.slow
def test_dagster_cli_validates_and_lists_assets():
    # as a Dagster user types it in the project root: no DAGSTER_HOME, nothing the Makefile sets
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    dagster = str(Path(sys.executable).with_name("dagster"))
    validate = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert validate.returncode == 0, validate.stderr[-2000:]
    listed = subprocess.run(
        [dagster, "asset", "list", "-m", "platform_assets.definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    for name in CONTRACTS:
        for zone in ("raw", "processed", "curated"):
            assert f"{zone}/{name}" in listed.stdout
    assert "warehouse/fct_orders" in listed.stdout


@pytest.mark.slow
def test_dagster_asset_materialize_works_where_dagster_yaml_is_without_settings(tmp_path):
    """`dagster asset materialize` typed in a folder holding the repo's dagster.yaml, with no
    DAGSTER_HOME: Dagster makes a temporary instance from that file, whose state folders are
    relative, so nothing the Makefile sets is needed."""
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "PLATFORM_ENV")}
    env["PLATFORM_HOME"] = str(tmp_path)
    dagster = str(Path(sys.executable).with_name("dagster"))
    run = subprocess.run(
        [dagster, "asset", "materialize", "-m", "platform_assets.definitions"]
        + ["--select", "metadata/contracts"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "RUN_SUCCESS" in run.stderr + run.stdout
    assert (tmp_path / ".dagster" / "history").is_dir()  # the instance's storage, where the file says
