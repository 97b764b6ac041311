"""AWS DMS's S3 target layout: file names, their order, and the columns DMS adds.

Full load: `LOAD00000001.parquet` (hex counter). CDC: `YYYYMMDD-HHMMSSmmm.parquet` (UTC).
Each as `.parquet` (compressed inside the file), `.csv` or `.csv.gz` (CSV with
`CompressionType=GZIP`). A real DMS task configured as in the README writes the same names
and columns, so it can replace the local capture without changing anything downstream.

Any other name in a table's folder is not ours to guess at: the apply reports it (see
`is_own_temp_file` for the only names skipped without a word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_assets.storage.files import is_temporary

OP_COLUMN = "Op"  # first column of CDC rows: I, U or D
TIMESTAMP_COLUMN = "_commit_ts"  # DMS TimestampColumnName
CHANGE_SEQ_COLUMN = "_change_seq"  # DMS header column AR_H_CHANGE_SEQ, added by a rule
DMS_COLUMNS = (OP_COLUMN, TIMESTAMP_COLUMN, CHANGE_SEQ_COLUMN)

_LOAD = re.compile(r"^LOAD([0-9A-Fa-f]{8})\.(parquet|csv)(\.gz)?$")
_CDC = re.compile(r"^(\d{8}-\d{9})\.(parquet|csv)(\.gz)?$")


@dataclass(frozen=True, order=True)
class RawFile:
    """One DMS file; sorting RawFiles gives source order (every LOAD before any CDC file)."""

    sort_key: str
    uri: str
    name: str
    kind: str  # "load" or "cdc"
    fmt: str  # "parquet" or "csv"
    gzip: bool = False  # `.csv.gz`

    @property
    def stem(self) -> str:
        """The LOAD counter (8 hex digits) or the CDC time (`YYYYMMDD-HHMMSSmmm`)."""
        return self.sort_key[2:]


def parse_name(uri: str) -> RawFile | None:
    """A RawFile for a DMS file name, or None for anything else."""
    name = uri.rsplit("/", 1)[-1]
    if (m := _LOAD.match(name)) and not (m.group(2) == "parquet" and m.group(3)):
        return RawFile(f"0|{m.group(1).upper()}", uri, name, "load", m.group(2), bool(m.group(3)))
    if (m := _CDC.match(name)) and not (m.group(2) == "parquet" and m.group(3)):
        return RawFile(f"1|{m.group(1)}", uri, name, "cdc", m.group(2), bool(m.group(3)))
    return None


def is_own_temp_file(name: str) -> bool:
    """A temporary name of the platform's own writers (storage/files.py), renamed into place
    when complete: never a DMS file, never reported as unrecognized."""
    return is_temporary(name)


def load_file_name(counter: int, fmt: str = "parquet") -> str:
    return f"LOAD{counter:08X}.{fmt}"


def cdc_file_name(ts: datetime, fmt: str = "parquet") -> str:
    return f"{ts:%Y%m%d-%H%M%S}{ts.microsecond // 1000:03d}.{fmt}"


def cdc_file_time(f: RawFile) -> datetime | None:
    """When DMS wrote a CDC file (its name, UTC, to the millisecond); None for a full load."""
    if f.kind != "cdc":
        return None
    return datetime.strptime(f.stem + "000", "%Y%m%d-%H%M%S%f").replace(tzinfo=UTC)
