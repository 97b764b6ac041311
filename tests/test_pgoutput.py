"""The pgoutput decoder against a real Postgres 16: every message kind, values as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from platform_assets.errors import PlatformError
from platform_assets.raw.cdc_capture.pgoutput import (
    Begin,
    Commit,
    Decoder,
    Relation,
    RowChange,
    Truncate,
    int_to_lsn,
    lsn_to_int,
)
from platform_assets.raw.cdc_capture.writer import row_images, row_values

PUB = "decoder_pub"


@pytest.fixture
def conn(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute("SET TimeZone TO 'UTC'")
        c.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
        c.execute("""CREATE TABLE t (id bigint PRIMARY KEY, name text, price numeric(12,2),
                     ok boolean, ts timestamptz, d date, f float8, n int, m mood, note text)""")
        c.execute("ALTER TABLE t REPLICA IDENTITY FULL")
        c.execute("ALTER TABLE t ALTER COLUMN note SET STORAGE EXTERNAL")  # out of line, no zip
        c.execute(f"CREATE PUBLICATION {PUB} FOR TABLE t")
        # slot names are cluster-wide: one per test database
        c.execute("SELECT pg_create_logical_replication_slot(current_database(), 'pgoutput')")
        yield c
        c.execute("SELECT pg_drop_replication_slot(current_database())")


def peek(conn, *extra: str) -> list[bytes]:
    opts = ["proto_version", "1", "publication_names", PUB, *extra]
    rows = conn.execute(
        "SELECT data FROM pg_logical_slot_peek_binary_changes("
        " current_database(), NULL, NULL, VARIADIC %s::text[])",
        (opts,),
    ).fetchall()
    return [bytes(r[0]) for r in rows]


def decode(conn, *extra: str) -> list:
    d = Decoder()
    return [m for m in (d.decode(x) for x in peek(conn, *extra)) if m is not None]


def test_insert_update_delete_truncate_values(conn):
    with conn.transaction():  # one transaction, several statements
        conn.execute("""INSERT INTO t VALUES
            (1, 'O''Brien "quoted"; a,b', 12.50, true, '2026-11-27 08:01:02.123456+00',
             '2026-01-02', 1.5, 7, 'happy', 'short'),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""")
        conn.execute(
            "INSERT INTO t (id, name, price, ok, ts) VALUES"
            " (3, 'Zoë ✓ 🎁', 0.01, false, '2026-03-01 00:00:00+05:30')"
        )
    conn.execute("UPDATE t SET price = 99.99, ok = false WHERE id = 1")
    conn.execute("DELETE FROM t WHERE id = 2")
    conn.execute("TRUNCATE t")
    conn.execute("TRUNCATE t RESTART IDENTITY CASCADE")
    msgs = decode(conn)

    rel = msgs[1]  # sent before the first change; again whenever the relcache changes
    msgs = [m for m in msgs if not isinstance(m, Relation)]
    kinds = [type(m).__name__ for m in msgs]
    assert kinds == [
        "Begin",
        "RowChange",
        "RowChange",
        "RowChange",
        "Commit",
        "Begin",
        "RowChange",
        "Commit",
        "Begin",
        "RowChange",
        "Commit",
        "Begin",
        "Truncate",
        "Commit",
        "Begin",
        "Truncate",
        "Commit",
    ]
    assert isinstance(rel, Relation) and (rel.schema, rel.table) == ("public", "t")
    assert [c.name for c in rel.columns][:3] == ["id", "name", "price"]
    assert [c.is_key for c in rel.columns] == [True] * 10  # FULL identity: all are "key"

    one, two, three = msgs[1:4]
    assert one.op == "I" and one.old is None and not one.unchanged
    assert one.new == {
        "id": "1",
        "name": 'O\'Brien "quoted"; a,b',
        "price": "12.50",
        "ok": "t",
        "ts": "2026-11-27 08:01:02.123456+00",
        "d": "2026-01-02",
        "f": "1.5",
        "n": "7",
        "m": "happy",
        "note": "short",
    }
    assert two.new == {"id": "2", **{k: None for k in one.new if k != "id"}}
    assert three.new["name"] == "Zoë ✓ 🎁" and three.new["ok"] == "f"
    assert three.new["ts"] == "2026-02-28 18:30:00+00"  # other offsets arrive in session UTC

    upd, dele = msgs[6], msgs[9]
    assert upd.op == "U" and upd.new["price"] == "99.99" and upd.new["ok"] == "f"
    assert upd.old == one.new  # FULL identity: the whole old row
    assert dele.op == "D" and dele.new is None and dele.old == two.new

    begin, commit = msgs[0], msgs[4]
    assert isinstance(begin, Begin) and isinstance(commit, Commit)
    assert begin.final_lsn == commit.commit_lsn < commit.end_lsn
    assert begin.commit_ts == commit.commit_ts
    assert abs(datetime.now(UTC) - commit.commit_ts) < timedelta(minutes=1)
    assert msgs[12] == Truncate((("public", "t"),), cascade=False, restart_identity=False)
    assert msgs[15] == Truncate((("public", "t"),), cascade=True, restart_identity=True)
    # transactions come in commit order
    commits = [m.commit_lsn for m in msgs if isinstance(m, Commit)]
    assert commits == sorted(commits)


def test_origin_type_and_logical_messages_are_skipped(conn):
    conn.execute(
        "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = 'upstream'"
    )  # origins are cluster-wide
    conn.execute("SELECT pg_replication_origin_create('upstream')")
    conn.execute("SELECT pg_replication_origin_session_setup('upstream')")
    with conn.transaction():
        conn.execute("SELECT pg_replication_origin_xact_setup('0/1', now())")
        conn.execute("INSERT INTO t (id, m) VALUES (1, 'sad')")
        conn.execute("SELECT pg_logical_emit_message(true, 'lakehouse', 'hello')")
    conn.execute("SELECT pg_replication_origin_session_reset()")
    raw_kinds = {x[:1] for x in peek(conn, "messages", "true")}
    assert {b"O", b"Y", b"M"} <= raw_kinds  # the stream really has them
    msgs = decode(conn, "messages", "true")
    assert [type(m).__name__ for m in msgs] == ["Begin", "Relation", "RowChange", "Commit"]
    assert msgs[2].new["m"] == "sad"


def test_unchanged_toast_and_key_only_identity(conn):
    long_note = "".join(f"{i:05d}-Lieferhinweis ✓ " for i in range(800))  # ~16 kB, TOASTed
    conn.execute("INSERT INTO t (id, name, note) VALUES (1, 'a', %s), (2, 'b', 'x')", (long_note,))
    conn.execute("UPDATE t SET name = 'full' WHERE id = 1")
    conn.execute("ALTER TABLE t REPLICA IDENTITY DEFAULT")
    conn.execute("UPDATE t SET name = 'default' WHERE id = 1")
    conn.execute("DELETE FROM t WHERE id = 2")
    changes = [m for m in decode(conn) if isinstance(m, RowChange)]
    full, default, delete = changes[2:]

    assert full.unchanged == {"note"} and "note" not in full.new
    assert full.old["note"] == long_note  # FULL identity carries the old value ...
    assert row_values(full)["note"] == long_note  # ... which fills the unchanged column
    assert default.unchanged == {"note"} and default.old is None
    with pytest.raises(PlatformError, match=r"public\.t.*'note'"):
        row_values(default)  # never a silent null
    assert delete.op == "D" and delete.old == {"id": "2"}  # key only, no fake nulls
    assert row_values(delete) == {"id": "2"}


def test_key_change_becomes_delete_of_old_key_then_new_row(conn):
    conn.execute("INSERT INTO t (id, name, n) VALUES (1, 'a', 1), (2, 'b', 2)")
    conn.execute("UPDATE t SET id = 10, name = 'moved' WHERE id = 1")  # FULL: whole old row
    conn.execute("UPDATE t SET name = 'same key' WHERE id = 2")
    conn.execute("ALTER TABLE t REPLICA IDENTITY DEFAULT")
    conn.execute("UPDATE t SET id = 20 WHERE id = 2")  # DEFAULT: old key only ('K')
    conn.execute("UPDATE t SET n = 3 WHERE id = 20")  # DEFAULT, key kept: no old row at all
    moved_full, kept, moved_default, kept_default = [m for m in decode(conn) if isinstance(m, RowChange)][2:]

    images = row_images(moved_full, "id")
    assert [(op, v["id"]) for op, v in images] == [("D", "1"), ("U", "10")]
    assert images[0][1]["name"] == "a" and images[1][1]["name"] == "moved"
    assert row_images(kept, "id") == [("U", row_values(kept))]
    assert row_images(moved_default, "id") == [("D", {"id": "2"}), ("U", row_values(moved_default))]
    assert row_images(kept_default, "id") == [("U", row_values(kept_default))]


def test_decoder_rejects_garbage_and_lsn_round_trips():
    with pytest.raises(ValueError, match="unknown pgoutput message"):
        Decoder().decode(b"Z\x00")
    with pytest.raises(ValueError, match="before its Relation"):
        Decoder().decode(b"I\x00\x00\x00\x07N\x00\x00")
    assert lsn_to_int("16/B374D848") == 0x16B374D848
    assert int_to_lsn(0x16B374D848) == "16/B374D848"
