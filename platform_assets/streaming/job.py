"""`cdc_stream`: one long-lived run whose one op carries every batch of changes to the facts.

Why a loop in one run: launching a run costs 5-10 s here (a process that loads the code
location) and the dbt CLI about 5 s more per invocation, so one run per batch cannot bring a
commit to `fct_orders` within seconds. The op polls the slot every `poll_interval_s` and runs
batch.py's lake batches (capture, apply, curate); a thread beside it runs the warehouse rounds
(load, dbt) of what they curated, so the lake does not wait for dbt. Each batch and round
reports an `AssetMaterialization` per asset it refreshed (so the asset graph shows them
fresh) and one log line with its stage seconds.

Stopping, never mid-batch: at the deadline (`seconds`) once the slot is drained, or when the
run is terminated from the UI (Dagster interrupts the run's process; the interrupt is held
until the batch in flight is done, and a run marked CANCELING is seen between batches); the
warehouse thread then finishes its round and one more for what is left. While it runs, the
CDC sensors request nothing (capture_sensor.py, raw_files_sensor.py).
"""

import queue
import threading
import time
from functools import cache

from dagster import Config, DagsterRunStatus, OpExecutionContext, job, op
from dagster._utils.interrupts import capture_interrupts, check_captured_interrupt
from pydantic import Field

from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.orchestration.run_tags import TRIGGER_TAG
from platform_assets.processed.compute.engine import ProcessedEngine
from platform_assets.raw.assets import PUBLICATION, SLOT, check_source_tables
from platform_assets.raw.full_load import full_load
from platform_assets.resources import LakeResource, OltpResource
from platform_assets.streaming.batch import StreamSteps
from platform_assets.streaming.dbt_in_process import DbtSettings, InProcessDbt
from platform_assets.streaming.names import STREAM_JOB, STREAM_TRIGGER
from platform_assets.warehouse.loader import CuratedLoader
from platform_assets.warehouse.resources import PlatformDbtCliResource

STATUS_CHECK_S = 1.0  # how often the loop asks the instance whether the run is being cancelled


class StreamConfig(Config):
    seconds: float = Field(
        default=3600,
        ge=0,
        description="How long to keep polling; at the end what is pending is drained (0: drain and stop).",
    )
    poll_interval_s: float = Field(default=0.5, gt=0, description="Seconds between polls of an idle slot.")
    max_changes: int = Field(
        default=20_000, gt=0, description="Changes per batch at most (whole transactions)."
    )


@cache
def in_process_dbt(settings: DbtSettings) -> InProcessDbt:
    """One parsed project per dbt settings and process (parsing takes seconds)."""
    return InProcessDbt(settings)


@op(description="Polls the pgoutput slot and carries each batch from capture to the facts.")
def stream_changes(
    context: OpExecutionContext,
    config: StreamConfig,
    lake: LakeResource,
    oltp: OltpResource,
    warehouse_loader: CuratedLoader,
    dbt: PlatformDbtCliResource,
    processed_engine: ProcessedEngine,
) -> None:
    if not processed_engine.in_process:
        raise PlatformError(
            f"the CDC stream applies in process (delta-rs); the profile's processed engine is "
            f"{processed_engine.kind!r}: use the capture sensor's runs instead"
        )
    the_lake, dsn = lake.lake(), oltp.resolved_dsn()
    steps = StreamSteps(
        the_lake, dsn, warehouse_loader, in_process_dbt(DbtSettings.of(dbt)), config.max_changes
    )
    start = time.monotonic()
    _prepare(context, steps)
    context.log.info(f"ready in {time.monotonic() - start:.1f} s (dbt project parsed); streaming")
    deadline = start + config.seconds
    stop = _Stop(context)
    warehouse = WarehouseWorker(steps, config.poll_interval_s)
    warehouse.start()
    try:
        with capture_interrupts():  # an interrupt waits for the batch in flight
            catch_up = True
            while True:
                report = steps.lake_batch(catch_up=catch_up)
                catch_up = False
                if report is not None:
                    warehouse.wake()
                    _log(context, report)
                for done in warehouse.reports():
                    _log(context, done)
                warehouse.raise_failure()
                idle = report is None
                if stop.requested() or (idle and time.monotonic() >= deadline):
                    break
                if idle:  # after a batch with changes the slot is polled again at once
                    stop.wait(min(config.poll_interval_s, max(0.0, deadline - time.monotonic())))
            why = stop.reason or "deadline reached"
    finally:
        warehouse.finish()  # the round in flight, then one for what the last batches curated
    for done in warehouse.reports():
        _log(context, done)
    warehouse.raise_failure()
    context.log.info(f"stream stopped ({why}) after {steps.batches} batches, {steps.rounds} warehouse rounds")


def _log(context: OpExecutionContext, report) -> None:
    """From the op's thread: the batch's materializations, warnings and its one line."""
    for m in report.materializations():
        context.log_event(m)
    for warning in report.warnings:
        context.log.warning(warning)
    context.log.info(report.line())


class WarehouseWorker(threading.Thread):
    """Warehouse rounds in a thread of their own, while the op's thread keeps capturing:
    woken by each lake batch, or every poll while tables wait for a busy warehouse. Reports
    go back to the op's thread (Dagster events are logged there)."""

    FINISH_RETRIES_S = 60  # at the end, how long a busy warehouse is waited for

    def __init__(self, steps: StreamSteps, poll_s: float) -> None:
        super().__init__(name="stream-warehouse", daemon=True)
        self.steps, self.poll_s = steps, poll_s
        self._wake, self._finish = threading.Event(), threading.Event()
        self._done: queue.Queue = queue.Queue()
        self.failure: BaseException | None = None

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        finish_by = None
        try:
            while True:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                report = self.steps.warehouse_round()
                if report is not None:
                    self._done.put(report)
                if self._finish.is_set():
                    finish_by = finish_by or time.monotonic() + self.FINISH_RETRIES_S
                    if not self.steps.warehouse_pending() or time.monotonic() > finish_by:
                        return  # what still waits is the next stream's catch-up
        except BaseException as exc:  # handed to the op's thread, which fails the run
            self.failure = exc

    def finish(self) -> None:
        self._finish.set()
        self._wake.set()
        self.join()

    def reports(self) -> list:
        out = []
        while not self._done.empty():
            out.append(self._done.get())
        return out

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure


def _prepare(context: OpExecutionContext, steps: StreamSteps) -> None:
    """What the raw asset does before it captures: the source tables exist, the slot is the
    one the lake recorded (a lost slot is an error with the recovery), a full load of the
    tables that have none; and dbt's project is parsed once."""
    import psycopg

    from platform_assets.raw.cdc_capture.slot_record import ensure_recorded_replication

    with psycopg.connect(steps.dsn) as conn:
        check_source_tables(conn)
        ensure_recorded_replication(conn, steps.lake, SLOT, PUBLICATION)
    loaded = full_load(steps.dsn, steps.lake, list(CONTRACTS.values()))
    if loaded.rows:
        context.log.info(f"full load: {loaded.rows}")
    steps.dbt.manifest  # noqa: B018 -- parse now, not inside the first batch's timing


class _Stop:
    """Whether the run should end: an interrupt (termination from the UI) or CANCELING."""

    def __init__(self, context: OpExecutionContext) -> None:
        self.context, self.reason, self._checked = context, "", 0.0

    def requested(self) -> bool:
        if check_captured_interrupt():
            self.reason = "interrupted"
        elif time.monotonic() - self._checked >= STATUS_CHECK_S:
            self._checked = time.monotonic()
            run = self.context.instance.get_run_by_id(self.context.run_id)
            if run is not None and run.status == DagsterRunStatus.CANCELING:
                self.reason = "run terminated"
        return bool(self.reason)

    def wait(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not check_captured_interrupt():
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))


@job(
    name=STREAM_JOB,
    description="A long-lived CDC run: polls the pgoutput slot and carries each batch to the "
    "facts (capture, apply, curate, warehouse load, dbt in process). `lakehouse stream`.",
    tags={TRIGGER_TAG: STREAM_TRIGGER},  # the CDC sensors hold back while it runs
)
def cdc_stream():
    stream_changes()
