"""The dashboards as assets over the shared built warehouse: every page written with its charts,
titles, units and the load it shows; every number drawn equal to the marts; built twice with
the same result; the model monitoring page before and after its table exists."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AutomationCondition, materialize

from platform_assets.dashboards.assets import dashboard_assets, dashboard_key, dashboards_index
from platform_assets.dashboards.figures import NONE_LABEL
from platform_assets.dashboards.reader import DuckDBMartReader
from platform_assets.dashboards.registry import BY_NAME, CHURN_MONITORING, DASHBOARDS, Chart
from platform_assets.dashboards.site import DashboardSite
from platform_assets.settings import DBT_PROJECT_DIR

FIGURE = re.compile(
    r'<script type="application/json" class="figure" data-chart="([a-z_]+)">(.*?)</script>', re.S
)


def build_pages(warehouse: Path, out: Path):
    result = materialize(
        [*dashboard_assets, dashboards_index],
        resources={
            "marts_reader": DuckDBMartReader(path=str(warehouse)),
            "dashboard_site": DashboardSite(root=str(out)),
        },
    )
    assert result.success
    return result


def metadata(result, name: str) -> dict:
    """The metadata of dashboard `name`'s materialization in `result`."""
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == dashboard_key(name)]
    return event.materialization.metadata


def figures(page: str) -> dict[str, dict]:
    return {name: json.loads(text.replace("<\\/", "</")) for name, text in FIGURE.findall(page)}


@pytest.fixture(scope="module")
def site(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("dashboards")
    result = build_pages(built_warehouse.warehouse_path, out)
    return out, result


def _loads(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        return {
            s: db.execute(f"select max(load_id) from {s}._loads").fetchone()[0]  # noqa: S608 -- own names
            for s in ("curated", "events")
        }


def test_every_page_has_its_charts_titles_units_and_the_load_it_shows(site, built_warehouse):
    out, result = site
    loads = _loads(built_warehouse.warehouse_path)
    for d in DASHBOARDS:
        page = (out / d.file_name).read_text()
        assert f"curated load #{loads['curated']} at" in page and f"events load #{loads['events']}" in page
        if d is BY_NAME["model_monitoring"]:
            continue  # the shared warehouse has no ML table: the next test
        assert page.count("Plotly.newPlot") == 1 and page.count("plotly.js v") == 1, d.name  # plotly once
        assert "<script src=" not in page and "<link" not in page, d.name  # nothing from the network
        figs = figures(page)
        assert list(figs) == [c.name for c in d.charts], d.name
        for c in d.charts:
            layout = figs[c.name]["layout"]
            assert layout["title"]["text"] == c.title
            titles = [layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]]
            assert all(t and "{" not in t for t in titles), (c.name, titles)
            assert any("(" in t for t in titles), f"{c.name}: no unit in {titles}"
            assert figs[c.name]["data"], c.name
        meta = metadata(result, d.name)
        points = {c.name: len(_points(c, figs[c.name])) // len(c.measures) for c in d.charts}
        assert meta["rows_per_chart"].data == points  # a row per point (and measure)
        assert all(n > 0 for n in meta["rows_per_chart"].data.values()), (d.name, meta["rows_per_chart"])
    assert "EUR" in (out / "revenue.html").read_text()  # the currency of the orders, in the axis
    index = (out / "index.html").read_text()
    assert [m for m in re.findall(r'href="([a-z_]+)\.html"', index)] == [d.name for d in DASHBOARDS]


def test_the_monitoring_page_says_its_table_is_missing_and_the_others_still_build(site):
    out, result = site
    page = (out / "model_monitoring.html").read_text()
    assert 'data-missing="ml.churn_model_monitoring"' in page and "does not exist" in page
    assert not figures(page)
    meta = metadata(result, "model_monitoring")
    assert meta["missing_tables"].data == ["ml.churn_model_monitoring"]
    assert "waiting for ml.churn_model_monitoring" in (out / "index.html").read_text()


def _plain(v):
    if v is None:
        return NONE_LABEL
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def _expected(chart: Chart, rows: list[dict]) -> dict[tuple, float]:
    """The chart's aggregates computed in Python from the table's rows (not from its SQL)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[
            (_plain(r[chart.x]) if chart.x else None, _plain(r[chart.series]) if chart.series else None)
        ].append(r)
    out = {}
    for (x, series), members in groups.items():
        for m in chart.measures:
            values = [float(r[m.column]) for r in members if r[m.column] is not None]
            agg = {
                "sum": lambda v: sum(v),
                "avg": lambda v: sum(v) / len(v) if v else None,
                "max": lambda v: max(v) if v else None,
                "count": lambda v: float(len(v)),
            }[m.agg](values)
            key = (x, series if chart.series else m.label) if chart.kind != "funnel" else (m.label,)
            out[key] = None if agg is None else agg * m.scale
    if chart.top:
        ranked = sorted(out.items(), key=lambda kv: -(kv[1] or 0))[: chart.top]
        out = dict(ranked)
    return out


def _points(chart: Chart, fig: dict) -> dict[tuple, float]:
    """The numbers the figure draws, keyed like `_expected`."""
    out = {}
    for trace in fig["data"]:
        if chart.kind == "funnel":
            out.update({(label,): v for label, v in zip(trace["y"], trace["x"], strict=True)})
        elif chart.kind == "heatmap":
            out.update({(x, y): z for x, y, z in zip(trace["x"], trace["y"], trace["z"], strict=True)})
        else:  # one trace per series value, or per measure (named by its label)
            out.update({(x, trace["name"]): y for x, y in zip(trace["x"], trace["y"], strict=True)})
    return out


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


def _reconcile(chart: Chart, fig: dict, db) -> None:
    cur = db.execute(f"select * from {chart.table.relation}")  # noqa: S608 -- relation quoted by sql_ident()
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    expected = _expected(chart, rows)
    drawn = _points(chart, fig)
    if chart.series:  # trace names are text; the series values may be numbers
        expected = {(x, str(s)): v for (x, s), v in expected.items()}
    assert set(drawn) == set(expected), (chart.name, set(drawn) ^ set(expected))
    bad = {k: (drawn[k], expected[k]) for k in expected if not _close(drawn[k], expected[k])}
    assert not bad, (chart.name, list(bad.items())[:5])


def test_every_number_drawn_reconciles_with_the_marts(site, built_warehouse):
    out, _ = site
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as db:
        for d in DASHBOARDS:
            figs = figures((out / d.file_name).read_text())
            for c in d.charts:
                if c.table is CHURN_MONITORING:
                    continue
                _reconcile(c, figs[c.name], db)
        # and across marts: the revenue drawn is the orders' not cancelled; the funnel's first
        # stage every session; the segments every customer
        revenue = db.execute(
            "select sum(total_amount) from marts.fct_orders where not is_cancelled"
        ).fetchone()[0]
        sessions = db.execute("select count(*) from marts.fct_sessions").fetchone()[0]
        customers = db.execute("select count(*) from marts.dim_customers").fetchone()[0]
    drawn_revenue = sum(
        sum(t["y"]) for t in figures((out / "revenue.html").read_text())["daily_revenue"]["data"]
    )
    assert _close(drawn_revenue, revenue)
    funnel = figures((out / "funnel.html").read_text())["funnel_stages"]["data"][0]
    assert funnel["x"][0] == sessions > 0
    assert funnel["x"] == sorted(funnel["x"], reverse=True)  # never widens
    segments = figures((out / "customer_value.html").read_text())["customers_by_segment"]["data"][0]
    assert sum(segments["y"]) == customers


def test_building_twice_writes_the_same_pages(site, built_warehouse, tmp_path):
    out, _ = site
    build_pages(built_warehouse.warehouse_path, tmp_path)
    for d in DASHBOARDS:
        first, again = ((o / d.file_name).read_text() for o in (out, tmp_path))
        strip = re.compile(r"Page built [0-9: -]+ UTC")
        assert strip.sub("", first) == strip.sub("", again), d.name


def test_monitoring_page_draws_the_table_once_it_exists(built_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)  # this test changes it
    with duckdb.connect(str(warehouse)) as db:
        db.execute("create schema ml")
        db.execute(
            "create table ml.churn_model_monitoring (scored_at timestamp, model_version integer, "
            "rows bigint, mean_score double, predicted_positive_rate double, label_rate double, psi double)"
        )
        db.execute(
            "insert into ml.churn_model_monitoring select "
            "timestamp '2026-03-01 06:00:00' + i * interval 1 day, 1 + (i >= 20)::int, 1000 + i, "
            "0.2 + i / 1000, 0.1 + i / 2000, 0.12, i / 100 "
            "from range(30) t(i)"
        )
    d = BY_NAME["model_monitoring"]
    result = materialize(
        [next(a for a in dashboard_assets if dashboard_key(d.name) in a.keys)],
        resources={
            "marts_reader": DuckDBMartReader(path=str(warehouse)),
            "dashboard_site": DashboardSite(root=str(tmp_path / "site")),
        },
    )
    assert result.success
    page = (tmp_path / "site" / d.file_name).read_text()
    assert "data-missing" not in page
    figs = figures(page)
    assert metadata(result, d.name)["rows_per_chart"].data == {
        "score_drift": 30,
        "score_rates": 30,
    }
    with duckdb.connect(str(warehouse), read_only=True) as db:
        for c in d.charts:
            _reconcile(c, figs[c.name], db)
    assert {t["name"] for t in figs["score_drift"]["data"]} == {"1", "2"}


def test_the_assets_follow_the_registry():
    from platform_assets.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    for d in DASHBOARDS:
        node = graph.get(dashboard_key(d.name))
        assert node.group_name == "dashboards"
        assert set(node.parent_keys) == {t.asset_key for t in d.tables}, d.name
        assert node.automation_condition == AutomationCondition.eager()
    # the monitoring page hangs under the ML asset that writes its table
    assert graph.get(CHURN_MONITORING.asset_key).group_name == "ml"
    index = graph.get(dashboard_key("index"))
    assert set(index.parent_keys) == {dashboard_key(d.name) for d in DASHBOARDS}
    defs = build_definitions()
    assert defs.resolve_schedule_def("dashboards_hourly").cron_schedule == "20 * * * *"


def test_the_dbt_exposures_name_the_registrys_mart_dashboards():
    """exposures.yml documents the dashboards for analysts; it must say what the registry does."""
    doc = yaml.safe_load((DBT_PROJECT_DIR / "models" / "exposures.yml").read_text())
    exposed = {
        e["name"]: {re.sub(r"ref\('(\w+)'\)", r"\1", r) for r in e["depends_on"]}
        for e in doc["exposures"]
        if e["type"] == "dashboard"
    }
    declared = {
        f"{d.name}_dashboard": {t.name for t in d.tables}
        for d in DASHBOARDS
        if all(t.schema == "marts" for t in d.tables)
    }
    assert exposed == declared


def test_decimal_values_are_drawn_as_numbers():
    from platform_assets.dashboards.figures import plain_rows

    chart = BY_NAME["revenue"].charts[0]
    rows = plain_rows(chart, [{"x": date(2026, 3, 1), "series": "EUR", "m0": Decimal("12.50")}])
    assert rows == [{"x": "2026-03-01", "series": "EUR", "m0": 12.5}]


def test_before_the_warehouse_exists_the_pages_say_what_is_missing(tmp_path):
    """In the whole-graph job a dashboard whose table is not a mart (model monitoring) can run
    before the warehouse file exists: the page says so instead of failing the run."""
    result = build_pages(tmp_path / "no-warehouse-yet.duckdb", tmp_path / "site")
    page = (tmp_path / "site" / "model_monitoring.html").read_text()
    assert 'data-missing="ml.churn_model_monitoring"' in page
    assert "no warehouse load recorded yet" in page
    assert metadata(result, "revenue")["missing_tables"].data == ["marts.mart_daily_revenue"]
    assert not (tmp_path / "no-warehouse-yet.duckdb").exists()  # a reader creates nothing
