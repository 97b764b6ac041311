"""Helpers that write DMS-format files by hand, as a real AWS DMS task would."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from platform_assets.contracts import contract
from platform_assets.lake import Lake

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def product_row(pid: int, price: str = "9.99", name: str = 'Mug "Crème"') -> dict:
    return {
        "product_id": pid,
        "sku": f"SKU-{pid}",
        "name": name,
        "category": "kitchen",
        "price": Decimal(price),
        "active": True,
        "created_at": T0,
        "updated_at": T0,
    }


def order_row(oid: int, amount: str = "10.00") -> dict:
    """An orders row of a realistic shape; keys spread over several key-range partitions."""
    return {
        "order_id": oid,
        "customer_id": oid % 17,
        "status": "placed",
        "order_ts": T0 + timedelta(minutes=oid % 5000),
        "total_amount": Decimal(amount),
        "currency": "EUR",
        "shipping_country": "DE",
        "note": None,
        "updated_at": T0,
    }


def dms_seq(ts: datetime, counter: int) -> str:
    """DMS's AR_H_CHANGE_SEQ: `YYYYMMDDHHmmSShh` (hundredths of a second) + a 19-digit counter."""
    return f"{ts:%Y%m%d%H%M%S}{ts.microsecond // 10_000:02d}{counter:019d}"


def commit_times(name: str, n: int) -> list[datetime]:
    """Realistic commit times for a CDC file: distinct, in order, just before the file's name
    (DMS names a file when it writes it, after its changes committed). T0 for a full load."""
    try:
        written = datetime.strptime(name, "%Y%m%d-%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return [T0] * n
    return [written - timedelta(microseconds=10 * (n - i)) for i in range(n)]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s


def write_dms(
    lake: Lake,
    table: str,
    name: str,
    rows: list[dict],
    ops: list[str] | None = None,
    fmt: str = "parquet",
    change_seqs: list | None = None,
    commit_ts: list[datetime] | None = None,
    seq_type: pa.DataType | None = None,
    types: dict[str, pa.DataType] | None = None,
    extra: dict[str, pa.Array] | None = None,
) -> str:
    """One DMS file. `fmt` is parquet, csv or csv.gz; `types` overrides a column's Arrow type
    in the file (what a changed source would write); `extra` adds columns the contract lacks."""
    c = contract(table)
    folder = lake.raw_cdc_prefix(c.schema, c.name)
    fs = lake.filesystem()
    fs.create_dir(lake.fs_path(folder), recursive=True)
    path = f"{folder}/{name}.{fmt}"
    fields, data = [], {}
    if ops is not None:
        fields.append(pa.field("Op", pa.string()))
        data["Op"] = ops
    fields.append(pa.field("_commit_ts", pa.timestamp("us", tz="UTC")))
    data["_commit_ts"] = commit_ts if commit_ts is not None else commit_times(name, len(rows))
    if change_seqs is not None:
        fields.append(pa.field("_change_seq", seq_type or pa.string()))
        data["_change_seq"] = change_seqs
    for f in c.arrow_schema():
        fields.append(pa.field(f.name, (types or {}).get(f.name, f.type)))
        data[f.name] = [r.get(f.name) for r in rows]
    for n, values in (extra or {}).items():
        fields.append(pa.field(n, values.type))
        data[n] = values
    table_ = pa.table(data, schema=pa.schema(fields))
    if fmt == "parquet":
        pq.write_table(table_, lake.fs_path(path), filesystem=fs)
        return path
    # DMS CSV with AddColumnName=true: header, text values, empty for null
    lines = [",".join(table_.column_names)]
    columns = [table_[n].to_pylist() for n in table_.column_names]
    for i in range(table_.num_rows):
        lines.append(",".join(_text(col[i]) for col in columns))
    body = ("\n".join(lines) + "\n").encode()
    with fs.open_output_stream(lake.fs_path(path), compression=None) as f:
        f.write(gzip.compress(body, mtime=0) if fmt == "csv.gz" else body)
    return path
