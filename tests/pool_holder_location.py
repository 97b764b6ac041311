"""A tiny code location for test_run_monitoring.py: one asset in a pool, as the tables have.

Its sensor requests a holder run, whose step writes its process id (so the test can SIGKILL
the run worker) and then keeps the pool's slot; once the holder holds it, a follower run of
the same pool, which would finish at once. Runs come from a sensor, as the CDC runs do, so
the test needs no extra processes to submit them.
"""

import os
import time
from pathlib import Path

from dagster import (
    Config,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    asset,
    define_asset_job,
    in_process_executor,
    sensor,
)

POOL = "delta_processed_pool_test"  # no limit of its own: dagster.yaml's default_limit (1)
ROLE_TAG = "pool_test/role"


class HoldConfig(Config):
    hold_seconds: float = 0.0


@asset(pool=POOL)
def pooled_table(context, config: HoldConfig) -> None:
    Path(os.environ["POOL_TEST_DIR"], f"{context.run_id}.pid").write_text(str(os.getpid()))
    time.sleep(config.hold_seconds)


hold_pool = define_asset_job("hold_pool", selection=[pooled_table])


def _request(role: str, hold_seconds: float) -> RunRequest:
    return RunRequest(
        run_key=role,
        tags={ROLE_TAG: role},
        run_config={"ops": {"pooled_table": {"config": {"hold_seconds": hold_seconds}}}},
    )


@sensor(job=hold_pool, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING)
def holder_then_follower(context):
    yield _request("holder", 600)  # run keys: each run is requested once
    if any(Path(os.environ["POOL_TEST_DIR"]).glob("*.pid")):
        yield _request("follower", 0)


defs = Definitions(
    assets=[pooled_table], jobs=[hold_pool], sensors=[holder_then_follower], executor=in_process_executor
)  # as the project's jobs: steps in the run worker
