"""QuickSight as code (`prod`): the registry's dashboards as QuickSight objects, through boto3.

`publish` creates what is missing and updates what changed, reporting each object as created,
updated, found or skipped:

1. the Snowflake data source (`<prefix>snowflake`: host, database and warehouse from the
   SNOWFLAKE_* settings, the user's credentials; secrets only ever go to the API);
2. one group per audience (`<prefix><audience>`, in PLATFORM_QUICKSIGHT_NAMESPACE); who is in
   a group is managed in QuickSight or the identity provider, not here;
3. one data set per table the dashboards read (`<prefix><schema>-<table>`, direct query on
   Snowflake, every column with its type read from the warehouse's information_schema);
   a table that does not exist yet (the ML monitoring table before its first run) is skipped,
   with its dashboard, and named in the report;
4. one dashboard per registry entry (`<prefix><name>`): one sheet, one visual per chart with
   the same dimension, series, measures, aggregation and axis titles as the HTML page, viewable
   by the dashboard's audience groups only. The definition's fingerprint is the version
   description: an unchanged dashboard is found, not republished.

Why here and not in provision/: everything is generated from the dashboards' registry, and it
needs the warehouse's column types; provisioning creates the platform's own infrastructure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from platform_assets.dashboards.queries import currencies_sql
from platform_assets.dashboards.reader import WarehouseSession
from platform_assets.dashboards.registry import AUDIENCES, CURRENCY_TABLE, DASHBOARDS, Chart, Dashboard, Table
from platform_assets.errors import PlatformError
from platform_assets.storage.sql_text import sql_string

VIEWER_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
]
DATA_SET_READER_ACTIONS = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
]
AGGREGATIONS = {"sum": "SUM", "avg": "AVERAGE", "max": "MAX", "count": "COUNT"}


@dataclass(frozen=True)
class QuickSightSettings:
    account_id: str
    region: str
    namespace: str
    prefix: str
    snowflake_host: str
    snowflake_database: str
    snowflake_warehouse: str
    snowflake_user: str
    snowflake_password: str

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:quicksight:{self.region}:{self.account_id}:{kind}/{name}"

    def group_arn(self, audience: str) -> str:
        return self.arn("group", f"{self.namespace}/{self.group_name(audience)}")

    def group_name(self, audience: str) -> str:
        return f"{self.prefix}{audience}"

    @property
    def data_source_id(self) -> str:
        return f"{self.prefix}snowflake"

    def data_set_id(self, table: Table) -> str:
        return f"{self.prefix}{table.schema}-{table.name}".replace("_", "-")

    def dashboard_id(self, d: Dashboard) -> str:
        return f"{self.prefix}{d.name}".replace("_", "-")


@dataclass
class Report:
    actions: dict[str, list[str]] = field(default_factory=dict)  # created / updated / found / skipped

    def add(self, what: str, name: str) -> None:
        self.actions.setdefault(what, []).append(name)

    def lines(self) -> list[str]:
        return [f"{what}: {', '.join(names)}" for what, names in self.actions.items()]


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _call(what: str, fn, **kwargs):
    try:
        return fn(**kwargs)
    except ClientError as exc:
        raise PlatformError(f"QuickSight {what} failed: {exc}") from None


# -- the data source ----------------------------------------------------------------------


def data_source_parameters(s: QuickSightSettings) -> dict:
    return {
        "SnowflakeParameters": {
            "Host": s.snowflake_host,
            "Database": s.snowflake_database,
            "Warehouse": s.snowflake_warehouse,
        }
    }


def ensure_data_source(qs, s: QuickSightSettings, report: Report) -> str:
    params = data_source_parameters(s)
    creds = {"CredentialPair": {"Username": s.snowflake_user, "Password": s.snowflake_password}}
    name = "Lakehouse warehouse (Snowflake)"
    try:
        found = qs.describe_data_source(AwsAccountId=s.account_id, DataSourceId=s.data_source_id)[
            "DataSource"
        ]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise PlatformError(f"QuickSight describe data source {s.data_source_id} failed: {exc}") from None
        out = _call(
            f"create data source {s.data_source_id}",
            qs.create_data_source,
            AwsAccountId=s.account_id,
            DataSourceId=s.data_source_id,
            Name=name,
            Type="SNOWFLAKE",
            DataSourceParameters=params,
            Credentials=creds,
        )
        report.add("created", f"data source {s.data_source_id}")
        return out["Arn"]
    if found.get("DataSourceParameters") != params or found.get("Name") != name:
        _call(
            f"update data source {s.data_source_id}",
            qs.update_data_source,
            AwsAccountId=s.account_id,
            DataSourceId=s.data_source_id,
            Name=name,
            DataSourceParameters=params,
            Credentials=creds,
        )
        report.add("updated", f"data source {s.data_source_id}")
    else:
        report.add("found", f"data source {s.data_source_id}")
    return found["Arn"]


# -- groups ---------------------------------------------------------------------------------


def ensure_groups(qs, s: QuickSightSettings, report: Report) -> None:
    for audience in AUDIENCES:
        name = s.group_name(audience)
        try:
            qs.describe_group(AwsAccountId=s.account_id, Namespace=s.namespace, GroupName=name)
            report.add("found", f"group {name}")
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise PlatformError(f"QuickSight describe group {name} failed: {exc}") from None
            _call(
                f"create group {name}",
                qs.create_group,
                AwsAccountId=s.account_id,
                Namespace=s.namespace,
                GroupName=name,
                Description=f"Dashboards audience {audience!r} (lakehouse registry)",
            )
            report.add("created", f"group {name}")


# -- data sets ------------------------------------------------------------------------------


def quicksight_type(data_type: str, scale) -> str:
    """A warehouse column type (DuckDB's or Snowflake's information_schema) as QuickSight's."""
    t = data_type.upper()
    if t.startswith(("DATE", "TIMESTAMP", "TIME")):
        return "DATETIME"
    if t.startswith("BOOL"):
        return "BOOLEAN"
    if "INT" in t or (t.startswith(("NUMBER", "NUMERIC", "DECIMAL")) and not scale):
        return "INTEGER"
    if t.startswith(("NUMBER", "NUMERIC", "DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "DECIMAL"
    return "STRING"


def table_columns(session: WarehouseSession, table: Table) -> list[dict]:
    rows = session.rows(
        "select column_name, data_type, numeric_scale from information_schema.columns "  # noqa: S608 -- sql_string()
        f"where lower(table_schema) = {sql_string(table.schema)} "
        f"and lower(table_name) = {sql_string(table.name)} "
        "order by ordinal_position"
    )
    return [
        {"Name": r["column_name"], "Type": quicksight_type(str(r["data_type"]), r["numeric_scale"])}
        for r in rows
    ]


def data_set_request(s: QuickSightSettings, table: Table, source_arn: str, columns: list[dict]) -> dict:
    readers = sorted({a for d in DASHBOARDS if table in d.tables for a in d.audiences})
    return {
        "AwsAccountId": s.account_id,
        "DataSetId": s.data_set_id(table),
        "Name": table.relation,
        "ImportMode": "DIRECT_QUERY",
        "PhysicalTableMap": {
            table.name: {
                "RelationalTable": {
                    "DataSourceArn": source_arn,
                    "Schema": table.schema,
                    "Name": table.name,
                    "InputColumns": columns,
                }
            }
        },
        "Permissions": [{"Principal": s.group_arn(a), "Actions": DATA_SET_READER_ACTIONS} for a in readers],
    }


def ensure_data_set(qs, request: dict, report: Report) -> str:
    """Create, or update when it exists (QuickSight answers ResourceExistsException)."""
    what = f"data set {request['DataSetId']}"
    try:
        out = qs.create_data_set(**request)
        report.add("created", what)
        return out["Arn"]
    except ClientError as exc:
        if _code(exc) != "ResourceExistsException":
            raise PlatformError(f"QuickSight create {what} failed: {exc}") from None
    permissions = request["Permissions"]
    update = {k: v for k, v in request.items() if k != "Permissions"}
    out = _call(f"update {what}", qs.update_data_set, **update)
    _call(
        f"update {what} permissions",
        qs.update_data_set_permissions,
        AwsAccountId=request["AwsAccountId"],
        DataSetId=request["DataSetId"],
        GrantPermissions=permissions,
    )
    report.add("updated", what)
    return out["Arn"]


# -- dashboards -----------------------------------------------------------------------------


def _column(chart: Chart, column: str, columns: dict[str, dict]) -> dict:
    """A column of the chart's data set, named as the warehouse spells it (Snowflake: upper)."""
    if column not in columns:
        raise PlatformError(f"chart {chart.name}: {chart.table.relation} has no column {column!r}")
    return {"DataSetIdentifier": chart.table.name, "ColumnName": columns[column]["Name"]}


def _dimension(chart: Chart, column: str, field_id: str, columns: dict[str, dict]) -> dict:
    col = _column(chart, column, columns)
    kind = columns[column]["Type"]
    if kind == "DATETIME":
        return {"DateDimensionField": {"FieldId": field_id, "Column": col, "DateGranularity": "DAY"}}
    if kind in ("INTEGER", "DECIMAL"):
        return {"NumericalDimensionField": {"FieldId": field_id, "Column": col}}
    return {"CategoricalDimensionField": {"FieldId": field_id, "Column": col}}


def _measures(chart: Chart, columns: dict[str, dict]) -> list[dict]:
    out = []
    for i, m in enumerate(chart.measures):
        measure = {
            "FieldId": f"{chart.name}.m{i}",
            "Column": _column(chart, m.column, columns),
            "AggregationFunction": {"SimpleNumericalAggregation": AGGREGATIONS[m.agg]},
        }
        if m.scale == 100.0:  # a share shown as a percentage, as the page multiplies by 100
            measure["FormatConfiguration"] = {
                "FormatConfiguration": {"PercentageDisplayFormatConfiguration": {}}
            }
        out.append({"NumericalMeasureField": measure})
    return out


def _label(text: str) -> dict:
    return {"AxisLabelOptions": [{"CustomLabel": text}]}


def visual(chart: Chart, columns: dict[str, dict], currency: str) -> dict:
    """The QuickSight visual of a chart: same fields, aggregation and axis titles as the page."""
    x_title = chart.x_title.replace("{currency}", currency)
    y_title = chart.y_title.replace("{currency}", currency)
    title = {"Visibility": "VISIBLE", "FormatText": {"PlainText": chart.title}}
    x = [_dimension(chart, chart.x, f"{chart.name}.x", columns)] if chart.x else []
    series = [_dimension(chart, chart.series, f"{chart.name}.series", columns)] if chart.series else []
    values = _measures(chart, columns)
    if chart.kind == "line":
        wells = {"LineChartAggregatedFieldWells": {"Category": x, "Values": values, "Colors": series}}
        config = {
            "FieldWells": wells,
            "XAxisLabelOptions": _label(x_title),
            "PrimaryYAxisLabelOptions": _label(y_title),
        }
        return {"LineChartVisual": {"VisualId": chart.name, "Title": title, "ChartConfiguration": config}}
    if chart.kind == "heatmap":
        wells = {"HeatMapAggregatedFieldWells": {"Rows": series, "Columns": x, "Values": values}}
        config = {
            "FieldWells": wells,
            "RowLabelOptions": _label(y_title),
            "ColumnLabelOptions": _label(x_title),
        }
        return {"HeatMapVisual": {"VisualId": chart.name, "Title": title, "ChartConfiguration": config}}
    # bar, and the funnel as bars: QuickSight's funnel takes one measure over a stage
    # column, while the mart holds one column per stage
    wells = {"BarChartAggregatedFieldWells": {"Category": x, "Values": values, "Colors": series}}
    config: dict = {
        "FieldWells": wells,
        "CategoryLabelOptions": _label(x_title if chart.x else chart.x_title),
        "ValueLabelOptions": _label(y_title),
    }
    if chart.top:
        config["SortConfiguration"] = {
            "CategorySort": [{"FieldSort": {"FieldId": f"{chart.name}.m0", "Direction": "DESC"}}],
            "CategoryItemsLimit": {"ItemsLimit": chart.top, "OtherCategories": "EXCLUDE"},
        }
    return {"BarChartVisual": {"VisualId": chart.name, "Title": title, "ChartConfiguration": config}}


def dashboard_definition(
    d: Dashboard, data_set_arns: dict[Table, str], columns: dict[Table, dict[str, dict]], currency: str
) -> dict:
    """One sheet, one visual per chart; `columns`: each table's columns by lower-case name."""
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": t.name, "DataSetArn": data_set_arns[t]}
            for t in dict.fromkeys(c.table for c in d.charts)
        ],
        "Sheets": [
            {
                "SheetId": d.name,
                "Name": d.title,
                "Title": d.title,
                "Description": d.description,
                "Visuals": [visual(c, columns[c.table], currency) for c in d.charts],
            }
        ],
    }


def fingerprint(definition: dict, permissions: list[dict]) -> str:
    text = json.dumps({"definition": definition, "permissions": permissions}, sort_keys=True)
    return "lakehouse registry " + hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_dashboard(qs, s: QuickSightSettings, d: Dashboard, definition: dict, report: Report) -> None:
    dashboard_id = s.dashboard_id(d)
    permissions = [{"Principal": s.group_arn(a), "Actions": VIEWER_ACTIONS} for a in d.audiences]
    version = fingerprint(definition, permissions)
    what = f"dashboard {dashboard_id}"
    try:
        found = qs.describe_dashboard(AwsAccountId=s.account_id, DashboardId=dashboard_id)["Dashboard"]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise PlatformError(f"QuickSight describe {what} failed: {exc}") from None
        _call(
            f"create {what}",
            qs.create_dashboard,
            AwsAccountId=s.account_id,
            DashboardId=dashboard_id,
            Name=d.title,
            Definition=definition,
            Permissions=permissions,
            VersionDescription=version,
        )
        report.add("created", what)
        return
    if found.get("Version", {}).get("Description") == version:
        report.add("found", what)
        return
    out = _call(
        f"update {what}",
        qs.update_dashboard,
        AwsAccountId=s.account_id,
        DashboardId=dashboard_id,
        Name=d.title,
        Definition=definition,
        VersionDescription=version,
    )
    _call(
        f"publish {what}",
        qs.update_dashboard_published_version,
        AwsAccountId=s.account_id,
        DashboardId=dashboard_id,
        VersionNumber=int(out["VersionArn"].rsplit("/", 1)[-1]),
    )
    _call(
        f"update {what} permissions",
        qs.update_dashboard_permissions,
        AwsAccountId=s.account_id,
        DashboardId=dashboard_id,
        GrantPermissions=permissions,
    )
    report.add("updated", what)


def publish(qs, s: QuickSightSettings, session: WarehouseSession) -> Report:
    """Everything above, in dependency order; `session` reads the warehouse's column types."""
    report = Report()
    source_arn = ensure_data_source(qs, s, report)
    ensure_groups(qs, s, report)
    tables = list(dict.fromkeys(t for d in DASHBOARDS for t in d.tables))
    present = {t for t in tables if session.exists(t.schema, t.name)}
    arns: dict[Table, str] = {}
    columns_of: dict[Table, dict[str, dict]] = {}
    for t in tables:
        if t not in present:
            report.add("skipped", f"data set for {t.relation} (the table does not exist yet)")
            continue
        columns = table_columns(session, t)
        columns_of[t] = {c["Name"].lower(): c for c in columns}
        arns[t] = ensure_data_set(qs, data_set_request(s, t, source_arn, columns), report)
    found = session.rows(currencies_sql(CURRENCY_TABLE.relation)) if CURRENCY_TABLE in present else []
    currency = ", ".join(str(r["currency"]) for r in found) or "order currency"
    for d in DASHBOARDS:
        waiting = [t.relation for t in d.tables if t not in present]
        if waiting:
            report.add("skipped", f"dashboard {s.dashboard_id(d)} (waiting for {', '.join(waiting)})")
            continue
        ensure_dashboard(qs, s, d, dashboard_definition(d, arns, columns_of, currency), report)
    return report


def settings_from_variables(account_id: str | None, region: str) -> QuickSightSettings:
    """The settings from variables.py (SNOWFLAKE_*, PLATFORM_QUICKSIGHT_*); `account_id` when
    PLATFORM_QUICKSIGHT_ACCOUNT_ID is unset (the caller's, from STS)."""
    from platform_assets.variables import value

    missing = [
        n
        for n in (
            "SNOWFLAKE_ACCOUNT",
            "SNOWFLAKE_DATABASE",
            "SNOWFLAKE_WAREHOUSE",
            "SNOWFLAKE_USER",
            "SNOWFLAKE_PASSWORD",
        )
        if not value(n)
    ]
    if missing:
        raise PlatformError(f"QuickSight's Snowflake data source needs {', '.join(missing)}")
    account = value("PLATFORM_QUICKSIGHT_ACCOUNT_ID") or account_id
    if not account:
        raise PlatformError("set PLATFORM_QUICKSIGHT_ACCOUNT_ID (the AWS account QuickSight runs in)")
    return QuickSightSettings(
        account_id=account,
        region=region,
        namespace=value("PLATFORM_QUICKSIGHT_NAMESPACE") or "default",
        prefix=value("PLATFORM_QUICKSIGHT_PREFIX") or "",
        snowflake_host=value("SNOWFLAKE_HOST") or f"{value('SNOWFLAKE_ACCOUNT')}.snowflakecomputing.com",
        snowflake_database=value("SNOWFLAKE_DATABASE") or "",
        snowflake_warehouse=value("SNOWFLAKE_WAREHOUSE") or "",
        snowflake_user=value("SNOWFLAKE_USER") or "",
        snowflake_password=value("SNOWFLAKE_PASSWORD") or "",
    )
