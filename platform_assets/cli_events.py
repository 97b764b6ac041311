"""`lakehouse events ...` and `lakehouse metadata ...`: the clickstream and the metadata store.

    lakehouse events produce --rate N --duration S   shop clickstream into the stream
    lakehouse events consume                         Kinesis -> raw zone (exactly once)
    lakehouse events ingest [--from D --to D]        landed files -> processed/events
    lakehouse metadata publish | show [NAME]         contracts in the metadata store

Wired into cli.py by `add_events_commands(subparsers)`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from platform_assets.cli_args import (
    iso_date,
    iso_time,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    probability,
)
from platform_assets.errors import PlatformError


def _resources() -> dict:
    """The profile's resources, initialized (EnvVars resolved); defaults for keys the profile
    does not configure yet (metadata_store, events)."""
    from platform_assets.metadata.resources import local_metadata_store
    from platform_assets.profile import resources_for
    from platform_assets.settings import locations
    from platform_assets.sources.events.resources import EventStreamResource

    res = dict(resources_for())
    res.setdefault("metadata_store", local_metadata_store(locations().home))
    res.setdefault("events", EventStreamResource())
    return {k: res[k].process_config_and_initialize()
            for k in ("lake", "metadata_store", "events", "oltp")}


def _ids(args, res):
    from platform_assets.sources.events.producer import config_from_ids, shop_ids

    knobs = {"seed": args.seed, "duplicate_rate": args.duplicate_rate,
             "malformed_rate": args.malformed_rate, "late_rate": args.late_rate}
    if args.ids == "synthetic":
        return config_from_ids(range(1, args.customers + 1), range(1, args.products + 1),
                               **knobs)
    import psycopg

    try:
        with res["oltp"].connect() as conn:
            customers, products, orders, prices = shop_ids(conn)
    except psycopg.errors.UndefinedTable:
        customers = products = []
    if not customers or not products:
        raise PlatformError("the shop has no customers or products yet; run "
                            "`lakehouse oltp seed` first, or pass --ids synthetic")
    return config_from_ids(customers, products, orders, prices, **knobs)


def _produce(args) -> None:
    from platform_assets.sources.events.producer import produce

    res = _resources()
    lake = res["lake"].lake()
    cfg = _ids(args, res)
    sink = res["events"].sink_for(lake)
    start = args.start.astimezone(UTC) if args.start else None
    print(f"producing {int(args.rate * args.duration)} events at {args.rate}/s "
          f"{'as fast as possible' if args.fast else 'in real time'} into "
          f"{res['events'].sink}", flush=True)
    stats = produce(sink, cfg, args.rate, args.duration, start=start, realtime=not args.fast)
    print(json.dumps({"records": stats.records, "valid": stats.valid,
                      "duplicates": stats.duplicates, "malformed": stats.malformed,
                      "late": stats.late, "by_type": stats.by_type,
                      "files": len(getattr(sink, "files", []))}))


def _consume(args) -> None:
    from platform_assets.streams.consumer import KinesisConsumer

    res = _resources()
    events = res["events"]
    consumer = KinesisConsumer(events.kinesis_client(), events.stream_name, res["lake"].lake(),
                               res["metadata_store"].store(), batch_size=args.batch_size)
    stats = consumer.run(idle_exit_seconds=args.idle_exit, poll_seconds=args.poll)
    print(json.dumps({"records": stats.records, "landed": stats.landed,
                      "quarantined": stats.quarantined, "batches": stats.batches,
                      "shards_finished": stats.shards_finished}))


def _ingest(args) -> None:
    from platform_assets.events_lake import ingest

    lake = _resources()["lake"].lake()
    if args.date_from:
        first, last = args.date_from, args.date_to or args.date_from
        result = (ingest.rebuild if args.rebuild else ingest.incremental)(lake, first, last)
    else:
        result = ingest.catch_up(lake)
    print(json.dumps({"mode": result.mode, "dates": f"{result.first_day}..{result.last_day}",
                      "files_read": result.files_read, "records": result.records_read,
                      "rows_inserted": result.rows_inserted, "quarantined": result.quarantined,
                      "delta_version": result.delta_version,
                      "seconds": round(result.seconds, 2)}))


def _check_ingest(args) -> str | None:
    """What is wrong with the combination of ingest arguments, if anything."""
    if args.date_to and not args.date_from:
        return "argument --to: needs --from"
    if args.rebuild and not args.date_from:
        return "argument --rebuild: needs --from (the partitions to rebuild)"
    if args.date_from and args.date_to and args.date_to < args.date_from:
        return f"argument --to: --to {args.date_to} is before --from {args.date_from}"
    return None


def _metadata(args) -> None:
    from platform_assets.metadata.publish import publish_contracts

    store = _resources()["metadata_store"].store()
    if args.action == "publish":
        for name, (version, changed) in publish_contracts(store).items():
            print(f"{name:<12} v{version}{'  (new version)' if changed else ''}")
    elif args.name:
        doc = store.contract(args.name)
        if doc is None:
            raise PlatformError(f"no contract {args.name!r} in the metadata store; run "
                                f"`lakehouse metadata publish`")
        print(json.dumps(doc, indent=2))
    else:
        for name, doc in sorted(store.contracts().items()):
            last = [store.last_materialization(d) for d in doc["datasets"]]
            when = max((m["timestamp"] for m in last if m), default=None)
            print(f"{name:<12} v{doc['schema_version']}  datasets={','.join(doc['datasets'])}"
                  f"  last_materialized="
                  f"{datetime.fromtimestamp(when, UTC).isoformat() if when else '-'}")


def add_events_commands(subparsers) -> None:
    events = subparsers.add_parser("events", help="shop clickstream: produce, consume, ingest")
    sub = events.add_subparsers(dest="events_command", required=True)
    produce = sub.add_parser("produce", help="generate clickstream events")
    produce.add_argument("--rate", type=positive_float, required=True, help="events per second")
    produce.add_argument("--duration", type=positive_float, required=True, help="seconds")
    produce.add_argument("--fast", action="store_true",
                         help="write at once with simulated times (ending now, or --start)")
    produce.add_argument("--start", type=iso_time,
                         help="ISO time of the first event (with --fast)")
    produce.add_argument("--ids", choices=["postgres", "synthetic"], default="postgres",
                         help="customer/product/order ids from the shop's Postgres, or 1..N")
    produce.add_argument("--customers", type=positive_int, default=1000,
                         help="with --ids synthetic")
    produce.add_argument("--products", type=positive_int, default=200,
                         help="with --ids synthetic")
    produce.add_argument("--seed", type=non_negative_int, default=7)
    produce.add_argument("--duplicate-rate", type=probability, default=0.02)
    produce.add_argument("--malformed-rate", type=probability, default=0.01)
    produce.add_argument("--late-rate", type=probability, default=0.02)
    produce.set_defaults(func=_produce)
    consume = sub.add_parser("consume", help="Kinesis stream -> raw zone, exactly once")
    consume.add_argument("--batch-size", type=positive_int, default=500)
    consume.add_argument("--idle-exit", type=non_negative_float, default=None,
                         help="stop after this many idle seconds (default: run forever)")
    consume.add_argument("--poll", type=positive_float, default=1.0)
    consume.set_defaults(func=_consume)
    ingest = sub.add_parser("ingest", help="landed files -> processed/events (outside Dagster)")
    ingest.add_argument("--from", dest="date_from", type=iso_date,
                        help="first event date (default: all)")
    ingest.add_argument("--to", dest="date_to", type=iso_date, help="last event date")
    ingest.add_argument("--rebuild", action="store_true", help="overwrite those partitions")
    ingest.set_defaults(func=_ingest, check=_check_ingest)

    metadata = subparsers.add_parser("metadata", help="the metadata store")
    metadata.add_argument("action", choices=["publish", "show"])
    metadata.add_argument("name", nargs="?", help="show: one contract")
    metadata.set_defaults(func=_metadata)
