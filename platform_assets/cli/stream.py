"""`lakehouse stream`: the CDC stream (streaming/job.py), one long-lived run that carries each
batch of changes from the slot to the facts; here in this process, or submitted to the
Dagster UI's instance (`make dev`), where the UI shows it and can terminate it."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Command
from platform_assets.cli.environment import DAGSTER, OLTP, PROFILE, union
from platform_assets.cli.values import PORT, SECONDS, Value, non_negative_float


@click.command(cls=Command, environment=union(PROFILE, OLTP, DAGSTER))
@click.option(
    "--seconds",
    type=Value(non_negative_float, "SECONDS"),
    default=3600,
    show_default=True,
    help="How long to stream; what is pending at the end is drained (0: drain and stop).",
)
@click.option(
    "--poll", type=SECONDS, default=0.5, show_default=True, help="Seconds between polls of an idle slot."
)
@click.option(
    "--submit",
    is_flag=True,
    help="Submit the run to the Dagster UI (`make dev`) instead of running it here; prints its id.",
)
@click.option(
    "--ui-port", type=PORT, default=3000, show_default=True, help="The UI's port on 127.0.0.1, with --submit."
)
def stream(seconds: float, poll: float, submit: bool, ui_port: int) -> None:
    """Stream CDC batches from the slot to fct_orders in one long-lived run (Ctrl-C stops it
    after the batch in flight)."""
    from platform_assets.streaming.names import STREAM_JOB

    run_config = {"ops": {"stream_changes": {"config": {"seconds": seconds, "poll_interval_s": poll}}}}
    if submit:
        print(f"submitted {STREAM_JOB}: run {_submit(STREAM_JOB, run_config, ui_port)}")
        return
    _run_here(STREAM_JOB, run_config)


def _submit(job: str, run_config: dict, port: int) -> str:
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

    from platform_assets.errors import PlatformError

    try:
        return DagsterGraphQLClient("127.0.0.1", port_number=port).submit_job_execution(
            job, run_config=run_config
        )
    except (DagsterGraphQLClientError, OSError) as exc:
        raise PlatformError(
            f"could not submit {job} to the Dagster UI on 127.0.0.1:{port} (is `make dev` running?): {exc}"
        ) from exc


def _run_here(job: str, run_config: dict) -> None:
    """In this process, recorded in DAGSTER_HOME's instance when set (the capture sensor then
    sees the stream and holds back), else in a throwaway one."""
    import os

    from dagster import DagsterInstance

    from platform_assets.definitions import build_definitions
    from platform_assets.errors import PlatformError

    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    result = (
        build_definitions()
        .resolve_job_def(job)
        .execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
    )
    if not result.success:
        failures = [e.message for e in result.all_events if e.is_failure]
        raise PlatformError(
            f"{job} run {result.run_id} failed: {failures[-1] if failures else 'see its log'}"
        )
    print(f"{job} run {result.run_id} finished")
