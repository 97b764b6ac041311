"""A pure decoder of Postgres's `pgoutput` logical replication protocol, version 1.

Why our own: the embedded Postgres ships `pgoutput` only (no test_decoding / wal2json), and
the protocol is small. The decoder keeps the Relation messages it has seen (Postgres sends
one before the first change of a table in every decoding session) so row changes come out
with schema, table and column names. Values stay in Postgres's text form; typing them is the
writer's job, against the table contract.

Reference: https://www.postgresql.org/docs/16/protocol-logicalrep-message-formats.html
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # Postgres timestamps: µs since this instant


def pg_timestamp(us: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=us)


def lsn_to_int(lsn: str) -> int:
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def int_to_lsn(n: int) -> str:
    return f"{n >> 32:X}/{n & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class RelColumn:
    name: str
    type_oid: int
    typmod: int
    is_key: bool


@dataclass(frozen=True)
class Relation:
    relid: int
    schema: str
    table: str
    replica_identity: str  # d(efault), n(othing), f(ull), i(ndex)
    columns: tuple[RelColumn, ...]


@dataclass(frozen=True)
class Begin:
    final_lsn: int  # LSN of the commit record: the transaction's place in source order
    commit_ts: datetime
    xid: int


@dataclass(frozen=True)
class Commit:
    commit_lsn: int
    end_lsn: int  # where the next transaction starts: what the slot advances to
    commit_ts: datetime


@dataclass(frozen=True)
class RowChange:
    op: str  # 'I', 'U' or 'D'
    schema: str
    table: str
    new: dict[str, str | None] | None  # new row (I, U), without unchanged TOAST columns
    old: dict[str, str | None] | None  # old row (O) or just its key (K): U and D
    unchanged: frozenset[str] = field(default_factory=frozenset)  # 'u' columns of `new`


@dataclass(frozen=True)
class Truncate:
    tables: tuple[tuple[str, str], ...]  # (schema, table)
    cascade: bool
    restart_identity: bool


Message = Relation | Begin | Commit | RowChange | Truncate


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = memoryview(data), 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("!" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        end = bytes(self.data[self.pos :]).index(b"\0") + self.pos
        value = bytes(self.data[self.pos : end]).decode()
        self.pos = end + 1
        return value

    def raw(self, n: int) -> bytes:
        value = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return value


class Decoder:
    """Decodes one message at a time; remembers relations across messages."""

    def __init__(self) -> None:
        self.relations: dict[int, Relation] = {}

    def decode(self, data: bytes) -> Message | None:
        """The message, or None for those we ignore (Origin, Type, logical Message)."""
        r = _Reader(data)
        kind = r.raw(1)
        if kind == b"B":
            lsn, ts, xid = r.unpack("Q"), r.unpack("q"), r.unpack("I")
            return Begin(lsn, pg_timestamp(ts), xid)
        if kind == b"C":
            r.unpack("B")  # flags, unused
            lsn, end, ts = r.unpack("Q"), r.unpack("Q"), r.unpack("q")
            return Commit(lsn, end, pg_timestamp(ts))
        if kind == b"R":
            return self._relation(r)
        if kind in (b"I", b"U", b"D"):
            return self._row_change(kind.decode(), r)
        if kind == b"T":
            n, options = r.unpack("I"), r.unpack("B")
            rels = [self._rel(r.unpack("I")) for _ in range(n)]
            return Truncate(tuple((x.schema, x.table) for x in rels), bool(options & 1), bool(options & 2))
        if kind in (b"O", b"Y", b"M"):
            return None
        raise ValueError(f"unknown pgoutput message type {kind!r}")

    def _relation(self, r: _Reader) -> Relation:
        relid, schema, table = r.unpack("I"), r.string(), r.string()
        identity, ncols = chr(r.unpack("B")), r.unpack("H")
        cols = []
        for _ in range(ncols):
            flags, name = r.unpack("B"), r.string()
            cols.append(RelColumn(name, r.unpack("I"), r.unpack("i"), bool(flags & 1)))
        rel = Relation(relid, schema, table, identity, tuple(cols))
        self.relations[relid] = rel
        return rel

    def _rel(self, relid: int) -> Relation:
        try:
            return self.relations[relid]
        except KeyError:
            raise ValueError(f"pgoutput change for relation {relid} before its Relation") from None

    def _row_change(self, op: str, r: _Reader) -> RowChange:
        rel = self._rel(r.unpack("I"))
        new = old = None
        unchanged: set[str] = set()
        marker = r.raw(1)
        if marker in (b"K", b"O"):
            old, _ = self._tuple(rel, r)
            if marker == b"K":  # key only: the other columns are sent as nulls, not known
                old = {c.name: old[c.name] for c in rel.columns if c.is_key and c.name in old}
            marker = r.raw(1) if op == "U" else b""
        if marker == b"N":
            new, unchanged = self._tuple(rel, r)
        elif marker:
            raise ValueError(f"unexpected tuple marker {marker!r} in {op} of {rel.table}")
        return RowChange(op, rel.schema, rel.table, new, old, frozenset(unchanged))

    @staticmethod
    def _tuple(rel: Relation, r: _Reader) -> tuple[dict[str, str | None], set[str]]:
        ncols = r.unpack("H")
        if ncols != len(rel.columns):
            raise ValueError(f"{rel.table}: tuple has {ncols} columns, relation {len(rel.columns)}")
        values: dict[str, str | None] = {}
        unchanged: set[str] = set()
        for col in rel.columns:
            kind = r.raw(1)
            if kind == b"n":
                values[col.name] = None
            elif kind == b"u":
                unchanged.add(col.name)
            elif kind == b"t":
                values[col.name] = r.raw(r.unpack("I")).decode()
            else:
                raise ValueError(f"{rel.table}.{col.name}: unsupported tuple value kind {kind!r}")
        return values, unchanged
