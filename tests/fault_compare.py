"""What the fault suite compares: everything a platform home holds, as comparable values.

Every Delta table of the lake (processed, curated, the applied-file logs, the events table,
the audit), every table of the DuckDB warehouse (curated copies and their load logs), and the
names of the raw and quarantined files. Rows are kept whole (duplicates count) and ordered;
only columns that hold the wall-clock time of a write are left out.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

# the time a row was written, and the warehouse's id of the load call that wrote it: they
# differ between any two runs, killed or not (a rerun's load id is a new, higher one)
WALL_CLOCK = frozenset({"applied_at", "_loaded_at", "loaded_at", "restored_at", "_load_id", "load_id"})


# A consumption log's row names the table version its data landed in. After a kill between the
# data commit and the log, the rerun may commit the same rows again (a new version, equal data)
# and log that version: the files, their outcomes and how often each is logged must still match.
LOG_VERSION = "delta_version"


def _rows(table: pa.Table, leave_out: frozenset[str] = frozenset()) -> list[str]:
    keep = [n for n in table.column_names if n not in WALL_CLOCK | leave_out]
    return sorted(repr(tuple(r.values())) for r in table.select(keep).to_pylist())


def delta_tables(lake_root: Path) -> dict[str, list[str]]:
    found = {}
    for log in sorted(Path(lake_root).rglob("_delta_log")):
        name = str(log.parent.relative_to(lake_root))
        leave_out = frozenset({LOG_VERSION} if "_applied_files" in name else ())
        found[name] = _rows(DeltaTable(str(log.parent)).to_pyarrow_table(), leave_out)
    return found


def warehouse_tables(path: Path) -> dict[str, list[str]]:
    import duckdb

    if not Path(path).exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": _rows(con.table(f'"{s}"."{t}"').fetch_arrow_table()) for s, t in names}


def raw_files(lake_root: Path) -> list[str]:
    raw = Path(lake_root) / "raw"
    return sorted(str(p.relative_to(raw)) for p in raw.rglob("*") if p.is_file()) if raw.exists() else []


def home_state(home: Path) -> dict:
    lake_root = Path(home) / "lake"
    return {
        "delta": delta_tables(lake_root),
        "warehouse": warehouse_tables(Path(home) / "warehouse.duckdb"),
        "raw": raw_files(lake_root),
    }


def differences(got: dict, expected: dict) -> list[str]:
    """Readable differences: which table, how many rows each side, a few rows only one has."""
    out = []
    for part in expected:
        a, b = got.get(part), expected[part]
        if isinstance(b, list):
            if a != b:
                out.append(f"{part}: {sorted(set(a) ^ set(b))[:5]}")
            continue
        for name in sorted(set(a) | set(b)):
            x, y = a.get(name), b.get(name)
            if x != y:
                if x is None or y is None:
                    out.append(f"{part} {name}: only in {'reference' if x is None else 'the rerun'}")
                    continue
                only = sorted(set(x) ^ set(y))[:3]
                out.append(f"{part} {name}: {len(x)} rows after kill and rerun, {len(y)} undisturbed; {only}")
    return out
