"""The embedded Postgres: started and stopped by the platform, data under `.platform/`.

`pgserver` ships real Postgres 16 binaries. We keep it running between processes
(cleanup_mode=None) so the CLI, Dagster runs and tests share one server, and we turn on
logical decoding because CDC reads a `pgoutput` replication slot.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path

import psycopg

from platform_assets.errors import PlatformError

logging.getLogger("pgserver").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

DSN_ENV = "PLATFORM_OLTP_DSN"


def embedded_data_dir(home: Path) -> Path:
    return home / ".platform" / "pg"


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return its DSN."""
    import pgserver
    from pgserver._commands import pg_ctl

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            server = pgserver.get_server(data_dir, cleanup_mode=None)
        except subprocess.TimeoutExpired:  # a loaded machine can miss pg_ctl's 10 s once
            server = pgserver.get_server(data_dir, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - pgserver raises many kinds
        log = data_dir / "log"
        raise PlatformError(
            f"embedded Postgres in {data_dir} could not start ({type(exc).__name__}); "
            f"see {log}, or set {DSN_ENV} to use another Postgres"
        ) from exc
    dsn = server.get_uri()
    with psycopg.connect(dsn, autocommit=True) as conn:
        level = conn.execute("SHOW wal_level").fetchone()[0]
        if level != "logical":
            conn.execute("ALTER SYSTEM SET wal_level = logical")
            conn.execute("ALTER SYSTEM SET max_replication_slots = 10")
            conn.execute("ALTER SYSTEM SET max_wal_senders = 10")
    if level != "logical":
        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=data_dir, user=server.system_user)
    return dsn


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; True if it was running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=data_dir, user=user)
    except subprocess.CalledProcessError:
        return False
    return True


def resolve_dsn(data_dir: Path) -> str:
    """The DSN of the OLTP database: PLATFORM_OLTP_DSN if set, else the embedded server."""
    return os.environ.get(DSN_ENV) or start_embedded(data_dir)


def check_connection(dsn: str) -> None:
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PlatformError(
            f"cannot connect to the OLTP Postgres ({first}); start it with "
            f"`lakehouse oltp start` or fix {DSN_ENV}"
        ) from exc
