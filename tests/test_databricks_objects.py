"""The Databricks objects (databricks_objects.py) validate with databricks-sdk's types, the job
clusters satisfy the cluster policy, and the events stream job's Spark SQL and arguments parse.

No workspace is called: the SDK's types are the test (a round trip through `from_dict` /
`as_dict` keeps every field; a field the SDK does not know would be lost).
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import sqlglot
from databricks.sdk.service import catalog, compute, jobs

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import table
from platform_assets.processed.compute.databricks_objects import (
    ClusterSettings,
    LakeAccess,
    cluster_policy,
    cluster_spec,
    events_stream_job,
    external_location,
    policy_definition,
    storage_credential,
)

LAKE = "s3://company-lake/prod"
PROFILE = LakeAccess(instance_profile_arn="arn:aws:iam::123456789012:instance-profile/lakehouse")
UNITY = LakeAccess(uc_role_arn="arn:aws:iam::123456789012:role/lakehouse-uc", lake_url=LAKE)
SETTINGS = ClusterSettings(policy_id="ABC123", min_workers=1, max_workers=6)


def _round_trips(obj) -> dict:
    d = obj.as_dict()
    assert type(obj).from_dict(d).as_dict() == d
    return d


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        # policy paths name spark_conf/custom_tags keys whole (they contain dots themselves)
        if isinstance(v, dict) and k not in ("spark_conf", "custom_tags"):
            out |= _flatten(v, path + ".")
        elif isinstance(v, dict):
            out |= {f"{path}.{kk}": vv for kk, vv in v.items()}
        else:
            out[path] = v
    return out


def _allowed(value, rule: dict) -> bool:
    kind = rule["type"]
    if kind == "fixed":
        return value == rule["value"]
    if kind == "allowlist":
        return value in rule["values"]
    if kind == "regex":
        return value is not None and re.fullmatch(rule["pattern"], value) is not None
    if kind == "range":
        return value is not None and rule.get("minValue", value) <= value <= rule.get("maxValue", value)
    raise ValueError(f"unknown policy rule type {kind!r}")


def violations(spec: compute.ClusterSpec, definition: dict) -> list[str]:
    """Which of the policy's rules the cluster spec breaks (Databricks' rule types)."""
    attrs, broken = _flatten(spec.as_dict()), []
    for path, rule in definition.items():
        if not _allowed(attrs.get(path), rule):
            broken.append(f"{path}={attrs.get(path)!r} breaks {rule}")
    return broken


@pytest.mark.parametrize("access", [PROFILE, UNITY], ids=["instance-profile", "unity-catalog"])
def test_the_job_clusters_validate_and_satisfy_the_policy(access):
    policy = cluster_policy(SETTINGS, access)
    d = _round_trips(policy)
    assert d["name"] and json.loads(d["definition"]) == policy_definition(SETTINGS, access)
    spec = cluster_spec(SETTINGS, access)
    c = _round_trips(spec)
    assert c["policy_id"] == "ABC123" and c["apply_policy_default_values"] is True
    assert c["autoscale"] == {"min_workers": 1, "max_workers": 6}
    assert c["spark_conf"]["spark.sql.session.timeZone"] == "UTC"
    assert violations(spec, json.loads(d["definition"])) == []
    if access.unity_catalog:
        assert c["data_security_mode"] == "SINGLE_USER" and "aws_attributes" not in c
    else:
        assert c["aws_attributes"]["instance_profile_arn"] == PROFILE.instance_profile_arn
    # the check can fail: a cluster too big, another runtime, another lake role
    too_big = cluster_spec(ClusterSettings(max_workers=50, spark_version="13.3.x-scala2.12"), access)
    broken = violations(too_big, policy_definition(SETTINGS, access))
    assert any("autoscale.max_workers" in b for b in broken) and any("spark_version" in b for b in broken)
    other = cluster_spec(SETTINGS, UNITY if access is PROFILE else PROFILE)
    assert violations(other, policy_definition(SETTINGS, access)) != []


def test_the_unity_catalog_objects_for_the_lake():
    cred = _round_trips(storage_credential(UNITY))
    loc = _round_trips(external_location(UNITY))
    assert cred["aws_iam_role"]["role_arn"] == UNITY.uc_role_arn
    assert loc["url"] == LAKE + "/" and loc["credential_name"] == cred["name"]
    assert isinstance(storage_credential(UNITY), catalog.CreateStorageCredential)
    with pytest.raises(ValueError, match="instance profile"):
        external_location(PROFILE)
    with pytest.raises(ValueError, match="exactly one"):
        LakeAccess()
    with pytest.raises(ValueError, match="exactly one"):
        LakeAccess(instance_profile_arn="a", uc_role_arn="b", lake_url=LAKE)
    with pytest.raises(ValueError, match="s3:// URL"):
        LakeAccess(uc_role_arn="b", lake_url="/tmp/lake")  # noqa: S108 -- a URL rendered as text, never opened


def test_the_events_stream_job_definition():
    from platform_assets.events_lake.spark.job import _args
    from platform_assets.events_lake.spark.source import source_options

    job = events_stream_job(
        SETTINGS, UNITY, lake_url=LAKE, job_root="dbfs:/lakehouse", wheel="dbfs:/w.whl", stream=EVENTS.stream
    )
    d = _round_trips(job)
    assert isinstance(job, jobs.JobSettings) and d["name"] and d["max_concurrent_runs"] == 1
    clusters = {c["job_cluster_key"]: c["new_cluster"] for c in d["job_clusters"]}
    (task,) = d["tasks"]
    assert task["task_key"] and clusters[task["job_cluster_key"]] == cluster_spec(SETTINGS, UNITY).as_dict()
    assert task["spark_python_task"]["python_file"] == "dbfs:/lakehouse/job.py"
    assert task["libraries"] == [{"whl": "dbfs:/w.whl"}]
    args = _args(task["spark_python_task"]["parameters"])
    assert (args.lake_root, args.source, args.sink) == (LAKE, "cloudfiles", "delta")
    fmt, options = source_options(args.source, args.max_files_per_trigger)
    assert fmt == "cloudFiles" and options["cloudFiles.format"] == "binaryFile"
    assert d["trigger"]["file_arrival"]["url"] == f"{LAKE}/raw/events/{EVENTS.stream}/"


def test_the_stream_sql_on_delta_parses_and_uses_the_local_paths_predicates():
    from platform_assets.events_lake.spark.sink import create_sql, merge_sql

    window = table.window_days(EVENTS, [date(2026, 3, 1)])
    merge = merge_sql(f"{LAKE}/processed/events", EVENTS, window)
    assert table.merge_predicate(EVENTS, window) in merge and table.replaces_stored(EVENTS) in merge
    for sql in (merge, create_sql(f"{LAKE}/processed/events", EVENTS)):
        parsed = sqlglot.parse_one(sql, read="spark")
        assert parsed is not None and not isinstance(parsed, sqlglot.exp.Command), sql
