"""Read one landed Firehose file into contract rows; every record it cannot store goes to
quarantine with its reason.

A record is quarantined when it is not JSON, breaks the event contract, or arrived outside
the contract's arrival window for the file's hour. The quarantine object mirrors the landed
one (`raw/_quarantine/events/<stream>/<same key>`), one JSON line per bad record with the
reason, the source and the original text, so it is rewritten identically by every reread:
quarantining is idempotent, and nothing is silently dropped. A file that is not gzip at
all is quarantined whole, as one record; a truncated or corrupt one keeps every complete
record before the break and quarantines the broken tail as one record with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from platform_assets.contracts.events import EventContract
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import (
    GzipLines,
    LandedFile,
    exists,
    quarantine_prefix,
    read_lines,
    write_ndjson_gz,
)


@dataclass
class FileRead:
    file: LandedFile
    rows: list[dict] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    records: int = 0


_KINDS = (
    ("not gzip", "unreadable file"),
    ("truncated or corrupt gzip", "truncated file"),
    ("not valid JSON", "not JSON"),
    ("not a JSON object", "not a JSON object"),
    ("is missing", "missing field"),
    ("is required for", "missing field"),
    ("is not one of", "unknown event type"),
    ("without a time zone", "bad timestamp"),
    ("not an ISO-8601", "bad timestamp"),
    ("expected", "wrong type"),
    ("does not fit", "wrong type"),
    ("not an amount", "wrong type"),
    ("max_lateness", "too late"),
    ("clock skew", "from the future"),
    ("first partition", "before first partition"),
    ("is blank", "missing field"),
)


def reason_kind(reason: str) -> str:
    """A short class of a quarantine reason, for metrics."""
    for needle, kind in _KINDS:
        if needle in reason:
            return kind
    return "other"


def read_landed(lake: Lake, c: EventContract, f: LandedFile) -> FileRead:
    try:
        read = read_lines(lake, f.uri)
    except OSError as exc:
        read = GzipLines([], b"", f"it cannot be read: {exc}", not_gzip=True)
    return parse_landed(c, f, read)


def parse_landed(c: EventContract, f: LandedFile, read: GzipLines) -> FileRead:
    """A landed object's lines as contract rows and quarantined records (the one set of
    rules: the local path and the Spark twin, events_lake/spark/, both call it)."""
    out = FileRead(f)
    if read.not_gzip:
        out.quarantined.append(
            {"reason": f"not gzip NDJSON: {read.broken}", "source": f.key, "line": None, "record": None}
        )
        out.records = 1
        return out
    _validate_lines(c, f, read.lines, out)
    if read.broken is not None:
        # the complete records before the break are kept above; the rest is this one record
        out.records += 1
        out.quarantined.append(
            {
                "reason": f"truncated or corrupt gzip after {len(read.lines)} complete records: "
                f"{read.broken}",
                "source": f.key,
                "line": len(read.lines),
                "record": read.tail.decode("utf-8", "replace"),
            }
        )
    return out


def _validate_lines(c: EventContract, f: LandedFile, lines: list[bytes], out: FileRead) -> None:
    hour = f.hour
    late_after = c.late_after_seconds
    for n, line in enumerate(lines):
        out.records += 1
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            reason = f"not valid JSON: {exc}"
        else:
            row, reason = c.validate(obj)
            if row is not None:
                reason = c.arrival_problem(row["event_ts"], hour)
            if reason is None:
                row["event_date"] = row["event_ts"].date()
                row["is_late"] = (row["ingestion_ts"] - row["event_ts"]).total_seconds() > late_after
                row["_source_file"] = f.key
                out.rows.append(row)
                continue
        out.quarantined.append(
            {"reason": reason, "source": f.key, "line": n, "record": line.decode("utf-8", "replace")}
        )


def quarantine_uri(lake: Lake, c: EventContract, f: LandedFile) -> str:
    return f"{quarantine_prefix(lake, c.stream)}/{f.key}"


def write_quarantine(lake: Lake, c: EventContract, read: FileRead) -> str | None:
    """Write the file's bad records next to nothing else; skipped when already there."""
    if not read.quarantined:
        return None
    uri = quarantine_uri(lake, c, read.file)
    if not exists(lake, uri):
        write_ndjson_gz(lake, uri, [json.dumps(q, ensure_ascii=False).encode() for q in read.quarantined])
    return uri


def to_arrow(c: EventContract, rows: list[dict]) -> pa.Table:
    schema = c.processed_schema()
    return pa.table({f.name: pa.array([r[f.name] for r in rows], f.type) for f in schema}, schema=schema)


def quarantine_reasons(reads: list[FileRead]) -> Counter:
    return Counter(reason_kind(q["reason"]) for r in reads for q in r.quarantined)


def rows_in(read: FileRead, days: set[date]) -> list[dict]:
    return [r for r in read.rows if r["event_date"] in days]
