"""A run killed with SIGKILL gives its table's pool slot back, under this repo's dagster.yaml.

A real daemon (`dagster-daemon run`: sensor, run queue, DefaultRunLauncher, code server, run
monitoring) runs on a temporary DAGSTER_HOME holding a copy of the repo's dagster.yaml. A
holder run takes the pool's only slot and keeps it; a follower run of the same pool is
requested behind it; the holder's run worker is killed with SIGKILL. The code server (the
run worker's parent) marks the holder failed; run monitoring must then free its slot so the
follower finishes. Without it the follower waits for ever ("still blocked by limit for pool").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from pool_holder_location import POOL, ROLE_TAG

ROOT = Path(__file__).resolve().parents[1]
LOCATION = Path(__file__).with_name("pool_holder_location.py")
DAEMON = Path(sys.executable).with_name("dagster-daemon")


def wait_for(what: str, check, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


def run_of(instance: DagsterInstance, role: str):
    runs = instance.get_runs(RunsFilter(tags={ROLE_TAG: role}))
    return runs[0] if runs else None


@pytest.mark.slow
def test_sigkilled_run_releases_its_pool_and_the_next_run_finishes(tmp_path, monkeypatch):
    home, pids, log = tmp_path / "home", tmp_path / "pids", tmp_path / "daemon.log"
    home.mkdir()
    pids.mkdir()
    # the repo's instance, its state folders (relative to the working directory) moved into home
    config = (ROOT / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text(
        config.replace("base_dir: .dagster/logs", f"base_dir: {home / 'logs'}").replace(
            "base_dir: .dagster", f"base_dir: {home / 'state'}"
        )
    )
    for k, v in {"DAGSTER_HOME": home, "POOL_TEST_DIR": pids}.items():
        monkeypatch.setenv(k, str(v))

    with DagsterInstance.get() as instance:  # creates the storage before the daemon opens it
        with open(log, "w") as out:
            daemon = subprocess.Popen(
                [DAEMON, "run", "-f", LOCATION],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
                start_new_session=True,
            )  # its code server joins the group
        try:
            holder = wait_for(
                "the holder run to start", lambda: run_of(instance, "holder"), 90, log
            ).run_id  # daemon start-up: slow on a busy machine
            pid = wait_for(
                "the holder to take the pool slot",
                lambda: (pids / f"{holder}.pid").exists() and (pids / f"{holder}.pid").read_text(),
                40,
                log,
            )
            follower = wait_for("the follower run", lambda: run_of(instance, "follower"), 20, log).run_id
            info = instance.event_log_storage.get_concurrency_info(POOL)
            assert info.limit == 1 and info.active_run_ids == {holder}  # dagster.yaml's limit
            os.kill(int(pid), signal.SIGKILL)

            wait_for(
                "the holder to be marked failed",
                lambda: instance.get_run_by_id(holder).status == DagsterRunStatus.FAILURE,
                15,
                log,
            )
            done = wait_for(
                "the follower to finish",
                lambda: instance.get_run_by_id(follower).is_finished and instance.get_run_by_id(follower),
                40,
                log,
            )
            assert done.status == DagsterRunStatus.SUCCESS
            assert not instance.event_log_storage.get_concurrency_info(POOL).claimed_slots
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(5)
            except subprocess.TimeoutExpired:  # a daemon winds its threads down slowly
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(10)
