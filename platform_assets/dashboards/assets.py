"""The dashboards as Dagster assets: one per registry entry, downstream of the tables it reads,
and the index downstream of them all (group `dashboards`).

Each is rebuilt when what it reads changes (`eager`) and by the hourly schedule in defs.py, so
the "data as of" line follows the warehouse loads even when a mart did not change. They run in
the warehouse's pool: locally the DuckDB file admits no reader beside a writing process.
"""

import json

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from platform_assets.dashboards.reader import MartReader
from platform_assets.dashboards.registry import DASHBOARDS, INDEX_NAME, Dashboard
from platform_assets.dashboards.render import build, index_html, summary_json
from platform_assets.dashboards.site import DashboardSite
from platform_assets.warehouse.keys import POOL

GROUP = "dashboards"
PREFIX = "dashboards"


def dashboard_key(name: str) -> AssetKey:
    return AssetKey([PREFIX, name])


def _dashboard_asset(d: Dashboard) -> AssetsDefinition:
    reads = ", ".join(t.relation for t in d.tables)

    @asset(
        name=d.name,
        key_prefix=[PREFIX],
        group_name=GROUP,
        deps=[t.asset_key for t in d.tables],
        automation_condition=AutomationCondition.eager(),
        owners=[d.owner],
        kinds={"html", "plotly"},
        pool=POOL,
        tags={f"audience/{a}": "" for a in d.audiences},
        description=f"{d.title}: {d.description} Reads {reads}; for {', '.join(d.audiences)}.",
    )
    def _build(context: AssetExecutionContext, marts_reader: MartReader, dashboard_site: DashboardSite):
        with marts_reader.session() as session:
            built = build(d, session)
        path = dashboard_site.write(d.file_name, built.html.encode())
        dashboard_site.write(f"{d.name}.json", summary_json(built))
        for t in built.missing:  # said on the page too; not an error of this dashboard
            context.log.warning(f"{d.name}: {t.relation} does not exist yet; the page says so")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(path),
                "data_as_of": built.data_as_of,
                "rows_per_chart": MetadataValue.json(built.rows_per_chart),
                "missing_tables": MetadataValue.json([t.relation for t in built.missing]),
                "audiences": ", ".join(d.audiences),
            }
        )

    return _build


dashboard_assets = [_dashboard_asset(d) for d in DASHBOARDS]


@asset(
    name=INDEX_NAME,
    key_prefix=[PREFIX],
    group_name=GROUP,
    deps=[dashboard_key(d.name) for d in DASHBOARDS],
    automation_condition=AutomationCondition.eager(),
    kinds={"html"},
    description="The index page linking every dashboard, with each one's data-as-of line.",
)
def dashboards_index(context: AssetExecutionContext, dashboard_site: DashboardSite) -> MaterializeResult:
    entries = [s for d in DASHBOARDS if (s := dashboard_site.summary(d.name))]
    unbuilt = [d.name for d in DASHBOARDS if not any(s["name"] == d.name for s in entries)]
    if unbuilt:
        context.log.warning(f"dashboards not built yet, not listed: {', '.join(unbuilt)}")
    path = dashboard_site.write(f"{INDEX_NAME}.html", index_html(entries).encode())
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(path),
            "dashboards": MetadataValue.json([s["name"] for s in entries]),
            "not_built": MetadataValue.json(unbuilt),
            "data_as_of": json.dumps({s["name"]: s["data_as_of"] for s in entries}),
        }
    )
