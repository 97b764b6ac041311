"""The fault suite, two deployments writing one Delta table: two processes apply the same raw
files to the same processed tables at the same moment. Each succeeds or fails with a clear
error naming the table (a Delta commit conflict), and the end state equals one undisturbed
apply: no change applied twice, none lost."""

from __future__ import annotations

import pytest
from fault_compare import differences, home_state
from fault_homes import copy_of, fault_env, reference
from fault_steps import STEPS, run_together

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def pii_key():
    with fault_env():
        yield


@pytest.mark.parametrize("attempt", [1, 2])  # the interleaving varies: twice
def test_two_deployments_applying_the_same_files_at_once(attempt, tmp_path_factory, tmp_path):
    expected, _ = reference("apply", tmp_path_factory)
    home = copy_of("base", tmp_path_factory, tmp_path / "home")
    errors = run_together("apply", home)
    assert "" in errors, f"neither deployment succeeded: {errors}"
    for error in filter(None, errors):
        assert error.startswith("PlatformError: processed."), f"not a clear failure: {error}"
    assert differences(home_state(home), expected) == []
    STEPS["apply"](home)
    assert differences(home_state(home), expected) == []
