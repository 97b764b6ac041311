"""The fault suite, dbt: the dbt build of the warehouse's incremental facts (their Dagster
asset, platform_assets/warehouse/assets.py) killed with SIGKILL after the first fact was built,
with dbt building the next (dbt dies with the run's process group, as when the machine running
it is lost), then run again, twice: every warehouse table equals the undisturbed build's
(tests/conftest.py `built_warehouse`), no fact row doubled or lost. The rebuild starts from that
built warehouse, as a nightly run does; only the facts are rebuilt, to keep the suite fast."""

from __future__ import annotations

import shutil

import pytest
from fault_compare import differences, warehouse_tables
from fault_steps import STEPS, run_killed

from platform_assets.settings import Locations

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def test_dbt_build_killed_then_rerun_equals_the_undisturbed_build(built_warehouse, tmp_path):
    expected = {"warehouse": warehouse_tables(built_warehouse.warehouse_path)}
    home = tmp_path / "home"
    shutil.copytree(built_warehouse.home, home)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PLATFORM_KILL_AT", raising=False)
        mp.setenv("PLATFORM_HOME", str(home))  # restored after: the step sets it for dbt
        assert run_killed("build_facts", home, kill_at="dbt.after_model#1", timeout=300) == -9
        for _ in range(2):  # a rerun, then one more: a finished build changes nothing
            STEPS["build_facts"](home)
            got = {"warehouse": warehouse_tables(Locations(home).warehouse_path)}
            assert differences(got, expected) == []
