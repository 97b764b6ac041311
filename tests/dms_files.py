"""Helpers that write DMS-format files by hand, as a real AWS DMS task would."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from platform_assets.contracts import contract
from platform_assets.lake import Lake

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def product_row(pid: int, price: str = "9.99", name: str = 'Mug "Crème"') -> dict:
    return {"product_id": pid, "sku": f"SKU-{pid}", "name": name, "category": "kitchen",
            "price": Decimal(price), "active": True, "created_at": T0, "updated_at": T0}


def write_dms(lake: Lake, table: str, name: str, rows: list[dict], ops: list[str] | None = None,
              fmt: str = "parquet", change_seqs: list[str] | None = None) -> str:
    c = contract(table)
    folder = lake.raw_cdc_prefix(c.schema, c.name)
    fs = lake.filesystem()
    fs.create_dir(lake.fs_path(folder), recursive=True)
    path = f"{folder}/{name}.{fmt}"
    data = {}
    if ops is not None:
        data["Op"] = ops
    data["_commit_ts"] = [T0] * len(rows)
    if change_seqs is not None:
        data["_change_seq"] = change_seqs
    for col in c.columns:
        data[col.name] = [r.get(col.name) for r in rows]
    if fmt == "parquet":
        schema = pa.schema(([pa.field("Op", pa.string())] if ops is not None else [])
                           + [pa.field("_commit_ts", pa.timestamp("us", tz="UTC"))]
                           + ([pa.field("_change_seq", pa.string())] if change_seqs else [])
                           + list(c.arrow_schema()))
        pq.write_table(pa.table(data, schema=schema), lake.fs_path(path), filesystem=fs)
    else:  # DMS CSV with AddColumnName=true: header, text values, empty for null
        def text(v):
            if v is None:
                return ""
            if isinstance(v, datetime):
                return v.strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(v, bool):
                return "true" if v else "false"
            s = str(v)
            return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s
        lines = [",".join(data)]
        for i in range(len(rows)):
            lines.append(",".join(text(data[k][i]) for k in data))
        with fs.open_output_stream(lake.fs_path(path)) as f:
            f.write(("\n".join(lines) + "\n").encode())
    return path
