"""QuickSight as code against moto's server (never against AWS): the Snowflake data source,
one group per audience, one data set per table, one dashboard per registry entry, run twice.

Every request is checked by botocore against QuickSight's API model before it is sent (shapes
of the data sets' physical tables, the dashboards' visuals and permissions). moto implements
data sources (create, describe, update), groups (create, describe, list), data sets (create
only) and dashboards (create, describe, list); so a rerun is verified as "found" for the data
source, the groups and the dashboards, while updating a data set or a changed dashboard
(update_data_set, update_dashboard and their permissions) runs only on AWS, untested here.
"""

from __future__ import annotations

import boto3
import pytest

from platform_assets.dashboards.quicksight import (
    QuickSightSettings,
    dashboard_definition,
    fingerprint,
    publish,
    table_columns,
)
from platform_assets.dashboards.reader import DuckDBMartReader
from platform_assets.dashboards.registry import AUDIENCES, CHURN_MONITORING, DASHBOARDS

ACCOUNT = "123456789012"


def settings(**change) -> QuickSightSettings:
    base = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "namespace": "default",
        "prefix": "lh-",
        "snowflake_host": "xy12345.snowflakecomputing.com",
        "snowflake_database": "LAKEHOUSE",
        "snowflake_warehouse": "REPORTING",
        "snowflake_user": "QUICKSIGHT",
        "snowflake_password": "not-a-real-password",
    }
    return QuickSightSettings(**{**base, **change})


@pytest.fixture
def quicksight(moto_endpoint, monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    return boto3.client("quicksight", endpoint_url=moto_endpoint, region_name="us-east-1")


def test_publish_creates_everything_once_and_finds_it_on_a_rerun(quicksight, built_warehouse):
    s = settings()
    with DuckDBMartReader(path=str(built_warehouse.warehouse_path)).session() as session:
        first = publish(quicksight, s, session).actions
        again = publish(quicksight, s, session).actions
        changed = publish(quicksight, settings(snowflake_warehouse="BI"), session).actions

    marts = [t for t in dict.fromkeys(t for d in DASHBOARDS for t in d.tables) if t is not CHURN_MONITORING]
    assert "data source lh-snowflake" in first["created"]
    assert {f"group lh-{a}" for a in AUDIENCES} <= set(first["created"])
    assert {f"data set {s.data_set_id(t)}" for t in marts} <= set(first["created"])
    mart_dashboards = {
        f"dashboard {s.dashboard_id(d)}" for d in DASHBOARDS if CHURN_MONITORING not in d.tables
    }
    assert mart_dashboards <= set(first["created"])
    # the ML table is not in the shared warehouse: its data set and dashboard wait, named
    assert any("ml.churn_model_monitoring" in x for x in first["skipped"])
    assert any("lh-model-monitoring" in x for x in first["skipped"])

    assert "data source lh-snowflake" in again["found"]
    assert {f"group lh-{a}" for a in AUDIENCES} | mart_dashboards <= set(again["found"])
    assert "data source lh-snowflake" in changed["updated"]

    source = quicksight.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lh-snowflake")["DataSource"]
    assert source["Type"] == "SNOWFLAKE"
    assert source["DataSourceParameters"]["SnowflakeParameters"]["Warehouse"] == "BI"
    groups = {
        g["GroupName"] for g in quicksight.list_groups(AwsAccountId=ACCOUNT, Namespace="default")["GroupList"]
    }
    assert {f"lh-{a}" for a in AUDIENCES} <= groups
    listed = {
        d["DashboardId"]: d["Name"]
        for d in quicksight.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
    }
    assert {
        s.dashboard_id(d): d.title for d in DASHBOARDS if CHURN_MONITORING not in d.tables
    }.items() <= listed.items()


def test_each_visual_uses_declared_data_sets_and_existing_columns(built_warehouse):
    s = settings()
    with DuckDBMartReader(path=str(built_warehouse.warehouse_path)).session() as session:
        tables = [
            t for t in dict.fromkeys(t for d in DASHBOARDS for t in d.tables) if t is not CHURN_MONITORING
        ]
        columns = {t: {c["Name"].lower(): c for c in table_columns(session, t)} for t in tables}
    assert columns[tables[0]]["revenue"]["Type"] == "DECIMAL"
    assert columns[tables[0]]["order_date"]["Type"] == "DATETIME"
    for d in DASHBOARDS:
        if CHURN_MONITORING in d.tables:
            continue
        definition = dashboard_definition(d, {t: f"arn:{t.name}" for t in tables}, columns, "EUR")
        declared = {x["Identifier"] for x in definition["DataSetIdentifierDeclarations"]}
        (sheet,) = definition["Sheets"]
        assert [next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]] == [c.name for c in d.charts]
        text = repr(definition)
        for c in d.charts:
            assert c.table.name in declared
        field_ids = [
            f["FieldId"]
            for v in sheet["Visuals"]
            for wells in next(iter(v.values()))["ChartConfiguration"]["FieldWells"].values()
            for fields in wells.values()
            for w in fields
            for f in w.values()
        ]
        assert len(field_ids) == len(set(field_ids)), d.name
        assert "{currency}" not in text
        # permissions follow the audiences; a change of audience changes the fingerprint
        same = fingerprint(definition, [{"Principal": s.group_arn(a), "Actions": []} for a in d.audiences])
        other = fingerprint(definition, [{"Principal": s.group_arn("x"), "Actions": []}])
        assert same != other
