"""A cheap snapshot of the code location: every asset's group, upstream keys, checks and
partitioning, plus the jobs, schedules and sensors. A change to the graph shows up as a diff of
`tests/snapshots/definitions.json` in review; regenerate it on purpose with
`PLATFORM_UPDATE_SNAPSHOTS=1 pytest tests/test_definitions_snapshot.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def describe(defs) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "upstream": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "partitioned": node.partitions_def is not None,
            "automation": (node.automation_condition.get_label() or type(node.automation_condition).__name__)
            if node.automation_condition
            else None,
        }
    repo = defs.get_repository_def()
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in repo.schedule_defs),
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_the_code_location_matches_its_snapshot(platform_home):
    from platform_assets.definitions import build_definitions

    now = describe(build_definitions())
    if os.environ.get("PLATFORM_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert now == expected, "the asset graph changed; review and update the snapshot"
