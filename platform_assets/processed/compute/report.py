"""What an apply reports, whichever engine ran it: the asset's metadata and its warnings.

Plain values only, so the Spark job can send them through Dagster Pipes unchanged.
"""

from __future__ import annotations

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.processed.apply import ApplyResult
from platform_assets.raw.files import list_quarantined
from platform_assets.storage.delta import open_table


def apply_metadata(lake: Lake, c: TableContract, result: ApplyResult, **engine: object) -> dict:
    m = result.merge_metrics
    dt = open_table(lake, "processed", c.name)
    return {
        "path": lake.delta_uri("processed", c.name),
        "delta_version": result.delta_version,
        "rows": dt.to_pyarrow_dataset().count_rows(),
        "files_applied": len(result.files_applied),
        "changes_read": result.changes_read,
        "apply_strategy": result.strategy or "none",  # merge or rewrite (processed/rewrite.py)
        "rows_inserted": m.get("num_target_rows_inserted", 0),
        "rows_updated": m.get("num_target_rows_updated", 0),
        "rows_deleted": m.get("num_target_rows_deleted", 0),
        "rows_rewritten": m.get("num_target_rows_copied", 0),
        "data_files_rewritten": m.get("num_target_files_removed", 0),
        "late_or_repeated_keys_recomputed": result.recomputed_keys,
        "files_quarantined_now": len(result.files_quarantined),
        "files_in_quarantine": len(list_quarantined(lake, c.schema, c.name)),
        "files_unrecognized": len(result.files_unrecognized),
        "files_unrecognized_names": result.files_unrecognized[:100],
        "schema_drift_new_columns": result.new_columns,
        "watermark": result.watermark,
        **engine,
    }


def apply_warnings(c: TableContract, result: ApplyResult) -> list[str]:
    out = []
    if result.files_unrecognized:  # left where they are, and said so on every run
        out.append(
            f"{c.name}: {len(result.files_unrecognized)} names in the raw folder are not "
            f"DMS files and were not read: {result.files_unrecognized[:20]}"
        )
    out += [f"{c.name}: quarantined {name}: {reason}" for name, reason in result.files_quarantined.items()]
    if result.new_columns:
        out.append(
            f"{c.name}: columns not in the contract were added to the Delta table: "
            f"{result.new_columns}; add them to the contract"
        )
    return out


def nothing_happened(metadata: dict) -> bool:
    """No file applied or quarantined: a CDC run skips what depends on the table."""

    def value(k: str) -> int:
        v = metadata.get(k, 0)
        return getattr(v, "value", v) or 0

    return not (value("files_applied") or value("files_quarantined_now"))
