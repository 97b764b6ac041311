"""The fault suite, lake and warehouse steps: each step killed with SIGKILL at its boundaries
(platform_assets/killpoints.py) in a real child process, then run again, twice; every table
must equal an undisturbed run's.

The prepared homes (raw files of two tables, processed, part of curated, a warehouse copy,
landed events) and each step's undisturbed result come from fault_homes.py, built once per
session; every kill works on its own copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_compare import differences, home_state
from fault_homes import INPUT_OF, copy_of, fault_env, prepared_homes, reference
from fault_steps import STEPS, lake_of, run_killed

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# (step, kill point): the step runs in a child process that kills itself at the point
KILLS = [
    ("apply", "apply.after_merge#1"),  # products' MERGE committed, its applied log not written
    ("apply", "apply.after_log#1"),  # between the two tables
    ("apply", "apply.after_merge#2"),  # orders' MERGE committed, its log not written
    ("curate", "curated.after_merge#1"),  # incremental MERGE committed, orders not begun
    ("curate", "curated.after_rebuild#1"),  # first build of curated orders committed
    ("load", "warehouse.after_statement#4"),  # inside the transaction: COPY done, files not recorded
    ("load", "warehouse.after_table#1"),  # products committed, orders not begun
    ("load", "warehouse.after_statement#10"),  # orders' first load, mid-transaction
    ("land_events", "events.after_merge#1"),  # rows committed, landed files not recorded
    ("land_events", "events.after_record#1"),  # between two MERGE batches
    ("land_events", "events.after_merge#2"),  # the second batch committed, not recorded
    ("maintain", "maintenance.after_compact#1"),  # OPTIMIZE committed, VACUUM not run
    ("restore", "restore.before_commit#1"),  # applied log marked rolled back, no restore yet
    ("restore", "restore.after_commit#1"),  # restored, curated not rebuilt, no audit record
    ("restore", "restore.before_record#1"),  # curated rebuilt, no audit record
]


@pytest.fixture(scope="module", autouse=True)
def pii_key():
    with fault_env():
        yield


@pytest.mark.parametrize(("step", "kill_at"), [pytest.param(*k, id=k[1]) for k in KILLS])
def test_killed_at_a_step_boundary_then_rerun_equals_the_undisturbed_run(
    step, kill_at, tmp_path_factory, tmp_path
):
    expected, _ = reference(step, tmp_path_factory)
    home = copy_of(INPUT_OF[step], tmp_path_factory, tmp_path / "home")
    code = run_killed(step, home, kill_at=kill_at)
    assert code == -9, f"{step} was not killed at {kill_at} (exit code {code}): the point was never reached"
    STEPS[step](home)
    assert differences(home_state(home), expected) == []
    STEPS[step](home)  # and once more: a rerun of a finished step changes nothing
    assert differences(home_state(home), expected) == []


def test_every_step_changes_something(tmp_path_factory):
    """The reference runs did work: a kill point inside a step that wrote nothing proves nothing.
    Maintenance changes no row, only files: it must have compacted some."""
    prepared = prepared_homes(tmp_path_factory)
    for step, start in INPUT_OF.items():
        expected, home = reference(step, tmp_path_factory)
        if step == "maintain":
            before, after = (
                len(list(Path(lake_of(h).uri("processed", "orders")).rglob("*.parquet")))
                for h in (prepared[start], home)
            )
            assert after < before, "maintain compacted nothing"
            continue
        assert differences(home_state(prepared[start]), expected), f"{step} changed nothing"
