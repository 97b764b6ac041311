"""`lakehouse events ...`: the shop's clickstream.

lakehouse events produce --rate N --duration S   shop clickstream into the stream
lakehouse events consume                         Kinesis -> raw zone (exactly once)
lakehouse events ingest [--from D --to D]        landed files -> processed/events
"""

from __future__ import annotations

import json
from datetime import UTC

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import EVENTS, LAKE, OLTP, union
from platform_assets.cli.resources import initialized
from platform_assets.cli.values import COUNT, DATE, IDLE_SECONDS, RATE, SECONDS, SEED, SHARE, TIME
from platform_assets.errors import PlatformError


@click.group(cls=Group)
def events() -> None:
    """The shop's clickstream: produce, consume, ingest."""


def _ids_config(res: dict, ids: str, customers: int, products: int, **knobs):
    """The producer's config with ids from the shop's Postgres, or 1..N (`synthetic`)."""
    from platform_assets.sources.events.producer import config_from_ids, shop_ids

    if ids == "synthetic":
        return config_from_ids(range(1, customers + 1), range(1, products + 1), **knobs)
    import psycopg

    try:
        with res["oltp"].connect() as conn:
            customer_ids, product_ids, orders, prices = shop_ids(conn)
    except psycopg.errors.UndefinedTable:
        customer_ids = product_ids = []
    if not customer_ids or not product_ids:
        raise PlatformError(
            "the shop has no customers or products yet; run "
            "`lakehouse oltp seed` first, or pass --ids synthetic"
        )
    return config_from_ids(customer_ids, product_ids, orders, prices, **knobs)


@events.command(environment=union(EVENTS, OLTP))
@click.option("--rate", type=RATE, required=True, help="Events per second.")
@click.option("--duration", type=SECONDS, required=True, help="Seconds of events.")
@click.option(
    "--fast", is_flag=True, help="Write at once with simulated times (ending now, or from --start)."
)
@click.option("--start", type=TIME, default=None, help="ISO-8601 time of the first event (with --fast).")
@click.option(
    "--ids",
    type=click.Choice(["postgres", "synthetic"]),
    default="postgres",
    help="Customer, product and order ids from the shop's Postgres, or 1..N.",
)
@click.option("--customers", type=COUNT, default=1000, help="Customers, with --ids synthetic.")
@click.option("--products", type=COUNT, default=200, help="Products, with --ids synthetic.")
@click.option("--seed", type=SEED, default=7, help="Random seed of the events.")
@click.option(
    "--duplicate-rate",
    type=SHARE,
    default=0.02,
    help="Share of events sent twice (as a producer retry would).",
)
@click.option(
    "--malformed-rate", type=SHARE, default=0.01, help="Share of records that are not valid events."
)
@click.option(
    "--late-rate",
    type=SHARE,
    default=0.02,
    help="Share of events that arrive late (minutes to hours after they happened).",
)
def produce(
    rate: float,
    duration: float,
    fast: bool,
    start,
    ids: str,
    customers: int,
    products: int,
    seed: int,
    duplicate_rate: float,
    malformed_rate: float,
    late_rate: float,
) -> None:
    """Generate a realistic clickstream into the event stream (files locally, Kinesis in prod)."""
    from platform_assets.sources.events.producer import produce as produce_events

    res = initialized("lake", "events", "oltp")
    lake = res["lake"].lake()
    cfg = _ids_config(
        res,
        ids,
        customers,
        products,
        seed=seed,
        duplicate_rate=duplicate_rate,
        malformed_rate=malformed_rate,
        late_rate=late_rate,
    )
    sink = res["events"].sink_for(lake)
    start = start.astimezone(UTC) if start else None
    print(
        f"producing {int(rate * duration)} events at {rate}/s "
        f"{'as fast as possible' if fast else 'in real time'} into "
        f"{res['events'].sink}",
        flush=True,
    )
    stats = produce_events(sink, cfg, rate, duration, start=start, realtime=not fast)
    print(
        json.dumps(
            {
                "records": stats.records,
                "valid": stats.valid,
                "duplicates": stats.duplicates,
                "malformed": stats.malformed,
                "late": stats.late,
                "by_type": stats.by_type,
                "files": len(getattr(sink, "files", [])),
            }
        )
    )


@events.command(environment=EVENTS)
@click.option("--batch-size", type=COUNT, default=500, help="Records per GetRecords call.")
@click.option(
    "--idle-exit",
    type=IDLE_SECONDS,
    default=None,
    help="Stop after this many idle seconds (default: run forever).",
)
@click.option("--poll", type=SECONDS, default=1.0, help="Seconds between polls of a shard.")
def consume(batch_size: int, idle_exit: float | None, poll: float) -> None:
    """Read the Kinesis stream into the raw zone, exactly once (checkpoints in the metadata
    store)."""
    from platform_assets.streams.consumer import KinesisConsumer

    res = initialized("lake", "metadata_store", "events")
    stream = res["events"]
    consumer = KinesisConsumer(
        stream.kinesis_client(),
        stream.stream_name,
        res["lake"].lake(),
        res["metadata_store"].store(),
        batch_size=batch_size,
    )
    stats = consumer.run(idle_exit_seconds=idle_exit, poll_seconds=poll)
    print(
        json.dumps(
            {
                "records": stats.records,
                "landed": stats.landed,
                "quarantined": stats.quarantined,
                "batches": stats.batches,
                "shards_finished": stats.shards_finished,
            }
        )
    )


def _check_dates(ctx: click.Context, date_from, date_to, rebuild: bool) -> None:
    """Refuse a combination of dates that names no partitions, naming the flag."""
    if date_to and not date_from:
        raise click.BadParameter("needs --from", ctx=ctx, param_hint="--to")
    if rebuild and not date_from:
        raise click.BadParameter("needs --from (the partitions to rebuild)", ctx=ctx, param_hint="--rebuild")
    if date_from and date_to and date_to < date_from:
        raise click.BadParameter(f"--to {date_to} is before --from {date_from}", ctx=ctx, param_hint="--to")


@events.command(environment=LAKE)
@click.option(
    "--from",
    "date_from",
    type=DATE,
    default=None,
    help="First event date (default: every pending landed file).",
)
@click.option("--to", "date_to", type=DATE, default=None, help="Last event date (default: --from).")
@click.option("--rebuild", is_flag=True, help="Overwrite those dates' partitions.")
@click.pass_context
def ingest(ctx: click.Context, date_from, date_to, rebuild: bool) -> None:
    """Landed event files into processed/events (outside Dagster)."""
    from platform_assets.events_lake import ingest as events_ingest

    _check_dates(ctx, date_from, date_to, rebuild)
    lake = initialized("lake")["lake"].lake()
    if date_from:
        run = events_ingest.rebuild if rebuild else events_ingest.incremental
        result = run(lake, date_from, date_to or date_from)
    else:
        result = events_ingest.catch_up(lake)
    print(
        json.dumps(
            {
                "mode": result.mode,
                "dates": f"{result.first_day}..{result.last_day}",
                "files_read": result.files_read,
                "records": result.records_read,
                "rows_inserted": result.rows_inserted,
                "quarantined": result.quarantined,
                "delta_version": result.delta_version,
                "seconds": round(result.seconds, 2),
            }
        )
    )
