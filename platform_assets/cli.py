"""`lakehouse`: the command line of the platform.

    lakehouse oltp start|stop|seed|simulate   the shop's Postgres
    lakehouse cdc capture [--continuous]      CDC from the pgoutput slot into the raw zone
    lakehouse demo                            the whole platform once, with a summary
    lakehouse table history|show|restore      Delta time travel and guarded rollback
    lakehouse sharing serve                   the Delta Sharing server
    lakehouse events produce|consume|ingest   the clickstream
    lakehouse metadata publish|show           contracts in the metadata store
"""

from __future__ import annotations

import argparse
import sys
import time

from platform_assets.errors import PlatformError


def _oltp(args) -> None:
    import psycopg

    from platform_assets.resources import OltpResource
    from platform_assets.settings import locations
    from platform_assets.sources.oltp.server import stop_embedded

    loc = locations()
    if args.action == "stop":
        print("stopped" if stop_embedded(loc.oltp_data_dir) else "not running")
        return
    import os
    dsn = OltpResource(data_dir=str(loc.oltp_data_dir),
                       dsn=os.environ.get("PLATFORM_OLTP_DSN")).resolved_dsn()
    if args.action == "start":
        print(dsn)
    elif args.action == "seed":
        from platform_assets.sources.oltp.seed import seed
        with psycopg.connect(dsn) as conn:
            print(seed(conn, orders=args.orders, seed=args.seed, reset=args.reset))
    elif args.action == "simulate":
        from platform_assets.sources.oltp.workload import run_workload
        with psycopg.connect(dsn) as conn:
            stats = run_workload(conn, args.transactions, rate=args.rate, seed=args.seed)
        print(f"{stats.transactions} transactions: {stats.by_kind}")


def _cdc(args) -> None:
    from platform_assets.profile import resources_for

    resources = resources_for()
    lake = resources["lake"].process_config_and_initialize().lake()  # resolves EnvVars
    dsn = resources["oltp"].process_config_and_initialize().resolved_dsn()
    import psycopg

    from platform_assets.raw.assets import PUBLICATION, SLOT
    from platform_assets.raw.cdc_capture.capture import capture_once
    from platform_assets.raw.cdc_capture.slot import ensure_replication

    with psycopg.connect(dsn) as conn:
        ensure_replication(conn, slot=SLOT, publication=PUBLICATION)
    while True:
        result = capture_once(dsn, lake, slot=SLOT, publication=PUBLICATION)
        if result.files:
            print(f"captured {sum(result.changes.values())} changes into {len(result.files)} files")
        if not args.continuous:
            return
        time.sleep(args.interval)


def _demo(args) -> None:
    from platform_assets.demo import demo

    print(demo(args.orders))


def parser() -> argparse.ArgumentParser:
    from platform_assets.cli_args import non_negative_int, positive_float, positive_int

    p = argparse.ArgumentParser(prog="lakehouse", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    oltp = sub.add_parser("oltp", help="the shop's Postgres")
    oltp.add_argument("action", choices=["start", "stop", "seed", "simulate"])
    oltp.add_argument("--orders", type=positive_int, default=100_000, help="seed size (orders)")
    oltp.add_argument("--seed", type=non_negative_int, default=42, help="random seed")
    oltp.add_argument("--reset", action="store_true", help="seed: empty the tables first")
    oltp.add_argument("--transactions", type=positive_int, default=1000, help="simulate: how many")
    oltp.add_argument("--rate", type=positive_float, default=None, help="simulate: per second")
    oltp.set_defaults(func=_oltp)
    cdc = sub.add_parser("cdc", help="change data capture")
    cdc.add_argument("action", choices=["capture"])
    cdc.add_argument("--continuous", action="store_true")
    cdc.add_argument("--interval", type=positive_float, default=2.0)
    cdc.set_defaults(func=_cdc)
    demo = sub.add_parser("demo", help="run the whole platform once and print a summary")
    demo.add_argument("--orders", type=positive_int, default=100_000)
    demo.set_defaults(func=_demo)
    from platform_assets.cli_tables import add_sharing_commands, add_table_commands
    add_table_commands(sub)
    add_sharing_commands(sub)
    from platform_assets.cli_events import add_events_commands
    add_events_commands(sub)
    from platform_assets.cli_quarantine import add_quarantine_commands
    add_quarantine_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Bad arguments: argparse's `error: argument --flag: ...` and exit 2 (types in cli_args.py,
    combinations in a sub-command's `check`); a PlatformError while running: `error: ...`, 1."""
    p = parser()
    args = p.parse_args(argv)
    if (check := getattr(args, "check", None)) and (problem := check(args)):
        p.error(problem)
    try:
        args.func(args)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
