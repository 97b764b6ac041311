"""Sensors of the processed zone: new DMS files request the processed tables they feed, and
everything downstream of them in the same run (cdc_chain.py).

Files already applied (the local capture run applies what it writes) request nothing; while a
local capture run is in flight the tick waits, since that run applies the files it wrote.
"""

import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.orchestration.cdc_chain import IN_FLIGHT, cdc_runs, chain_run, chain_selection
from platform_assets.orchestration.run_tags import TRIGGER_TAG
from platform_assets.processed.applied_log import applied_files
from platform_assets.raw.listing import FAMILIES, new_files
from platform_assets.resources import LakeResource
from platform_assets.streaming.names import STREAM_TRIGGER


@sensor(
    name="raw_cdc_files_sensor",
    minimum_interval_seconds=5,
    asset_selection=chain_selection(CONTRACTS),
    default_status=DefaultSensorStatus.RUNNING,
    description="Watches the raw zone for new DMS files (local capture or a real DMS "
    "task) and requests the refresh of the tables they change, down to the facts.",
)
def raw_cdc_files_sensor(context: SensorEvaluationContext, lake: LakeResource):
    # a capture run or a CDC stream applies the files it writes
    capturing = cdc_runs(context.instance, IN_FLIGHT, triggers=["cdc", STREAM_TRIGGER])
    if capturing:
        return SkipReason(f"capture run {capturing[0].run_id} is applying what it captured")
    the_lake = lake.lake()
    cursor = json.loads(context.cursor) if context.cursor else {}
    changed: dict[str, list[str]] = {}
    seen = False
    for c in CONTRACTS.values():
        table_cursor = cursor.setdefault(c.name, {})
        names = []
        for family in FAMILIES:
            found = new_files(the_lake, c.schema, c.name, family, table_cursor.get(family, ""))
            if found:
                names += found
                table_cursor[family] = found[-1]
        if names:
            seen = True
            done = applied_files(the_lake, c.name)
            names = [n for n in names if n not in done]
        if names:
            changed[c.name] = names
    if not seen:
        return SkipReason("no new raw files")
    if not changed:
        return SensorResult(skip_reason="no new raw files to apply", cursor=json.dumps(cursor))
    # the run key names exactly the files it covers: a repeated tick launches nothing twice
    run_key = ";".join(f"{t}:{names[0]}..{names[-1]}" for t, names in sorted(changed.items()))
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=run_key,
                **chain_run(context.repository_def.asset_graph, changed),
                tags={TRIGGER_TAG: "raw_cdc_files"},
            )
        ],
        cursor=json.dumps(cursor),
    )
