"""Operating on quarantined raw files: list them, explain one, requeue one.

The apply moves a DMS file it cannot read to `raw/_quarantine/cdc/<schema>/<table>/` with a
`.reason.txt` (raw/files.py `quarantine`) and logs it `quarantined`. An operator fixes the
file (in place, or by writing a fixed one) and puts it back under its name; `requeue` does
that move and logs it `requeued`. Either way the next apply of the table applies it
(processed/applied_log.py); if it fails again it is quarantined again with its new reason,
the earlier reason and copy kept. The CLI (`lakehouse quarantine ...`) is a thin layer on this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed import applied_log
from platform_assets.raw.dms_layout import OP_COLUMN, parse_name
from platform_assets.raw.files import EARLIER_MARK, REASON_SUFFIX, REPLACED_FOLDER, list_quarantined
from platform_assets.storage.delta import open_table


@dataclass(frozen=True)
class QuarantinedFile:
    table: str
    name: str
    uri: str
    original_uri: str  # where the apply found it
    reason: str  # why it was quarantined (the latest time)
    quarantined_at: datetime | None
    earlier_reasons: list[str] = field(default_factory=list)  # earlier attempts, newest first


@dataclass(frozen=True)
class Explanation(QuarantinedFile):
    size: int = 0
    rows: int | None = None  # None when the file cannot be read at all
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, Arrow type)
    ops: dict[str, int] = field(default_factory=dict)  # rows per Op value, if it has Op
    error: str | None = None  # why the file cannot be read, if it cannot
    replaced_copies: list[str] = field(default_factory=list)  # earlier quarantined copies


@dataclass(frozen=True)
class Requeued:
    table: str
    name: str
    raw_uri: str
    who: str


def _contract(table: str) -> TableContract:
    try:
        return CONTRACTS[table]
    except KeyError:
        raise PlatformError(
            f"no table contract named {table!r}; known: {', '.join(sorted(CONTRACTS))}"
        ) from None


def _parse_reason(text: str) -> tuple[str, str, list[str]]:
    """(original uri, reason, earlier reasons newest first) from a `.reason.txt`."""
    current, _, earlier = text.partition(f"{EARLIER_MARK}\n")
    uri, _, reason = current.partition("\n")
    older = _parse_reason(earlier) if earlier else ("", "", [])
    return uri, reason.strip(), ([older[1], *older[2]] if earlier else [])


def _entry(lake: Lake, c: TableContract, name: str) -> QuarantinedFile:
    fs = lake.filesystem()
    uri = f"{lake.quarantine_prefix(c.schema, c.name)}/{name}"
    info = fs.get_file_info(lake.fs_path(uri) + REASON_SUFFIX)
    text, at = "", None
    if info.type == pafs.FileType.File:
        with fs.open_input_stream(info.path) as f:
            text = f.read().decode()
        at = info.mtime if info.mtime.tzinfo else info.mtime.replace(tzinfo=UTC)
    original, reason, earlier = _parse_reason(text)
    return QuarantinedFile(
        c.name, name, uri, original or "(unknown)", reason or "(no reason recorded)", at, earlier
    )


def list_files(lake: Lake, tables: Iterable[str] | None = None) -> list[QuarantinedFile]:
    """Every quarantined file of the given tables (all contract tables if None)."""
    out = []
    for c in (_contract(t) for t in (tables or CONTRACTS)):
        out += [_entry(lake, c, name) for name in list_quarantined(lake, c.schema, c.name)]
    return out


def _find(lake: Lake, table: str, name: str) -> tuple[TableContract, QuarantinedFile]:
    c = _contract(table)
    names = list_quarantined(lake, c.schema, c.name)
    if name not in names:
        raise PlatformError(
            f"{c.name} has no quarantined file {name!r}; quarantined: "
            f"{', '.join(names) or 'none'} (lakehouse quarantine list)"
        )
    return c, _entry(lake, c, name)


def _summary(lake: Lake, uri: str) -> dict:
    """Rows, columns and Op counts of a DMS file as it is, or why it cannot be read."""
    # the apply's own reader (parquet, csv, csv.gz), so the summary sees what the apply saw
    from platform_assets.raw.read import MalformedFile
    from platform_assets.raw.read import _load as load_table

    f = parse_name(uri)
    if f is None:
        return {"error": "not a DMS file name (LOAD........ or YYYYMMDD-HHMMSSmmm)"}
    try:
        table = load_table(lake, f)
    except (MalformedFile, pa.ArrowException, OSError) as exc:
        return {"error": str(exc)}
    ops = {}
    if OP_COLUMN in table.column_names:
        counts = pc.value_counts(table[OP_COLUMN].cast(pa.string())).to_pylist()
        ops = {str(v["values"]): v["counts"] for v in counts}
    return {
        "rows": table.num_rows,
        "ops": ops,
        "columns": [(fld.name, str(fld.type)) for fld in table.schema],
    }


def explain(lake: Lake, table: str, name: str) -> Explanation:
    """Why a file was quarantined (and earlier times), and what it holds."""
    c, entry = _find(lake, table, name)
    fs = lake.filesystem()
    replaced_dir = f"{lake.fs_path(lake.quarantine_prefix(c.schema, c.name))}/{REPLACED_FOLDER}"
    replaced = sorted(
        i.path
        for i in fs.get_file_info(pafs.FileSelector(replaced_dir, allow_not_found=True))
        if i.base_name.startswith(name)
    )
    return Explanation(
        **vars(entry),
        size=fs.get_file_info(lake.fs_path(entry.uri)).size or 0,
        replaced_copies=replaced,
        **_summary(lake, entry.uri),
    )


def requeue(lake: Lake, table: str, name: str, who: str, why: str = "") -> Requeued:
    """Move a quarantined file back to the raw folder and log it `requeued`: the next apply
    of the table applies it. Refuses to overwrite a file of that name in the raw folder."""
    c, entry = _find(lake, table, name)
    fs = lake.filesystem()
    raw_uri = f"{lake.raw_cdc_prefix(c.schema, c.name)}/{name}"
    if fs.get_file_info(lake.fs_path(raw_uri)).type != pafs.FileType.NotFound:
        raise PlatformError(
            f"{c.name}: {name} is already in the raw folder ({raw_uri}); the "
            "next apply reads that copy. Remove one of the two first"
        )
    fs.create_dir(lake.fs_path(lake.raw_cdc_prefix(c.schema, c.name)), recursive=True)
    fs.copy_file(lake.fs_path(entry.uri), lake.fs_path(raw_uri))
    fs.delete_file(lake.fs_path(entry.uri))  # the reason stays: a new failure adds to it
    dt = open_table(lake, "processed", c.name)
    note = f"requeued by {who}" + (f": {why}" if why else "")
    applied_log.record(
        lake, c.name, {name: applied_log.REQUEUED}, dt.version() if dt is not None else -1, note=note
    )
    return Requeued(c.name, name, raw_uri, who)
