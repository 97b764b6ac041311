"""The Glue job's definition and one load's manifest, as plain data (tested as such).

`job_definition` is the `create_job` request: the role Glue assumes (reads the lake, the
secret, writes CloudWatch logs), the script on the lake's S3, Glue 5 with G.1X workers, the
network connection that reaches Snowflake, and default arguments (job bookmarks off: the
manifest says what to load; `dagster-pipes` installed for the Pipes protocol).
`manifest` is what one run loads: the files of the load plan (warehouse/delta_files.py) and
the loader's own SQL around the write (warehouse/load_sql.py).
"""

from __future__ import annotations

from platform_assets.warehouse.delta_files import DeltaSnapshot
from platform_assets.warehouse.load_sql import CopiedTable, Dialect, LoadBatch

JOB_NAME = "lakehouse-warehouse-load"
SCRIPT_NAME = "warehouse_load.py"


def job_definition(
    *,
    name: str,
    role_arn: str,
    script_uri: str,
    temp_dir: str,
    snowflake_secret: str,
    connections: list[str],
    glue_version: str = "5.0",
    worker_type: str = "G.1X",
    workers: int = 2,
    timeout_minutes: int = 60,
) -> dict:
    definition = {
        "Name": name,
        "Description": "Copies a curated Delta version's new files into the Snowflake warehouse "
        "(platform_assets/warehouse/glue/job_script.py)",
        "Role": role_arn,
        "Command": {"Name": "glueetl", "ScriptLocation": script_uri, "PythonVersion": "3"},
        "GlueVersion": glue_version,
        "WorkerType": worker_type,
        "NumberOfWorkers": workers,
        "Timeout": timeout_minutes,
        "MaxRetries": 0,  # a failed load fails the asset; Dagster's retry policy reruns it
        "ExecutionProperty": {"MaxConcurrentRuns": 1},  # one load of the warehouse at a time
        "DefaultArguments": {
            "--job-language": "python",
            "--TempDir": temp_dir,
            "--job-bookmark-option": "job-bookmark-disable",
            "--enable-continuous-cloudwatch-log": "true",
            "--additional-python-modules": "dagster-pipes",
            "--snowflake_secret": snowflake_secret,
        },
        "Tags": {"team": "data-platform", "product": "lakehouse"},
    }
    if connections:
        definition["Connections"] = {"Connections": list(connections)}
    return definition


def manifest(c: CopiedTable, batch: LoadBatch, snap: DeltaSnapshot, dialect: Dialect) -> dict:
    """One run's work: add `batch.add`, drop `batch.remove`, log the load, as the COPY path does."""
    return {
        "table": c.name,
        "relation": c.relation,
        "columns": [list(col) for col in c.columns],
        "partition_columns": list(c.partition_columns),
        "delta_version": batch.delta_version,
        "load_id": batch.load_id,
        "loaded_at": batch.loaded_at.isoformat(sep=" "),
        "files": [
            {
                "uri": snap.file_uri(p),
                "path": p,
                "zone_path": batch.zone_path(p),
                "rows": batch.rows[p],
                "partition": {
                    k: None if v is None else str(v) for k, v in batch.partitions.get(p, {}).items()
                },
            }
            for p in batch.add
        ],
        # the added files' rows too: a run retried after a partial write never doubles rows
        "preactions": dialect.removals(c, [*batch.remove, *batch.add], batch),
        "postactions": dialect.records(c, batch),
    }
