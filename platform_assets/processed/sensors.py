"""Sensors of the processed zone: new DMS files request the processed tables they feed."""


import json

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.raw.listing import FAMILIES, new_files
from platform_assets.resources import LakeResource


@sensor(name="raw_cdc_files_sensor", minimum_interval_seconds=5,
        asset_selection=[AssetKey(["processed", c.name]) for c in CONTRACTS.values()],
        default_status=DefaultSensorStatus.RUNNING,
        description="Watches the raw zone for new DMS files (local capture or a real DMS "
                    "task) and requests the processed tables that changed.")
def raw_cdc_files_sensor(context: SensorEvaluationContext, lake: LakeResource):
    the_lake = lake.lake()
    cursor = json.loads(context.cursor) if context.cursor else {}
    changed: dict[str, list[str]] = {}
    for c in CONTRACTS.values():
        table_cursor = cursor.setdefault(c.name, {})
        for family in FAMILIES:
            names = new_files(the_lake, c.schema, c.name, family, table_cursor.get(family, ""))
            if names:
                changed.setdefault(c.name, []).extend(names)
                table_cursor[family] = names[-1]
    if not changed:
        return SkipReason("no new raw files")
    # the run key names exactly the files it covers: a repeated tick launches nothing twice
    run_key = ";".join(f"{t}:{names[0]}..{names[-1]}" for t, names in sorted(changed.items()))
    return SensorResult(
        run_requests=[RunRequest(
            run_key=run_key,
            asset_selection=[AssetKey(["processed", t]) for t in sorted(changed)],
            tags={"lakehouse/trigger": "raw_cdc_files"})],
        cursor=json.dumps(cursor))
