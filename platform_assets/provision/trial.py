"""`lakehouse prod up|down|status`: bring `prod` up, on local protocol servers or a real account.

`up` with local servers (the trial on one machine): start moto's server (S3, DynamoDB, Kinesis,
Glue, CloudWatch) and fakesnow's (Snowflake's protocol over DuckDB) in the background, write
the environment a prod run reads into `.platform/prod-trial.env`, start and seed the embedded
Postgres if its shop is empty, then the same steps as on a real account:

1. provision what `prod` needs (`provision_all`: bucket, metadata table, stream, Glue
   databases, and the warehouse's provisioners), creating only what is missing;
2. take the raw zone's first full load (`first_load`), unless it holds one already;
3. run the whole asset graph with `PLATFORM_ENV=prod`, in process, as `make demo` does locally;
4. report the Delta tables on S3 (rows, versions) and the marts' row counts in Snowflake.

Without local servers (`--no-local-servers`, or when PLATFORM_LAKE_URI already names a lake
other than the trial's) nothing is started and nothing seeded: the environment's endpoints and
credentials are used as they are, which is how a team brings up a real account.

Everything is idempotent: a second `up` reuses the running servers, creates nothing, loads
nothing and changes no row. The servers keep their data in memory: `down` stops them (and the
embedded Postgres, if `up` started it) and the trial's lake and warehouse are gone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from platform_assets.errors import PlatformError
from platform_assets.provision import servers
from platform_assets.provision.trial_env import (
    TRIAL_LAKE_URI,
    aws_environment,
    env_file,
    new_pii_key,
    read_env_file,
    state_dir,
    trial_environment,
    write_env_file,
)
from platform_assets.settings import Locations, environment_overlay, locations

LOCAL_SERVERS = (servers.MOTO, servers.FAKESNOW)
POSTGRES_MARK = "postgres-started"  # in the state folder: `up` started the embedded Postgres


def wants_local_servers(choice: bool | None) -> bool:
    """The flag when given; else local servers unless the environment names another lake."""
    if choice is not None:
        return choice
    lake = os.environ.get("PLATFORM_LAKE_URI")
    return not lake or lake == TRIAL_LAKE_URI


@dataclass
class UpReport:
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _start_servers(loc: Locations, report: UpReport) -> dict[str, servers.RunningServer]:
    running: dict[str, servers.RunningServer] = {}
    for spec in LOCAL_SERVERS:  # moto first: fakesnow's stages read its S3
        env = aws_environment(running["moto"].url) if "moto" in running else {}
        server, started = servers.start(spec, state_dir(loc), env)
        running[spec.name] = server
        report.add(
            f"{spec.name} server: {server.url} (pid {server.pid}, "
            f"{'started' if started else 'already running'})"
        )
    return running


def _embedded_postgres(loc: Locations, report: UpReport) -> str:
    """The trial's source: PLATFORM_OLTP_DSN, else the embedded Postgres (started if needed)."""
    from platform_assets.sources.oltp.server import start_embedded

    if os.environ.get("PLATFORM_OLTP_DSN"):
        return os.environ["PLATFORM_OLTP_DSN"]
    was_running = (loc.oltp_data_dir / "postmaster.pid").exists()
    dsn = start_embedded(loc.oltp_data_dir)
    if not was_running:
        servers.write_private(state_dir(loc) / POSTGRES_MARK, str(loc.oltp_data_dir))
    report.add(
        f"postgres: embedded in {loc.oltp_data_dir} ({'already running' if was_running else 'started'})"
    )
    return dsn


def _seed(dsn: str, orders: int, report: UpReport) -> None:
    import psycopg

    from platform_assets.sources.oltp.seed import seed

    with psycopg.connect(dsn) as conn:
        counts = seed(conn, orders=orders)  # leaves a shop with rows alone
    report.add("source rows: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


def _trial_env(loc: Locations, orders: int, report: UpReport) -> dict[str, str]:
    running = _start_servers(loc, report)
    dsn = _embedded_postgres(loc, report)
    _seed(dsn, orders, report)
    path = env_file(loc)
    pii_key = read_env_file(path).get("PLATFORM_PII_HASH_KEY") or new_pii_key()
    env = trial_environment(loc, running["moto"].url, running["fakesnow"].port, dsn, pii_key)
    write_env_file(path, env)
    report.add(f"environment: {path}")
    return env


def _land_events(lake, dsn: str, orders: int) -> str:
    """The trial's clickstream: a day of events up to now, landed on S3 as Firehose would
    (gzip JSON lines under raw/events/), about four per seeded order; once: a lake that has
    landed events gets none."""
    from datetime import UTC, datetime, timedelta

    import psycopg

    from platform_assets.contracts.events import EVENTS
    from platform_assets.raw.firehose_layout import list_after
    from platform_assets.sources.events.producer import (
        FirehoseFileSink,
        config_from_ids,
        produce,
        shop_ids,
    )

    if list_after(lake, EVENTS.stream, limit=1):
        return "clickstream: already landed, none added"
    with psycopg.connect(dsn) as conn:
        customers, products, order_ids, prices = shop_ids(conn)
    day = 86_400
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    stats = produce(
        FirehoseFileSink(lake),
        config_from_ids(customers, products, order_ids, prices, seed=7),
        rate=4 * orders / day,
        duration=day,
        start=start,
    )
    return (
        f"clickstream: {stats.records} records landed under raw/events/{EVENTS.stream}/ "
        f"({stats.valid} distinct valid events, {stats.duplicates} duplicates, "
        f"{stats.malformed} malformed, to be quarantined)"
    )


def _prod_lake():
    from platform_assets.profile import resources_for

    return resources_for("prod")["lake"].process_config_and_initialize().lake()


def up(
    orders: int = 5_000,
    local_servers: bool | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> UpReport:
    """Bring `prod` up (see the module's docstring); the report of every step."""
    from platform_assets.demo import run_pipeline
    from platform_assets.provision.first_load import take_full_load
    from platform_assets.provision.run import provision_all
    from platform_assets.provision.trial_summary import summary

    loc, report = locations(), UpReport()
    local = wants_local_servers(local_servers)
    env = _trial_env(loc, orders, report) if local else {"PLATFORM_ENV": "prod"}
    progress(str(report))
    with environment_overlay(env):
        dsn = os.environ.get("PLATFORM_OLTP_DSN")
        if not dsn:
            raise PlatformError("PLATFORM_OLTP_DSN is not set: the source the full load reads")
        step = UpReport()
        step.add(*[f"  {line}" for line in str(provision_all()).splitlines()])
        lake = _prod_lake()
        step.add(*take_full_load(dsn, lake).lines())
        if local:  # on a real account Firehose lands the clickstream
            step.add(_land_events(lake, dsn, orders))
        progress(str(step))
        progress("running the asset graph with PLATFORM_ENV=prod ...")
        run_pipeline()
        done = summary(lake)
        progress(done)
    report.lines += step.lines + [done]
    if local:
        report.add(f"open the UI on this environment:  set -a; . {env_file(loc)}; make dev")
        progress(report.lines[-1])
    return report


def down() -> list[str]:
    """Stop what `up` started: the local servers and, if `up` started it, the Postgres."""
    from platform_assets.sources.oltp.server import stop_embedded

    loc = locations()
    state = state_dir(loc)
    lines = []
    for spec in LOCAL_SERVERS:
        stopped = servers.stop(state, spec.name)
        lines.append(f"{spec.name} server: " + (f"stopped (pid {stopped.pid})" if stopped else "not running"))
    mark = state / POSTGRES_MARK
    if mark.exists():
        stopped_pg = stop_embedded(Path(mark.read_text()))
        mark.unlink()
        lines.append("postgres: " + ("stopped" if stopped_pg else "not running"))
    if env_file(loc).exists():
        env_file(loc).unlink()  # it points at servers that are gone, with their data
        lines.append(f"removed {env_file(loc)}")
    return lines


def status() -> list[str]:
    loc = locations()
    lines = []
    for spec in LOCAL_SERVERS:
        server = servers.running(state_dir(loc), spec.name)
        lines.append(
            f"{spec.name} server: "
            + (f"running at {server.url} (pid {server.pid})" if server else "not running")
        )
    path = env_file(loc)
    lines.append(f"environment: {path}" if path.exists() else "environment: none (run `lakehouse prod up`)")
    return lines
