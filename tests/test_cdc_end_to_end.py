"""CDC from a real Postgres through the raw zone into processed Delta, against Postgres.

A randomized workload (inserts, updates, deletes on every table, the same keys changed
repeatedly, TOASTed notes) is captured in several batches and applied after each; every
processed table must then equal Postgres row by row. One run has a fixed seed, one a fresh
random seed (printed, so a failure can be replayed).
"""

from __future__ import annotations

import random

import psycopg
import pytest

from platform_assets.contracts import CONTRACTS
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.cdc_capture.capture import capture_once
from platform_assets.raw.cdc_capture.slot import ensure_replication
from platform_assets.raw.full_load import full_load
from platform_assets.sources.oltp.seed import seed
from platform_assets.sources.oltp.workload import run_workload


def replicate(dsn, lake, rounds: int, transactions: int, workload_seed: int) -> None:
    with psycopg.connect(dsn) as conn:
        seed(conn, orders=300, seed=workload_seed)
        ensure_replication(conn)
    full_load(dsn, lake, list(CONTRACTS.values()))
    for c in CONTRACTS.values():
        apply_pending(lake, c)
    for i in range(rounds):
        with psycopg.connect(dsn) as conn:
            run_workload(conn, transactions, seed=workload_seed * 100 + i)
        capture_once(dsn, lake, max_changes=400)  # a bounded batch: some stay for later
        for c in CONTRACTS.values():
            apply_pending(lake, c)
    while capture_once(dsn, lake).files:
        pass
    for c in CONTRACTS.values():
        apply_pending(lake, c)


def assert_lake_equals_postgres(dsn, lake) -> None:
    with psycopg.connect(dsn) as conn:
        for c in CONTRACTS.values():
            r = reconcile(conn, lake, c)
            assert r.matches, f"{c.name}: {r}"


def test_fixed_seed_workload_leaves_lake_equal_to_postgres(pg_dsn, lake):
    replicate(pg_dsn, lake, rounds=4, transactions=250, workload_seed=5)
    assert_lake_equals_postgres(pg_dsn, lake)


@pytest.mark.slow
def test_random_seed_workload_leaves_lake_equal_to_postgres(pg_dsn, lake):
    workload_seed = random.SystemRandom().randrange(1, 10**6)
    print(f"workload seed: {workload_seed}")
    replicate(pg_dsn, lake, rounds=3, transactions=400, workload_seed=workload_seed)
    assert_lake_equals_postgres(pg_dsn, lake)
