"""The publication and logical replication slot CDC reads from, and the SQL to use them.

Why peek-then-advance instead of `pg_logical_slot_get_binary_changes`: `get` moves the slot
as it reads, so a crash before the files are durable would lose those changes. We peek,
write, and only then advance the slot past what is on disk (DESIGN.md, exactly once).

The publication must exist before the slot: pgoutput looks publications up as of the WAL
it decodes, so WAL older than the publication cannot be decoded with it.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.raw.cdc_capture.pgoutput import Decoder, int_to_lsn, lsn_to_int

log = logging.getLogger(__name__)


def _options(publication: str) -> tuple[str, ...]:
    return ("proto_version", "1", "publication_names", publication)


def ensure_replication(
    conn: psycopg.Connection, slot: str = "lakehouse", publication: str = "lakehouse_pub"
) -> None:
    """Create the publication over every contract table and the pgoutput slot, if missing.

    Idempotent: an existing publication gains the contract tables it lacks; an existing slot
    is checked (same database, pgoutput) and left where it is.
    """
    wanted = [(c.schema, c.name) for c in CONTRACTS.values()]
    row = conn.execute(
        "SELECT puballtables FROM pg_publication WHERE pubname = %s", (publication,)
    ).fetchone()
    if row is None:
        tables = sql.SQL(", ").join(sql.Identifier(s, t) for s, t in wanted)
        conn.execute(
            sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(sql.Identifier(publication), tables)
        )
    elif not row[0]:
        have = set(
            conn.execute(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s", (publication,)
            ).fetchall()
        )
        missing = [st for st in wanted if st not in have]
        if missing:
            tables = sql.SQL(", ").join(sql.Identifier(s, t) for s, t in missing)
            conn.execute(
                sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(sql.Identifier(publication), tables)
            )
    if not conn.autocommit:
        conn.commit()  # a slot cannot be created in a transaction that has written
    existing = conn.execute(
        "SELECT plugin, database = current_database() FROM pg_replication_slots WHERE slot_name = %s", (slot,)
    ).fetchone()
    if existing is None:
        log.warning(
            "creating replication slot %s: changes before this point are not captured (take a full load)",
            slot,
        )
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
    elif existing != ("pgoutput", True):
        raise PlatformError(
            f"replication slot {slot!r} exists but is not a pgoutput slot of this database; "
            f"drop it or choose another slot name"
        )
    if not conn.autocommit:
        conn.commit()


def peek_changes(
    conn: psycopg.Connection, slot: str, publication: str, upto_nchanges: int | None = None
) -> list[tuple[int, bytes]]:
    """(lsn, pgoutput message) rows after the slot's position; the slot does not move.

    Postgres stops after the transaction in which `upto_nchanges` is reached, so the result
    holds whole transactions (the caller still stops at the last Commit, to be sure).
    """
    rows = conn.execute(
        "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes(%s, NULL, %s, VARIADIC %s::text[])",
        (slot, upto_nchanges, list(_options(publication))),
    ).fetchall()
    return [(lsn_to_int(lsn), bytes(data)) for lsn, data in rows]


def advance_slot(conn: psycopg.Connection, slot: str, lsn: int) -> int:
    """Move the slot to `lsn` (a Commit's end LSN); returns where it is now.

    Postgres writes the new position out at its next checkpoint, so after a *Postgres* crash
    the slot may replay some changes again: file names and contents are deterministic for an
    LSN range and the apply side orders by `_change_seq`, so a replay is harmless.
    """
    (pos,) = conn.execute(
        "SELECT end_lsn::text FROM pg_replication_slot_advance(%s, %s::pg_lsn)", (slot, int_to_lsn(lsn))
    ).fetchone()
    return lsn_to_int(pos)


def slot_position(conn: psycopg.Connection, slot: str) -> int | None:
    row = conn.execute(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s", (slot,)
    ).fetchone()
    return lsn_to_int(row[0]) if row and row[0] else None


def pending_changes(
    conn: psycopg.Connection, slot: str = "lakehouse", publication: str = "lakehouse_pub"
) -> bool:
    """Whether a capture would find anything; cheap when the WAL has not moved.

    First compares the slot with the WAL's end (no decoding at all); only if WAL was written
    since does it decode, stopping at the first transaction of a published table.
    """
    row = conn.execute(
        "SELECT confirmed_flush_lsn < pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = %s",
        (slot,),
    ).fetchone()
    if row is None:
        raise PlatformError(f"replication slot {slot!r} does not exist; run ensure_replication")
    if not row[0]:
        return False
    (n,) = conn.execute(
        "SELECT count(*) FROM pg_logical_slot_peek_binary_changes(%s, NULL, 1, VARIADIC %s::text[])",
        (slot, list(_options(publication))),
    ).fetchone()
    return n > 0


def pending_tables(
    conn: psycopg.Connection, slot: str = "lakehouse", publication: str = "lakehouse_pub", limit: int = 20_000
) -> set[str] | None:
    """Names of the tables with changes in the slot: the empty set when none, None when the
    backlog exceeds `limit` messages (then any table may have changed: capture them all).

    Reads Relation messages only: pgoutput sends one before a relation's first change in
    each decoding session, and every peek is a new session.
    """
    if not pending_changes(conn, slot, publication):
        return set()
    rows = conn.execute(
        "SELECT data FROM pg_logical_slot_peek_binary_changes(%s, NULL, %s, VARIADIC %s::text[])",
        (slot, limit, list(_options(publication))),
    ).fetchall()
    if len(rows) >= limit:
        return None
    decoder = Decoder()
    return {decoder.decode(bytes(data)).table for (data,) in rows if bytes(data[:1]) == b"R"}


def drop_replication(
    conn: psycopg.Connection, slot: str = "lakehouse", publication: str = "lakehouse_pub"
) -> None:
    """Drop the slot (so Postgres stops retaining WAL for it) and the publication."""
    conn.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (slot,)
    )
    conn.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(publication)))
    if not conn.autocommit:
        conn.commit()
